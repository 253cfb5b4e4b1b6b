/**
 * Concurrent writes coalesced into bulk operations, through the real dynamic-provider gRPC server (its
 * own process, as the engine runs it) against the emulator over HTTPS; calls are counted by the
 * emulator's stats, and the records read back with the official client.
 */
import { strict as assert } from "assert";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { startEmulator, type EmulatorHandle } from "../../emulator";
import {
  BATCH_WINDOW_MS,
  Coalescer,
  itemOutcomes,
  STREAM_HOLD_MS,
  takeChunk,
} from "../../provider/core/batch";
import { flushDecision } from "../../provider/core/flushRule";
import { WriteSteps } from "../../provider/core/writeSteps";
import type { WriteTraceLine } from "../../provider/core/writeTrace";
import { DynamicProviderServer, type Props } from "../support/dynamicProvider";
import { emulatorClient, emulatorConnection, readEnrollment } from "../support/service";

const TPM_EK =
  "AToAAQALAAMAsgAgg3GXZ0SEs/gakMyNRqXXJP1S124GUgtk8qHaGzMUaaoABgCAAEMAEAgAAAAAAAEAxsj2gUScTk1UjuioeTlfGYZrrimExB+bScH75adUMRIi2UOMxG1kw4y+9RW/IVoMl4e620VxZad0ARX2gUqVjYO7KPVt3dyKhZS3dkcvfBisBhP1XH9B33VqHG9SHnbnQXdBUaCgKAfxome8UmBKfe+naTsE5fkvjb/do3/dD6l4sGBwFCnKRdln4XpM03zLpoHFao8zOwt8l/uP3qUIxmCYv9A7m69Ms+5/pCkTu/rK4mRDsfhZ0QLfbzVI6zQFOKF/rwsfBtFeWlWtcuJMKlXdD8TXWElTzgh7JS4qhFzreL0c1mI0GCj+Aws0usZh7dLIVPnlgZcBhgy1SSDQMQ==";

interface Stored {
  registrationId: string;
  etag: string;
  initialTwin?: { tags?: Props };
  optionalDeviceInformation?: Props;
}

/** What a call's promise ended with, for assertions on batches where some items fail. */
async function settled<T>(promises: Promise<T>[]): Promise<Array<{ value?: T; error?: Error }>> {
  const results = await Promise.allSettled(promises);
  return results.map((r) => (r.status === "fulfilled" ? { value: r.value } : { error: r.reason as Error }));
}

