import assert from "node:assert/strict";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EmulatorHandle } from "../../emulator";
import { MAX_CONCURRENT_SET_CHARS, normalizeFaults } from "../../emulator/faults";
import { RateLimiter } from "../../emulator/ratelimit";
import {
  adminAuth,
  clientFor,
  expectDpsError,
  expectRawError,
  putEnrollment,
  raw,
  runBulk,
  start,
  type ClientError,
} from "./helpers";

describe("emulator: rate limit, fault injection and the admin API", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;

  before(async () => {
    emu = await start();
    client = clientFor(emu);
    await putEnrollment(client, { registrationId: "f-1", attestation: { type: "symmetricKey" } });
  });
  afterEach(() =>
    emu.setFaults({ rate500: 0, rate503: 0, dropRate: 0, latencyMs: 0, next: [], opsPerMinute: null }),
  );
  after(() => emu.stop());

  it("429 with an integer Retry-After once the bucket is empty", async () => {
    emu.setFaults({ opsPerMinute: 60 }); // 1/s, burst of 2
    await client.getIndividualEnrollment("f-1");
    await client.getIndividualEnrollment("f-1");
    const err = await expectDpsError(client.getIndividualEnrollment("f-1"), 429, 429001, /Too many requests/);
    assert.match(String(err.response?.headers["retry-after"]), /^[1-9]\d*$/);
    assert.equal(err.name, "ThrottlingError");
    assert.equal(emu.stats().responses["429"], 1);
  });

  it("the token bucket refills at opsPerMinute/60 per second, burst of 2 seconds' worth", () => {
    let now = 0;
    const limiter = new RateLimiter(120, () => now); // 2/s, burst 4
    for (let i = 0; i < 4; i++) assert.equal(limiter.take(), 0);
    assert.equal(limiter.take(), 1);
    now += 500;
    assert.equal(limiter.take(), 0);
    assert.equal(limiter.take(), 1);
    const slow = new RateLimiter(6, () => now); // one per 10 s, burst 1
    assert.equal(slow.take(), 0);
    assert.equal(slow.take(), 10);
  });

  it("injects 500 and 503 (with Retry-After) answers", async () => {
    emu.setFaults({ rate500: 1 });
    await expectDpsError(client.getIndividualEnrollment("f-1"), 500, 500001, /Injected fault/);
    emu.setFaults({ rate500: 0, rate503: 1 });
    const err = await expectDpsError(client.getIndividualEnrollment("f-1"), 503, 503001, /Injected fault/);
    assert.equal(err.response?.headers["retry-after"], "1");
    assert.ok(emu.stats().responses["5xx"] >= 2);
  });

  it("drops connections without an answer", async () => {
    emu.setFaults({ dropRate: 1 });
    const before = emu.stats().dropped;
    let error: ClientError | undefined;
    try {
      await client.getIndividualEnrollment("f-1");
    } catch (err) {
      error = err as ClientError;
    }
    assert.ok(error, "the request fails");
    assert.equal(error.response, undefined, "no HTTP answer");
    assert.match(String((error as NodeJS.ErrnoException).code ?? error.message), /ECONNRESET|socket hang up/);
    assert.equal(emu.stats().dropped, before + 1);
    emu.setFaults({ dropRate: 0 });
    assert.equal((await client.getIndividualEnrollment("f-1")).responseBody.registrationId, "f-1");
  });

  it("injects the faults of `next` into the next requests, in order, then none", async () => {
    const set = await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify({ next: ["503", "drop", "500"] }),
    });
    assert.deepEqual((set.json() as { next: string[] }).next, ["503", "drop", "500"]);
    emu.resetStats();
    await expectDpsError(client.getIndividualEnrollment("f-1"), 503, 503001, /Injected fault/);
    await assert.rejects(client.getIndividualEnrollment("f-1"), (e: ClientError) => e.response === undefined);
    await expectDpsError(client.getIndividualEnrollment("f-1"), 500, 500001, /Injected fault/);
    for (let i = 0; i < 3; i++) await client.getIndividualEnrollment("f-1");
    const stats = emu.stats();
    assert.equal(stats.responses["5xx"], 2);
    assert.equal(stats.dropped, 1);
    const bad = await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify({ next: ["500", "404"] }),
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /next\[1\] must be one of drop, 500, 503/);
  });

  it("adds latency", async () => {
    emu.setFaults({ latencyMs: 150 });
    const t = Date.now();
    await client.getIndividualEnrollment("f-1");
    assert.ok(Date.now() - t >= 140);
  });

  it("faults and stats over HTTP: /_emulator/faults, /_emulator/stats, /_emulator/stats/reset (admin routes not counted)", async () => {
    const reset = await raw(emu, "/_emulator/stats/reset", { method: "POST", authorization: adminAuth(emu) });
    assert.equal(reset.status, 204);
    const set = await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify({ rate503: 1, latencyMs: 0, updateIfMatchETagRefusesExisting: true }),
    });
    assert.equal(set.status, 200);
    assert.deepEqual(set.json(), {
      rate500: 0,
      rate503: 1,
      dropRate: 0,
      latencyMs: 0,
      next: [],
      concurrentWrite: null,
      updateRefusesExisting: true,
      updateIfMatchETagRefusesExisting: true,
      opsPerMinute: null,
    });
    await expectDpsError(client.getIndividualEnrollment("f-1"), 503, 503001);
    await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify({ rate503: 0, updateIfMatchETagRefusesExisting: false }),
    });
    await putEnrollment(client, { registrationId: "f-2", attestation: { type: "symmetricKey" } });
    await expectDpsError(
      putEnrollment(client, { registrationId: "f-2", attestation: { type: "symmetricKey" } }),
      409,
      409201,
    );
    await expectDpsError(client.getIndividualEnrollment("f-missing"), 404, 404201);
    await client.getIndividualEnrollmentAttestationMechanism("f-2");
    await client.deleteIndividualEnrollment("f-2");
    await client.createIndividualEnrollmentQuery({ query: "*" }).next();
    const stats = (await raw(emu, "/_emulator/stats", { authorization: adminAuth(emu) })).json();
    assert.deepEqual(stats, {
      total: 7,
      operations: { get: 2, put: 2, delete: 1, attestation: 1, bulk: 0, query: 1, registration: 0 },
      responses: { "400": 0, "401": 0, "404": 1, "409": 1, "412": 0, "413": 0, "429": 0, "5xx": 1 },
      dropped: 0,
      bulkItemErrors: {},
      concurrentWrites: 0,
    });
    assert.deepEqual(emu.stats(), stats);
    const bad = await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify({ rate500: 2 }),
    });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /rate500 must be between 0 and 1/);
  });

  it("the rate limit can be set over HTTP too", async () => {
    const set = await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify({ opsPerMinute: 30 }),
    });
    assert.equal((set.json() as { opsPerMinute: number }).opsPerMinute, 30);
    await client.getIndividualEnrollment("f-1");
    const err = await expectDpsError(client.getIndividualEnrollment("f-1"), 429, 429001);
    assert.equal(err.response?.headers["retry-after"], "2");
  });

  it("start options: opsPerMinute and faults apply from the first request", async () => {
    const limited = await start({ opsPerMinute: 60, faults: { rate500: 0 } });
    try {
      const c = clientFor(limited);
      await expectDpsError(c.getIndividualEnrollment("x"), 404, 404201);
      await expectDpsError(c.getIndividualEnrollment("x"), 404, 404201);
      await expectDpsError(c.getIndividualEnrollment("x"), 429, 429001);
    } finally {
      await limited.stop();
    }
  });
});

