// The real DPS's recorded answers (test/recordings/, from Azure/azure-sdk-for-python's live tests,
// api-version 2021-10-01) replayed against the emulator, request for request: over raw HTTPS, and
// through the official Node client for the operations it offers. Each answer must match the recorded
// one in status, the headers clients read, body field names, value types and enum spellings.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type {
  BulkEnrollmentOperation,
  EnrollmentGroup,
  IndividualEnrollment,
} from "azure-iot-provisioning-service/dist/interfaces";
import type { EmulatorHandle } from "../../emulator";
import { registerDevice } from "../support/devices";
import { REPO_ROOT } from "../support/engine";
import {
  headerDifferences,
  isExchange,
  loadRecordings,
  shapeDifferences,
  type RecordedExchange,
  type RecordedTest,
} from "../support/recordings";
import { certificate } from "../support/x509";
import { KEY_A, KEY_B, clientFor, raw, runBulk, start, type ClientError } from "./helpers";

const RECORDINGS = loadRecordings();

/** What the replay learnt from live answers, to put in later requests where the recording has its own. */
class Replay {
  /** Recorded etags and continuation tokens → the emulator's. */
  readonly live = new Map<string, string>();
  /** Symmetric keys of groups, from the live PUT answers. */
  readonly groupKeys = new Map<string, string>();
  /** The certificate sent where the recorder left its placeholder: self-signed, no extensions, as the tests make. */
  readonly certificatePem = certificate({
    commonName: "enroll_cert_replay",
    basicConstraints: null,
    keyUsage: null,
  }).certificatePem;

  /** The recorded body with the recorder's placeholders replaced by values the service would take. */
  body(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.body(v));
    if (typeof value !== "object" || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key === "primaryKey" && v === "primaryKey") out[key] = KEY_A;
      else if (key === "secondaryKey" && v === "secondaryKey") out[key] = KEY_B;
      else if (key === "certificate" && v === "certificate") out[key] = this.certificatePem;
      else out[key] = this.body(v);
    }
    return out;
  }

  /** A recorded header value, or the live one it stands for. */
  header(value: string): string {
    return this.live.get(value) ?? value;
  }

  /** Remembers the live etags, continuation token and group keys of an answer. */
  learn(exchange: RecordedExchange, liveBody: unknown, liveHeaders: Record<string, unknown>): void {
    const pairs = (e: unknown, a: unknown): void => {
      if (Array.isArray(e) && Array.isArray(a)) {
        for (const item of e) {
          const id = idOf(item);
          pairs(
            item,
            a.find((x) => idOf(x) === id),
          );
        }
        return;
      }
      const recorded = (e as { etag?: unknown } | null)?.etag;
      const now = (a as { etag?: unknown } | null)?.etag;
      if (typeof recorded === "string" && typeof now === "string") this.live.set(recorded, now);
    };
    pairs(exchange.responseBody, liveBody);
    const token = exchange.responseHeaders["x-ms-continuation"];
    const liveToken = liveHeaders["x-ms-continuation"];
    if (token && typeof liveToken === "string") this.live.set(token, liveToken);
    const group = /^\/enrollmentGroups\/([^/]+)$/i.exec(exchange.path)?.[1];
    const key = (liveBody as { attestation?: { symmetricKey?: { primaryKey?: string } } } | null)?.attestation
      ?.symmetricKey?.primaryKey;
    if (exchange.method === "PUT" && group && key) this.groupKeys.set(group, key);
  }

  /**
   * Registers the device a recording shows registered: a member of the last symmetric-key group
   * written, its key derived from the group key of the PUT answer. Resolves to what went wrong, if
   * anything, for the next exchange to report.
   */
  async registerDevice(emu: EmulatorHandle, registrationId: string): Promise<string[]> {
    const groupKey = [...this.groupKeys.values()].pop();
    if (!groupKey) return [`no group key in a PUT answer to derive ${registrationId}'s device key from`];
    const key = createHmac("sha256", Buffer.from(groupKey, "base64")).update(registrationId).digest("base64");
    try {
      const result = await registerDevice(emu, registrationId, { symmetricKey: key });
      return result.status === "assigned" ? [] : [`the device registered as ${result.status}`];
    } catch (err) {
      return [`the device could not register: ${err instanceof Error ? err.message : String(err)}`];
    }
  }
}