describe("bulk coalescing (gRPC server + emulator)", function () {
  this.timeout(120_000);
  let emu: EmulatorHandle;
  let server: DynamicProviderServer;
  let client: ProvisioningServiceClient;
  let connection: Props;

  const symmetric = (id: string, extra: Props = {}): Props => ({
    connection,
    registrationId: id,
    attestation: { type: "symmetricKey" },
    tags: { fleet: "a" },
    ...extra,
  });
  const tpm = (id: string): Props => ({
    connection,
    registrationId: id,
    attestation: { type: "tpm", endorsementKey: TPM_EK },
    tags: { fleet: "a" },
  });

  before(async () => {
    emu = await startEmulator();
    connection = emulatorConnection(emu);
    server = await DynamicProviderServer.start();
    client = emulatorClient(emu);
  });
  after(async () => {
    await server?.stop();
    await emu?.stop();
  });
  const NO_FAULTS = { rate500: 0, rate503: 0, dropRate: 0, next: [] };
  afterEach(() => emu.setFaults(NO_FAULTS));

  /** Check then create many at once, as the engine does with `--parallel`. */
  async function createAll(all: Props[]) {
    const checked = await Promise.all(all.map((news) => server.check({}, news)));
    for (const c of checked) assert.deepEqual(c.failures, []);
    return settled(checked.map((c) => server.create(c.inputs)));
  }

  it("parallel creates go out as bulk calls of up to 10, with the keys the provider generated", async () => {
    emu.resetStats();
    const ids = Array.from({ length: 20 }, (_, i) => `bulk-create-${i}`);
    const results = await createAll(ids.map((id, i) => (i % 2 ? tpm(id) : symmetric(id))));
    assert.deepEqual(
      results.map((r) => r.error?.message),
      ids.map(() => undefined),
    );
    const stats = emu.stats();
    assert.equal(stats.operations.put, 0, "no single PUT");
    assert.ok(
      stats.operations.bulk >= 2 && stats.operations.bulk <= 4,
      `bulk calls: ${stats.operations.bulk}`,
    );
    for (const [i, r] of results.entries()) {
      const outs = r.value!.outs;
      assert.equal(outs.etag, "", "a bulk answer carries no etag: unknown until read");
      const stored = await readEnrollment<Stored>(client, ids[i]);
      assert.deepEqual(stored?.initialTwin?.tags, { fleet: "a" });
      if (i % 2 === 0) {
        // The keys in state are the ones the service holds: 64 random bytes, base64, as DPS makes them.
        const att = (await client.getIndividualEnrollmentAttestationMechanism(ids[i])).responseBody;
        const keys = outs.attestation as Props;
        assert.equal(att.symmetricKey?.primaryKey, keys.primaryKey);
        assert.equal(att.symmetricKey?.secondaryKey, keys.secondaryKey);
        assert.equal(Buffer.from(String(keys.primaryKey), "base64").length, 64);
      }
    }
  });

  it("a lone create stays one PUT and keeps its etag", async () => {
    emu.resetStats();
    const [result] = await createAll([symmetric("bulk-lone")]);
    assert.equal(result.error, undefined);
    assert.deepEqual([emu.stats().operations.put, emu.stats().operations.bulk], [1, 0]);
    const stored = await readEnrollment<Stored>(client, "bulk-lone");
    assert.equal(result.value!.outs.etag, stored!.etag);
  });

  it("a mixed batch: the existing (409) and the invalid (400) fail with a single call's message, the others land", async () => {
    await client.createOrUpdateIndividualEnrollment({
      registrationId: "bulk-mixed-exists",
      attestation: { type: "tpm", tpm: { endorsementKey: TPM_EK } },
    } as never);
    emu.resetStats();
    const ids = Array.from({ length: 8 }, (_, i) => `bulk-mixed-${i}`);
    const all = [
      ...ids.map((id) => symmetric(id)),
      symmetric("bulk-mixed-exists"),
      symmetric("bulk-mixed-bad", { iotHubHostName: "not-linked.azure-devices.net" }),
    ];
    const results = await createAll(all);
    assert.equal(emu.stats().operations.put, 0);
    for (const r of results.slice(0, 8)) assert.equal(r.error, undefined);
    for (const id of ids) assert.ok(await readEnrollment(client, id));
    assert.match(
      results[8].error!.message,
      /Enrollment "bulk-mixed-exists" already exists in .*set `adopt: true`/,
    );
    assert.match(
      results[9].error!.message,
      /DPS write of enrollment "bulk-mixed-bad" failed: HTTP 400 error 400\d{3}: .*not-linked\.azure-devices\.net.* is not linked/,
    );
    assert.equal(await readEnrollment(client, "bulk-mixed-bad"), undefined);
    // The same failure from a single call reads the same (its answer adds a tracking id).
    const [alone] = await createAll([
      symmetric("bulk-mixed-bad", { iotHubHostName: "not-linked.azure-devices.net" }),
    ]);
    assert.equal(
      alone.error!.message.split(" (trackingId")[0],
      results[9].error!.message.split(" (trackingId")[0],
    );
  });

  it("a bulk Set uses each etag: a record changed by another writer (412) is re-read and re-applied alone, its unmanaged field kept", async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `bulk-set-${i}`);
    // Created one at a time: each state has its etag.
    const created: { id: string; outs: Props; inputs: Props }[] = [];
    for (const id of ids) created.push(await server.checkAndCreate(tpm(id)));
    // Another writer changes one after Pulumi read it: the stored etag is stale.
    const other = (await client.getIndividualEnrollment(ids[2])).responseBody;
    (other as { optionalDeviceInformation?: unknown }).optionalDeviceInformation = { site: "lab" };
    await client.createOrUpdateIndividualEnrollment(other);
    emu.resetStats();
    const results = await settled(
      created.map(async (c) => {
        const checked = await server.check(c.inputs, { ...tpm(c.id), tags: { fleet: "b" } });
        return server.update(c.id, c.outs, checked.inputs);
      }),
    );
    assert.deepEqual(
      results.map((r) => r.error?.message),
      ids.map(() => undefined),
    );
    const stats = emu.stats();
    // One bulk of six (or two), then the 412 item: one GET and one write of its own.
    assert.ok(stats.operations.bulk >= 1 && stats.operations.bulk <= 2, `bulk: ${stats.operations.bulk}`);
    assert.equal(stats.operations.get, 1);
    assert.equal(stats.operations.put + stats.operations.bulk, stats.operations.bulk === 1 ? 2 : 3);
    for (const id of ids) {
      const stored = await readEnrollment<Stored>(client, id);
      assert.deepEqual(stored?.initialTwin?.tags, { fleet: "b" }, id);
    }
    const kept = await readEnrollment<Stored>(client, ids[2]);
    assert.deepEqual(kept?.optionalDeviceInformation, { site: "lab" });
  });

  it("a Set after a bulk create reads the record first (its etag is unknown); keys only of a record written since its create", async () => {
    const ids = Array.from({ length: 5 }, (_, i) => `bulk-unknown-${i}`);
    const results = await createAll(ids.map((id) => symmetric(id)));
    const outs = results.map((r) => r.value!.outs);
    assert.ok(outs.every((o) => o.etag === ""));
    // Someone rotates one record's keys meanwhile: the Set must not write the old ones back.
    const rotated = (await client.getIndividualEnrollmentAttestationMechanism(ids[1])).responseBody;
    const current = (await client.getIndividualEnrollment(ids[1])).responseBody;
    current.attestation = {
      type: "symmetricKey",
      symmetricKey: {
        primaryKey: Buffer.alloc(64, 7).toString("base64"),
        secondaryKey: rotated.symmetricKey!.secondaryKey,
      },
    } as never;
    await client.createOrUpdateIndividualEnrollment(current);
    emu.resetStats();
    const updated = await settled(
      ids.map(async (id, i) => {
        const checked = await server.check({}, symmetric(id, { tags: { fleet: "c" } }));
        return server.update(id, outs[i], checked.inputs);
      }),
    );
    assert.deepEqual(
      updated.map((r) => r.error?.message),
      ids.map(() => undefined),
    );
    const stats = emu.stats();
    // Their reads end at different moments: the writes share one or two calls.
    assert.ok(stats.operations.bulk >= 1, "coalesced");
    assert.ok(stats.operations.put + stats.operations.bulk <= 3, JSON.stringify(stats.operations));
    // Five reads of the record; the keys of one: the four others were not written since their
    // create (lastUpdatedDateTimeUtc equals createdDateTimeUtc), so their keys are the ones sent.
    assert.equal(stats.operations.get, 5);
    assert.equal(stats.operations.attestation, 1);
    const att = (await client.getIndividualEnrollmentAttestationMechanism(ids[1])).responseBody;
    assert.equal(att.symmetricKey?.primaryKey, Buffer.alloc(64, 7).toString("base64"));
    assert.equal((updated[1].value!.attestation as Props).primaryKey, att.symmetricKey?.primaryKey);
    for (const id of ids)
      assert.deepEqual((await readEnrollment<Stored>(client, id))?.initialTwin?.tags, { fleet: "c" });
  });

  it("a refresh after a bulk create reads no keys, unless the record was written since", async () => {
    const ids = Array.from({ length: 4 }, (_, i) => `bulk-refresh-${i}`);
    const results = await createAll(ids.map((id) => symmetric(id)));
    const outs = results.map((r) => r.value!.outs);
    assert.ok(outs.every((o) => o.etag === ""));
    const rotatedKey = Buffer.alloc(64, 9).toString("base64");
    const current = (await client.getIndividualEnrollment(ids[3])).responseBody;
    current.attestation = {
      type: "symmetricKey",
      symmetricKey: { primaryKey: rotatedKey, secondaryKey: rotatedKey },
    } as never;
    await client.createOrUpdateIndividualEnrollment(current);
    emu.resetStats();
    const refreshed = await Promise.all(ids.map((id, i) => server.read(id, outs[i])));
    assert.equal(emu.stats().operations.attestation, 1);
    for (let i = 0; i < 3; i++) {
      const att = refreshed[i].outs.attestation as Props;
      assert.equal(att.primaryKey, (outs[i].attestation as Props).primaryKey, ids[i]);
    }
    assert.equal((refreshed[3].outs.attestation as Props).primaryKey, rotatedKey);
  });

  it("a batch hit by 500s, 503s and dropped connections is retried whole: everything lands once", async () => {
    // The first four calls fail, one way each, in a set order (random rates could miss them all, or
    // fail one batch past its retries); the retries then pass, and nothing lands twice.
    const ids = Array.from({ length: 30 }, (_, i) => `bulk-faults-${i}`);
    emu.resetStats();
    emu.setFaults({ next: ["500", "drop", "503", "drop"] });
    const results = await createAll(ids.map((id) => tpm(id)));
    assert.deepEqual(
      results.map((r) => r.error?.message),
      ids.map(() => undefined),
    );
    const stats = emu.stats();
    assert.deepEqual([stats.responses["5xx"], stats.dropped], [2, 2], "every injected fault was met");
    assert.equal(stats.operations.put, 0, "retried as bulk calls, not one by one");
    const page = await client.createIndividualEnrollmentQuery({ query: "*" }).next();
    const listed = (page.responseBody as unknown as Stored[]).filter((e) =>
      e.registrationId.startsWith("bulk-faults-"),
    );
    assert.deepEqual(listed.map((e) => e.registrationId).sort(), [...ids].sort());
  });

  it("a throttled batch (429) waits Retry-After and is retried whole, one operation per bulk call", async () => {
    const slow = await startEmulator({ opsPerMinute: 60 });
    const server2 = await DynamicProviderServer.start();
    try {
      const conn = emulatorConnection(slow);
      const ids = Array.from({ length: 30 }, (_, i) => `bulk-429-${i}`);
      const checked = await Promise.all(ids.map((id) => server2.check({}, { ...tpm(id), connection: conn })));
      const results = await settled(checked.map((c) => server2.create(c.inputs)));
      assert.deepEqual(
        results.map((r) => r.error?.message),
        ids.map(() => undefined),
      );
      const stats = slow.stats();
      assert.ok(stats.responses["429"] > 0, "throttled");
      assert.equal(stats.operations.put, 0);
      // Every accepted call wrote up to 10: 30 records in at least 3 accepted bulk calls.
      assert.ok(stats.operations.bulk - stats.responses["429"] >= 3);
      assert.ok(stats.operations.bulk - stats.responses["429"] <= 6);
    } finally {
      await server2.stop();
      await slow.stop();
    }
  });

  it("parallel deletes go out as one bulk delete; a record already gone is no error", async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `bulk-del-${i}`);
    const created = (await createAll(ids.map((id) => tpm(id)))).map((r) => r.value!);
    await client.deleteIndividualEnrollment(ids[3]);
    emu.resetStats();
    const results = await settled(created.map((c) => server.delete(c.id, c.outs)));
    assert.deepEqual(
      results.map((r) => r.error?.message),
      ids.map(() => undefined),
    );
    assert.deepEqual([emu.stats().operations.bulk, emu.stats().operations.delete], [1, 0]);
    for (const id of ids) assert.equal(await readEnrollment(client, id), undefined);
  });
});

