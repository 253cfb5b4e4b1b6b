// Fault injection for tests of retry logic: server errors, dropped connections, latency, and another
// writer changing a record between a client's read and its write.
import { isObject, type ConcurrentWrite, type FaultOptions, type InjectedFault } from "./types";

/** What to do with one request. */
export type FaultDecision = "none" | InjectedFault;

const INJECTED: readonly InjectedFault[] = ["drop", "500", "503"];

/** Longest `next` sequence: enough for any test, small enough that settings stay a short answer. */
export const MAX_NEXT_FAULTS = 1000;

function sequence(value: readonly unknown[] | undefined): InjectedFault[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_NEXT_FAULTS) {
    throw new RangeError(`next must be a list of at most ${MAX_NEXT_FAULTS} faults`);
  }
  return value.map((f, i) => {
    if (!INJECTED.includes(f as InjectedFault)) {
      throw new RangeError(`next[${i}] must be one of ${INJECTED.join(", ")}`);
    }
    return f as InjectedFault;
  });
}

function rate(value: number | undefined, name: string): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new RangeError(`${name} must be between 0 and 1`);
  return v;
}

/** Longest injectable latency: longer would only hold connections (and hit the socket timeouts). */
export const MAX_LATENCY_MS = 30_000;

/** Fields the concurrent writer may not set: the record's id and what the store sets itself. */
const NOT_SETTABLE = [
  "registrationId",
  "enrollmentGroupId",
  "etag",
  "createdDateTimeUtc",
  "lastUpdatedDateTimeUtc",
];

/** Largest `concurrentWrite.set`, as JSON text: a few fields, not a record store. */
export const MAX_CONCURRENT_SET_CHARS = 16_384;

/** Longest record id (the service's rule for registration ids). */
const MAX_ID_CHARS = 128;

function concurrentWrite(value: ConcurrentWrite | null | undefined): ConcurrentWrite | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new RangeError("concurrentWrite must be an object or null");
  const ids = (["registrationId", "enrollmentGroupId"] as const).filter((k) => value[k] !== undefined);
  if (ids.length !== 1) {
    throw new RangeError("concurrentWrite must name exactly one record: registrationId or enrollmentGroupId");
  }
  const [idField] = ids;
  const id = value[idField];
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ID_CHARS) {
    throw new RangeError(`concurrentWrite.${idField} must be a string of 1 to ${MAX_ID_CHARS} characters`);
  }
  const { set } = value;
  if (!isObject(set) || Object.keys(set).length === 0) {
    throw new RangeError("concurrentWrite.set must be an object with the fields the other writer sets");
  }
  const reserved = Object.keys(set).find((k) => NOT_SETTABLE.includes(k));
  if (reserved !== undefined) {
    throw new RangeError(
      `concurrentWrite.set may not set '${reserved}' (the record's id or a field the store sets)`,
    );
  }
  if (JSON.stringify(set).length > MAX_CONCURRENT_SET_CHARS) {
    throw new RangeError(
      `concurrentWrite.set must be at most ${MAX_CONCURRENT_SET_CHARS} characters of JSON`,
    );
  }
  const times = value.times ?? 1;
  if (!Number.isInteger(times) || times < 1 || times > MAX_NEXT_FAULTS) {
    throw new RangeError(`concurrentWrite.times must be an integer from 1 to ${MAX_NEXT_FAULTS}`);
  }
  return { [idField]: id, set: structuredClone(set), times };
}

/**
 * The record a write meets the concurrent writer on: the fault's record when the write names it
 * among `ids` (ids of the records keyed by `idField`; compared case-insensitively, as the store does).
 */
export function concurrentWriteTarget(
  fault: ConcurrentWrite | null,
  idField: string,
  ids: readonly unknown[],
): string | undefined {
  const target =
    idField === "registrationId"
      ? fault?.registrationId
      : idField === "enrollmentGroupId"
        ? fault?.enrollmentGroupId
        : undefined;
  if (target === undefined) return undefined;
  const key = target.toLowerCase();
  return ids.some((id) => typeof id === "string" && id.toLowerCase() === key) ? target : undefined;
}

/** The fault left once the concurrent writer has struck: one time fewer, `null` after the last. */
export function afterConcurrentWrite(fault: ConcurrentWrite): ConcurrentWrite | null {
  const times = (fault.times ?? 1) - 1;
  return times > 0 ? { ...fault, times } : null;
}

/** Validates fault settings and fills defaults (all off). Throws RangeError on a bad value. */
export function normalizeFaults(options: FaultOptions = {}): Required<FaultOptions> {
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
    throw new RangeError(`latencyMs must be between 0 and ${MAX_LATENCY_MS}`);
  }
  return {
    rate500: rate(options.rate500, "rate500"),
    rate503: rate(options.rate503, "rate503"),
    dropRate: rate(options.dropRate, "dropRate"),
    latencyMs,
    next: sequence(options.next),
    concurrentWrite: concurrentWrite(options.concurrentWrite),
  };
}

/**
 * Draws the fault for a request from the rates (`next` is the runtime's to take first). One draw
 * decides among drop, 500 and 503, so their rates add up (a total over 1 means every request faults).
 */
export function decideFault(
  faults: Required<FaultOptions>,
  random: () => number = Math.random,
): FaultDecision {
  const r = random();
  if (r < faults.dropRate) return "drop";
  if (r < faults.dropRate + faults.rate500) return "500";
  if (r < faults.dropRate + faults.rate500 + faults.rate503) return "503";
  return "none";
}
