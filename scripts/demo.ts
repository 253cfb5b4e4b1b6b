/**
 * `npm run demo`: the root program (program.ts) end to end on the local DPS emulator through the real
 * Pulumi CLI and engine: preview → up → an out-of-band edit → a Set-style change (preview and up) →
 * read-back with the official client → destroy. Non-interactive; cleans up after itself.
 *
 * `npm run demo` builds and runs `scripts/ensure-pulumi` first; `node dist/scripts/demo.js --keep`
 * leaves the stack directory in `.demo/` to look at.
 *
 * @packageDocumentation
 */
import { createHash, createHmac, X509Certificate } from "crypto";
import * as fs from "fs";
import * as path from "path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../emulator";
import { createServiceClient } from "../provider/core/transport";
import { FLEET, program, REGISTRATION_IDS, settingsFromConfig } from "../program";
import { ecCsr, registerRaw } from "../test/support/csr";
import { TpmSecurityClient } from "azure-iot-security-tpm";
import { closeTpm, registerDevice, registerTpm } from "../test/support/devices";
import { startChip, swtpmMissing, type Chip } from "../test/support/swtpm";
import { EngineStack, REPO_ROOT, findPulumi, type OperationResult } from "../test/support/engine";

const DEMO_ROOT = path.join(REPO_ROOT, ".demo");
/** The Azure Device Registry certificate policy the emulator knows and the fleet group names. */
const ADR_POLICY = "demo-ns/demo-ca/fleet-devices";
const keep = process.argv.includes("--keep");
const color = process.stdout.isTTY ? "always" : "never";
const bold = (s: string): string => (color === "always" ? `\x1b[1m${s}\x1b[0m` : s);

let step = 0;
function chapter(title: string): void {
  step += 1;
  console.log(`\n${bold(`── ${step}. ${title} `.padEnd(100, "─"))}`);
}

function say(text: string): void {
  console.log(`   ${text}`);
}

/** Echoes CLI output as it streams, indented, whole lines at a time. */
function echo(): { write: (text: string) => void; flush: () => void } {
  let pending = "";
  return {
    write(text: string): void {
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      // "@ updating...." is a progress ticker meant for a terminal that redraws it.
      for (const line of lines) if (!/^@ \w+/.test(line)) console.log(`   │ ${line}`);
    },
    flush(): void {
      if (pending) console.log(`   │ ${pending}`);
      pending = "";
    },
  };
}

/** The service's view of an enrollment, the fields the story shows. */
interface Enrollment {
  registrationId: string;
  deviceId?: string;
  provisioningStatus?: string;
  allocationPolicy?: string;
  iotHubs?: string[];
  iotHubHostName?: string;
  optionalDeviceInformation?: Record<string, unknown>;
  initialTwin?: { tags?: Record<string, unknown> };
  attestation: { type: string };
  etag?: string;
  createdDateTimeUtc?: string;
  lastUpdatedDateTimeUtc?: string;
}

async function read(client: ProvisioningServiceClient, id: string): Promise<Enrollment> {
  return (await client.getIndividualEnrollment(id)).responseBody as unknown as Enrollment;
}

async function keyFingerprint(client: ProvisioningServiceClient, id: string): Promise<string> {
  const keys = (await client.getIndividualEnrollmentAttestationMechanism(id)).responseBody.symmetricKey;
  const hash = createHash("sha256")
    .update(`${keys?.primaryKey ?? ""}|${keys?.secondaryKey ?? ""}`)
    .digest("hex");
  return `sha256:${hash.slice(0, 12)}…`;
}

async function listEnrollments(client: ProvisioningServiceClient): Promise<Enrollment[]> {
  // One page holds them all (the demo has three).
  const page = await client.createIndividualEnrollmentQuery({ query: "*" }, 100).next();
  return page.responseBody as unknown as Enrollment[];
}

function timing(what: string, r: OperationResult): void {
  say(`(${what} took ${(r.ms / 1000).toFixed(1)} s)`);
}