describe("bulk coalescing rules (batch.ts)", () => {
  it("never puts two writes of one record in the same call; ids compare case-insensitively", () => {
    const queue = ["a", "B", "b", "c", "A", "d"];
    assert.deepEqual(
      takeChunk(queue, (x) => x, 10),
      ["a", "B", "c", "d"],
    );
    assert.deepEqual(queue, ["b", "A"]);
  });

  it("a bulk answer's item errors read as the single call's: status from the DPS code, the service's text", () => {
    const [landed, failed] = itemOutcomes(
      ["x", "Y"],
      { isSuccessful: false, errors: [{ registrationId: "y", errorCode: 409201, errorStatus: "exists" }] },
      (e) => e.registrationId,
    );
    assert.equal(landed.ok, true);
    assert.equal(failed.ok, false);
    const error = (failed as { error: { response: { statusCode: number }; responseBody: string } }).error;
    assert.equal(error.response.statusCode, 409);
    assert.deepEqual(JSON.parse(error.responseBody), { errorCode: 409201, message: "exists" });
  });

  it("writes from no counted step: a lone write goes after the short window, a stream waits for a full call", async () => {
    const calls: string[][] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const reasons: string[] = [];
    let now = 0;
    const fire = () => {
      const t = timers.shift()!;
      now += t.ms;
      t.fn();
    };
    const c = new Coalescer<string, string>(
      async (items) => {
        calls.push(items);
        return items.map((value) => ({ ok: true as const, value }));
      },
      (x) => x,
      {
        schedule: (fn, ms) => timers.push({ fn, ms }),
        now: () => now,
        steps: new WriteSteps(() => now),
        onSend: (line) => reasons.push(line.reason),
      },
    );
    const lone = c.submit("lone");
    assert.deepEqual(
      timers.map((t) => t.ms),
      [BATCH_WINDOW_MS],
    );
    fire();
    assert.equal(await lone, "lone");
    now += 1000;
    const stream = Array.from({ length: 12 }, (_, i) => ((now += 10), c.submit(`s${i}`)));
    await Promise.resolve();
    // Ten went at once; the two left wait, as a stream, for the stream hold of the oldest.
    assert.deepEqual(
      calls.map((x) => x.length),
      [1, 10],
    );
    while (timers.length > 0) fire();
    assert.deepEqual(
      await Promise.all(stream),
      Array.from({ length: 12 }, (_, i) => `s${i}`),
    );
    assert.deepEqual(
      calls.map((x) => x.length),
      [1, 10, 2],
    );
    assert.deepEqual(reasons, ["window", "full", "held"]);
  });
});

