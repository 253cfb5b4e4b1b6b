// End to end: `EnrollmentFleet` from a Pulumi YAML program through the plugin installed as users
// install it (its tarball, `pulumi plugin install --file`, no Node on PATH), the real CLI and
// pulumi-language-yaml, against the local emulator, which the official service client reads and changes
// out of band. One stack, one story: create, a per-item Set, items added and removed, drift after
// refresh, a partial failure (409), 429s and a 412 ridden out, an enrollment moved into a fleet and back,
// import by ids and by prefix, destroy. The steps depend on each other and run in order. Needs
// `npm run ensure-pulumi`, `npm run ensure-yaml` and `npm run dist`.
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { CliProject, findYamlHost } from "../support/cliProject";
import { emulatorClient } from "../support/service";
import { TPM_EK } from "../support/tpm";

const TOKEN = "dps-enrollments:index:EnrollmentFleet";

/** An item of the program: a TPM device, or a symmetric-key one whose keys the service generates. */
interface Item {
  /** `tpm` (the endorsement key) or `key` (`{ type: symmetricKey }`). */
  kind: "tpm" | "key";
  /** Its own tags, replacing the defaults' whole. */
  tags?: Record<string, string | boolean>;
}

/** The YAML program: one fleet, `line: "7"` tags for every item, its items as given. */
function program(items: Record<string, Item>, extra = "", resources = ""): string {
  const lines = [
    "resources:",
    "  line7:",
    `    type: ${TOKEN}`,
    "    properties:",
    extra,
    "      defaults:",
    "        tags:",
    '          line: "7"',
    "      enrollments:",
  ];
  for (const [id, item] of Object.entries(items)) {
    lines.push(`        ${id}:`, "          attestation:");
    lines.push(
      item.kind === "tpm" ? `            endorsementKey: ${TPM_EK}` : "            type: symmetricKey",
    );
    if (item.tags) {
      lines.push("          tags:");
      for (const [k, v] of Object.entries(item.tags)) lines.push(`            ${k}: ${JSON.stringify(v)}`);
    }
  }
  lines.push(resources, "outputs:", "  count: ${line7.enrollmentCount}", "  keys: ${line7.deviceKeys}", "");
  return lines.filter((l) => l !== "").join("\n") + "\n";
}

/** What the tests read of a record. */
interface Held {
  etag: string;
  initialTwin?: { tags?: Record<string, unknown> };
  attestation?: { type?: string };
}

