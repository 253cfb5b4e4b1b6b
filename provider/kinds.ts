/**
 * The list of resources: the one place that names every kind of enrollment and every resource. Plugin
 * dispatch, the schema and the dynamic provider's runtime exports loop over {@link RESOURCES}; the
 * shared machinery of records and the per-kind tests over {@link KINDS}. A new kind is its folder,
 * one line here and the emulator's route table; a new resource over existing records (the fleet)
 * its folder and one line here. The checks below make the wire's closed
 * unions (`IdKey`, `CollectionPath`, `BulkField` in core/wire.ts) and this list agree both ways, so a
 * kind the wire knows and the list forgets, or the other way round, does not compile.
 */
import type { BulkField, CollectionPath, IdKey } from "./core/wire";
import type { KindDescriptor, ResourceDescriptor } from "./descriptor";
import { ENROLLMENT_FLEET } from "./fleet/kind";
import { ENROLLMENT_GROUP } from "./group/kind";
import { INDIVIDUAL_ENROLLMENT } from "./individual/kind";

/** Every kind of enrollment (a resource that is one record of its own collection), in schema order. */
export const KINDS = [INDIVIDUAL_ENROLLMENT, ENROLLMENT_GROUP] as const satisfies readonly KindDescriptor[];

/** Every resource the faces serve, in schema order: the kinds, then resources over their records. */
export const RESOURCES = [...KINDS, ENROLLMENT_FLEET] as const satisfies readonly ResourceDescriptor[];

/** One of {@link KINDS}, with its literal types. */
export type Kind = (typeof KINDS)[number];
/** One of {@link RESOURCES}, with its literal types. */
export type Resource = (typeof RESOURCES)[number];
/** The plugin's resource type tokens. */
export type PluginToken = Resource["plugin"]["token"];
/** The exports of `provider/runtime`, one per resource. */
export type RuntimeExport = Resource["dynamic"]["runtimeExport"];

/** True when `A` and `B` are the same union. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compiles only with `true`. */
function agree<T extends true>(): T | undefined {
  return undefined;
}
agree<Same<Kind["idKey"], IdKey>>();
agree<Same<Kind["collection"], CollectionPath>>();
agree<Same<Kind["bulkField"], BulkField>>();
