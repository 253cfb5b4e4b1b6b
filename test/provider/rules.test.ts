/** The pure rules: the Set merge, the diff and the retry policy, without I/O. */
import { strict as assert } from "assert";
import { diffEnrollment } from "../../provider/core/diff";
import { backoffDelay, Pacer, parseRetryAfter, withRetries } from "../../provider/core/retry";
import { applySet, createView, fromWire, toWire } from "../../provider/core/semantics";
import type { EnrollmentInputs, EnrollmentOutputs, EnrollmentView } from "../../provider/core/types";
import { INDIVIDUAL_ENROLLMENT } from "../../provider/individual/kind";

const connection = {
  connectionString: "HostName=d.azure-devices-provisioning.net;SharedAccessKeyName=p;SharedAccessKey=a2V5",
};
const inputs = (extra: Partial<EnrollmentInputs> = {}): EnrollmentInputs => ({
  connection,
  registrationId: "e1",
  attestation: { type: "symmetricKey" },
  ...extra,
});
const current: EnrollmentView = {
  registrationId: "e1",
  attestation: { type: "symmetricKey", primaryKey: "P", secondaryKey: "S" },
  provisioningStatus: "Enabled",
  reprovisionPolicy: "reprovisionandmigratedata",
  edgeEnabled: false,
  tags: { a: "1", b: "2" },
  desired: { d: 1 },
  deviceId: "dev",
  allocationPolicy: "Custom",
  iotHubs: ["hub1.azure-devices.net"],
  webhookUrl: "https://f.example/api",
  apiVersion: "2021-10-01",
  etag: '"1"',
};

describe("Set merge (pure)", () => {
  it("replaces tags whole (no deep merge) and keeps desired, device id and keys", () => {
    const next = applySet(current, inputs({ tags: { c: "3" } }));
    assert.deepEqual(next.tags, { c: "3" });
    assert.deepEqual(next.desired, { d: 1 });
    assert.equal(next.deviceId, "dev");
    assert.equal(next.attestation.primaryKey, "P");
  });

  it("Custom keeps the webhook and api version not given, and the hubs", () => {
    const next = applySet(current, inputs({ apiVersion: "2022-01-01" }));
    assert.equal(next.webhookUrl, "https://f.example/api");
    assert.equal(next.apiVersion, "2022-01-01");
    assert.deepEqual(next.iotHubs, ["hub1.azure-devices.net"]);
  });

  it("no hubs go out absent, as the service takes them (recorded), never as an empty list", () => {
    for (const given of [{ allocationPolicy: "Static" }, { allocationPolicy: "Hashed", iotHubs: [] }]) {
      const view = createView(inputs(given as Partial<EnrollmentInputs>), () => "k", INDIVIDUAL_ENROLLMENT);
      const wire = toWire(view, undefined, INDIVIDUAL_ENROLLMENT);
      assert.equal("iotHubs" in wire, false, JSON.stringify(given));
      assert.ok(wire.allocationPolicy);
    }
  });

  it("Hashed clears the custom definition; the legacy hub clears policy, hubs and definition", () => {
    const hashed = applySet(
      current,
      inputs({ allocationPolicy: "Hashed", iotHubs: ["h1.azure-devices.net", "h2.azure-devices.net"] }),
    );
    assert.equal(hashed.webhookUrl, undefined);
    assert.equal(toWire(hashed, undefined, INDIVIDUAL_ENROLLMENT).customAllocationDefinition, undefined);
    const legacy = applySet(current, inputs({ iotHubHostName: "h1.azure-devices.net" }));
    assert.equal(legacy.allocationPolicy, undefined);
    assert.equal(legacy.iotHubs, undefined);
    assert.equal(legacy.webhookUrl, undefined);
    assert.equal(legacy.iotHubHostName, "h1.azure-devices.net");
  });

  it("maps reprovision names to the service's booleans and back", () => {
    for (const name of ["reprovisionandmigratedata", "reprovisionandresetdata", "never"] as const) {
      const wire = toWire(
        applySet(current, inputs({ reprovisionPolicy: name })),
        undefined,
        INDIVIDUAL_ENROLLMENT,
      );
      assert.equal(fromWire(wire, undefined, INDIVIDUAL_ENROLLMENT).reprovisionPolicy, name);
    }
  });

  it("create generates two different 64-byte keys only when none are given", () => {
    const view = createView(inputs(), undefined, INDIVIDUAL_ENROLLMENT);
    assert.notEqual(view.attestation.primaryKey, view.attestation.secondaryKey);
    assert.equal(Buffer.from(view.attestation.primaryKey!, "base64").length, 64);
    const given = createView(
      inputs({ attestation: { type: "symmetricKey", primaryKey: "A", secondaryKey: "B" } }),
      undefined,
      INDIVIDUAL_ENROLLMENT,
    );
    assert.equal(given.attestation.primaryKey, "A");
  });

  it("keeps known keys when the service (GET) returns none", () => {
    const view = fromWire(
      { registrationId: "e1", attestation: { type: "symmetricKey", symmetricKey: {} } },
      current.attestation,
      INDIVIDUAL_ENROLLMENT,
    );
    assert.equal(view.attestation.primaryKey, "P");
  });

  it("certificates: kept from the service's info (four fields), absent without a thumbprint or for CA references", () => {
    const info = {
      subjectName: "CN=d1",
      issuerName: "CN=d1",
      sha1Thumbprint: "AA",
      sha256Thumbprint: "BB",
      notBeforeUtc: "2026-01-01T00:00:00.000Z",
      notAfterUtc: "2027-01-01T00:00:00.000Z",
      serialNumber: "01",
      version: 3,
    };
    const x509 = (certs: object) =>
      fromWire(
        { registrationId: "d1", attestation: { type: "x509", x509: certs } },
        undefined,
        INDIVIDUAL_ENROLLMENT,
      );
    assert.deepEqual(
      x509({ clientCertificates: { primary: { info }, secondary: { info: {} } } }).certificates,
      {
        primary: {
          sha256Thumbprint: "BB",
          sha1Thumbprint: "AA",
          subjectName: "CN=d1",
          notAfterUtc: info.notAfterUtc,
        },
      },
    );
    assert.equal(x509({ clientCertificates: { primary: { certificate: "PEM" } } }).certificates, undefined);
    assert.equal(x509({ caReferences: { primary: "ca" } }).certificates, undefined);
  });
});

