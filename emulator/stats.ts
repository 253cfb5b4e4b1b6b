// Counters of DPS requests, for tests and demos (admin API `/_emulator/stats`).
import type { Operation } from "./types";

/** Request counts since start or the last reset. */
export interface EmulatorStats {
  /** All DPS requests (admin routes excluded), including refused ones. */
  total: number;
  /** Requests by operation. */
  operations: Record<Operation, number>;
  /** Answers by status class of interest. `5xx` includes injected faults; dropped connections are counted apart. */
  responses: {
    "400": number;
    "401": number;
    "404": number;
    "409": number;
    "412": number;
    "413": number;
    "429": number;
    "5xx": number;
  };
  /** Connections dropped by fault injection. */
  dropped: number;
  /**
   * Failed items of bulk operations, by the HTTP status a single call would have answered (the
   * first three digits of the item's DPS code); their calls answer 200 and count under `responses`
   * only as that.
   */
  bulkItemErrors: Record<string, number>;
  /** Times the `concurrentWrite` fault's other writer changed a record before a write. */
  concurrentWrites: number;
}

/** Fresh zeroed stats. */
export function emptyStats(): EmulatorStats {
  return {
    total: 0,
    operations: { get: 0, put: 0, delete: 0, attestation: 0, bulk: 0, query: 0, registration: 0 },
    responses: { "400": 0, "401": 0, "404": 0, "409": 0, "412": 0, "413": 0, "429": 0, "5xx": 0 },
    dropped: 0,
    bulkItemErrors: {},
    concurrentWrites: 0,
  };
}

/** Counts one answer status into `stats`. */
export function countStatus(stats: EmulatorStats, status: number): void {
  if (status >= 500) stats.responses["5xx"] += 1;
  else {
    const key = String(status) as keyof EmulatorStats["responses"];
    if (key in stats.responses) stats.responses[key] += 1;
  }
}
