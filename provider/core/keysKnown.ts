/**
 * When the symmetric keys Pulumi holds are the record's without reading them (`attestationmechanism`,
 * one call each). GET and query answers never carry keys; but a record whose `lastUpdatedDateTimeUtc`
 * equals its `createdDateTimeUtc` has not been written since its create (recorded, issue 27), so its
 * keys are the ones that create sent. Pure.
 */
import type { WireEnrollment } from "./wire";

/** What Pulumi knows of a record it wrote: its keys and, when an answer gave it, its creation time. */
export interface KnownRecord {
  /** The keys held in state (sent by the create, or read since). */
  primaryKey?: string;
  /** The second key held in state. */
  secondaryKey?: string;
  /** The creation time an earlier answer gave; absent after a bulk create (its answer has none). */
  createdDateTimeUtc?: string;
}

/**
 * Whether `wire` (a GET or query answer) still holds the keys of `known`: both keys are known, and
 * nobody wrote the record since its create, the create Pulumi knows of when its time is known.
 * False whenever in doubt: the caller then reads the keys, never writing back ones rotated since.
 */
export function keysUnchangedSinceCreate(wire: WireEnrollment, known: KnownRecord | undefined): boolean {
  if (!known?.primaryKey || !known.secondaryKey) return false;
  const created = wire.createdDateTimeUtc;
  if (typeof created !== "string" || created === "" || created !== wire.lastUpdatedDateTimeUtc) return false;
  // Deleted and created again by someone else: another creation time than the one Pulumi saw.
  return known.createdDateTimeUtc === undefined || known.createdDateTimeUtc === created;
}