describe("diff (pure)", () => {
  const olds: EnrollmentOutputs = { ...current, connection };
  it("ignores properties the program does not manage", () => {
    const d = diffEnrollment(olds, inputs(), INDIVIDUAL_ENROLLMENT);
    assert.equal(d.changes, false);
  });
  it("compares hubs as a set and enums canonically", () => {
    const d = diffEnrollment(
      { ...olds, allocationPolicy: "Hashed", iotHubs: ["A.azure-devices.net", "b.azure-devices.net"] },
      inputs({ allocationPolicy: "Hashed", iotHubs: ["b.azure-devices.net", "a.azure-devices.net"] }),
      INDIVIDUAL_ENROLLMENT,
    );
    assert.equal(d.changes, false);
  });
  it("treats an absent twin part as empty", () => {
    assert.equal(
      diffEnrollment(
        { ...olds, optionalDeviceInformation: undefined },
        inputs({ optionalDeviceInformation: {} }),
        INDIVIDUAL_ENROLLMENT,
      ).changes,
      false,
    );
  });
  it("a key given in the program that differs from state is an in-place change", () => {
    const d = diffEnrollment(
      olds,
      inputs({ attestation: { type: "symmetricKey", primaryKey: "X", secondaryKey: "S" } }),
      INDIVIDUAL_ENROLLMENT,
    );
    assert.deepEqual(d.changed, ["attestation"]);
    assert.deepEqual(d.replaces, []);
  });
});

describe("retry policy (pure)", () => {
  it("parses Retry-After as seconds or an HTTP date", () => {
    assert.equal(parseRetryAfter("3"), 3000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 4_000), 6_000);
    assert.equal(parseRetryAfter(undefined), undefined);
  });
  it("the calls refused together when the quota runs out widen the spacing once, not once each", async () => {
    const pacer = new Pacer();
    const noSleep = () => Promise.resolve();
    // 32 calls on their way (the engine's --parallel), all answered 429.
    const tickets = await Promise.all(Array.from({ length: 32 }, () => pacer.acquire(noSleep, () => 0)));
    for (const ticket of tickets) pacer.throttled(ticket, () => 0);
    assert.equal(pacer.intervalMs, 20, "one widening from unpaced");
    // A call started after the widening and refused again is a new event: it widens again.
    const later = await pacer.acquire(noSleep, () => 0);
    pacer.throttled(later, () => 0);
    assert.equal(pacer.intervalMs, 25);
  });
  it("waits Retry-After when given, else full jitter under an exponential cap", () => {
    assert.equal(backoffDelay(1, { status: 429, retryAfterMs: 2000 }, { random: () => 0 }), 2000);
    assert.equal(backoffDelay(4, { status: 503 }, { random: () => 0.999, baseDelayMs: 100 }), 799);
    assert.equal(backoffDelay(20, { status: 503 }, { random: () => 0.999, maxDelayMs: 1000 }), 999);
  });
  it("retries 429 and 5xx, not 4xx, and gives up after maxAttempts", async () => {
    const fail = (status: number, headers: Record<string, string> = {}) =>
      Object.assign(new Error(String(status)), { response: { statusCode: status, headers } });
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls === 1) throw fail(429, { "retry-after": "1" });
        if (calls === 2) throw fail(503);
        return "ok";
      },
      { sleep: async (ms) => void waits.push(ms), random: () => 0 },
    );
    assert.equal(result, "ok");
    assert.equal(waits[0], 1000, "honours Retry-After");
    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw fail(400);
        },
        { sleep: async () => undefined },
      ),
      /400/,
    );
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(
      withRetries(
        async () => {
          calls++;
          throw fail(500);
        },
        { maxAttempts: 3, sleep: async () => undefined },
      ),
      /500/,
    );
    assert.equal(calls, 3);
  });
});
