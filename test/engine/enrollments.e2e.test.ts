// End to end: IndividualEnrollment through the real Pulumi CLI and engine (inline programs via the
// Automation API, see test/support/engine.ts) against the local DPS emulator. Out-of-band changes
// and read-backs use the official service client. One stack, one story; the steps depend on each
// other and run in order. Needs `npm run ensure-pulumi` (fails with what to run otherwise).
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { issueCertificate } from "../../emulator/tls";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { IndividualEnrollment } from "../../provider";
import type { DpsConnectionArgs } from "../../provider";
import { createServiceClient } from "../../provider/core/transport";
import { readEnrollment } from "../support/service";
import { EngineCommandError, EngineStack, findPulumi, type StepInfo } from "../support/engine";

const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";
/** A real device certificate (base64 of its PEM), made in `before`: the emulator parses certificates. */
let CERT: string;

/** What the program declares; each test tweaks a copy and swaps the program. */
interface Desired {
  symTags: Record<string, string>;
  symPolicy?: { allocationPolicy: string; iotHubs: string[] };
  tpmRegistrationId: string;
  /** The attestation of the third enrollment: X.509 at first, TPM after the replace step. */
  thirdAttestation: "x509" | "tpm";
  /** Read `ext-read` with `IndividualEnrollment.get` and adopt `ext-adopt`. */
  external: boolean;
}

/** The service's view of an enrollment, as much of it as the tests read. */
interface ServiceEnrollment {
  registrationId: string;
  deviceId?: string;
  allocationPolicy?: string;
  iotHubs?: string[];
  optionalDeviceInformation?: Record<string, unknown>;
  initialTwin?: { tags?: Record<string, unknown> };
  attestation: { type: string; symmetricKey?: { primaryKey?: string; secondaryKey?: string } };
  etag?: string;
}

/** Resource names of the non-`same` steps, with their op, sorted. */
function changes(steps: StepInfo[]): string[] {
  return [
    ...new Set(steps.filter((s) => s.op !== "same" && s.op !== "refresh").map((s) => `${s.op} ${s.name}`)),
  ].sort();
}

