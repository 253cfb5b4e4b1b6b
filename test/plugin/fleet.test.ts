// EnrollmentFleet through the plugin's gRPC interface (the plugin process as the engine starts it,
// against the emulator over HTTPS): what the engine gets from Check, Diff, a preview and a create that
// lands in part, on the wire. The engine's own view of the same (the CLI from YAML) is
// test/engine/plugin-fleet.e2e.test.ts.
import { strict as assert } from "assert";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { UNKNOWN } from "../../provider/core/checks";
import { isSecret } from "../../provider/plugin/values";
import { initFailure, PluginProcess, urnOf, type Props } from "../support/pluginServer";
import { emulatorClient, emulatorConnection } from "../support/service";
import { TPM_EK } from "../support/tpm";

const FLEET = "dps-enrollments:index:EnrollmentFleet";
const KEY_A = Buffer.alloc(32, 7).toString("base64");
const KEY_B = Buffer.alloc(32, 8).toString("base64");

describe("EnrollmentFleet through the plugin's gRPC interface (emulator)", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let plugin: PluginProcess;
  const urn = urnOf("line7", FLEET);

  before(async () => {
    emu = await startEmulator();
    client = emulatorClient(emu);
    plugin = await PluginProcess.start();
    await plugin.configure(emulatorConnection(emu));
  });

  after(async () => {
    await plugin?.stop();
    await emu?.stop();
  });

  it("Check names an item's failure by item and property, and keeps given keys secret", async () => {
    const { inputs, failures } = await plugin.check(urn, {
      enrollments: {
        "k-1": { attestation: { primaryKey: KEY_A, secondaryKey: KEY_B } },
        "t-1": { attestation: { endorsementKey: TPM_EK }, provisioningStatus: "Sometimes" },
      },
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ['enrollments["t-1"].provisioningStatus'],
    );
    assert.match(failures[0].reason, /provisioningStatus "Sometimes" is not valid/);
    const items = inputs.enrollments as Record<string, Props>;
    assert.ok(isSecret(items["k-1"].attestation), "the given keys are secret");
    assert.deepEqual(items["t-1"].attestation, { endorsementKey: TPM_EK }, "the implied type is left out");
  });

  it("Check refuses a connection: the provider's configuration names the DPS", async () => {
    const { failures } = await plugin.check(urn, { connection: {}, enrollments: {} });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["connection"],
    );
  });

  it("a preview of a create makes no call: the count known, generated keys unknown", async () => {
    emu.resetStats();
    const outs = await plugin.previewCreate(urn, {
      enrollments: {
        "g-1": { attestation: { type: "symmetricKey" } },
        "t-9": { attestation: { endorsementKey: TPM_EK } },
      },
    });
    assert.equal(outs.enrollmentCount, 2);
    assert.ok(isSecret(outs.deviceKeys), "deviceKeys is secret");
    assert.equal(
      (outs.deviceKeys as { value: unknown }).value,
      UNKNOWN,
      "and unknown until the service generates them",
    );
    assert.equal(emu.stats().total, 0, "no call");
  });

  it("Diff names each changed item and property, as a diff of inputs", async () => {
    const olds = {
      enrollments: {
        "d-1": { attestation: { endorsementKey: TPM_EK } },
        "d-2": { attestation: { endorsementKey: TPM_EK } },
      },
    };
    const { id, outs } = await plugin.create(urn, olds);
    const news = {
      enrollments: {
        "d-1": { attestation: { endorsementKey: TPM_EK } },
        "d-2": { attestation: { endorsementKey: TPM_EK }, tags: { spare: true } },
        "d-3": { attestation: { endorsementKey: TPM_EK } },
      },
    };
    const diff = await plugin.diff(urn, id, outs, news, olds);
    assert.ok(diff.changes);
    assert.deepEqual(diff.diffs, ["enrollments"]);
    assert.deepEqual(diff.detailed, {
      'enrollments["d-2"].tags': { kind: provproto.PropertyDiff.Kind.ADD, inputDiff: true },
      'enrollments["d-3"]': { kind: provproto.PropertyDiff.Kind.ADD, inputDiff: true },
    });
    const same = await plugin.diff(urn, id, outs, olds, olds);
    assert.ok(!same.changes, "the same items: no change");
    await plugin.delete(urn, id, outs);
  });

  it("a create that lands in part answers ErrorResourceInitFailed with what landed and why the rest did not", async () => {
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "p-1",
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
      initialTwin: { tags: { owner: "someone" }, properties: { desired: {} } },
    } as never);
    const error = await plugin
      .create(urn, {
        // The program manages the tags: the other record differs in them, so it is not taken as-is.
        defaults: { tags: { line: "7" } },
        enrollments: {
          "p-1": { attestation: { endorsementKey: TPM_EK } },
          "p-2": { attestation: { endorsementKey: TPM_EK } },
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const failure = initFailure(error);
    assert.ok(failure, "the error carries the engine's partial-failure details");
    assert.match(failure.id, /^fleet:/);
    assert.equal(failure.properties.enrollmentCount, 1);
    assert.deepEqual(Object.keys(failure.properties.failedEnrollments as object), ["p-1"]);
    assert.equal(failure.reasons.length, 1);
    assert.match(failure.reasons[0], /^p-1: .*adopt/);
    assert.match(failure.message, /p-1/);
    assert.equal(
      ((await client.getIndividualEnrollment("p-2")).responseBody as { registrationId: string })
        .registrationId,
      "p-2",
      "the other item landed",
    );
  });
});