describe("when a queue sends (flushRule.ts)", () => {
  const base = { maxItems: 10, oldestWaitMs: 0, stream: false, windowMs: 25, streamHoldMs: 400 };
  const steps = (active: number, parked: number, peak: number, idleMs = 0, peakKnown = true, gapMs = 0) => ({
    active,
    parked,
    peak,
    peakKnown,
    idleMs,
    gapMs,
  });

  it("a full call goes at once", () => {
    assert.deepEqual(flushDecision({ ...base, waiting: 10, steps: steps(32, 12, 32) }), {
      send: true,
      reason: "full",
    });
  });

  it("every step in flight waits and as many are in flight as ever: no write can join, it goes at once", () => {
    // --parallel 1: the one step waits.
    assert.deepEqual(flushDecision({ ...base, waiting: 1, steps: steps(1, 1, 1) }), {
      send: true,
      reason: "every-step-waits",
    });
    // --parallel 8: eight wait (some may be in a call on its way).
    assert.deepEqual(flushDecision({ ...base, waiting: 6, steps: steps(8, 8, 8) }), {
      send: true,
      reason: "every-step-waits",
    });
  });

  it("a step in flight that has not reached a queue yet is waited for, up to the stream hold", () => {
    assert.deepEqual(flushDecision({ ...base, waiting: 7, oldestWaitMs: 30, steps: steps(8, 7, 8, 100) }), {
      send: false,
      recheckInMs: 370,
    });
    assert.deepEqual(flushDecision({ ...base, waiting: 7, oldestWaitMs: 400, steps: steps(8, 7, 8) }), {
      send: true,
      reason: "held",
    });
  });

  it("fewer in flight than the peak, or the peak not known yet: the writes wait for the short window of quiet", () => {
    assert.deepEqual(flushDecision({ ...base, waiting: 3, steps: steps(3, 3, 8, 10) }), {
      send: false,
      recheckInMs: 15,
    });
    assert.deepEqual(flushDecision({ ...base, waiting: 3, steps: steps(3, 3, 8, 25) }), {
      send: true,
      reason: "idle",
    });
    // Before any step ended, a lone step may be the first of a burst.
    assert.deepEqual(flushDecision({ ...base, waiting: 1, steps: steps(1, 1, 1, 0, false) }), {
      send: false,
      recheckInMs: 25,
    });
  });

  it("steps that come one at a time (checkpoints between them): the quiet window is twice their gap, at most the hold", () => {
    // Steps begin every 150 ms: a write waits up to 300 ms of quiet for the next.
    assert.deepEqual(flushDecision({ ...base, waiting: 2, steps: steps(2, 2, 8, 200, true, 150) }), {
      send: false,
      recheckInMs: 100,
    });
    assert.deepEqual(flushDecision({ ...base, waiting: 2, steps: steps(2, 2, 8, 300, true, 150) }), {
      send: true,
      reason: "idle",
    });
    // Never past the stream hold of the oldest.
    assert.deepEqual(
      flushDecision({ ...base, waiting: 2, oldestWaitMs: 400, steps: steps(2, 2, 8, 300, true, 900) }),
      { send: true, reason: "held" },
    );
  });

  it("writes from no counted step fall back on time: the short window, or the stream hold in a stream", () => {
    assert.deepEqual(flushDecision({ ...base, waiting: 1, oldestWaitMs: 5 }), {
      send: false,
      recheckInMs: 20,
    });
    assert.deepEqual(flushDecision({ ...base, waiting: 1, oldestWaitMs: 25 }), {
      send: true,
      reason: "window",
    });
    assert.deepEqual(flushDecision({ ...base, waiting: 2, oldestWaitMs: 25, stream: true }), {
      send: false,
      recheckInMs: 375,
    });
  });
});

