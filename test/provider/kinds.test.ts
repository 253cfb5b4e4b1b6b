// The list of kinds and resources (provider/kinds.ts) drives every place that serves one: the plugin's
// schema and dispatch, the dynamic provider's runtime exports (and the provider text state stores), and
// the bulk body on the data plane. Each assertion compares with the list, so a resource added to it and
// missed in one of these places, or served without being listed, fails here.
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { createDataPlaneClient } from "../../provider/core/transport";
import { providerModuleText } from "../../provider/dynamic/resource";
import { KINDS, RESOURCES, type Kind, type Resource, type RuntimeExport } from "../../provider/kinds";
import { DERIVE_DEVICE_KEY_TOKEN, FUNCTIONS, kindOf, PLUGIN_KINDS } from "../../provider/plugin/kinds";
import { packageSchema } from "../../provider/plugin/schema";
import * as runtime from "../../provider/runtime";
import { ENROLLMENT_FLEET } from "../../provider/fleet/kind";
import { ENROLLMENT_FLEET_TYPE, FLEET_RUNTIME_EXPORT } from "../../provider/fleet/resource";
import { emulatorConnection } from "../support/service";

// Type level: every kind's runtime export is an export of provider/runtime.
const exported: Record<RuntimeExport, unknown> = runtime;

const KEY_A = Buffer.alloc(32, 1).toString("base64");
const KEY_B = Buffer.alloc(32, 2).toString("base64");

