/**
 * EnrollmentFleet's rules: `check` through the real dynamic-provider gRPC server (what a user sees at
 * preview time, no DPS behind the connection), the ledger and diff as pure functions, and the
 * conflict (412) path of an update against the emulator with a concurrent writer.
 */
import { strict as assert } from "assert";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import { UNKNOWN } from "../../provider/core/checks";
import { EnrollmentService } from "../../provider/core/service";
import { detailedFleetDiff, diffFleet } from "../../provider/fleet/diff";
import { createFleet, partialFailureMessage, readFleet, updateFleet } from "../../provider/fleet/lifecycle";
import { digestOf } from "../../provider/fleet/items";
import { formatLedger, parseLedger } from "../../provider/fleet/ledger";
import { MAX_FLEET_ITEMS, type FleetInputs } from "../../provider/fleet/types";
import { DynamicProviderServer, FLEET, type Props } from "../support/dynamicProvider";
import { emulatorClient, emulatorConnection, readEnrollment } from "../support/service";
import { TPM_EK } from "../support/tpm";

const KEY = Buffer.alloc(32, 7).toString("base64");
const connection = {
  connectionString: `HostName=mydps.azure-devices-provisioning.net;SharedAccessKeyName=owner;SharedAccessKey=${KEY}`,
};
const EK = Buffer.alloc(300, 3).toString("base64");

describe("EnrollmentFleet check (dynamic-provider gRPC server)", function () {
  let server: DynamicProviderServer;
  before(async () => (server = await DynamicProviderServer.start({}, FLEET)));
  after(async () => server?.stop());

  const check = (props: Props) => server.check({}, { connection, ...props });

  it("implied attestation types are left out of the canonical inputs; given enums are canonical", async () => {
    const { inputs, failures } = await check({
      defaults: { provisioningStatus: "disabled", allocationPolicy: "hashed" },
      enrollments: {
        a1: { attestation: { endorsementKey: EK } },
        a2: { attestation: { type: "TPM", endorsementKey: EK } },
        a3: { attestation: { type: "symmetrickey" } },
      },
    });
    assert.deepEqual(failures, []);
    const items = inputs.enrollments as Record<string, { attestation: Record<string, unknown> }>;
    assert.deepEqual(items.a1.attestation, { endorsementKey: EK });
    assert.deepEqual(items.a2.attestation, { endorsementKey: EK });
    assert.deepEqual(items.a3.attestation, { type: "symmetricKey" });
    assert.deepEqual(inputs.defaults, { provisioningStatus: "Disabled", allocationPolicy: "Hashed" });
  });

  it("an item's failure names the item and the property, with the individual kind's reason", async () => {
    const { failures } = await check({
      enrollments: {
        good: { attestation: { endorsementKey: EK } },
        "line7-0042": { attestation: { endorsementKey: EK }, deviceId: "bad id#" },
      },
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ['enrollments["line7-0042"].deviceId'],
    );
    assert.match(failures[0].reason, /deviceId "bad id#" is invalid/);
  });

  it("a bad default is reported once, on defaults, not once per item", async () => {
    const enrollments = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [`d${i}`, { attestation: { endorsementKey: EK } }]),
    );
    const { failures } = await check({ defaults: { provisioningStatus: "sometimes" }, enrollments });
    assert.deepEqual(
      failures.map((f) => f.property),
      ["defaults.provisioningStatus"],
    );
    assert.match(failures[0].reason, /Enabled, Disabled/);
  });

  it("an attestation whose type the fields do not say, and a generated key without its type, fail", async () => {
    const { failures } = await check({ enrollments: { k1: { attestation: {} } } });
    assert.equal(failures[0].property, 'enrollments["k1"].attestation.type');
    assert.match(failures[0].reason, /type: "symmetricKey"/);
  });

  it("ids: invalid, and two that differ only in case", async () => {
    const { failures } = await check({
      enrollments: {
        "-bad": { attestation: { endorsementKey: EK } },
        Dev1: { attestation: { endorsementKey: EK } },
        dev1: { attestation: { endorsementKey: EK } },
      },
    });
    assert.deepEqual(
      failures.map((f) => f.property),
      ['enrollments["-bad"]', 'enrollments["dev1"]'],
    );
    assert.match(failures[1].reason, /case-insensitive/);
  });

  it("per-item properties the fleet owns are refused where given", async () => {
    const { failures } = await check({
      defaults: { attestation: { endorsementKey: EK } },
      enrollments: { a: { attestation: { endorsementKey: EK }, registrationId: "b", adopt: true } },
    });
    assert.deepEqual(failures.map((f) => f.property).sort(), [
      "defaults.attestation",
      'enrollments["a"].adopt',
      'enrollments["a"].registrationId',
    ]);
  });

  it("limits: items per fleet and bytes per item", async () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_FLEET_ITEMS + 1 }, (_, i) => [
        `m${i}`,
        { attestation: { type: "symmetricKey" } },
      ]),
    );
    const tooMany = await check({ enrollments: many });
    assert.equal(tooMany.failures[0].property, "enrollments");
    assert.match(tooMany.failures[0].reason, /at most 10000 items.*Split the manifest/s);
    const big = await check({
      enrollments: { big: { attestation: { endorsementKey: EK }, tags: { blob: "x".repeat(9000) } } },
    });
    assert.equal(big.failures[0].property, 'enrollments["big"]');
    assert.match(big.failures[0].reason, /at most 8192.*defaults/s);
  });

  it("unknown values (preview) are not reported", async () => {
    const whole = await check({ enrollments: UNKNOWN });
    assert.deepEqual(whole.failures, []);
    const item = await check({
      enrollments: { a: UNKNOWN, b: { attestation: { endorsementKey: UNKNOWN } } },
    });
    assert.deepEqual(item.failures, []);
  });
});

