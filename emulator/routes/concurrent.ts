// The "other writer" of the concurrentWrite fault (see ConcurrentWrite in types.ts): it changes a
// record as another client would, just before a write of ours naming it is handled.
import { ADR_API_VERSION } from "../adr";
import { DpsError } from "../errors";
import { concurrentWriteTarget } from "../faults";
import type { Runtime } from "../runtime";
import type { JsonObject } from "../types";
import { type RouteKind, validateRecord } from "./kinds";

/**
 * Plays the concurrent writer when a write naming `ids` (records of `kind`) meets it: sets the fault's
 * fields on the record (validated as a PUT would be), which gets a new etag, and uses up one of the
 * fault's times. A record that does not exist is left alone and the fault kept for a later write.
 * Throws a 400 when the fault's fields would make the record invalid.
 */
export function meetConcurrentWriter(rt: Runtime, kind: RouteKind, ids: readonly unknown[]): void {
  const fault = rt.faults.concurrentWrite;
  const id = concurrentWriteTarget(fault, kind.idField, ids);
  if (fault === null || id === undefined) return;
  const records = kind.records(rt);
  const stored = records.get(id);
  if (stored === undefined) return;
  rt.useConcurrentWrite();
  let changed: JsonObject;
  try {
    // The newest API version keeps the record's ADR fields, as a client of that version would.
    changed = validateRecord(rt, kind, { ...stored, ...fault.set }, id, ADR_API_VERSION);
  } catch (err) {
    if (!(err instanceof DpsError)) throw err;
    throw new DpsError(
      400,
      err.errorCode,
      `The emulator's concurrentWrite fault would make '${id}' invalid (change its 'set'): ${err.message}`,
    );
  }
  records.put(id, changed, String(stored.etag));
  rt.stats.concurrentWrites += 1;
}