function idOf(value: unknown): unknown {
  const v = value as { registrationId?: unknown; enrollmentGroupId?: unknown } | null;
  return v?.registrationId ?? v?.enrollmentGroupId;
}

/** What one replayed exchange came to. */
interface Outcome {
  test: string;
  exchange: string;
  differences: string[];
}

function describeExchange(e: RecordedExchange): string {
  return `${e.method} ${e.path}${e.requestBody && typeof e.requestBody === "object" && "mode" in e.requestBody ? ` (${String((e.requestBody as { mode: unknown }).mode)})` : ""}`;
}

function report(kind: string, outcomes: Outcome[]): void {
  const matching = outcomes.filter((o) => o.differences.length === 0).length;
  process.stdout.write(`      recorded exchanges (${kind}): ${matching}/${outcomes.length} match\n`);
  const failed = outcomes.filter((o) => o.differences.length > 0);
  assert.equal(
    failed.length,
    0,
    failed.map((o) => `${o.test}: ${o.exchange}\n    ${o.differences.join("\n    ")}`).join("\n"),
  );
}

/** Replays `recorded` over raw HTTPS against a fresh emulator. */
async function replayRaw(recorded: RecordedTest): Promise<Outcome[]> {
  const emu = await start();
  const replay = new Replay();
  const outcomes: Outcome[] = [];
  let note: string[] = [];
  try {
    for (const step of recorded.steps) {
      if (!isExchange(step)) {
        note = await replay.registerDevice(emu, step.deviceRegisters);
        continue;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(step.requestHeaders)) headers[name] = replay.header(value);
      let body: string | undefined;
      if (step.requestBody !== null && step.requestBody !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(replay.body(step.requestBody));
      }
      const query = new URLSearchParams(step.query).toString();
      const res = await raw(emu, `${step.path}?${query}`, { method: step.method, headers, body });
      const liveBody: unknown = res.text === "" ? null : res.json();
      const differences = [
        ...note,
        ...(res.status === step.status
          ? []
          : [`status ${res.status} where the service answers ${step.status}`]),
        ...headerDifferences(step.responseHeaders, res.headers as Record<string, string | undefined>),
        ...shapeDifferences(step.responseBody, liveBody),
      ];
      outcomes.push({ test: recorded.test, exchange: describeExchange(step), differences });
      note = [];
      replay.learn(step, liveBody, res.headers);
    }
  } finally {
    await emu.stop();
  }
  return outcomes;
}

