/**
 * An optional trace of the write queues' calls (batch.ts), for tests and for users who want to see
 * why a write went when it did: with `DPS_ENROLLMENTS_WRITE_TRACE` set to a file path, the provider
 * appends one JSON line per call, `{"items":8,"reason":"every-step-waits","timer":false}` (see
 * flushRule.ts for the reasons; `timer`: whether the call waited for a timer).
 */
import { appendFileSync } from "fs";
import type { SendReason } from "./flushRule";

/** The environment variable naming the trace file. */
export const WRITE_TRACE_ENV = "DPS_ENROLLMENTS_WRITE_TRACE";

/** One line of the trace. */
export interface WriteTraceLine {
  /** Items the call carried. */
  items: number;
  /** Why it went (flushRule.ts). */
  reason: SendReason;
  /** Whether a timer sent it (a write held for company) rather than an arrival, a return or a step's end. */
  timer: boolean;
}

/** Appends `line` to the trace file when one is set; a trace that cannot be written is skipped. */
export function traceWrite(line: WriteTraceLine): void {
  const file = process.env[WRITE_TRACE_ENV];
  if (!file) return;
  try {
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    // A trace is a diagnostic: a write never fails for it.
  }
}
