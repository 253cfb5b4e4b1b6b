// End to end: EnrollmentFleet (the dynamic face) through the real Pulumi CLI against the emulator
// over HTTPS, whose stats count the DPS calls; records read back with the official client. Create,
// per-item Set, items added and removed, drift after refresh, partial failure (409) and its retry,
// import with no write, moving individual enrollments into a fleet and back with no write, destroy.
// Needs `npm run ensure-pulumi`.
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { EnrollmentFleet, IndividualEnrollment } from "../../provider";
import { EngineCommandError, EngineStack, findPulumi } from "../support/engine";
import { emulatorClient, emulatorStackConfig, readEnrollment } from "../support/service";
import { TPM_EK } from "../support/tpm";

type Twin = { initialTwin?: { tags?: Record<string, unknown> } };

/** Writes the emulator counted since its last reset. */
function writes(emu: EmulatorHandle): number {
  const { put, bulk, delete: deletes } = emu.stats().operations;
  return put + bulk + deletes;
}

/** The fleet's outputs as the state holds them (stack outputs are the program's last complete run). */
async function fleetState(stack: EngineStack): Promise<Record<string, unknown>> {
  const deployment = await stack.exportStackShowingSecrets();
  const resources = (
    deployment.deployment as { resources?: { type: string; outputs?: Record<string, unknown> }[] }
  ).resources;
  const fleet = resources?.find((r) => r.type.endsWith(":EnrollmentFleet"));
  assert.ok(fleet?.outputs, "no fleet in the state");
  // Secrets come as `{ <sig>, plaintext }` in an export with secrets shown.
  const plain = (v: unknown) =>
    v !== null && typeof v === "object" && "plaintext" in v ? JSON.parse(String(v.plaintext)) : v;
  return Object.fromEntries(Object.entries(fleet.outputs).map(([k, v]) => [k, plain(v)]));
}

/** A resource of `pulumi stack export`. */
type FleetResource = { type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> };

interface FleetShape {
  ids: string[];
  symmetric?: string[];
  overrides?: Record<string, Record<string, unknown>>;
  version?: number;
  adopt?: boolean;
}

function fleetProgram(shape: FleetShape) {
  return async () => {
    const enrollments: Record<string, { attestation: Record<string, string> } & Record<string, unknown>> = {};
    for (const id of shape.ids)
      enrollments[id] = { attestation: { endorsementKey: TPM_EK }, ...shape.overrides?.[id] };
    for (const id of shape.symmetric ?? []) enrollments[id] = { attestation: { type: "symmetricKey" } };
    const fleet = new EnrollmentFleet("line7", {
      defaults: { tags: { line: 7, v: shape.version ?? 1 }, provisioningStatus: "enabled" },
      enrollments,
      adopt: shape.adopt,
    });
    return {
      count: fleet.enrollmentCount,
      failed: fleet.failedEnrollments,
      drifted: fleet.driftedEnrollments,
      keys: fleet.deviceKeys,
      // Read as users write it: a preview of a write must hand an unknown, never undefined.
      keyLength: fleet.deviceKeys.apply((k) => k!["fl-s0"].primaryKey.length),
    };
  };
}