describe("a queue with counted write steps (batch.ts + writeSteps.ts)", () => {
  /** A queue whose calls return when the test says, with a fake clock and timers. */
  function harness() {
    let now = 0;
    const timers: { fn: () => void; ms: number }[] = [];
    const steps = new WriteSteps(() => now);
    const calls: { items: string[]; done: () => void }[] = [];
    const sent: WriteTraceLine[] = [];
    const queue = new Coalescer<string, string>(
      (items) =>
        new Promise((resolve) =>
          calls.push({ items, done: () => resolve(items.map((value) => ({ ok: true as const, value }))) }),
        ),
      (x) => x,
      {
        schedule: (fn, ms) => timers.push({ fn, ms }),
        now: () => now,
        steps,
        onSend: (line) => sent.push(line),
      },
    );
    /** One engine step: it writes `id` and ends when its call returns. */
    const step = (id: string) => steps.run(() => queue.submit(id));
    const tick = (ms: number) => (now += ms);
    return { steps, queue, calls, sent, timers, step, tick };
  }
  const settle = () => new Promise((resolve) => setImmediate(resolve));

  it("--parallel 1: after the first step, every write goes at once, with no timer", async () => {
    const h = harness();
    const first = h.step("w0");
    assert.equal(h.calls.length, 0, "the first may be the start of a burst: it waits the short window");
    h.tick(BATCH_WINDOW_MS);
    h.timers.shift()!.fn();
    h.calls[0].done();
    await first;
    for (let i = 1; i < 6; i++) {
      const write = h.step(`w${i}`);
      assert.equal(h.calls.length, i + 1, `write ${i} went at once`);
      h.calls[i].done();
      await write;
      h.tick(3);
    }
    assert.deepEqual(
      h.sent.slice(1),
      Array.from({ length: 5 }, () => ({ items: 1, reason: "every-step-waits", timer: false })),
    );
    assert.equal(h.timers.length, 0, "no write waited for a timer");
  });

  it("--parallel 8: a call of 8 goes as soon as the eighth step waits, not after a hold", async () => {
    const h = harness();
    // A first round teaches the queue the engine's parallelism.
    const round1 = Array.from({ length: 8 }, (_, i) => h.step(`a${i}`));
    h.tick(BATCH_WINDOW_MS);
    h.timers.shift()!.fn();
    assert.deepEqual(
      h.calls.map((c) => c.items.length),
      [8],
    );
    h.calls[0].done();
    await Promise.all(round1);
    // The engine refills its eight slots one by one as the steps end: the call goes with the eighth.
    const round2: Promise<string>[] = [];
    for (let i = 0; i < 8; i++) {
      round2.push(h.step(`b${i}`));
      assert.equal(h.calls.length, i < 7 ? 1 : 2, `after step ${i}`);
      h.tick(2);
    }
    assert.deepEqual(h.sent[1], { items: 8, reason: "every-step-waits", timer: false });
    h.calls[1].done();
    await Promise.all(round2);
    await settle();
  });

  it("a step that ends without writing re-decides: the write then waits only for a quiet window", async () => {
    const h = harness();
    // Teach the peak: two steps in flight, then both end.
    const a = h.step("a");
    const b = h.step("b");
    h.tick(BATCH_WINDOW_MS);
    h.timers.shift()!.fn();
    h.calls[0].done();
    await Promise.all([a, b]);
    // One step writes; the other reads first and ends without a write (nothing changed).
    let endRead: () => void = () => {};
    const reading = h.steps.run(() => new Promise<void>((resolve) => (endRead = resolve)));
    const writing = h.step("c");
    assert.equal(h.calls.length, 1, "the write waits for the step still reading");
    endRead();
    await reading;
    // Its end re-decided: one step in flight, below the peak of two, so a quiet window (twice the
    // usual gap between step begins) and no more.
    const quiet = h.timers.pop()!;
    assert.ok(quiet.ms >= BATCH_WINDOW_MS && quiet.ms < STREAM_HOLD_MS, `quiet window ${quiet.ms} ms`);
    h.tick(quiet.ms);
    quiet.fn();
    assert.equal(h.calls.length, 2);
    h.calls[1].done();
    await writing;
  });
});
