// examples/enrollment-group through the real engine against the emulator: the help page of
// Set-AzIoTDeviceProvisioningServiceEnrollmentGroup, example by example, as its README says.
import { strict as assert } from "assert";
import { createHmac } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { emulatorClient, useEmulatorEnv } from "../support/service";
import { enrollmentGroup } from "../../examples/enrollment-group/program";
import { EngineStack } from "../support/engine";

interface Group {
  allocationPolicy?: string;
  iotHubs?: string[];
  capabilities?: { iotEdge?: boolean };
  initialTwin?: { tags?: Record<string, unknown>; properties?: { desired?: Record<string, unknown> } };
}

describe("examples/enrollment-group (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let stack: EngineStack | undefined;
  let restoreEnv = (): void => undefined;

  before(async () => {
    emu = await startEmulator();
    restoreEnv = useEmulatorEnv(emu);
    client = emulatorClient(emu);
    stack = await EngineStack.create({
      projectName: "dps-enrollment-group",
      program: async () => {
        const { group, deviceKey } = enrollmentGroup();
        return { etag: group.etag, deviceKeyOfDevice: deviceKey };
      },
      config: { example: "0", hubs: emu.linkedHubs.join(",") },
    });
  });
  after(async () => {
    await stack?.dispose();
    await emu?.stop();
    restoreEnv();
  });

  const read = async () => (await client.getEnrollmentGroup("enroll1")).responseBody as unknown as Group;
  const keys = async () =>
    (await client.getEnrollmentGroupAttestationMechanism("enroll1")).responseBody.symmetricKey;

  it("example 0 creates the group and the device key of sensor-001; edge is then enabled outside Pulumi", async () => {
    const up = await stack!.up();
    assert.equal(up.summary.resourceChanges?.create, 2, "the stack and enroll1");
    const groupKey = String((await keys())?.primaryKey);
    const expected = createHmac("sha256", Buffer.from(groupKey, "base64"))
      .update("sensor-001")
      .digest("base64");
    assert.equal(up.outputs.deviceKeyOfDevice.value, expected);
    assert.equal(up.outputs.deviceKeyOfDevice.secret, true);
    const current = (await client.getEnrollmentGroup("enroll1")).responseBody;
    current.attestation = (await client.getEnrollmentGroupAttestationMechanism("enroll1")).responseBody;
    current.capabilities = { iotEdge: true };
    await client.createOrUpdateEnrollmentGroup(current);
  });

  it("example 1 (-AllocationPolicy Hashed -IotHub hub1,hub2) previews and applies as one update", async () => {
    const before = await keys();
    await stack!.setConfig({ example: "1" });
    const preview = await stack!.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 }, preview.output);
    emu.resetStats();
    await stack!.up();
    // The outside write moved the etag: the PUT is refused (412), the group re-read and the Set re-applied.
    assert.equal(emu.stats().responses["412"], 1);
    const g = await read();
    assert.equal(g.allocationPolicy, "hashed");
    assert.deepEqual(g.iotHubs, emu.linkedHubs.slice(0, 2));
    assert.equal(g.capabilities?.iotEdge, true, "not managed, kept");
    assert.deepEqual(await keys(), before, "keys kept");
  });

  it("example 2 (-Tag -Desired) previews and applies as one update, keeping example 1", async () => {
    await stack!.setConfig({ example: "2" });
    const preview = await stack!.preview();
    assert.deepEqual(preview.changeSummary, { same: 1, update: 1 }, preview.output);
    emu.resetStats();
    await stack!.up();
    assert.equal(emu.stats().total, 1, "one PUT with the etag from state");
    const g = await read();
    assert.deepEqual(g.initialTwin?.tags, { environment: "updatedenv" });
    assert.deepEqual(g.initialTwin?.properties?.desired, { version_dps: "updateddps" });
    assert.equal(g.allocationPolicy, "hashed");
    await stack!.destroy();
    await assert.rejects(client.getEnrollmentGroup("enroll1"));
  });
});