describe("EnrollmentFleet ledger and diff (pure)", () => {
  const inputs: FleetInputs = {
    defaults: { tags: { line: 7 } },
    enrollments: { a: { attestation: { endorsementKey: EK } }, b: { attestation: { endorsementKey: EK } } },
  };

  it("the ledger round-trips, sorted, with type letters", () => {
    const text = "b 22222222222 k\na 11111111111 t hhhhhhhhhhh";
    const ledger = parseLedger(text);
    assert.equal(formatLedger(ledger), "a 11111111111 t hhhhhhhhhhh\nb 22222222222 k");
    assert.equal(ledger.get("b")?.type, "symmetricKey");
  });

  it("diffFleet: added, changed and removed items from the ledger", () => {
    const ledgerOf = (x: FleetInputs) =>
      Object.keys(x.enrollments)
        .map((id) => `${id} ${digestOf(x, id)} t`)
        .join("\n");
    const previous = { __fleet: ledgerOf(inputs), enrollmentCount: 2 };
    assert.equal(diffFleet(previous, inputs).changes, false);
    const next: FleetInputs = {
      defaults: inputs.defaults,
      enrollments: {
        a: { attestation: { endorsementKey: EK }, tags: { line: 8 } },
        c: { attestation: { endorsementKey: EK } },
      },
    };
    const d = diffFleet(previous, next);
    assert.deepEqual([d.added, d.changed, d.removed], [["c"], ["a"], ["b"]]);
    // A change of the defaults changes every item that does not override it.
    const all = diffFleet(previous, { ...inputs, defaults: { tags: { line: 9 } } });
    assert.deepEqual(all.changed, ["a", "b"]);
  });

  it("detailedFleetDiff names items and properties as a preview shows them", () => {
    const next: FleetInputs = {
      defaults: { tags: { line: 7 }, allocationPolicy: "Hashed" },
      enrollments: {
        a: { attestation: { endorsementKey: EK }, tags: { line: 8 } },
        c: { attestation: { endorsementKey: EK } },
      },
    };
    assert.deepEqual(detailedFleetDiff(inputs, next), {
      "defaults.allocationPolicy": "add",
      'enrollments["a"].tags': "add",
      'enrollments["c"]': "add",
      'enrollments["b"]': "delete",
    });
  });

  it("a partial failure's message lists the first 20 ids with reasons, then how many more", () => {
    const failures = Array.from({ length: 23 }, (_, i) => ({ id: `f${i}`, reason: "HTTP 429" }));
    const message = partialFailureMessage(failures, 77);
    assert.match(message, /^23 enrollment\(s\) of the fleet did not land \(77 are in the DPS/);
    assert.match(message, /f19: HTTP 429\n {2}and 3 more$/);
    assert.doesNotMatch(message, /f20:/);
  });
});

describe("EnrollmentFleet update against a concurrent writer (emulator, 412)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  before(async () => (emu = await startEmulator()));
  after(async () => emu?.stop());

  it("an item answered 412 is re-read and re-applied; what the other writer set outside the program is kept", async () => {
    const conn = emulatorConnection(emu);
    const ids = Array.from({ length: 12 }, (_, i) => `cw-${i}`);
    const inputs = (v: number): FleetInputs => ({
      connection: conn,
      defaults: { tags: { v } },
      enrollments: Object.fromEntries(ids.map((id) => [id, { attestation: { endorsementKey: TPM_EK } }])),
    });
    const created = await createFleet(inputs(1));
    const client = emulatorClient(emu);
    // The other writer changes cw-3 between Pulumi's read and its write (once).
    const original = EnrollmentService.prototype.writeBatch;
    let interfered = false;
    EnrollmentService.prototype.writeBatch = async function (this: EnrollmentService, mode, items) {
      if (!interfered && mode === "updateIfMatchETag" && items.some((i) => i.registrationId === "cw-3")) {
        interfered = true;
        const record = (await client.getIndividualEnrollment("cw-3")).responseBody;
        record.deviceId = "set-by-someone-else";
        await client.createOrUpdateIndividualEnrollment(record);
      }
      return original.call(this, mode, items);
    };
    try {
      emu.resetStats();
      const outs = await updateFleet(created.outs, inputs(2), { id: created.id });
      assert.equal(outs.enrollmentCount, 12);
      assert.equal(outs.failedEnrollments, undefined);
    } finally {
      EnrollmentService.prototype.writeBatch = original;
    }
    assert.ok(interfered);
    // The bulk call answered 412 for that item; it was written again after a fresh read.
    assert.equal(emu.stats().bulkItemErrors["412"], 1, JSON.stringify(emu.stats()));
    const record = await readEnrollment<{ deviceId?: string; initialTwin?: { tags?: object } }>(
      client,
      "cw-3",
    );
    assert.deepEqual(record?.initialTwin?.tags, { v: 2 });
    assert.equal(record?.deviceId, "set-by-someone-else");
  });
});