/** The official client's answer to an exchange: status, headers and body; undefined when it has no such call. */
async function viaClient(
  client: ProvisioningServiceClient,
  replay: Replay,
  e: RecordedExchange,
): Promise<{ status: number; headers: Record<string, unknown>; body: unknown } | undefined> {
  const segments = e.path.split("/").filter(Boolean);
  const [kind, id, sub] = segments;
  const group = kind.toLowerCase() === "enrollmentgroups";
  const body = replay.body(e.requestBody) as Record<string, unknown> | null;
  const ifMatch = e.requestHeaders["if-match"];
  const ok = (r: { responseBody: unknown; httpResponse: { statusCode?: number; headers: object } }) => ({
    status: r.httpResponse.statusCode ?? 0,
    headers: r.httpResponse.headers as Record<string, unknown>,
    body: r.responseBody,
  });
  const done = { status: 204, headers: {}, body: null };
  if (kind === "registrations") {
    if (sub === "query") {
      const page = await client.createEnrollmentGroupDeviceRegistrationStateQuery({ query: "*" }, id).next();
      return ok(page as unknown as Parameters<typeof ok>[0]);
    }
    if (e.method === "GET") return ok(await client.getDeviceRegistrationState(id));
    await client.deleteDeviceRegistrationState(id);
    return done;
  }
  if (id === undefined) {
    if (group) return undefined; // the Node client has no bulk call for groups
    const result = await runBulk(client, body as unknown as BulkEnrollmentOperation);
    return { status: 200, headers: {}, body: result };
  }
  if (id === "query") {
    const spec = { query: String(body?.query) };
    const size = e.requestHeaders["x-ms-max-item-count"];
    const query = group
      ? client.createEnrollmentGroupQuery(spec, size ? Number(size) : undefined)
      : client.createIndividualEnrollmentQuery(spec, size ? Number(size) : undefined);
    const token = e.requestHeaders["x-ms-continuation"];
    const page = token ? await query.next(replay.header(token)) : await query.next();
    return ok(page as unknown as Parameters<typeof ok>[0]);
  }
  if (sub === "attestationmechanism") {
    return ok(
      group
        ? await client.getEnrollmentGroupAttestationMechanism(id)
        : await client.getIndividualEnrollmentAttestationMechanism(id),
    );
  }
  if (e.method === "GET")
    return ok(group ? await client.getEnrollmentGroup(id) : await client.getIndividualEnrollment(id));
  if (e.method === "DELETE") {
    if (group) await client.deleteEnrollmentGroup(id);
    else await client.deleteIndividualEnrollment(id);
    return done;
  }
  const record = { ...body, ...(ifMatch ? { etag: replay.header(ifMatch) } : {}) };
  return ok(
    group
      ? await client.createOrUpdateEnrollmentGroup(record as unknown as EnrollmentGroup)
      : await client.createOrUpdateIndividualEnrollment(record as unknown as IndividualEnrollment),
  );
}

/** Replays `recorded` through the official client against a fresh emulator; skips what it cannot send. */
async function replayClient(recorded: RecordedTest): Promise<{ outcomes: Outcome[]; skipped: number }> {
  const emu = await start();
  const client = clientFor(emu);
  const replay = new Replay();
  const outcomes: Outcome[] = [];
  let skipped = 0;
  let note: string[] = [];
  try {
    for (const step of recorded.steps) {
      if (!isExchange(step)) {
        note = await replay.registerDevice(emu, step.deviceRegisters);
        continue;
      }
      let answer: Awaited<ReturnType<typeof viaClient>>;
      try {
        answer = await viaClient(client, replay, step);
      } catch (err) {
        const e = err as ClientError;
        answer = { status: e.response?.statusCode ?? 0, headers: e.response?.headers ?? {}, body: undefined };
      }
      if (!answer) {
        skipped += 1;
        continue;
      }
      const differences = [
        ...note,
        ...(answer.status === step.status
          ? []
          : [`status ${answer.status} where the service answers ${step.status}`]),
        ...(step.status >= 400 ? [] : shapeDifferences(step.responseBody, answer.body)),
      ];
      if (step.responseHeaders["x-ms-item-type"] && Object.keys(answer.headers).length > 0) {
        differences.push(
          ...headerDifferences(step.responseHeaders, answer.headers as Record<string, string>),
        );
      }
      outcomes.push({ test: recorded.test, exchange: describeExchange(step), differences });
      note = [];
      replay.learn(step, answer.body, answer.headers);
    }
  } finally {
    await emu.stop();
  }
  return { outcomes, skipped };
}