const ids = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i + from).padStart(3, "0")}`);

describe("EnrollmentFleet through the real Pulumi engine (dynamic face, emulator)", function () {
  this.timeout(300_000);
  let emu: EmulatorHandle | undefined;
  let client: ProvisioningServiceClient;
  let s: EngineStack | undefined;
  const tpm = ids("fl", 20);

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    client = emulatorClient(emu);
    s = await EngineStack.create({
      projectName: "fleet-e2e",
      program: fleetProgram({ ids: tpm, symmetric: ["fl-s0", "fl-s1"] }),
      config: emulatorStackConfig(emu),
    });
  });
  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("creates every item in bulk calls of 10, with the defaults and the generated keys", async () => {
    emu!.resetStats();
    const r = await s!.up();
    assert.equal(r.outputs.count.value, 22);
    assert.equal(r.outputs.failed?.value, undefined);
    const { operations } = emu!.stats();
    assert.equal(operations.bulk, 3, JSON.stringify(operations)); // 22 items: 10 + 10 + 2
    assert.equal(operations.put, 0, JSON.stringify(operations));
    const record = await readEnrollment<Twin & { attestation: { type: string } }>(client, "fl-007");
    assert.deepEqual(record?.initialTwin?.tags, { line: 7, v: 1 });
    assert.equal(record?.attestation.type, "tpm");
    const att = (await client.getIndividualEnrollmentAttestationMechanism("fl-s1")).responseBody;
    assert.equal(
      (r.outputs.keys.value as Record<string, { primaryKey: string }>)["fl-s1"].primaryKey,
      att.symmetricKey?.primaryKey,
    );
    assert.equal(r.outputs.keys.secret, true);
    // The state holds the items once (inputs), the outputs a line per item, and no key in clear.
    const text = await s!.exportStackText();
    assert.ok(!text.includes(att.symmetricKey!.primaryKey!), "a generated key in clear in the state");
  });

  it("a preview of an unchanged program shows nothing", async () => {
    const p = await s!.preview();
    assert.deepEqual(Object.keys(p.changeSummary), ["same"], p.output);
  });

  it("per-item Set: only the changed item is written, the preview names it", async () => {
    s!.setProgram(
      fleetProgram({
        ids: tpm,
        symmetric: ["fl-s0", "fl-s1"],
        overrides: { "fl-003": { tags: { line: 7, v: 2 } } },
      }),
    );
    const p = await s!.preview({ diff: true });
    assert.equal(p.changeSummary.update, 1, p.output);
    // `--diff` prints the whole inputs; the changed item is the one marked.
    assert.match(p.output, /~ fl-003: \{/);
    assert.doesNotMatch(p.output, /~ fl-00[0-24-9]/);
    emu!.resetStats();
    await s!.up();
    assert.equal(writes(emu!), 1, JSON.stringify(emu!.stats().operations));
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-003"))?.initialTwin?.tags, { line: 7, v: 2 });
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-004"))?.initialTwin?.tags, { line: 7, v: 1 });
  });

  it("a Set-style change of the defaults: every item written in bulk with its etag, keys kept", async () => {
    s!.setProgram(fleetProgram({ ids: tpm, symmetric: ["fl-s0", "fl-s1"], version: 3 }));
    const before = (await client.getIndividualEnrollmentAttestationMechanism("fl-s0")).responseBody;
    emu!.resetStats();
    const r = await s!.up();
    const { operations } = emu!.stats();
    assert.equal(operations.bulk, 3, JSON.stringify(operations));
    assert.equal(operations.put, 0, JSON.stringify(operations));
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-019"))?.initialTwin?.tags, { line: 7, v: 3 });
    const after = (await client.getIndividualEnrollmentAttestationMechanism("fl-s0")).responseBody;
    assert.equal(after.symmetricKey?.primaryKey, before.symmetricKey?.primaryKey);
    assert.equal(
      (r.outputs.keys.value as Record<string, { primaryKey: string }>)["fl-s0"].primaryKey,
      before.symmetricKey?.primaryKey,
    );
  });

  it("items added and removed: one create and one delete", async () => {
    const next = [...tpm.filter((id) => id !== "fl-019"), "fl-020"];
    s!.setProgram(fleetProgram({ ids: next, symmetric: ["fl-s0", "fl-s1"], version: 3 }));
    emu!.resetStats();
    const r = await s!.up();
    assert.equal(r.outputs.count.value, 22);
    const { operations } = emu!.stats();
    assert.equal(operations.put + operations.bulk, 1, JSON.stringify(operations));
    assert.equal(operations.delete + operations.bulk, 1, JSON.stringify(operations));
    assert.equal(await readEnrollment(client, "fl-019"), undefined);
    assert.ok(await readEnrollment(client, "fl-020"));
    tpm.splice(0, tpm.length, ...next);
  });

  it("drift: a refresh reads query pages, names the drifted item, and the next up writes it back", async () => {
    const record = (await client.getIndividualEnrollment("fl-005")).responseBody;
    record.initialTwin = { tags: { line: 7, v: "changed by hand" } } as never;
    await client.createOrUpdateIndividualEnrollment(record);
    emu!.resetStats();
    const refreshed = await s!.refresh();
    const ops = emu!.stats().operations;
    assert.ok(ops.query <= 1 && ops.get === 0, JSON.stringify(ops));
    assert.equal(refreshed.summary.resourceChanges?.update, 1, refreshed.output);
    const state = await fleetState(s!);
    assert.deepEqual(
      Object.keys((state.driftedEnrollments ?? {}) as object),
      ["fl-005"],
      JSON.stringify({ ...state, deviceKeys: undefined }).slice(0, 3000),
    );
    emu!.resetStats();
    await s!.up();
    assert.equal(writes(emu!), 1, JSON.stringify(emu!.stats().operations));
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-005"))?.initialTwin?.tags, { line: 7, v: 3 });
  });

  it("partial failure: the state records what landed, the error names the item, the retry writes only it", async () => {
    // Someone else's record under one of the new ids: the create answers 409.
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "fl-031",
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
      initialTwin: { tags: { owner: "someone else" } },
    } as never);
    const grown = [...tpm, ...ids("fl", 5, 30)];
    s!.setProgram(fleetProgram({ ids: grown, symmetric: ["fl-s0", "fl-s1"], version: 3 }));
    emu!.resetStats();
    let failure: EngineCommandError | undefined;
    try {
      await s!.up();
    } catch (error) {
      failure = error as EngineCommandError;
    }
    assert.ok(failure, "the up should fail");
    const said = `${failure.message}\n${failure.output ?? ""}\n${failure.stderr ?? ""}`;
    assert.match(said, /fl-031/);
    assert.match(said, /adopt: true/);
    const state = await fleetState(s!);
    assert.equal(state.enrollmentCount, 26, JSON.stringify(state));
    assert.deepEqual(Object.keys(state.failedEnrollments as object), ["fl-031"]);
    for (const id of ["fl-030", "fl-032", "fl-034"]) assert.ok(await readEnrollment(client, id), id);
    // The partial-failure outputs keep the keys secret too.
    const key = (await client.getIndividualEnrollmentAttestationMechanism("fl-s0")).responseBody
      .symmetricKey!;
    assert.equal(
      (state.deviceKeys as Record<string, { primaryKey: string }>)["fl-s0"]?.primaryKey,
      key.primaryKey,
    );
    assert.ok(
      !(await s!.exportStackText()).includes(key.primaryKey!),
      "a key in clear after a partial failure",
    );
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-031"))?.initialTwin?.tags, {
      owner: "someone else",
    });
    // Taking it over: only the missing item is written.
    s!.setProgram(fleetProgram({ ids: grown, symmetric: ["fl-s0", "fl-s1"], version: 3, adopt: true }));
    emu!.resetStats();
    const r = await s!.up();
    assert.equal(r.outputs.count.value, 27);
    assert.equal(r.outputs.failed?.value, undefined);
    const { operations } = emu!.stats();
    assert.equal(operations.put + operations.bulk, 2, JSON.stringify(operations)); // the 409'd create, the Set
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-031"))?.initialTwin?.tags, { line: 7, v: 3 });
    tpm.splice(0, tpm.length, ...grown);
  });

  it("5xx answers are retried: everything lands", async () => {
    s!.setProgram(fleetProgram({ ids: tpm, symmetric: ["fl-s0", "fl-s1"], version: 4, adopt: true }));
    emu!.setFaults({ next: ["503", "500"] });
    const r = await s!.up();
    assert.equal(r.outputs.count.value, 27);
    assert.equal(r.outputs.failed?.value, undefined);
    assert.deepEqual((await readEnrollment<Twin>(client, "fl-000"))?.initialTwin?.tags, { line: 7, v: 4 });
  });

  it("429 answers (the DPS quota) are retried after Retry-After: everything lands", async () => {
    s!.setProgram(fleetProgram({ ids: tpm, symmetric: ["fl-s0", "fl-s1"], version: 5, adopt: true }));
    emu!.resetStats();
    emu!.setFaults({ opsPerMinute: 60 });
    try {
      const r = await s!.up();
      assert.equal(r.outputs.count.value, 27);
      assert.equal(r.outputs.failed?.value, undefined);
    } finally {
      emu!.setFaults({ opsPerMinute: null });
    }
    assert.ok(emu!.stats().responses["429"] > 0, JSON.stringify(emu!.stats().responses));
    for (const id of ["fl-000", "fl-034", "fl-s1"]) {
      assert.deepEqual((await readEnrollment<Twin>(client, id))?.initialTwin?.tags, { line: 7, v: 5 }, id);
    }
  });

  it("destroys every item in bulk deletes", async () => {
    emu!.resetStats();
    await s!.destroy();
    const { operations } = emu!.stats();
    assert.equal(operations.bulk, 3, JSON.stringify(operations));
    for (const id of [...tpm, "fl-s0"]) assert.equal(await readEnrollment(client, id), undefined, id);
  });
});

describe("EnrollmentFleet: import and moving between forms with no write (real Pulumi engine, emulator)", function () {
  this.timeout(300_000);
  let emu: EmulatorHandle | undefined;
  let client: ProvisioningServiceClient;
  let s: EngineStack | undefined;
  const moved = ids("mv", 12);

  const individuals = (retain: boolean, importing: boolean) => async () => {
    for (const id of moved) {
      new IndividualEnrollment(
        id,
        { registrationId: id, attestation: { type: "tpm", endorsementKey: TPM_EK }, tags: { line: 9 } },
        { retainOnDelete: retain, import: importing ? id : undefined },
      );
    }
  };
  const fleet = (options: { retain?: boolean; importId?: string }) => async () => {
    const enrollments: Record<string, { attestation: { endorsementKey: string } }> = {};
    for (const id of moved) enrollments[id] = { attestation: { endorsementKey: TPM_EK } };
    const f = new EnrollmentFleet(
      "line9",
      { defaults: { tags: { line: 9 } }, enrollments },
      { retainOnDelete: options.retain, import: options.importId },
    );
    return { count: f.enrollmentCount };
  };

  before(async () => {
    await findPulumi();
    emu = await startEmulator();
    client = emulatorClient(emu);
    s = await EngineStack.create({
      projectName: "fleet-move-e2e",
      program: individuals(false, false),
      config: emulatorStackConfig(emu),
    });
    await s.up();
  });
  after(async () => {
    await s?.dispose();
    await emu?.stop();
  });

  it("an import naming records the program does not match fails, listing them, and writes nothing", async () => {
    await s!.setProgram(individuals(true, false));
    await s!.up();
    s!.setProgram(async () => {
      const enrollments = { "mv-000": { attestation: { endorsementKey: TPM_EK }, tags: { line: 8 } } };
      new EnrollmentFleet("wrong", { enrollments }, { import: "ids:mv-000,mv-001" });
    });
    emu!.resetStats();
    await assert.rejects(s!.up(), (error: EngineCommandError) => {
      const said = `${error.message}\n${error.output ?? ""}`;
      return /mv-001: in the DPS, not in the program/.test(said) && /mv-000: tags/.test(said);
    });
    assert.equal(writes(emu!), 0);
  });

  it("individual → fleet: retainOnDelete, then the fleet imported by prefix: no write", async () => {
    s!.setProgram(individuals(true, false));
    await s!.up();
    s!.setProgram(fleet({ importId: "prefix:mv-" }));
    emu!.resetStats();
    const r = await s!.up();
    assert.equal(r.outputs.count.value, 12);
    assert.equal(writes(emu!), 0, JSON.stringify(emu!.stats().operations));
    for (const id of moved) assert.ok(await readEnrollment(client, id), id);
    // State per TPM item: what each item adds to the fleet resource as the file backend writes it
    // (indented JSON): its inputs and its ledger line. The target is 700 B (its EK alone is ~400 B).
    const deployment = (await s!.exportStack()).deployment as { resources: FleetResource[] };
    const resource = deployment.resources.find((r) => r.type.endsWith(":EnrollmentFleet"))!;
    const empty: FleetResource = {
      ...resource,
      inputs: { ...resource.inputs, enrollments: {} },
      outputs: { ...resource.outputs, __fleet: "" },
    };
    const perItem =
      (JSON.stringify(resource, null, 4).length - JSON.stringify(empty, null, 4).length) / moved.length;
    assert.ok(perItem <= 700, `state per TPM item: ${perItem} B`);
    s!.setProgram(fleet({}));
    const p = await s!.preview();
    assert.deepEqual(Object.keys(p.changeSummary), ["same"], p.output);
  });

  it("fleet → individual: retainOnDelete on the fleet, individuals imported by id: no write", async () => {
    s!.setProgram(fleet({ retain: true }));
    await s!.up();
    s!.setProgram(individuals(false, true));
    emu!.resetStats();
    await s!.up();
    assert.equal(writes(emu!), 0, JSON.stringify(emu!.stats().operations));
    for (const id of moved) assert.ok(await readEnrollment(client, id), id);
  });
});
