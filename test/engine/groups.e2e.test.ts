// End to end: EnrollmentGroup through the real Pulumi CLI and engine against the local DPS emulator,
// next to an IndividualEnrollment. Out-of-band changes and read-backs use the official service client.
// One stack, one story; the steps depend on each other and run in order.
import { strict as assert } from "assert";
import { createHmac } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createTlsMaterial } from "../../emulator/tls";
import {
  EnrollmentGroup,
  IndividualEnrollment,
  deriveDeviceKeyOutput,
  type DpsConnectionArgs,
  type GroupAttestationArgs,
} from "../../provider";
import { emulatorClient, emulatorConnection } from "../support/service";
import { EngineCommandError, EngineStack, findPulumi, type StepInfo } from "../support/engine";

interface Desired {
  fleetTags: Record<string, string>;
  /** Give the x509 group a TPM attestation (bad input). */
  badGroup: boolean;
  /** Adopt `eg-existing`, made outside Pulumi. */
  adopt: boolean;
}

interface ServiceGroup {
  enrollmentGroupId: string;
  provisioningStatus?: string;
  capabilities?: { iotEdge?: boolean };
  initialTwin?: { tags?: Record<string, unknown>; properties?: { desired?: Record<string, unknown> } };
  attestation: { type: string; symmetricKey?: { primaryKey?: string; secondaryKey?: string } };
}

function changes(steps: StepInfo[]): string[] {
  return [
    ...new Set(steps.filter((s) => s.op !== "same" && s.op !== "refresh").map((s) => `${s.op} ${s.name}`)),
  ].sort();
}