describe("IndividualEnrollment end to end (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle | undefined;
  let client: ProvisioningServiceClient;
  let s: EngineStack | undefined;
  let connection: DpsConnectionArgs;
  let desired: Desired = {
    symTags: { env: "dev" },
    tpmRegistrationId: "e2e-tpm-1",
    thirdAttestation: "x509",
    external: false,
  };

  function program(d: Desired): () => Promise<Record<string, unknown>> {
    return async () => {
      const sym = new IndividualEnrollment("sym", {
        connection,
        registrationId: "e2e-sym",
        attestation: { type: "symmetricKey" },
        tags: d.symTags,
        ...(d.symPolicy ?? {}),
      });
      const tpm = new IndividualEnrollment("tpm", {
        connection,
        registrationId: d.tpmRegistrationId,
        attestation: { type: "tpm", endorsementKey: TPM_EK },
      });
      const third = new IndividualEnrollment("third", {
        connection,
        registrationId: "e2e-third",
        attestation:
          d.thirdAttestation === "x509"
            ? { type: "x509", primaryCertificate: CERT }
            : { type: "tpm", endorsementKey: TPM_EK },
      });
      const outputs: Record<string, unknown> = {
        symId: sym.id,
        tpmId: tpm.id,
        thirdType: third.attestation.apply((a) => a.type),
      };
      if (d.external) {
        const read = IndividualEnrollment.get("ext", "e2e-ext-read", { connection });
        const adopted = new IndividualEnrollment("adopted", {
          connection,
          registrationId: "e2e-ext-adopt",
          attestation: { type: "symmetricKey" },
          tags: { managedBy: "pulumi" },
          adopt: true,
        });
        outputs.readDeviceId = read.deviceId;
        outputs.adoptedTags = adopted.tags;
      }
      return outputs;
    };
  }

  function use(d: Desired): void {
    desired = d;
    stack().setProgram(program(d));
  }

  function stack(): EngineStack {
    assert.ok(s, "stack not created");
    return s;
  }

  function emulator(): EmulatorHandle {
    assert.ok(emu, "emulator not started");
    return emu;
  }

  const service = (id: string) => readEnrollment<ServiceEnrollment>(client, id);

  /** Writes an enrollment out of band, keeping its keys (read first, as the az CLI does). */
  async function outOfBand(id: string, change: (e: ServiceEnrollment) => void): Promise<void> {
    const current = await service(id);
    assert.ok(current, `${id} exists`);
    if (current.attestation.type === "symmetricKey") {
      current.attestation = (await client.getIndividualEnrollmentAttestationMechanism(id))
        .responseBody as unknown as ServiceEnrollment["attestation"];
    }
    change(current);
    await client.createOrUpdateIndividualEnrollment(current as never);
  }

  before(async function () {
    CERT = Buffer.from((await issueCertificate({ commonName: "e2e-third" })).certificatePem).toString(
      "base64",
    );
    // No skipping: `npm test` runs scripts/ensure-pulumi first, so a missing CLI is a failure to see.
    await findPulumi();
    emu = await startEmulator();
    const c = {
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    };
    connection = c;
    client = createServiceClient(c);
    s = await EngineStack.create({ projectName: "enrollments-e2e", program: program(desired) });
  });

  afterEach(function () {
    // What the user would have seen, to debug a failed step.
    if (s && this.currentTest?.state === "failed") console.log(s.transcript);
  });

  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("previews a new stack as three creates without calling the service", async () => {
    emulator().resetStats();
    const p = await stack().preview();
    assert.deepEqual(changes(p.steps), ["create sym", "create third", "create tpm"], p.output);
    assert.equal(p.changeSummary.create, 4, p.output); // with the stack
    assert.equal(emulator().stats().total, 0, "preview called the service");
    assert.equal(await service("e2e-sym"), undefined);
  });

  it("creates them with up", async () => {
    const r = await stack().up();
    assert.equal(r.summary.result, "succeeded", r.output);
    assert.equal(r.summary.resourceChanges?.create, 4);
    const sym = await service("e2e-sym");
    assert.deepEqual(sym?.initialTwin?.tags, { env: "dev" });
    assert.equal((await service("e2e-tpm-1"))?.attestation.type, "tpm");
    assert.equal((await service("e2e-third"))?.attestation.type, "x509");
    assert.equal(r.outputs.thirdType.value, "x509");
  });

  it("previews no changes, without calling the service, when nothing changed", async () => {
    emulator().resetStats();
    const p = await stack().preview();
    assert.deepEqual(changes(p.steps), [], p.output);
    assert.deepEqual(Object.keys(p.changeSummary), ["same"]);
    assert.equal(emulator().stats().total, 0, "a no-change preview called the service");
  });

  it("applies a Set-style change as an update of that resource only, keeping what it does not manage", async () => {
    // Someone sets a field the program does not manage.
    await outOfBand("e2e-sym", (e) => {
      e.optionalDeviceInformation = { site: "plant-7" };
    });
    const keysBefore = (await client.getIndividualEnrollmentAttestationMechanism("e2e-sym")).responseBody
      .symmetricKey;
    const hubs = emulator().linkedHubs.slice(0, 2);
    use({
      ...desired,
      symTags: { env: "prod", team: "fleet" },
      symPolicy: { allocationPolicy: "Hashed", iotHubs: hubs },
    });

    const p = await stack().preview();
    assert.deepEqual(changes(p.steps), ["update sym"], p.output);
    assert.equal(p.changeSummary.update, 1);
    assert.ok(!p.changeSummary.replace, "a Set-style change must not replace");

    const r = await stack().up();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);
    const sym = await service("e2e-sym");
    assert.deepEqual(sym?.initialTwin?.tags, { env: "prod", team: "fleet" });
    assert.equal(sym?.allocationPolicy?.toLowerCase(), "hashed");
    assert.deepEqual(sym?.iotHubs, hubs);
    assert.deepEqual(sym?.optionalDeviceInformation, { site: "plant-7" }, "the unmanaged field was lost");
    const keysAfter = (await client.getIndividualEnrollmentAttestationMechanism("e2e-sym")).responseBody
      .symmetricKey;
    assert.deepEqual(keysAfter, keysBefore, "the symmetric keys changed");
  });

  it("replaces on a new registrationId or attestation type", async () => {
    use({ ...desired, tpmRegistrationId: "e2e-tpm-2", thirdAttestation: "tpm" });
    const p = await stack().preview();
    assert.equal(p.changeSummary.replace, 2, p.output);
    assert.deepEqual([...new Set(p.steps.filter((x) => x.op !== "same").map((x) => x.name))].sort(), [
      "third",
      "tpm",
    ]);
    assert.ok(p.steps.some((x) => x.op === "replace" && x.name === "tpm"));
    assert.ok(p.steps.some((x) => x.op === "replace" && x.name === "third"));

    const r = await stack().up();
    assert.equal(r.summary.resourceChanges?.replace, 2, r.output);
    assert.equal(await service("e2e-tpm-1"), undefined, "the old enrollment is gone");
    assert.equal((await service("e2e-tpm-2"))?.attestation.type, "tpm");
    assert.equal((await service("e2e-third"))?.attestation.type, "tpm");
    assert.equal(r.outputs.thirdType.value, "tpm");
  });

  it("detects an out-of-band change with refresh and corrects it with the next up", async () => {
    await outOfBand("e2e-sym", (e) => {
      e.initialTwin = { ...e.initialTwin, tags: { env: "hacked" } };
    });
    const r = await stack().refresh();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);

    const p = await stack().preview();
    assert.deepEqual(changes(p.steps), ["update sym"], p.output);
    const u = await stack().up();
    assert.equal(u.summary.resourceChanges?.update, 1, u.output);
    assert.deepEqual((await service("e2e-sym"))?.initialTwin?.tags, { env: "prod", team: "fleet" });
  });

  it("rejects a bad input at preview, naming the property, before any service call", async () => {
    const good = desired;
    use({ ...good, symPolicy: { allocationPolicy: "Static", iotHubs: emulator().linkedHubs.slice(0, 2) } });
    emulator().resetStats();
    await assert.rejects(stack().preview(), (err: unknown) => {
      assert.ok(err instanceof EngineCommandError, String(err));
      const seen = `${err.output}\n${err.stderr}`; // what the user saw
      assert.match(seen, /iotHubs/);
      assert.match(seen, /only one hub/);
      return true;
    });
    assert.equal(emulator().stats().total, 0, "a rejected input reached the service");
    use(good);
  });

  it("keeps symmetric keys and the connection string out of the stack export", async () => {
    const text = await stack().exportStackText();
    const keys = (await client.getIndividualEnrollmentAttestationMechanism("e2e-sym")).responseBody
      .symmetricKey;
    assert.ok(keys?.primaryKey && keys.secondaryKey);
    assert.ok(!text.includes(keys.primaryKey), "primary key in plaintext");
    assert.ok(!text.includes(keys.secondaryKey), "secondary key in plaintext");
    const sharedAccessKey = /SharedAccessKey=([^;]+)/.exec(emulator().connectionString)?.[1] ?? "";
    assert.ok(sharedAccessKey.length > 0);
    assert.ok(!text.includes(sharedAccessKey), "the policy key in plaintext");
    assert.ok(!/SharedAccessKey/i.test(text), "a connection string in plaintext");
    assert.ok(text.includes("4dabf18193072939515e22adb298388d"), "expected encrypted secrets in the export");
  });

  it("reads an existing enrollment with get and takes over another with adopt", async () => {
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "e2e-ext-read",
      deviceId: "reader-device",
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
    } as never);
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "e2e-ext-adopt",
      deviceId: "adopted-device",
      attestation: { type: "symmetricKey" },
    } as never);
    const adoptedKeys = (await client.getIndividualEnrollmentAttestationMechanism("e2e-ext-adopt"))
      .responseBody.symmetricKey;

    use({ ...desired, external: true });
    const r = await stack().up();
    assert.equal(r.summary.result, "succeeded", r.output);
    assert.ok(
      r.steps.some((x) => x.name === "ext" && x.op === "read"),
      r.output,
    );
    assert.equal(r.outputs.readDeviceId.value, "reader-device");
    assert.deepEqual(r.outputs.adoptedTags.value, { managedBy: "pulumi" });
    const adopted = await service("e2e-ext-adopt");
    assert.deepEqual(adopted?.initialTwin?.tags, { managedBy: "pulumi" });
    assert.equal(adopted?.deviceId, "adopted-device", "adopt must keep what the program does not set");
    const keysAfter = (await client.getIndividualEnrollmentAttestationMechanism("e2e-ext-adopt")).responseBody
      .symmetricKey;
    assert.deepEqual(keysAfter, adoptedKeys, "adopt changed the keys");
  });

  it("destroys everything it manages, even after an out-of-band delete", async () => {
    await client.deleteIndividualEnrollment("e2e-tpm-2");
    const r = await stack().destroy();
    assert.equal(r.summary.result, "succeeded", r.output);
    for (const id of ["e2e-sym", "e2e-tpm-2", "e2e-third", "e2e-ext-adopt"]) {
      assert.equal(await service(id), undefined, `${id} still exists`);
    }
    assert.equal(
      (await service("e2e-ext-read"))?.deviceId,
      "reader-device",
      "a read-only enrollment was deleted",
    );
    const dep = (await stack().exportStack()).deployment as { resources?: unknown[] };
    assert.equal(dep.resources?.length ?? 0, 0);
  });
});
