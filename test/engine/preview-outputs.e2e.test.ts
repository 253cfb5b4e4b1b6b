// End to end: the dynamic face's previews are truthful. A preview of a create or an update hands the
// program the inputs as outputs; what the Set keeps (or the service makes), the symmetric keys, must
// then be unknown, so the plain form users write, `attestation.apply(a => deriveDeviceKey(a.primaryKey!, id))`,
// is not run on `undefined`. Through the real Pulumi CLI against the emulator; keys read back with the
// official client.
import { strict as assert } from "assert";
import { createHmac } from "node:crypto";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { deriveDeviceKey, EnrollmentGroup, IndividualEnrollment } from "../../provider";
import { EngineStack, findPulumi, type StepInfo } from "../support/engine";
import { emulatorClient, emulatorStackConfig } from "../support/service";

function changes(steps: StepInfo[]): string[] {
  return steps
    .filter((s) => s.op !== "same")
    .map((s) => `${s.op} ${s.name}`)
    .sort();
}

/** The device's SAS key as a device computes it from an individual enrollment's primary key. */
function sas(key: string, id: string): string {
  return createHmac("sha256", Buffer.from(key, "base64")).update(id).digest("base64");
}

describe("truthful dynamic previews: outputs the preview cannot know are unknown (real Pulumi engine + emulator)", function () {
  this.timeout(240_000);
  let emu: EmulatorHandle | undefined;
  let client: ProvisioningServiceClient;
  let s: EngineStack | undefined;

  const program = (env: string) => async () => {
    const group = new EnrollmentGroup("group", {
      enrollmentGroupId: "pv-group",
      attestation: { type: "symmetricKey" },
      tags: { env },
    });
    const single = new IndividualEnrollment("single", {
      registrationId: "pv-single",
      attestation: { type: "symmetricKey" },
      tags: { env },
    });
    return {
      // The plain forms, with the non-null assertion users write.
      deviceKey: group.attestation.apply((a) => deriveDeviceKey(a.primaryKey!, "pv-device")),
      singleSas: single.attestation.apply((a) => sas(a.primaryKey!, "pv-single")),
    };
  };

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    client = emulatorClient(emu);
    s = await EngineStack.create({
      projectName: "preview-outputs-e2e",
      program: program("v1"),
      config: emulatorStackConfig(emu),
    });
  });
  afterEach(function () {
    if (s && this.currentTest?.state === "failed") console.log(s.transcript);
  });
  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("previews the create: the keys the service will make are unknown, nothing fails", async () => {
    const p = await s!.preview();
    assert.deepEqual(changes(p.steps), ["create group", "create single"], p.output);
    assert.doesNotMatch(p.output + p.stderr, /groupKey must be|TypeError/);
  });

  it("creates them; the plain forms give the keys the devices use", async () => {
    const r = await s!.up();
    assert.equal(r.summary.result, "succeeded", r.output);
    const groupKey = (await client.getEnrollmentGroupAttestationMechanism("pv-group")).responseBody
      .symmetricKey?.primaryKey;
    const singleKey = (await client.getIndividualEnrollmentAttestationMechanism("pv-single")).responseBody
      .symmetricKey?.primaryKey;
    assert.equal(r.outputs.deviceKey.value, deriveDeviceKey(groupKey!, "pv-device"));
    assert.equal(r.outputs.singleSas.value, sas(singleKey!, "pv-single"));
    assert.equal(r.outputs.deviceKey.secret, true);
    assert.equal(r.outputs.singleSas.secret, true);
  });

  it("previews a change of both: the keys the Set keeps are unknown there, not undefined", async () => {
    s!.setProgram(program("v2"));
    const p = await s!.preview();
    assert.deepEqual(changes(p.steps), ["update group", "update single"], p.output);
    assert.doesNotMatch(p.output + p.stderr, /groupKey must be|TypeError/);
  });

  it("applies the change; the derived keys stay those of the kept keys", async () => {
    const before = await s!.outputs();
    const r = await s!.up();
    assert.equal(r.summary.resourceChanges?.update, 2, r.output);
    assert.equal(r.outputs.deviceKey.value, before.deviceKey.value);
    assert.equal(r.outputs.singleSas.value, before.singleSas.value);
  });
});