describe("EnrollmentGroup end to end (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let s: EngineStack;
  let connection: DpsConnectionArgs;
  let signingCert: string;
  let desired: Desired = { fleetTags: { env: "dev" }, badGroup: false, adopt: false };

  function program(d: Desired): () => Promise<Record<string, unknown>> {
    return async () => {
      const fleet = new EnrollmentGroup("fleet", {
        connection,
        enrollmentGroupId: "eg-fleet",
        attestation: { type: "symmetricKey" },
        tags: d.fleetTags,
      });
      new EnrollmentGroup("signed", {
        connection,
        enrollmentGroupId: "eg-signed",
        // A TPM group is what a type-checked program cannot write; JavaScript programs can.
        attestation: d.badGroup
          ? ({ type: "tpm", endorsementKey: "AToAAQ==" } as unknown as GroupAttestationArgs)
          : { type: "x509", primaryCertificate: signingCert },
      });
      new IndividualEnrollment("single", {
        connection,
        registrationId: "eg-single",
        attestation: { type: "symmetricKey" },
      });
      const outputs: Record<string, unknown> = {
        fleetId: fleet.id,
        deviceKey: fleet.deviceKey("sensor-001"),
        // The form deriveDeviceKeyOutput's TSDoc suggests: a preview of a change to the group drops
        // the kept key, and the helper must answer "unknown" there, not fail.
        helperKey: deriveDeviceKeyOutput(
          fleet.attestation.apply((a) => a.primaryKey!),
          "sensor-002",
        ),
      };
      if (d.adopt) {
        const adopted = new EnrollmentGroup("existing", {
          connection,
          enrollmentGroupId: "eg-existing",
          attestation: { type: "symmetricKey" },
          provisioningStatus: "Disabled",
          adopt: true,
        });
        outputs.adoptedStatus = adopted.provisioningStatus;
      }
      return outputs;
    };
  }

  function use(d: Desired): void {
    desired = d;
    s.setProgram(program(d));
  }

  async function service(id: string): Promise<ServiceGroup | undefined> {
    try {
      return (await client.getEnrollmentGroup(id)).responseBody as unknown as ServiceGroup;
    } catch (err) {
      if ((err as { response?: { statusCode?: number } }).response?.statusCode === 404) return undefined;
      throw err;
    }
  }

  async function keys(id: string) {
    return (await client.getEnrollmentGroupAttestationMechanism(id)).responseBody.symmetricKey;
  }

  async function outOfBand(id: string, change: (g: ServiceGroup) => void): Promise<void> {
    const current = await service(id);
    assert.ok(current, `${id} exists`);
    current.attestation = (await client.getEnrollmentGroupAttestationMechanism(id))
      .responseBody as unknown as ServiceGroup["attestation"];
    change(current);
    await client.createOrUpdateEnrollmentGroup(current as never);
  }

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    connection = emulatorConnection(emu);
    client = emulatorClient(emu);
    signingCert = (await createTlsMaterial()).caCertificatePem;
    s = await EngineStack.create({ projectName: "groups-e2e", program: program(desired) });
  });

  afterEach(function () {
    if (s && this.currentTest?.state === "failed") console.log(s.transcript);
  });

  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("creates groups next to an individual enrollment; the derived device key is what DPS expects, and secret", async () => {
    const r = await s.up();
    assert.equal(r.summary.result, "succeeded", r.output);
    assert.equal(r.summary.resourceChanges?.create, 4);
    assert.equal((await service("eg-signed"))?.attestation.type, "x509");
    const groupKey = (await keys("eg-fleet"))?.primaryKey;
    assert.ok(groupKey);
    // What DPS checks when sensor-001 registers through the group: the SAS signed with this key.
    const expected = createHmac("sha256", Buffer.from(groupKey, "base64"))
      .update("sensor-001")
      .digest("base64");
    assert.equal(r.outputs.deviceKey.value, expected);
    assert.equal(r.outputs.deviceKey.secret, true);
    const helperExpected = createHmac("sha256", Buffer.from(groupKey, "base64"))
      .update("sensor-002")
      .digest("base64");
    assert.equal(r.outputs.helperKey.value, helperExpected);
    assert.equal(r.outputs.helperKey.secret, true);
    const state = await s.exportStackText();
    assert.ok(!state.includes(expected), "the derived key is in the state in clear");
    assert.ok(!state.includes(groupKey), "the group key is in the state in clear");
  });

  it("previews no changes, without calling the service", async () => {
    emu.resetStats();
    const p = await s.preview();
    assert.deepEqual(changes(p.steps), [], p.output);
    assert.equal(emu.stats().total, 0);
  });

  it("a Set changes only what the program sets: unmanaged fields and keys are kept", async () => {
    await outOfBand("eg-fleet", (g) => {
      g.capabilities = { iotEdge: true };
      g.initialTwin = { ...g.initialTwin, properties: { desired: { fw: "1.2" } } };
    });
    const before = await keys("eg-fleet");
    use({ ...desired, fleetTags: { env: "prod" } });
    // This preview of an update also evaluates deriveDeviceKeyOutput over the group's kept key.
    const p = await s.preview();
    assert.deepEqual(changes(p.steps), ["update fleet"], p.output);
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.update, 1, r.output);
    assert.equal(
      r.outputs.helperKey.value,
      createHmac("sha256", Buffer.from(before!.primaryKey!, "base64")).update("sensor-002").digest("base64"),
    );
    const g = await service("eg-fleet");
    assert.deepEqual(g?.initialTwin?.tags, { env: "prod" });
    assert.deepEqual(g?.initialTwin?.properties?.desired, { fw: "1.2" }, "unmanaged desired lost");
    assert.equal(g?.capabilities?.iotEdge, true, "unmanaged edge flag lost");
    assert.deepEqual(await keys("eg-fleet"), before, "keys changed");
  });

  it("refresh picks up keys rotated outside Pulumi, and the derived key follows", async () => {
    const rotated = Buffer.alloc(32, 5).toString("base64");
    await outOfBand("eg-fleet", (g) => {
      g.attestation = { type: "symmetricKey", symmetricKey: { primaryKey: rotated, secondaryKey: rotated } };
    });
    const r = await s.refresh();
    assert.equal(r.summary.result, "succeeded", r.output);
    const up = await s.up();
    const expected = createHmac("sha256", Buffer.from(rotated, "base64"))
      .update("sensor-001")
      .digest("base64");
    assert.equal(up.outputs.deviceKey.value, expected);
    assert.equal((await keys("eg-fleet"))?.primaryKey, rotated, "the rotated key was overwritten");
  });

  it("adopts a group made outside Pulumi with Set semantics", async () => {
    const key = Buffer.alloc(32, 6).toString("base64");
    await client.createOrUpdateEnrollmentGroup({
      enrollmentGroupId: "eg-existing",
      attestation: { type: "symmetricKey", symmetricKey: { primaryKey: key, secondaryKey: key } },
      initialTwin: { tags: { owner: "ops" } },
      provisioningStatus: "enabled",
    } as never);
    use({ ...desired, adopt: true });
    const r = await s.up();
    assert.equal(r.summary.resourceChanges?.create, 1, r.output);
    assert.equal(r.outputs.adoptedStatus.value, "Disabled");
    const g = await service("eg-existing");
    assert.equal(g?.provisioningStatus, "disabled");
    assert.deepEqual(g?.initialTwin?.tags, { owner: "ops" });
    assert.equal((await keys("eg-existing"))?.primaryKey, key);
  });

  it("bad input fails at preview, naming the property, with no service call", async () => {
    use({ ...desired, badGroup: true });
    emu.resetStats();
    const error = await s.preview().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof EngineCommandError, "preview should fail");
    assert.match(
      error.output + error.stderr,
      /attestation\.type.*EnrollmentGroup does not take tpm attestation/s,
    );
    assert.equal(emu.stats().operations.put, 0);
    use({ ...desired, badGroup: false });
  });

  it("destroy deletes the groups", async () => {
    const r = await s.destroy();
    assert.equal(r.summary.result, "succeeded", r.output);
    for (const id of ["eg-fleet", "eg-signed", "eg-existing"]) assert.equal(await service(id), undefined, id);
  });
});
