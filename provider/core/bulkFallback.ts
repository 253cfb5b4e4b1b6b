/**
 * Bulk modes a DPS refuses. The real service answers bulk `update` on records that exist, sent
 * without etags, item by item with `409201 "Enrollment already exists."` / `409202 "EnrollmentGroup
 * already exists."` and writes nothing (recorded, issue 27); what it does with `updateIfMatchETag` is
 * not recorded. An update item refused so is written again by a single PUT with `If-Match` (which
 * never answers "already exists"), and the mode is not used again for that DPS in this process: one
 * refused call, not one per chunk. The rule is a pure function; the registry is the only state.
 */
import { statusOf } from "./errors";
import type { BulkMode } from "./wire";

/**
 * Whether a bulk item's failure (`error`, as {@link itemFailure} makes it) is the service refusing
 * the mode rather than the write: a 409 answered to an update of a record, which a single PUT with
 * `If-Match` would not give.
 */
export function refusedAsExisting(mode: BulkMode, error: unknown): boolean {
  return (mode === "update" || mode === "updateIfMatchETag") && statusOf(error) === 409;
}

/** The bulk modes one DPS refused in this process. */
export class BulkModes {
  private readonly refused = new Set<BulkMode>();

  /** Whether `mode` may still carry writes to this DPS. */
  usable(mode: BulkMode): boolean {
    return !this.refused.has(mode);
  }

  /** The DPS refused `mode`: its writes go as single calls for the rest of the process. */
  refuse(mode: BulkMode): void {
    this.refused.add(mode);
  }
}

const registry = new Map<string, BulkModes>();

/** The bulk modes of the DPS `hostName` (shared by every kind and resource of this process). */
export function bulkModesOf(hostName: string): BulkModes {
  const key = hostName.toLowerCase();
  let modes = registry.get(key);
  if (!modes) {
    modes = new BulkModes();
    registry.set(key, modes);
  }
  return modes;
}
