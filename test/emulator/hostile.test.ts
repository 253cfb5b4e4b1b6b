// The emulator under hostile input, as an attacker on the same host would probe it over HTTPS on
// loopback: nesting bombs, oversized twins, the control API without credentials, loose SAS tokens,
// silent and slow connections.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import { createSasToken, isLoopback, type EmulatorHandle } from "../../emulator";
import { checkJsonDepth, twinSize } from "../../emulator/limits";
import {
  adminAuth,
  clientFor,
  connectionStringFor,
  expectDpsError,
  expectRawError,
  KEY_A,
  KEY_B,
  putEnrollment,
  raw,
  start,
} from "./helpers";

const V = "api-version=2021-10-01";
const sym = { type: "symmetricKey" };
const OWNER_KEY = Buffer.alloc(32, 9).toString("base64");
const READ_KEY = Buffer.alloc(32, 7).toString("base64");
const hour = (): number => Math.floor(Date.now() / 1000) + 3600;

/**
 * `{"k": {"k": ... 1}}` with `levels` objects. As a twin collection it nests `levels - 1` deep: IoT
 * Hub's deepest valid example puts objects "one" to "ten" inside `desired`, 11 objects in all.
 */
function nested(levels: number): object {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { k: value };
  return value as object;
}

describe("emulator: limit rules (pure)", () => {
  it("checkJsonDepth counts only structural brackets, not ones inside strings or after escapes", () => {
    const inString = JSON.stringify({ a: "[".repeat(100) + '\\"{{{' + "{".repeat(100) });
    checkJsonDepth(inString, 2);
    checkJsonDepth("[[[]]]", 3);
    assert.throws(() => checkJsonDepth("[[[[]]]]", 3), /deeper than 3 levels/);
    assert.throws(() => checkJsonDepth('{"a\\"":[[{"b":[]}]]}', 4), /deeper than 4 levels/);
  });

  it("twinSize counts UTF-8 key and string lengths, 8 per number, 4 per boolean and null", () => {
    assert.equal(
      twinSize({ ab: "é", n: 1, t: true, z: null, o: { k: [1, "xy"] } }),
      2 + 2 + 1 + 8 + 1 + 4 + 1 + 4 + 1 + 1 + 8 + 2,
    );
  });
});

