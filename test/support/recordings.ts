// The recorded exchanges of the real DPS (test/recordings/, made by scripts/recordings/refresh.mjs)
// and the rules to compare an answer with them: status, the headers clients read, body field names,
// value types and enum spellings; never timestamps, etags, keys or certificate facts.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { REPO_ROOT } from "./engine";

/** Where the fixtures are. */
export const RECORDINGS_DIR = path.join(REPO_ROOT, "test", "recordings");

/** One recorded DPS request and its answer. */
export interface RecordedExchange {
  method: string;
  path: string;
  query: Record<string, string>;
  /** If-Match and x-ms-* headers, lowercased. */
  requestHeaders: Record<string, string>;
  /** As recorded: secrets are the recorder's placeholders (`primaryKey`, `certificate`). */
  requestBody: unknown;
  status: number;
  /** The headers clients read, lowercased. */
  responseHeaders: Record<string, string>;
  responseBody: unknown;
}

/** A device registered here; its traffic went to the device endpoint, which was not recorded. */
export interface DeviceStep {
  deviceRegisters: string;
}

/** One recorded test of the Python SDK: its exchanges in order. */
export interface RecordedTest {
  test: string;
  source: { repository: string; path: string; commit: string; license: string };
  steps: (RecordedExchange | DeviceStep)[];
}

/** Every fixture, by file name order. */
export function loadRecordings(dir = RECORDINGS_DIR): RecordedTest[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), "utf8")) as RecordedTest);
}

/** True for an exchange (not a device step). */
export function isExchange(step: RecordedExchange | DeviceStep): step is RecordedExchange {
  return "method" in step;
}

/** Fields whose string values are enums or ids the replay sends as recorded: compared exactly. */
const EXACT_STRINGS = new Set([
  "type",
  "status",
  "substatus",
  "allocationPolicy",
  "provisioningStatus",
  "errorStatus",
  "registrationId",
  "enrollmentGroupId",
  "deviceId",
  "webhookUrl",
  "apiVersion",
]);

function kind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** The id of a listed record, to pair query items whatever their order. */
function itemId(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const id = v.registrationId ?? v.enrollmentGroupId;
  return typeof id === "string" ? id : undefined;
}

/**
 * Where `actual` differs in shape from `expected` (recorded): a missing or extra field, another value
 * type, another enum spelling, another number or boolean, another list length. Empty when they match.
 */
export function shapeDifferences(expected: unknown, actual: unknown, at = "body"): string[] {
  if (kind(expected) !== kind(actual))
    return [`${at}: ${kind(actual)} where the service answers ${kind(expected)}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length !== actual.length)
      return [`${at}: ${actual.length} items where the service answers ${expected.length}`];
    return expected.flatMap((e, i) => {
      const id = itemId(e);
      const match = id === undefined ? actual[i] : (actual.find((a) => itemId(a) === id) ?? actual[i]);
      return shapeDifferences(e, match, `${at}[${id ?? i}]`);
    });
  }
  if (typeof expected === "object" && expected !== null) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const out: string[] = [];
    for (const key of Object.keys(e)) {
      if (!(key in a)) out.push(`${at}.${key}: missing`);
      else out.push(...shapeDifferences(e[key], a[key], `${at}.${key}`));
    }
    for (const key of Object.keys(a)) if (!(key in e)) out.push(`${at}.${key}: not in the service's answer`);
    return out;
  }
  const field = at.slice(at.lastIndexOf(".") + 1);
  const exact = typeof expected !== "string" || EXACT_STRINGS.has(field);
  if (exact && expected !== actual)
    return [`${at}: ${JSON.stringify(actual)} where the service answers ${JSON.stringify(expected)}`];
  return [];
}

/** The media type and charset of a content-type, lowercased and without spaces. */
function mediaType(value: string | undefined): string | undefined {
  return value?.toLowerCase().replace(/\s+/g, "");
}

/**
 * Where the headers clients read differ: content-type (exactly), x-ms-item-type (exactly),
 * x-ms-continuation, etag and x-ms-error-code (present or absent as recorded).
 */
export function headerDifferences(
  expected: Record<string, string>,
  actual: Record<string, string | string[] | undefined>,
): string[] {
  const get = (name: string): string | undefined => {
    const v = actual[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const out: string[] = [];
  if (mediaType(expected["content-type"]) !== mediaType(get("content-type")))
    out.push(`content-type: ${get("content-type")} where the service answers ${expected["content-type"]}`);
  if (expected["x-ms-item-type"] !== get("x-ms-item-type"))
    out.push(
      `x-ms-item-type: ${get("x-ms-item-type")} where the service answers ${expected["x-ms-item-type"]}`,
    );
  for (const name of ["x-ms-continuation", "etag", "x-ms-error-code"]) {
    if ((expected[name] === undefined) !== (get(name) === undefined))
      out.push(`${name}: ${get(name) === undefined ? "absent" : "present"} where the service's is not`);
  }
  return out;
}