describe("EnrollmentFleet from a Pulumi YAML program through the installed plugin (real CLI + emulator)", function () {
  this.timeout(900_000);
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  let project: CliProject;
  let items: Record<string, Item>;

  const record = async (id: string) =>
    (await client.getIndividualEnrollment(id)).responseBody as unknown as Held;
  const etags = async (ids: string[]) =>
    Object.fromEntries(await Promise.all(ids.map(async (id) => [id, (await record(id)).etag] as const)));
  const gone = (id: string) =>
    assert.rejects(
      client.getIndividualEnrollment(id),
      (e: { response?: { statusCode?: number } }) => e.response?.statusCode === 404,
      `${id} is gone`,
    );
  const setProgram = (body: string) => project.writeProgram("plugin-fleet", "yaml", body);
  const fleetState = async () => {
    const state = await project.exportState();
    const fleets = state.resources.filter((r) => r.type === TOKEN);
    return { text: state.text, fleets };
  };
  /** The service calls that write (bulk, PUT, DELETE) since the last reset. */
  const writes = () => {
    const { operations } = emu.stats();
    return operations.bulk + operations.put + operations.delete;
  };
  const writeTags = async (id: string, tags: Record<string, unknown>) => {
    const body = (await client.getIndividualEnrollment(id)).responseBody as unknown as Record<
      string,
      unknown
    >;
    await client.createOrUpdateIndividualEnrollment({
      ...body,
      initialTwin: { tags, properties: { desired: {} } },
    } as never);
  };
  const combined = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

  before(async () => {
    const yamlHost = findYamlHost();
    emu = await startEmulator({ port: 0 });
    client = emulatorClient(emu);
    project = await CliProject.create("plugin-fleet", "yaml", [yamlHost], { plugin: "installed" });
    await project.configureEmulator(emu);
  });

  after(async () => {
    await project?.dispose();
    await emu?.stop();
  });

  it("creates every item in one bulk call, the keys secret, the items not repeated in the outputs", async () => {
    items = {
      "fleet-t1": { kind: "tpm" },
      "fleet-t2": { kind: "tpm" },
      "fleet-t3": { kind: "tpm" },
      "fleet-k1": { kind: "key" },
      "fleet-k2": { kind: "key" },
    };
    setProgram(program(items));
    emu.resetStats();
    await project.ok("up", "--yes", "--skip-preview");
    assert.equal(emu.stats().operations.bulk, 1, "five items: one bulk call");
    for (const id of Object.keys(items)) {
      const held = await record(id);
      assert.deepEqual(held.initialTwin?.tags, { line: "7" }, id);
      assert.equal(held.attestation?.type, items[id].kind === "tpm" ? "tpm" : "symmetricKey", id);
    }
    const outputs = JSON.parse((await project.ok("stack", "output", "--json", "--show-secrets")).stdout) as {
      count: number;
      keys: Record<string, { primaryKey: string; secondaryKey: string }>;
    };
    assert.equal(outputs.count, 5);
    assert.deepEqual(Object.keys(outputs.keys).sort(), ["fleet-k1", "fleet-k2"]);
    const keys = (
      (await client.getIndividualEnrollmentAttestationMechanism("fleet-k1")).responseBody as {
        symmetricKey: { primaryKey: string; secondaryKey: string };
      }
    ).symmetricKey;
    assert.deepEqual(outputs.keys["fleet-k1"], keys, "deviceKeys are the keys the service generated");
    const { text, fleets } = await fleetState();
    assert.equal(fleets.length, 1);
    assert.ok(!text.includes(keys.primaryKey), "no key in plaintext state");
    assert.equal(fleets[0].outputs?.enrollments, undefined, "the outputs do not repeat the items");
    assert.equal(fleets[0].outputs?.connection, undefined, "no connection in state");
  });

  it("`preview --diff` names the changed item and property; `up` writes that item only", async () => {
    const before = await etags(Object.keys(items));
    items["fleet-t2"] = { kind: "tpm", tags: { line: "7", spare: true } };
    setProgram(program(items));
    const preview = await project.ok("preview", "--diff");
    assert.match(preview.stdout, /fleet-t2/, preview.stdout);
    assert.match(preview.stdout, /spare/, preview.stdout);
    assert.doesNotMatch(preview.stdout, /fleet-(t1|t3|k1|k2)/, "no other item is named");
    emu.resetStats();
    await project.ok("up", "--yes", "--skip-preview");
    assert.deepEqual((await record("fleet-t2")).initialTwin?.tags, { line: "7", spare: true });
    const after = await etags(Object.keys(items));
    for (const id of ["fleet-t1", "fleet-t3", "fleet-k1", "fleet-k2"]) {
      assert.equal(after[id], before[id], `${id} was not written`);
    }
    assert.notEqual(after["fleet-t2"], before["fleet-t2"]);
    assert.equal(writes(), 1, "one write call");
  });

  it("adds and removes items: the added created, the removed deleted, the rest untouched", async () => {
    const before = await etags(Object.keys(items));
    delete items["fleet-k2"];
    items["fleet-t4"] = { kind: "tpm" };
    setProgram(program(items));
    const preview = await project.ok("preview", "--diff");
    assert.match(preview.stdout, /fleet-t4/, preview.stdout);
    assert.match(preview.stdout, /fleet-k2/, preview.stdout);
    await project.ok("up", "--yes", "--skip-preview");
    await gone("fleet-k2");
    assert.deepEqual((await record("fleet-t4")).initialTwin?.tags, { line: "7" });
    const after = await etags(["fleet-t1", "fleet-t2", "fleet-t3", "fleet-k1"]);
    for (const [id, etag] of Object.entries(after)) assert.equal(etag, before[id], `${id} was not written`);
    const outputs = JSON.parse((await project.ok("stack", "output", "--json", "--show-secrets")).stdout) as {
      count: number;
      keys: Record<string, unknown>;
    };
    assert.equal(outputs.count, 5);
    assert.deepEqual(Object.keys(outputs.keys), ["fleet-k1"], "the removed item's keys are gone");
  });

  it("names drift after `pulumi refresh` by item and property, and `up` writes it back", async () => {
    await writeTags("fleet-t1", { line: "hacked" });
    emu.resetStats();
    await project.ok("refresh", "--yes", "--skip-preview");
    assert.equal(writes(), 0, "a refresh writes nothing");
    const preview = await project.ok("preview", "--diff");
    // The DPS's value came back as the item's own tags; the program's item has none (the defaults').
    assert.match(preview.stdout, /~ fleet-t1: \{\s*- tags: \{\s*- line: "hacked"/, preview.stdout);
    assert.doesNotMatch(preview.stdout, /fleet-(t2|t3|t4|k1)/, "no other item is named");
    await project.ok("up", "--yes", "--skip-preview");
    assert.deepEqual((await record("fleet-t1")).initialTwin?.tags, { line: "7" });
  });

  it("a partial failure (409) records what landed and names the failed item; the next `up` writes only it", async () => {
    // Someone else's record under an id the program now adds, holding something else.
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "fleet-t5",
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
      initialTwin: { tags: { owner: "someone" }, properties: { desired: {} } },
    } as never);
    const taken = (await record("fleet-t5")).etag;
    items["fleet-t5"] = { kind: "tpm" };
    items["fleet-t6"] = { kind: "tpm" };
    setProgram(program(items));
    const failed = await project.run("up", "--yes", "--skip-preview");
    assert.notEqual(failed.code, 0, "the up fails");
    assert.match(combined(failed), /fleet-t5/, combined(failed));
    assert.match(combined(failed), /adopt/, "the reason says how to take it over");
    assert.equal((await record("fleet-t5")).etag, taken, "the other record is untouched");
    assert.deepEqual((await record("fleet-t6")).initialTwin?.tags, { line: "7" }, "the rest landed");
    const { fleets } = await fleetState();
    assert.equal(fleets.length, 1);
    assert.equal(fleets[0].outputs?.enrollmentCount, 6, "the state counts what landed");
    assert.deepEqual(Object.keys(fleets[0].outputs?.failedEnrollments ?? {}), ["fleet-t5"]);

    // Taking it over: only the missing item is written.
    const before = await etags(Object.keys(items).filter((id) => id !== "fleet-t5"));
    setProgram(program(items, "      adopt: true"));
    await project.ok("up", "--yes", "--skip-preview");
    assert.deepEqual((await record("fleet-t5")).initialTwin?.tags, { line: "7" });
    const after = await etags(Object.keys(before));
    for (const [id, etag] of Object.entries(after)) assert.equal(etag, before[id], `${id} was not written`);
    const { fleets: now } = await fleetState();
    assert.equal(now[0].outputs?.enrollmentCount, 7);
    assert.equal(now[0].outputs?.failedEnrollments, undefined, "no failure left");
  });

  it("rides out 429s: every item of a change to the defaults lands", async () => {
    emu.setFaults({ opsPerMinute: 12 });
    emu.resetStats();
    try {
      const body = program(items, "      adopt: true").replace('line: "7"', 'line: "8"');
      setProgram(body);
      await project.ok("up", "--yes", "--skip-preview");
    } finally {
      emu.setFaults({ opsPerMinute: null });
    }
    assert.ok(emu.stats().responses["429"] > 0, "the DPS answered 429");
    for (const id of Object.keys(items).filter((i) => !items[i].tags)) {
      assert.deepEqual((await record(id)).initialTwin?.tags, { line: "8" }, id);
    }
  });

  it("a 412 (another writer between the read and the write) is re-read and re-applied, keeping the other's fields", async () => {
    items["fleet-t3"] = { kind: "tpm", tags: { line: "8", bay: "3" } };
    emu.setFaults({
      concurrentWrite: { registrationId: "fleet-t3", set: { optionalDeviceInformation: { owner: "ops" } } },
    });
    emu.resetStats();
    try {
      setProgram(program(items, "      adopt: true").replace('line: "7"', 'line: "8"'));
      await project.ok("up", "--yes", "--skip-preview");
    } finally {
      emu.setFaults({ concurrentWrite: null });
    }
    const stats = emu.stats();
    assert.equal(stats.concurrentWrites, 1, "the other writer came in between");
    assert.ok(stats.responses["412"] + (stats.bulkItemErrors["412"] ?? 0) > 0, "the DPS answered 412");
    const held = (await client.getIndividualEnrollment("fleet-t3")).responseBody as unknown as Held & {
      optionalDeviceInformation?: unknown;
    };
    assert.deepEqual(held.initialTwin?.tags, { line: "8", bay: "3" });
    assert.deepEqual(held.optionalDeviceInformation, { owner: "ops" }, "the other writer's field is kept");
  });

  it("moves an IndividualEnrollment into a fleet and back with no call that writes (`retainOnDelete`, `import`)", async () => {
    const solo =
      "  solo:\n" +
      "    type: dps-enrollments:index:IndividualEnrollment\n" +
      "    properties:\n" +
      "      registrationId: fleet-solo\n" +
      `      attestation:\n        type: tpm\n        endorsementKey: ${TPM_EK}\n` +
      '      tags:\n        line: "7"\n' +
      "    options:\n      retainOnDelete: true\n";
    setProgram(program(items, "      adopt: true", solo));
    await project.ok("up", "--yes", "--skip-preview");
    const etag = (await record("fleet-solo")).etag;
    emu.resetStats();
    // The individual resource goes (retained: the engine forgets it, no Delete); a fleet takes the record over.
    const moved =
      "  moved:\n" +
      `    type: ${TOKEN}\n` +
      "    properties:\n" +
      '      defaults:\n        tags:\n          line: "7"\n' +
      `      enrollments:\n        fleet-solo:\n          attestation:\n            endorsementKey: ${TPM_EK}\n` +
      "    options:\n      import: ids:fleet-solo\n";
    setProgram(program(items, "      adopt: true", moved));
    await project.ok("up", "--yes", "--skip-preview");
    assert.equal(writes(), 0, "no call that writes");
    assert.equal((await record("fleet-solo")).etag, etag, "the record is untouched");
    const state = await project.exportState();
    assert.ok(!state.resources.some((r) => r.type === "dps-enrollments:index:IndividualEnrollment"));
    const fleet = state.resources.find((r) => r.urn.endsWith("::moved"));
    assert.equal(fleet?.outputs?.enrollmentCount, 1);

    // And back: the fleet goes (retained), the individual resource takes the record over by import.
    setProgram(
      program(items, "      adopt: true", moved.replace("import: ids:fleet-solo", "retainOnDelete: true")),
    );
    await project.ok("up", "--yes", "--skip-preview");
    emu.resetStats();
    setProgram(
      program(items, "      adopt: true", solo.replace("retainOnDelete: true", "import: fleet-solo")),
    );
    await project.ok("up", "--yes", "--skip-preview");
    assert.equal(writes(), 0, "no call that writes, back either");
    assert.equal((await record("fleet-solo")).etag, etag, "the record is still untouched");
    const back = await project.exportState();
    assert.ok(!back.resources.some((r) => r.urn.endsWith("::moved")), "the fleet is gone from the stack");
    assert.equal(back.resources.find((r) => r.urn.endsWith("::solo"))?.id, "fleet-solo");
  });

  it("imports existing records by ids and by prefix (`pulumi import`), with no write", async () => {
    for (const id of ["imp-a1", "imp-a2", "pre-b1", "pre-b2"]) {
      await client.createOrUpdateIndividualEnrollment({
        registrationId: id,
        attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
        initialTwin: { tags: { owner: "someone" }, properties: { desired: {} } },
      } as never);
    }
    const before = await etags(["imp-a1", "imp-a2", "pre-b1", "pre-b2"]);
    emu.resetStats();
    await project.ok("import", TOKEN, "byIds", "ids:imp-a1,imp-a2", "--yes", "--generate-code=false");
    await project.ok("import", TOKEN, "byPrefix", "prefix:pre-b", "--yes", "--generate-code=false");
    assert.equal(writes(), 0, "the imports wrote nothing");
    assert.deepEqual(await etags(Object.keys(before)), before);
    const { fleets } = await fleetState();
    const byIds = fleets.find((f) => f.urn.endsWith("::byIds"));
    const byPrefix = fleets.find((f) => f.urn.endsWith("::byPrefix"));
    assert.deepEqual(Object.keys((byIds?.inputs?.enrollments ?? {}) as object).sort(), ["imp-a1", "imp-a2"]);
    assert.deepEqual(Object.keys((byPrefix?.inputs?.enrollments ?? {}) as object).sort(), [
      "pre-b1",
      "pre-b2",
    ]);
    assert.equal(byIds?.outputs?.enrollmentCount, 2);
  });

  it("destroys every item", async () => {
    setProgram(program(items, "      adopt: true"));
    // `pulumi import` protects what it imports.
    await project.ok("state", "unprotect", "--all", "--yes");
    await project.ok("destroy", "--yes", "--skip-preview");
    for (const id of [...Object.keys(items), "fleet-solo", "imp-a1", "imp-a2", "pre-b1", "pre-b2"])
      await gone(id);
  });
});