describe("the list of kinds", () => {
  const tokens = RESOURCES.map((resource) => resource.plugin.token);

  it("names each resource once: resource, token, type and runtime export; the kinds come first", () => {
    for (const pick of [
      (r: Resource) => r.resource,
      (r: Resource) => r.plugin.token,
      (r: Resource) => r.dynamic.type,
      (r: Resource) => r.dynamic.runtimeExport,
    ]) {
      const values = RESOURCES.map(pick);
      assert.equal(new Set(values).size, RESOURCES.length, values.join(", "));
    }
    assert.deepEqual(RESOURCES.slice(0, KINDS.length), [...KINDS]);
    // The fleet's resource class registers what its descriptor says.
    assert.equal(ENROLLMENT_FLEET.dynamic.type, ENROLLMENT_FLEET_TYPE);
    assert.equal(ENROLLMENT_FLEET.dynamic.runtimeExport, FLEET_RUNTIME_EXPORT);
    for (const resource of RESOURCES) {
      assert.equal(resource.plugin.token, `dps-enrollments:index:${resource.resource}`);
      assert.equal(resource.dynamic.type, `pulumi-nodejs:dynamic/dps:${resource.resource}`);
    }
  });

  it("names each kind once: resource, token, id key, collection, bulk field and runtime export", () => {
    for (const pick of [
      (k: Kind) => k.resource,
      (k: Kind) => k.plugin.token,
      (k: Kind) => k.idKey,
      (k: Kind) => k.collection,
      (k: Kind) => k.bulkField,
      (k: Kind) => k.dynamic.type,
      (k: Kind) => k.dynamic.runtimeExport,
    ]) {
      const values = KINDS.map(pick);
      assert.equal(new Set(values).size, KINDS.length, values.join(", "));
    }
    for (const kind of KINDS) {
      assert.equal(kind.checks.resource, kind.resource);
      assert.equal(kind.checks.idKey, kind.idKey);
      assert.equal(kind.collection, `/${kind.bulkField}/`);
      assert.equal(kind.plugin.token, `dps-enrollments:index:${kind.resource}`);
      assert.equal(kind.dynamic.type, `pulumi-nodejs:dynamic/dps:${kind.resource}`);
    }
  });

  it("the schema has exactly one resource per resource of the list; a kind's with its id key and attestation type", () => {
    const schema = packageSchema("0.0.0-test");
    assert.deepEqual(Object.keys(schema.resources), tokens);
    for (const resource of RESOURCES) {
      for (const token of Object.keys(resource.plugin.schema().types)) assert.ok(schema.types[token], token);
    }
    for (const kind of KINDS) {
      const resource = schema.resources[kind.plugin.token];
      assert.deepEqual(resource.requiredInputs, [kind.idKey, "attestation"]);
      assert.equal(resource.required[0], kind.idKey);
      const attestation = resource.inputProperties.attestation.$ref;
      assert.equal(attestation, `#/types/dps-enrollments:index:${kind.plugin.attestation.name}`);
      assert.ok(schema.types[`dps-enrollments:index:${kind.plugin.attestation.name}`], attestation);
    }
  });

  it("the plugin dispatches exactly the resources' tokens, by token and by URN", () => {
    assert.deepEqual([...PLUGIN_KINDS.keys()], tokens);
    for (const kind of RESOURCES) {
      assert.equal(kindOf(kind.plugin.token), kind);
      assert.equal(kindOf(`urn:pulumi:dev::p::${kind.plugin.token}::name`), kind);
      assert.equal(kindOf(`urn:pulumi:dev::p::my:index:Parent$${kind.plugin.token}::name`), kind);
    }
    assert.throws(
      () => kindOf("dps-enrollments:index:Nothing"),
      (err: Error) => tokens.every((token) => err.message.includes(token)),
    );
  });

  it("the plugin serves exactly the functions the resources name, and the schema lists them", () => {
    assert.deepEqual([...FUNCTIONS.keys()], [DERIVE_DEVICE_KEY_TOKEN]);
    assert.deepEqual(Object.keys(packageSchema("0.0.0-test").functions), [...FUNCTIONS.keys()]);
  });

  it("provider/runtime exports one provider per resource, which the provider text in state loads", () => {
    // Loaded by package name, as the dynamic-provider plugin loads it from state.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const installed = require("pulumi-dps-enrollments/provider/runtime") as Record<string, unknown>;
    const names = RESOURCES.map((resource) => resource.dynamic.runtimeExport);
    assert.deepEqual(Object.keys(installed).sort(), [...names].sort());
    assert.deepEqual(Object.keys(exported).sort(), [...names].sort());
    for (const kind of RESOURCES) {
      const module = { exports: {} as { handler?: () => unknown } };
      new Function("exports", "require", providerModuleText(kind.dynamic.runtimeExport))(
        module.exports,
        require,
      );
      const provider = module.exports.handler?.() as Record<string, unknown>;
      assert.equal(provider, installed[kind.dynamic.runtimeExport]);
      for (const method of ["check", "diff", "create", "read", "update", "delete"]) {
        assert.equal(typeof provider[method], "function", `${kind.resource} ${method}`);
      }
    }
  });

  describe("on the data plane (emulator over HTTPS)", function () {
    this.timeout(60_000);
    let emu: EmulatorHandle;
    before(async () => {
      emu = await startEmulator();
    });
    after(async () => {
      await emu?.stop();
    });

    for (const kind of KINDS) {
      it(`a bulk call of ${kind.resource} carries its records in "${kind.bulkField}", and they land`, async () => {
        const client = createDataPlaneClient(emulatorConnection(emu));
        const ids = [0, 1].map((i) => `kinds-${kind.bulkField.toLowerCase()}-${i}`);
        const records = ids.map((id) => ({
          [kind.idKey]: id,
          attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
        }));
        const before = emu.stats().total;
        assert.deepEqual(await client.bulk(kind, "create", records), { isSuccessful: true, errors: [] });
        assert.equal(emu.stats().total - before, 1, "one call for the batch");
        for (const id of ids) assert.equal((await client.get(kind, id))[kind.idKey], id);
        const page = await client.query(kind, 100, undefined);
        assert.deepEqual(page.items.map((item) => item[kind.idKey]).sort(), ids);
      });
    }
  });
});