describe("emulator: the real DPS's recorded exchanges", function () {
  this.timeout(120_000);

  it("the fixtures carry their source, commit and licence, and only DPS exchanges", () => {
    assert.ok(RECORDINGS.length >= 7, `${RECORDINGS.length} recorded tests`);
    for (const r of RECORDINGS) {
      assert.equal(r.source.repository, "Azure/azure-sdk-for-python");
      assert.match(r.source.commit, /^[0-9a-f]{40}$/);
      assert.equal(r.source.license, "MIT");
      for (const step of r.steps) if (isExchange(step)) assert.doesNotMatch(step.path, /oauth2|openid/);
    }
  });

  it("the comparison sees missing and extra fields, other types, enum spellings and list lengths", () => {
    const recorded = { etag: "x", provisioningStatus: null, attestation: { type: "symmetricKey" } };
    assert.deepEqual(shapeDifferences(recorded, { ...recorded, etag: "y" }), []);
    assert.deepEqual(
      shapeDifferences(recorded, {
        etag: 1,
        provisioningStatus: "enabled",
        attestation: { type: "symmetrickey", symmetricKey: {} },
      }),
      [
        "body.etag: number where the service answers string",
        "body.provisioningStatus: string where the service answers null",
        'body.attestation.type: "symmetrickey" where the service answers "symmetricKey"',
        "body.attestation.symmetricKey: not in the service's answer",
      ],
    );
    assert.deepEqual(shapeDifferences([{ registrationId: "a" }], []), [
      "body: 0 items where the service answers 1",
    ]);
    assert.deepEqual(headerDifferences({ "content-type": "application/json; charset=utf-8" }, {}), [
      "content-type: undefined where the service answers application/json; charset=utf-8",
    ]);
  });

  it("scripts/recordings/refresh.mjs derives a fixture from a recording file", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "recordings-"));
    try {
      const dps = "https://x.azure-devices-provisioning.net";
      const recording = {
        Entries: [
          { RequestUri: "https://login.microsoftonline.com/t/oauth2/v2.0/token", RequestMethod: "POST" },
          {
            RequestUri: `${dps}/enrollmentGroups/g1?api-version=2021-10-01`,
            RequestMethod: "PUT",
            RequestHeaders: { "If-Match": "IjEi", "User-Agent": "python", "x-ms-max-item-count": "5" },
            RequestBody: {
              attestation: { x509: { signingCertificates: { primary: { certificate: "certificate" } } } },
            },
            StatusCode: 200,
            ResponseHeaders: { "Content-Type": "application/json", Date: "today", "x-ms-continuation": "c" },
            ResponseBody: { attestation: { x509: { signingCertificates: { primary: {}, secondary: {} } } } },
          },
          {
            RequestUri: `${dps}/registrations/g1/query?api-version=2021-10-01`,
            RequestMethod: "POST",
            StatusCode: 200,
            ResponseHeaders: {},
            ResponseBody: '[{"registrationId":"dev-1"}]',
          },
        ],
      };
      writeFileSync(path.join(dir, "t.json"), JSON.stringify(recording));
      const script = path.join(REPO_ROOT, "scripts", "recordings", "refresh.mjs");
      execFileSync(process.execPath, [script, dir, "--commit", "a".repeat(40), "--out", dir]);
      const fixture = JSON.parse(readFileSync(path.join(dir, "t.json"), "utf8")) as RecordedTest;
      assert.equal(fixture.source.commit, "a".repeat(40));
      assert.equal(fixture.steps.length, 3, "the token request is left out; the device step is added");
      const [put, device, query] = fixture.steps;
      assert.ok(isExchange(put) && isExchange(query));
      assert.deepEqual(put.requestHeaders, { "if-match": "IjEi", "x-ms-max-item-count": "5" });
      assert.deepEqual(put.responseHeaders, { "content-type": "application/json", "x-ms-continuation": "c" });
      assert.deepEqual(
        (put.requestBody as { attestation: { x509: { signingCertificates: object } } }).attestation.x509
          .signingCertificates,
        { primary: { certificate: "certificate" }, secondary: { certificate: "certificate" } },
      );
      assert.deepEqual(device, { deviceRegisters: "dev-1" });
      assert.deepEqual(query.responseBody, [{ registrationId: "dev-1" }]);
      assert.equal(query.requestBody, null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("replayed over raw HTTPS: every answer matches the recorded one", async () => {
    const outcomes: Outcome[] = [];
    for (const recorded of RECORDINGS) outcomes.push(...(await replayRaw(recorded)));
    report("raw HTTPS", outcomes);
  });

  it("replayed through the official client (azure-iot-provisioning-service): every answer matches", async () => {
    const outcomes: Outcome[] = [];
    let skipped = 0;
    for (const recorded of RECORDINGS) {
      const result = await replayClient(recorded);
      outcomes.push(...result.outcomes);
      skipped += result.skipped;
    }
    process.stdout.write(
      `      (${skipped} exchanges the client has no call for: bulk operations on groups)\n`,
    );
    report("official client", outcomes);
  });
});