describe("emulator: input limits (nothing poisons the store)", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  before(async () => {
    emu = await start();
    client = clientFor(emu);
  });
  after(() => emu.stop());

  it("400 for a body nested 5,000 levels deep; nothing is stored and reads keep working for everyone", async () => {
    const depth = 5000;
    const body =
      '{"registrationId":"deep-1","attestation":{"type":"symmetricKey"},"initialTwin":{"tags":' +
      '{"a":'.repeat(depth) +
      "1" +
      "}".repeat(depth) +
      "}}";
    const res = await raw(emu, `/enrollments/deep-1?${V}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body,
    });
    expectRawError(res, 400, 400002, /nests objects or arrays deeper than 32 levels/);
    await expectDpsError(client.getIndividualEnrollment("deep-1"), 404, 404201);
    await putEnrollment(client, { registrationId: "shallow-1", attestation: sym });
    const page = await client.createIndividualEnrollmentQuery({ query: "*" }).next();
    assert.deepEqual(
      (page.responseBody as unknown as Array<{ registrationId: string }>).map((e) => e.registrationId),
      ["shallow-1"],
    );
    // The same limit guards every JSON route: bulk, query and the control API.
    const bulk = await raw(emu, `/enrollments?${V}`, { method: "POST", body: "[".repeat(100) });
    expectRawError(bulk, 400, 400002, /deeper than 32/);
    const admin = await raw(emu, "/_emulator/faults", {
      method: "POST",
      authorization: adminAuth(emu),
      body: '{"a":'.repeat(40) + "1" + "}".repeat(40),
    });
    expectRawError(admin, 400, 400002, /deeper than 32/);
  });

  it("initialTwin tags and desired properties: depth 10 is accepted, 11 is a 400 naming the property", async () => {
    const ok = await putEnrollment(client, {
      registrationId: "twin-10",
      attestation: sym,
      initialTwin: { tags: nested(11), properties: { desired: nested(11) } },
    });
    assert.deepEqual(ok.initialTwin.tags, nested(11));
    await expectDpsError(
      putEnrollment(client, {
        registrationId: "twin-11",
        attestation: sym,
        initialTwin: { tags: nested(12) },
      }),
      400,
      400004,
      /'initialTwin.tags' nests 11 levels; the maximum depth of a twin collection is 10/,
    );
    await expectDpsError(
      putEnrollment(client, {
        registrationId: "twin-11",
        attestation: sym,
        initialTwin: { properties: { desired: { a: [nested(10)] } } },
      }),
      400,
      400004,
      /'initialTwin.properties.desired' nests 11 levels/,
    );
    await expectDpsError(client.getIndividualEnrollment("twin-11"), 404, 404201);
  });

  it("a twin collection over 32 KB (keys and values counted as IoT Hub does) is a 400", async () => {
    // 32,768 bytes exactly: key "k" (1) + a 32,767-byte string.
    await putEnrollment(client, {
      registrationId: "size-ok",
      attestation: sym,
      initialTwin: { tags: { k: "x".repeat(32_767) } },
    });
    await expectDpsError(
      putEnrollment(client, {
        registrationId: "size-big",
        attestation: sym,
        initialTwin: { properties: { desired: { k: "x".repeat(32_768) } } },
      }),
      400,
      400004,
      /'initialTwin.properties.desired' is 32769 bytes; the maximum size of a twin collection is 32768 bytes/,
    );
    await expectDpsError(
      putEnrollment(client, {
        registrationId: "size-big",
        attestation: sym,
        optionalDeviceInformation: nested(12),
      }),
      400,
      400004,
      /'optionalDeviceInformation' nests 11 levels/,
    );
  });
});

describe("emulator: the control API requires credentials and bounds its values", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  before(async () => {
    emu = await start({
      testIssuer: true,
      policies: [
        { keyName: "owner", primaryKey: OWNER_KEY, rights: ["ServiceConfig", "EnrollmentWrite"] },
        { keyName: "reader", primaryKey: READ_KEY, rights: ["EnrollmentRead", "EnrollmentWrite"] },
      ],
    });
    client = clientFor(emu);
    await putEnrollment(client, { registrationId: "victim-1", attestation: sym });
  });
  after(() => emu.stop());

  it("401 without credentials on every admin route, known or not; nothing changes", async () => {
    const calls: Array<[string, string, string?]> = [
      ["GET", "/_emulator/stats"],
      ["POST", "/_emulator/stats/reset"],
      ["GET", "/_emulator/faults"],
      ["POST", "/_emulator/faults", JSON.stringify({ rate500: 1 })],
      ["PUT", "/_emulator/registrations/victim-1", JSON.stringify({ status: "assigned" })],
      ["GET", "/_emulator/nope"],
    ];
    for (const [method, path, body] of calls) {
      const res = await raw(emu, path, { method, body, authorization: null });
      expectRawError(res, 401, 401002, /adminToken/);
    }
    const got = (await client.getIndividualEnrollment("victim-1")).responseBody;
    assert.deepEqual(
      got.registrationState,
      { registrationId: "victim-1", status: "unassigned" },
      "no forged registration state",
    );
    await client.getIndividualEnrollment("victim-1"); // no injected 500
  });

  it("401 for a wrong admin token, a test-issuer Bearer token, a policy without ServiceConfig and a scoped SAS", async () => {
    const path = "/_emulator/faults";
    expectRawError(
      await raw(emu, path, { authorization: "Bearer nope" }),
      401,
      401002,
      /admin token is wrong/,
    );
    const jwt = await emu.testIssuer!.mintToken();
    expectRawError(await raw(emu, path, { authorization: `Bearer ${jwt}` }), 401, 401002);
    const reader = createSasToken(emu.hostName, "reader", READ_KEY, hour());
    expectRawError(await raw(emu, path, { authorization: reader }), 401, 401003, /ServiceConfig/);
    const scoped = createSasToken(`${emu.hostName}/enrollments/victim-1`, "owner", OWNER_KEY, hour());
    expectRawError(await raw(emu, path, { authorization: scoped }), 401, 401002, /does not cover/);
  });

  it("the admin token and the owner SAS both work", async () => {
    assert.equal((await raw(emu, "/_emulator/faults", { authorization: adminAuth(emu) })).status, 200);
    const owner = createSasToken(emu.hostName, "owner", OWNER_KEY, hour());
    assert.equal((await raw(emu, "/_emulator/stats", { authorization: owner })).status, 200);
  });

  it("400 for latency, rates and rate limits out of bounds; Retry-After is at most 60 s", async () => {
    const post = (body: object) =>
      raw(emu, "/_emulator/faults", {
        method: "POST",
        authorization: adminAuth(emu),
        body: JSON.stringify(body),
      });
    expectRawError(await post({ latencyMs: 2 ** 31 }), 400, 400002, /latencyMs must be between 0 and 30000/);
    expectRawError(await post({ dropRate: 1.5 }), 400, 400002, /dropRate must be between 0 and 1/);
    expectRawError(await post({ next: "drop" }), 400, 400002, /'next' must be a list/);
    expectRawError(await post({ next: Array(1001).fill("drop") }), 400, 400002, /at most 1000 faults/);
    expectRawError(
      await post({ opsPerMinute: 1e-9 }),
      400,
      400002,
      /opsPerMinute must be 0 \(no limit\) or between 1 and 1000000/,
    );
    expectRawError(await post({ opsPerMinute: 2e6 }), 400, 400002, /opsPerMinute must be 0/);
    expectRawError(
      await post({ updateRefusesExisting: "yes" }),
      400,
      400002,
      /'updateRefusesExisting' must be true or false/,
    );
    assert.deepEqual((await post({})).json(), {
      rate500: 0,
      rate503: 0,
      dropRate: 0,
      latencyMs: 0,
      next: [],
      concurrentWrite: null,
      updateRefusesExisting: true,
      updateIfMatchETagRefusesExisting: false,
      opsPerMinute: null,
    });
    assert.equal((await post({ opsPerMinute: 1 })).status, 200);
    try {
      await client.getIndividualEnrollment("victim-1");
      const err = await expectDpsError(client.getIndividualEnrollment("victim-1"), 429, 429001);
      const wait = Number(err.response?.headers["retry-after"]);
      assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    } finally {
      await post({ opsPerMinute: 0 });
    }
  });

  it("warns when listening on an address other hosts can reach", async () => {
    assert.ok(
      isLoopback("127.0.0.1") && isLoopback("localhost") && isLoopback("::1") && isLoopback("127.8.0.1"),
    );
    assert.ok(!isLoopback("0.0.0.0") && !isLoopback("::") && !isLoopback("192.168.1.10"));
    const lines: string[] = [];
    // 192.0.2.1 (TEST-NET-1) is on no interface: the warning comes before listen, which then fails.
    await assert.rejects(start({ host: "192.0.2.1", log: (m) => lines.push(m) }), /EADDRNOTAVAIL/);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /warning: listening on 192\.0\.2\.1, reachable from other hosts/);
  });
});

describe("emulator: SAS tokens are checked like the service checks them", () => {
  let emu: EmulatorHandle;
  let client: ProvisioningServiceClient;
  before(async () => {
    emu = await start({
      policies: [{ keyName: "owner", primaryKey: OWNER_KEY, rights: ["EnrollmentWrite", "ServiceConfig"] }],
    });
    client = clientFor(emu);
    for (const id of ["scope-1", "other-1"]) {
      await putEnrollment(client, {
        registrationId: id,
        attestation: { type: "symmetricKey", symmetricKey: { primaryKey: KEY_A, secondaryKey: KEY_B } },
      });
    }
  });
  after(() => emu.stop());

  it("sr scopes the token to that resource and below, for URL-encoded and raw-slash sr alike", async () => {
    const se = hour();
    const encoded = createSasToken(`${emu.hostName}/enrollments/other-1`, "owner", OWNER_KEY, se);
    // The Node device client's form: sr sent with raw slashes and signed as sent.
    const rawSr = `${emu.hostName}/enrollments/other-1`;
    const sig = createHmac("sha256", Buffer.from(OWNER_KEY, "base64"))
      .update(`${rawSr}\n${se}`)
      .digest("base64");
    const rawSlash = `SharedAccessSignature sr=${rawSr}&sig=${encodeURIComponent(sig)}&se=${se}&skn=owner`;
    for (const token of [encoded, rawSlash]) {
      const opts = { authorization: token };
      assert.equal((await raw(emu, `/enrollments/other-1?${V}`, opts)).status, 200);
      assert.equal(
        (await raw(emu, `/enrollments/OTHER-1?${V}`, opts)).status,
        200,
        "ids are case-insensitive",
      );
      const keys = await raw(emu, `/enrollments/other-1/attestationmechanism?${V}`, {
        ...opts,
        method: "POST",
      });
      assert.equal(keys.status, 200);
      for (const [method, path] of [
        ["GET", `/enrollments/scope-1?${V}`],
        ["POST", `/enrollments/scope-1/attestationmechanism?${V}`],
        ["DELETE", `/enrollments/scope-1?${V}`],
        ["GET", `/enrollments/other-10?${V}`],
        ["POST", `/enrollments/query?${V}`],
        ["POST", `/enrollments?${V}`],
      ]) {
        const res = await raw(emu, path, {
          ...opts,
          method,
          body: method === "POST" ? '{"query":"*"}' : undefined,
        });
        expectRawError(res, 401, 401002, /is scoped to .* which does not cover/);
      }
    }
    await client.getIndividualEnrollment("scope-1"); // still there
  });

  it("401 for a signature with trailing bytes, a repeated field, and se too far ahead", async () => {
    const se = hour();
    const good = createSasToken(emu.hostName, "owner", OWNER_KEY, se);
    const path = `/enrollments/scope-1?${V}`;
    assert.equal((await raw(emu, path, { authorization: good })).status, 200);
    const sig = /sig=([^&]+)/.exec(good)![1];
    for (const garbage of ["AAAA", "%3D", "x"]) {
      const token = good.replace(`sig=${sig}`, `sig=${sig}${garbage}`);
      expectRawError(await raw(emu, path, { authorization: token }), 401, 401002, /signature is invalid/);
    }
    const twice = `${good}&sig=${encodeURIComponent("bm90IGEgc2lnbmF0dXJl")}`;
    expectRawError(
      await raw(emu, path, { authorization: twice }),
      401,
      401002,
      /'sig' appears more than once/,
    );
    const skewed = `${good.replace(`sig=${sig}`, "sig=AAAA")}&sig=${sig}`;
    expectRawError(await raw(emu, path, { authorization: skewed }), 401, 401002, /more than once/);
    const farSe = Math.floor(Date.now() / 1000) + 400 * 24 * 3600;
    const far = createSasToken(emu.hostName, "owner", OWNER_KEY, farSe);
    expectRawError(await raw(emu, path, { authorization: far }), 401, 401002, /too far in the future/);
    const huge = createSasToken(emu.hostName, "owner", OWNER_KEY, 1e15);
    expectRawError(await raw(emu, path, { authorization: huge }), 401, 401002, /se must be an integer/);
  });

  it("the official client's tokens keep working", async () => {
    const c = clientFor(emu, connectionStringFor(emu, "owner"));
    assert.equal((await c.getIndividualEnrollment("scope-1")).responseBody.registrationId, "scope-1");
  });
});

describe("emulator: idle, silent and slow connections are closed", () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await start({ timeouts: { idleMs: 400, handshakeMs: 400, headersMs: 600, requestMs: 1200 } });
  });
  after(() => emu.stop());

  /** Milliseconds until the server closes `socket`; fails after `limitMs`. */
  function closedWithin(socket: Socket, limitMs: number): Promise<number> {
    const t = Date.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`still open after ${limitMs} ms`));
      }, limitMs);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        clearTimeout(timer);
        resolve(Date.now() - t);
      });
    });
  }

  /** A TLS connection to the emulator, handshake completed. */
  async function tlsOpen(): Promise<Socket> {
    const socket = tlsConnect({
      host: "127.0.0.1",
      port: emu.port,
      ca: emu.caCertificatePem,
      servername: "localhost",
    });
    await new Promise<void>((ok, fail) => socket.once("secureConnect", ok).once("error", fail));
    return socket;
  }

  it("a client that completes the TLS handshake and then stays silent is disconnected", async () => {
    const socket = await tlsOpen();
    const ms = await closedWithin(socket, 5000);
    assert.ok(ms >= 300, `closed after ${ms} ms, before the idle timeout`);
  });

  it("a TCP client that never starts the TLS handshake is disconnected", async () => {
    const socket = tcpConnect({ host: "127.0.0.1", port: emu.port });
    await new Promise<void>((ok) => socket.once("connect", ok));
    await closedWithin(socket, 5000);
  });

  it("a client dribbling its headers (one byte at a time, never idle) is disconnected", async () => {
    const socket = await tlsOpen();
    socket.write(`GET /enrollments/x?${V} HTTP/1.1\r\nHost: x\r\n`);
    const drip = setInterval(() => socket.writable && socket.write("X-A: b\r\n"), 100);
    let answer = "";
    socket.on("data", (d: Buffer) => (answer += d.toString()));
    try {
      await closedWithin(socket, 5000);
    } finally {
      clearInterval(drip);
    }
    assert.match(answer, /^HTTP\/1\.1 408/, "the server answers 408 Request Timeout");
  });
});
