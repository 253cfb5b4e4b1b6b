import assert from "node:assert/strict";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { EmulatorHandle } from "../../emulator";
import { RateLimiter } from "../../emulator/ratelimit";
import { adminAuth, clientFor, expectDpsError, putEnrollment, raw, start, type ClientError } from "./helpers";

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
