/**
 * The list of kinds: the one place that names every kind of enrollment. Plugin dispatch, the schema,
 * the dynamic provider's runtime exports and the per-kind tests loop over {@link KINDS}; a new kind is
 * its folder, one line here and the emulator's route table. The checks below make the wire's closed
 * unions (`IdKey`, `CollectionPath`, `BulkField` in core/wire.ts) and this list agree both ways, so a
 * kind the wire knows and the list forgets, or the other way round, does not compile.
 */
import type { BulkField, CollectionPath, IdKey } from "./core/wire";
import type { KindDescriptor } from "./descriptor";
import { ENROLLMENT_GROUP } from "./group/kind";
import { INDIVIDUAL_ENROLLMENT } from "./individual/kind";

/** Every kind, in schema order. */
export const KINDS = [INDIVIDUAL_ENROLLMENT, ENROLLMENT_GROUP] as const satisfies readonly KindDescriptor[];

/** One of {@link KINDS}, with its literal types. */
export type Kind = (typeof KINDS)[number];
/** The plugin's resource type tokens. */
export type PluginToken = Kind["plugin"]["token"];
/** The exports of `provider/runtime`, one per kind. */
export type RuntimeExport = Kind["dynamic"]["runtimeExport"];

/** True when `A` and `B` are the same union. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only with `true`. */
function agree<T extends true>(): T | undefined {
  return undefined;
}
agree<Same<Kind["idKey"], IdKey>>();
agree<Same<Kind["collection"], CollectionPath>>();
agree<Same<Kind["bulkField"], BulkField>>();