describe("emulator: the concurrentWrite fault (another writer between a read and a write)", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  const setFaults = (body: object) =>
    raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: JSON.stringify(body),
    });
  /** The fault as `GET /_emulator/faults` shows it. */
  const armed = async () =>
    (
      (await raw(emu, "/_emulator/faults", { authorization: adminAuth(emu) })).json() as {
        concurrentWrite: { times: number } | null;
      }
    ).concurrentWrite;
  const symmetric = (id: string) => ({ registrationId: id, attestation: { type: "symmetricKey" } });

  before(async () => {
    emu = await start();
    client = clientFor(emu);
  });
  afterEach(() => emu.setFaults({ concurrentWrite: null }));
  after(() => emu.stop());

  it("is off by default and validated: RangeError from code, 400 naming the setting over HTTP", async () => {
    assert.equal(normalizeFaults().concurrentWrite, null);
    assert.equal(emu.stats().concurrentWrites, 0);
    const bad: [object, RegExp][] = [
      [{ set: { deviceId: "x" } }, /exactly one record/],
      [{ registrationId: "a", enrollmentGroupId: "b", set: { deviceId: "x" } }, /exactly one record/],
      [{ registrationId: "", set: { deviceId: "x" } }, /registrationId must be a string of 1 to 128/],
      [{ registrationId: "a", set: {} }, /set must be an object/],
      [{ registrationId: "a", set: { etag: "x" } }, /may not set 'etag'/],
      [{ registrationId: "a", set: { registrationId: "b" } }, /may not set 'registrationId'/],
      [{ registrationId: "a", set: { deviceId: "x" }, times: 0 }, /times must be an integer from 1 to 1000/],
      [{ registrationId: "a", set: { deviceId: "x" }, times: 1.5 }, /times must be an integer/],
      [{ registrationId: "a", set: { deviceId: "x".repeat(MAX_CONCURRENT_SET_CHARS) } }, /at most 16384/],
    ];
    for (const [concurrentWrite, message] of bad) {
      assert.throws(() => normalizeFaults({ concurrentWrite: concurrentWrite as never }), message);
      expectRawError(await setFaults({ concurrentWrite }), 400, 400002, message);
    }
    expectRawError(
      await setFaults({ concurrentWrite: "cw-1" }),
      400,
      400002,
      /'concurrentWrite' must be an object or null/,
    );
    assert.equal(await armed(), null);
  });

  it("a PUT with the etag it read answers 412 once; the other writer's field is kept; the next PUT lands", async () => {
    const read = await putEnrollment(client, symmetric("cw-single"));
    // Ids compare case-insensitively, as the store's.
    const set = await setFaults({
      concurrentWrite: { registrationId: "CW-Single", set: { deviceId: "theirs" } },
    });
    assert.deepEqual((set.json() as { concurrentWrite: object }).concurrentWrite, {
      registrationId: "CW-Single",
      set: { deviceId: "theirs" },
      times: 1,
    });
    emu.resetStats();
    const ours = { ...read, initialTwin: { tags: { ours: 1 } } };
    await expectDpsError(putEnrollment(client, ours), 412, 412002, /does not match the current etag/);
    const theirs = (await client.getIndividualEnrollment("cw-single")).responseBody;
    assert.equal(theirs.deviceId, "theirs");
    assert.notEqual(theirs.etag, read.etag);
    assert.equal(theirs.initialTwin, undefined);
    // The fault is used up: a write with the fresh etag lands, and keeps their field.
    const landed = await putEnrollment(client, { ...theirs, initialTwin: { tags: { ours: 1 } } });
    assert.equal(landed.deviceId, "theirs");
    assert.deepEqual(landed.initialTwin?.tags, { ours: 1 });
    assert.equal(emu.stats().concurrentWrites, 1);
    assert.equal(await armed(), null);
  });

  it("a bulk updateIfMatchETag meets it `times` times: the item named answers 412, the others land", async () => {
    const a = await putEnrollment(client, symmetric("cw-a"));
    const b = await putEnrollment(client, symmetric("cw-b"));
    emu.setFaults({ concurrentWrite: { registrationId: "cw-a", set: { deviceId: "theirs" }, times: 2 } });
    emu.resetStats();
    const attempt = async (v: number) => {
      const [ra, rb] = await Promise.all(
        ["cw-a", "cw-b"].map(async (id) => (await client.getIndividualEnrollment(id)).responseBody),
      );
      return runBulk(client, {
        mode: "updateIfMatchEtag",
        enrollments: [ra, rb].map((r) => ({ ...r, initialTwin: { tags: { v } } })) as never,
      });
    };
    for (const v of [1, 2]) {
      const result = await attempt(v);
      assert.equal(result.isSuccessful, false);
      assert.deepEqual(
        result.errors.map((e) => [e.registrationId, e.errorCode]),
        [["cw-a", 412002]],
      );
    }
    const third = await attempt(3);
    assert.equal(third.isSuccessful, true, JSON.stringify(third));
    const after = (await client.getIndividualEnrollment("cw-a")).responseBody;
    assert.equal(after.deviceId, "theirs");
    assert.deepEqual(after.initialTwin?.tags, { v: 3 });
    assert.notEqual(after.etag, a.etag);
    assert.deepEqual((await client.getIndividualEnrollment("cw-b")).responseBody.initialTwin?.tags, { v: 3 });
    assert.notEqual(b.etag, undefined);
    const stats = emu.stats();
    assert.equal(stats.concurrentWrites, 2);
    assert.deepEqual(stats.bulkItemErrors, { "412": 2 });
  });

  it("waits for a write naming an existing record: other records and a create of a new one leave it armed", async () => {
    await putEnrollment(client, symmetric("cw-other"));
    emu.setFaults({ concurrentWrite: { registrationId: "cw-later", set: { deviceId: "theirs" } } });
    emu.resetStats();
    await putEnrollment(client, { ...symmetric("cw-other"), etag: "*", deviceId: "ours" } as never);
    const created = await putEnrollment(client, symmetric("cw-later"));
    assert.equal(created.deviceId, undefined);
    assert.equal(emu.stats().concurrentWrites, 0);
    assert.equal((await armed())?.times, 1);
    // A DELETE with the etag it read meets it too.
    await expectDpsError(client.deleteIndividualEnrollment("cw-later", created.etag), 412, 412002);
    assert.equal((await client.getIndividualEnrollment("cw-later")).responseBody.deviceId, "theirs");
  });

  it("a `set` that would make the record invalid answers the write 400, naming the fault", async () => {
    const read = await putEnrollment(client, symmetric("cw-bad"));
    emu.setFaults({
      concurrentWrite: { registrationId: "cw-bad", set: { provisioningStatus: "sometimes" } },
    });
    await expectDpsError(
      putEnrollment(client, read),
      400,
      400004,
      /concurrentWrite fault would make 'cw-bad' invalid/,
    );
    assert.equal((await client.getIndividualEnrollment("cw-bad")).responseBody.etag, read.etag);
  });
});