/** The running software TPM's endorsement key, base64, as the device SDK reads it. */
async function gatewayEndorsementKey(): Promise<string> {
  const security = new TpmSecurityClient(REGISTRATION_IDS.gateway);
  try {
    const ek = await new Promise<Buffer>((resolve, reject) =>
      security.getEndorsementKey((err, key) => (err ? reject(err) : resolve(key as Buffer))),
    );
    return ek.toString("base64");
  } finally {
    closeTpm(security);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const pulumi = await findPulumi().catch((err: Error) => {
    throw new Error(`${err.message}\n(npm run demo does this for you.)`);
  });
  let emu: EmulatorHandle | undefined;
  let stack: EngineStack | undefined;
  let chip: Chip | undefined;
  let destroyed = false;
  try {
    chapter("Start the local DPS emulator");
    emu = await startEmulator({ adrPolicies: [ADR_POLICY] });
    process.env.DPS_EMULATOR_CONNECTION_STRING = emu.connectionString;
    process.env.DPS_EMULATOR_ADR_POLICY = ADR_POLICY;
    process.env.DPS_EMULATOR_ENDPOINT = emu.endpoint;
    process.env.DPS_EMULATOR_CA = emu.caCertificate;
    process.env.DPS_EMULATOR_HUBS = emu.linkedHubs.join(",");
    say(`DPS ${emu.hostName} served at ${emu.endpoint}; linked hubs: ${emu.linkedHubs.join(", ")}`);
    say(
      "The program reads it from DPS_EMULATOR_CONNECTION_STRING / _ENDPOINT / _CA / _HUBS (no stack config).",
    );
    const client = createServiceClient({
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    });
    const noTpm = swtpmMissing();
    if (noTpm) {
      say(`No software TPM (${noTpm}): the gateway keeps the sample endorsement key and does not register.`);
    } else {
      chip = await startChip();
      const ek = await gatewayEndorsementKey();
      process.env.DEMO_TPM_ENDORSEMENT_KEY = ek;
      say(
        `A software TPM (swtpm) is the gateway's chip: the program enrolls its endorsement key (DEMO_TPM_ENDORSEMENT_KEY, ${ek.length} base64 chars).`,
      );
    }

    chapter("Create a stack of the root program on a local file backend");
    const out = echo();
    stack = await EngineStack.create({
      projectName: "dps-enrollments",
      stackName: "demo",
      stateRoot: DEMO_ROOT,
      // The same code `pulumi up` runs from index.ts, with the stack's config read inside the run.
      program: async () => program(settingsFromConfig()),
      config: { "demo:phase": "1" },
      color,
      onOutput: (t) => out.write(t),
      keep,
    });
    say(`Pulumi CLI v${pulumi.version} from ${path.relative(REPO_ROOT, pulumi.binDir) || pulumi.binDir}`);
    say(`backend file://${path.relative(REPO_ROOT, stack.dir)}/state, stack "demo", config demo:phase = 1`);

    chapter("pulumi preview: what would be created (nothing is sent to the DPS)");
    emu.resetStats();
    const p1 = await stack.preview();
    out.flush();
    say(`DPS requests during preview: ${emu.stats().total}`);
    timing("preview", p1);

    chapter("pulumi up: create one enrollment per attestation kind, and an enrollment group");
    const u1 = await stack.up();
    out.flush();
    timing("up", u1);
    for (const e of await listEnrollments(client)) {
      say(
        `in the DPS: ${e.registrationId.padEnd(16)} ${e.attestation.type.padEnd(13)} tags ${JSON.stringify(e.initialTwin?.tags ?? {})}`,
      );
    }

    const groupKey = (await client.getEnrollmentGroupAttestationMechanism(FLEET.enrollmentGroupId))
      .responseBody.symmetricKey?.primaryKey;
    const deviceKey = String(u1.outputs.fleetDeviceKey?.value);
    // What DPS computes to check a device of the group: HMAC-SHA256 of its registration id with the group key.
    const dpsKey = createHmac("sha256", Buffer.from(String(groupKey), "base64"))
      .update(FLEET.device)
      .digest("base64");
    say(`in the DPS: group ${FLEET.enrollmentGroupId} (symmetric key, keys generated)`);
    say(
      `stack output fleetDeviceKey (secret: ${u1.outputs.fleetDeviceKey?.secret}) for ${FLEET.device}: ` +
        `sha256:${createHash("sha256").update(deviceKey).digest("hex").slice(0, 12)}…, ` +
        `${deviceKey === dpsKey ? "the key DPS derives from the group key" : "NOT the key DPS derives"}`,
    );

    chapter("Meanwhile, someone edits the sensor enrollment out of band (official client)");
    const current = await read(client, REGISTRATION_IDS.sensor);
    const withKeys = {
      ...current,
      attestation: (await client.getIndividualEnrollmentAttestationMechanism(REGISTRATION_IDS.sensor))
        .responseBody,
      optionalDeviceInformation: { installedBy: "field-team", rack: "B4" },
    };
    await client.createOrUpdateIndividualEnrollment(withKeys as never);
    say(
      "set optionalDeviceInformation = {installedBy: field-team, rack: B4} (a field the program does not manage)",
    );
    const before = await read(client, REGISTRATION_IDS.sensor);
    const keysBefore = await keyFingerprint(client, REGISTRATION_IDS.sensor);

    chapter("Set-style change (demo:phase = 2): new tags, Static → Hashed allocation over two hubs");
    await stack.setConfig({ "demo:phase": "2" });
    emu.resetStats();
    const p2 = await stack.preview();
    out.flush();
    const changed = p2.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
    say(`planned: ${changed.join(", ") || "nothing"}; DPS requests during preview: ${emu.stats().total}`);
    timing("preview", p2);

    chapter("pulumi up: apply it");
    emu.resetStats();
    const u2 = await stack.up();
    out.flush();
    const s2 = emu.stats();
    say(
      `DPS requests: ${s2.operations.get} GET, ${s2.operations.put} PUT (${s2.responses["412"]} answered 412)`,
    );
    if (s2.responses["412"] > 0) {
      say("The first PUT carried the etag Pulumi last saw; the out-of-band edit had changed it, so the DPS");
      say("refused it (412). The provider re-read the enrollment and applied the change onto that version.");
    }
    timing("up", u2);

    chapter("Read the sensor enrollment back with the official client");
    const after = await read(client, REGISTRATION_IDS.sensor);
    const keysAfter = await keyFingerprint(client, REGISTRATION_IDS.sensor);
    const rows: [string, unknown, unknown][] = [
      ["tags", before.initialTwin?.tags, after.initialTwin?.tags],
      ["allocationPolicy", before.allocationPolicy, after.allocationPolicy],
      ["iotHubs", before.iotHubs, after.iotHubs],
      ["optionalDeviceInformation", before.optionalDeviceInformation, after.optionalDeviceInformation],
      ["provisioningStatus", before.provisioningStatus, after.provisioningStatus],
      ["symmetric keys", keysBefore, keysAfter],
      ["createdDateTimeUtc", before.createdDateTimeUtc, after.createdDateTimeUtc],
      ["etag", before.etag, after.etag],
    ];
    for (const [field, b, a] of rows) {
      const same = JSON.stringify(b) === JSON.stringify(a);
      const verdict = same ? "kept   " : "CHANGED";
      say(
        `${verdict} ${field.padEnd(26)} ${same ? JSON.stringify(a) : `${JSON.stringify(b)} → ${JSON.stringify(a)}`}`,
      );
    }

    chapter("Devices provision with Microsoft's device SDK, keys from the stack outputs");
    const sensorKey = String(u2.outputs.sensorPrimaryKey?.value);
    const chosen = u2.outputs.sensorAllocation?.value as { policy?: string; hubs?: string[] } | undefined;
    const sensorResult = await registerDevice(emu, REGISTRATION_IDS.sensor, { symmetricKey: sensorKey });
    say(
      `${REGISTRATION_IDS.sensor} registered (ID scope ${emu.idScope}, symmetric key from sensorPrimaryKey): ` +
        `device ${sensorResult.deviceId} on ${sensorResult.assignedHub}`,
    );
    const hubs = chosen?.hubs ?? [];
    say(
      hubs.some((h) => h.toLowerCase() === sensorResult.assignedHub.toLowerCase())
        ? `one of the hubs the program chose (${chosen?.policy} over ${hubs.join(", ")})`
        : `NOT one of the hubs the program chose (${hubs.join(", ")})`,
    );
    if (chip) {
      const gateway = await registerTpm(emu, { registrationId: REGISTRATION_IDS.gateway });
      const last = emu.linkedHubs[emu.linkedHubs.length - 1];
      say(
        `${REGISTRATION_IDS.gateway} registered with its software TPM (the service's challenge activated in the ` +
          `TPM, then a TPM-signed SAS): device ${gateway.deviceId} on ${gateway.assignedHub}` +
          (gateway.assignedHub === last
            ? ", the hub the program chose"
            : ` , NOT the hub the program chose (${last})`),
      );
    }
    const member = await registerDevice(emu, FLEET.device, { symmetricKey: deviceKey });
    say(
      `${FLEET.device} registered through group ${FLEET.enrollmentGroupId} (derived key): on ${member.assignedHub}`,
    );
    // Data plane 2026-11-01: the group names an ADR certificate policy, so a device that sends a
    // CSR gets an operational certificate (the device SDKs do not send `csr` yet: raw HTTPS).
    const csr = ecCsr(FLEET.device);
    const issued = await registerRaw(emu, FLEET.device, deviceKey, { csr: csr.csr });
    const chain = (
      issued.json() as { registrationState?: { issuedCertificateChain?: string[] } }
    ).registrationState?.issuedCertificateChain?.map(
      (der) => new X509Certificate(Buffer.from(der, "base64")),
    );
    const [leaf, issuer] = chain ?? [];
    if (!leaf || !issuer) throw new Error(`no certificate issued: ${issued.status} ${issued.text}`);
    const verified = leaf.verify(issuer.publicKey) && leaf.publicKey.equals(csr.publicKey);
    say(
      `${FLEET.device} re-registered with a CSR (ADR policy ${ADR_POLICY}): issued ${leaf.subject.replace(/\n/g, ", ")}, ` +
        `valid to ${leaf.validTo}, by ${issuer.subject.replace(/\n/g, ", ")}: ` +
        (verified ? "signed by the policy's CA, with the device's own key" : "NOT VERIFIED"),
    );
    const u3 = await stack.up({ refresh: true });
    out.flush();
    say(
      `after pulumi up --refresh, stack output sensorAssignedHub = ${String(u3.outputs.sensorAssignedHub?.value)}`,
    );
    if (chip) {
      say(
        `and gatewayAssignedHub = ${String(u3.outputs.gatewayAssignedHub?.value)} (the TPM device's registrationState)`,
      );
    }
    timing("up --refresh", u3);

    chapter("pulumi destroy");
    const d = await stack.destroy();
    destroyed = true;
    out.flush();
    timing("destroy", d);
    const groupsLeft = (await client.createEnrollmentGroupQuery({ query: "*" }, 100).next()).responseBody;
    say(
      `enrollments left in the DPS: ${(await listEnrollments(client)).length}, groups: ${(groupsLeft as unknown as unknown[]).length}`,
    );

    chapter("Done");
    say(`total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    if (stack && !destroyed) await stack.destroy().catch(() => undefined);
    await stack?.dispose();
    await emu?.stop();
    await chip?.stop();
    if (!keep) {
      fs.rmSync(path.join(DEMO_ROOT, "home"), { recursive: true, force: true });
      try {
        fs.rmdirSync(DEMO_ROOT);
      } catch {
        // not empty (another run, or --keep earlier): leave it
      }
    }
    say(keep ? `kept ${stack?.dir ?? DEMO_ROOT}` : "stopped the emulator, removed the stack and .demo/");
  }
}

main().catch((err: unknown) => {
  console.error(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  const output = (err as { output?: unknown }).output;
  if (typeof output === "string" && output) console.error(output);
  process.exit(1);
});
