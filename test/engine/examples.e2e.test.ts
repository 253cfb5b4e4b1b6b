// examples/set-semantics through the real engine against the emulator: the help page of
// Set-AzIoTDeviceProvisioningServiceEnrollment, example by example, as its README says.
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createServiceClient } from "../../provider/core/transport";
import { setSemantics } from "../../examples/set-semantics/program";
import { EngineStack } from "../support/engine";

interface Enrollment {
  deviceId?: string;
  allocationPolicy?: string;
  iotHubs?: string[];
  initialTwin?: { tags?: Record<string, unknown>; properties?: { desired?: Record<string, unknown> } };
  attestation: { type: string; symmetricKey?: { primaryKey?: string } };
}

describe("examples/set-semantics (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let stack: EngineStack | undefined;
  const saved = { ...process.env };

  before(async () => {
    emu = await startEmulator();
    // The program reads these, as a user's shell would provide them.
    process.env.DPS_EMULATOR_CONNECTION_STRING = emu.connectionString;
    process.env.DPS_EMULATOR_ENDPOINT = emu.endpoint;
    process.env.DPS_EMULATOR_CA = emu.caCertificate;
    client = createServiceClient({
      connectionString: emu.connectionString,
      endpoint: emu.endpoint,
      caCertificate: emu.caCertificate,
    });
    stack = await EngineStack.create({
      projectName: "dps-enrollments-set-semantics",
      program: async () => {
        setSemantics();
      },
      config: { example: "0", hubs: emu.linkedHubs.join(",") },
    });
  });
  after(async () => {
    await stack?.dispose();
    await emu?.stop();
    process.env = saved;
  });

  const read = async () =>
    (await client.getIndividualEnrollment("enroll1")).responseBody as unknown as Enrollment;
  const keys = async () =>
    (await client.getIndividualEnrollmentAttestationMechanism("enroll1")).responseBody.symmetricKey;

  it("example 0 creates the enrollment; a device id is then set outside Pulumi", async () => {
    const up = await stack!.up();
    assert.equal(up.summary.resourceChanges?.create, 2, "the stack and enroll1");
    const current = (await client.getIndividualEnrollment("enroll1")).responseBody;
    current.attestation = (await client.getIndividualEnrollmentAttestationMechanism("enroll1")).responseBody;
    current.deviceId = "set-in-the-portal";
    await client.createOrUpdateIndividualEnrollment(current);
  });

  it("example 1 (-AllocationPolicy Hashed -IotHub hub1,hub2) previews and applies as one update", async () => {
    const before = await keys();
    await stack!.setConfig({ example: "1" });
    const preview = await stack!.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 }, preview.output);
    emu.resetStats();
    await stack!.up();
    // The portal write moved the etag: the PUT is refused (412), the enrollment re-read (with its keys)
    // and the Set re-applied on top of it.
    const stats = emu.stats();
    assert.equal(stats.responses["412"], 1, "the stale etag was refused, nothing overwritten blindly");
    assert.deepEqual([stats.operations.get, stats.operations.attestation, stats.operations.put], [1, 1, 2]);
    const e = await read();
    assert.equal(e.allocationPolicy, "hashed");
    assert.deepEqual(e.iotHubs, emu.linkedHubs.slice(0, 2));
    assert.equal(e.deviceId, "set-in-the-portal", "not managed, kept");
    assert.equal((await keys())?.primaryKey, before?.primaryKey, "keys kept");
  });

  it("example 2 (-Tag -Desired) previews and applies as one update, keeping example 1", async () => {
    await stack!.setConfig({ example: "2" });
    const preview = await stack!.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 }, preview.output);
    emu.resetStats();
    await stack!.up();
    assert.equal(emu.stats().total, 1, "nobody else wrote: one PUT with the etag from state");
    const e = await read();
    assert.deepEqual(e.initialTwin?.tags, { environment: "updatedenv" });
    assert.deepEqual(e.initialTwin?.properties?.desired, { version_dps: "updateddps" });
    assert.equal(e.allocationPolicy, "hashed");
    assert.equal(e.deviceId, "set-in-the-portal");
    const outputs = await stack!.outputs();
    assert.ok(outputs !== undefined);
  });

  it("going back to example 1 stops managing tags and desired; the service keeps them", async () => {
    await stack!.setConfig({ example: "1" });
    const preview = await stack!.preview();
    assert.deepEqual(preview.changeSummary, { same: 2 }, preview.output);
    assert.deepEqual((await read()).initialTwin?.tags, { environment: "updatedenv" });
    await stack!.destroy();
    await assert.rejects(client.getIndividualEnrollment("enroll1"));
  });
});
