// End to end: a stack of dynamic enrollments moves to the provider plugin with no write to the DPS
// (the way docs/plugin.md gives: the plugin's types, each with an alias of its dynamic type). The
// real CLI and engine through the Automation API, the dynamic-provider plugin, then the plugin found
// on PATH, against the local emulator, whose request counters show what the move cost. One stack,
// one story; the steps depend on each other and run in order.
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { EnrollmentGroup, IndividualEnrollment } from "../../provider";
import { ENROLLMENT_GROUP_TYPE } from "../../provider/group/resource";
import { INDIVIDUAL_ENROLLMENT_TYPE } from "../../provider/individual/resource";
import { EngineStack } from "../support/engine";
import { PLUGIN_DIR, PLUGIN_TOKENS, pluginEnrollment } from "../support/pluginResource";
import { emulatorClient, emulatorConnection, emulatorStackConfig } from "../support/service";

/** The enrollments of the story, as both faces declare them (the connection is stack config). */
const DEVICE = { registrationId: "move-device", attestation: { type: "symmetricKey" as const } };
const GROUP = { enrollmentGroupId: "move-group", attestation: { type: "symmetricKey" as const } };
/** An enrollment that gave its own connection on the dynamic face (the same DPS). */
const OWN = { registrationId: "move-own", attestation: { type: "symmetricKey" as const } };

/** The program on the dynamic face. */
function dynamicProgram(env: string, emu: EmulatorHandle) {
  return async () => {
    new IndividualEnrollment("device", { ...DEVICE, tags: { env } });
    new EnrollmentGroup("group", { ...GROUP, tags: { env } });
    new IndividualEnrollment("own", { ...OWN, connection: emulatorConnection(emu) });
  };
}

/** The same program on the plugin: its types, each with an alias of the dynamic type it was. */
function pluginProgram(env: string) {
  return async () => {
    pluginEnrollment(
      "IndividualEnrollment",
      "device",
      { ...DEVICE, tags: { env } },
      {
        aliases: [{ type: INDIVIDUAL_ENROLLMENT_TYPE }],
      },
    );
    pluginEnrollment(
      "EnrollmentGroup",
      "group",
      { ...GROUP, tags: { env } },
      {
        aliases: [{ type: ENROLLMENT_GROUP_TYPE }],
      },
    );
    // Its connection is now the plugin's configuration.
    pluginEnrollment("IndividualEnrollment", "own", OWN, { aliases: [{ type: INDIVIDUAL_ENROLLMENT_TYPE }] });
  };
}

type Keys = { primaryKey?: string; secondaryKey?: string } | undefined;

describe("Moving a stack of dynamic enrollments to the plugin (real engine + emulator)", function () {
  this.timeout(300_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let stack: EngineStack;
  let keys: { device: Keys; group: Keys };

  const readKeys = async () => ({
    device: (await client.getIndividualEnrollmentAttestationMechanism("move-device")).responseBody
      .symmetricKey,
    group: (await client.getEnrollmentGroupAttestationMechanism("move-group")).responseBody.symmetricKey,
  });
  const tagsOf = async () => ({
    device: (await client.getIndividualEnrollment("move-device")).responseBody.initialTwin?.tags,
    group: (await client.getEnrollmentGroup("move-group")).responseBody.initialTwin?.tags,
  });
  const enrollments = async () =>
    (await stack.exportStack()).deployment.resources.filter(
      (r: { type: string }) =>
        r.type.endsWith(":IndividualEnrollment") || r.type.endsWith(":EnrollmentGroup"),
    ) as { type: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> }[];
  const writes = () => {
    const { put, delete: deleted, bulk } = emu.stats().operations;
    return { put, delete: deleted, bulk };
  };

  before(async () => {
    emu = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    stack = await EngineStack.create({
      projectName: "plugin-move",
      program: dynamicProgram("dev", emu),
      config: emulatorStackConfig(emu),
      binDirs: [PLUGIN_DIR],
    });
  });

  after(async () => {
    await stack?.destroy().catch(() => undefined);
    await stack?.dispose();
    await emu?.stop();
  });

  it("a stack of dynamic enrollments exists", async () => {
    await stack.up();
    keys = await readKeys();
    assert.ok(keys.device?.primaryKey && keys.group?.primaryKey, "the records have their keys");
    const types = (await enrollments()).map((r) => r.type).sort();
    assert.deepEqual(types, [ENROLLMENT_GROUP_TYPE, INDIVIDUAL_ENROLLMENT_TYPE, INDIVIDUAL_ENROLLMENT_TYPE]);
  });

  it("moves to the plugin: the preview shows no change, and `up` writes nothing to the DPS", async () => {
    stack.setProgram(pluginProgram("dev"));
    emu.resetStats();
    const preview = await stack.preview({ diff: true });
    const ops = preview.steps.map((s) => `${s.op} ${s.name}`).sort();
    assert.deepEqual(ops, ["same device", "same group", "same own"], preview.output);
    const up = await stack.up();
    assert.deepEqual(
      up.steps.map((s) => `${s.op} ${s.name}`).sort(),
      ["same device", "same group", "same own"],
      up.output,
    );
    assert.deepEqual(writes(), { put: 0, delete: 0, bulk: 0 }, "no write to the DPS");
    assert.equal(emu.stats().total, 0, "not even a read");
    const types = (await enrollments()).map((r) => r.type).sort();
    assert.deepEqual(types, [
      PLUGIN_TOKENS.EnrollmentGroup,
      PLUGIN_TOKENS.IndividualEnrollment,
      PLUGIN_TOKENS.IndividualEnrollment,
    ]);
    assert.deepEqual(await readKeys(), keys, "the keys are the same");
    // A move keeps each record's outputs as they were (the engine's `same`): the dynamic face's part too.
    assert.ok(
      (await enrollments()).every((r) => r.outputs?.__provider !== undefined),
      "the outputs are those the dynamic face wrote",
    );
  });

  it("`pulumi refresh` then drops what the dynamic face kept beside each record, reading only", async () => {
    emu.resetStats();
    await stack.refresh();
    assert.deepEqual(writes(), { put: 0, delete: 0, bulk: 0 }, "a refresh only reads");
    for (const r of await enrollments()) {
      for (const side of [r.inputs ?? {}, r.outputs ?? {}]) {
        assert.equal(side.connection, undefined, `${r.type}: no connection in state`);
        assert.equal(side.__provider, undefined, `${r.type}: no dynamic provider text in state`);
      }
      assert.ok(r.outputs?.etag, `${r.type}: the record's state is kept`);
      assert.ok(r.outputs?.attestation, `${r.type}: the attestation is kept`);
    }
    const preview = await stack.preview();
    assert.deepEqual(Object.keys(preview.changeSummary), ["same"], preview.output);
  });

  it("the plugin then manages them: a Set keeps the keys", async () => {
    stack.setProgram(pluginProgram("prod"));
    await stack.up();
    assert.deepEqual(await tagsOf(), { device: { env: "prod" }, group: { env: "prod" } });
    assert.deepEqual(await readKeys(), keys, "the keys are kept");
  });

  it("and deletes them on destroy", async () => {
    await stack.destroy();
    await assert.rejects(
      client.getIndividualEnrollment("move-device"),
      (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
    );
    await assert.rejects(
      client.getEnrollmentGroup("move-group"),
      (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
    );
    await assert.rejects(
      client.getIndividualEnrollment("move-own"),
      (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
    );
  });
});