describe("EnrollmentFleet read and replace per item (emulator)", function () {
  this.timeout(60_000);
  let emu: EmulatorHandle;
  before(async () => (emu = await startEmulator()));
  after(async () => emu?.stop());

  const tpmFleet = (conn: FleetInputs["connection"], ids: string[], tags: object): FleetInputs => ({
    connection: conn,
    defaults: { tags: tags as never },
    enrollments: Object.fromEntries(ids.map((id) => [id, { attestation: { endorsementKey: TPM_EK } }])),
  });

  it("a refresh with the old inputs (the plugin) names drift as item overrides, from query pages", async () => {
    const conn = emulatorConnection(emu);
    const ids = Array.from({ length: 15 }, (_, i) => `rd-${i}`);
    const inputs = tpmFleet(conn, ids, { v: 1 });
    const created = await createFleet(inputs);
    const client = emulatorClient(emu);
    const record = (await client.getIndividualEnrollment("rd-4")).responseBody;
    record.initialTwin = { tags: { v: "by hand" } } as never;
    await client.createOrUpdateIndividualEnrollment(record);
    await client.deleteIndividualEnrollment("rd-9");
    emu.resetStats();
    const read = await readFleet(created.id, created.outs, inputs, conn);
    assert.deepEqual(emu.stats().operations.query, 1);
    assert.equal(emu.stats().operations.get, 0);
    assert.deepEqual(read.inputs?.enrollments["rd-4"], {
      attestation: { endorsementKey: TPM_EK },
      tags: { v: "by hand" },
    });
    assert.deepEqual(read.inputs?.enrollments["rd-5"], inputs.enrollments["rd-5"]);
    assert.deepEqual(Object.keys(read.outs.driftedEnrollments ?? {}), ["rd-4"]);
    // rd-9, deleted outside, is forgotten: the program's fleet now differs in rd-4 and rd-9 only.
    assert.equal(read.outs.enrollmentCount, 14);
    const d = diffFleet(read.outs, inputs);
    assert.deepEqual([d.added, d.changed, d.removed], [["rd-9"], ["rd-4"], []]);
    assert.deepEqual(detailedFleetDiff(read.inputs!, inputs), { 'enrollments["rd-4"].tags': "delete" });
  });

  it("`pulumi import` by prefix (the plugin's read with no state): the records as they are, no write", async () => {
    const conn = emulatorConnection(emu);
    await createFleet(tpmFleet(conn, ["im-1", "im-2"], { v: 7 }));
    emu.resetStats();
    const read = await readFleet("prefix:im-", undefined, undefined, conn);
    const { put, bulk, delete: deletes } = emu.stats().operations;
    assert.equal(put + bulk + deletes, 0);
    assert.deepEqual(read.inputs?.enrollments, {
      "im-1": { attestation: { endorsementKey: TPM_EK }, tags: { v: 7 } },
      "im-2": { attestation: { endorsementKey: TPM_EK }, tags: { v: 7 } },
    });
    assert.equal(read.outs.enrollmentCount, 2);
    // A program declaring them so has nothing to write.
    assert.equal(diffFleet(read.outs, { ...read.inputs!, connection: conn }).changes, false);
  });

  it("an item whose attestation type changes is deleted and created again; the others are untouched", async () => {
    const conn = emulatorConnection(emu);
    const inputs = tpmFleet(conn, ["rt-1", "rt-2"], { v: 1 });
    const created = await createFleet(inputs);
    const next: FleetInputs = {
      ...inputs,
      enrollments: { ...inputs.enrollments, "rt-2": { attestation: { type: "symmetricKey" } } },
    };
    emu.resetStats();
    const outs = await updateFleet(created.outs, next, { id: created.id });
    assert.equal(outs.enrollmentCount, 2);
    const { put, bulk, delete: deletes } = emu.stats().operations;
    assert.equal(put + bulk + deletes, 2, JSON.stringify(emu.stats().operations)); // one delete, one create
    const att = (await emulatorClient(emu).getIndividualEnrollmentAttestationMechanism("rt-2")).responseBody;
    assert.equal(att.type, "symmetricKey");
    assert.equal(outs.deviceKeys?.["rt-2"].primaryKey, att.symmetricKey?.primaryKey);
  });
});
