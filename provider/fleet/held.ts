/**
 * Drift without the old inputs (the dynamic face's refresh gets only the state): the `held` digest
 * of an item is a hash of the properties the program manages, as a record holds them, so a refresh
 * can tell whether the record moved since Pulumi wrote it. Which properties are managed is kept in
 * the `__managed` output, compactly: the defaults' keys once, and an item's own keys only for items
 * that set more than their attestation. Pure.
 */
import { ALLOCATION_PROPERTIES, REPLACED_PROPERTIES } from "../core/types";
import type { EnrollmentInputs, EnrollmentView } from "../core/types";
import { digest64 } from "./ledger";
import type { FleetInputs } from "./types";

const OPTIONAL: readonly string[] = [...REPLACED_PROPERTIES, ...ALLOCATION_PROPERTIES];

/** The managed properties of a fleet: the defaults' keys and, per item, its own keys beyond the attestation. */
export interface Managed {
  /** Keys of `defaults`. */
  defaults: string[];
  /** An item's own keys (attestation aside), for items that have some. */
  items: Map<string, string[]>;
}

/** What `inputs` manage. */
export function managedOf(inputs: FleetInputs): Managed {
  const defaults = Object.keys(inputs.defaults ?? {}).filter((k) => OPTIONAL.includes(k));
  const items = new Map<string, string[]>();
  for (const [id, item] of Object.entries(inputs.enrollments)) {
    const own = Object.keys(item).filter((k) => OPTIONAL.includes(k));
    if (own.length > 0) items.set(id, own);
  }
  return { defaults, items };
}

/** The `__managed` output. */
export function formatManaged(managed: Managed): string {
  const lines = [`defaults ${managed.defaults.join(",")}`];
  for (const [id, keys] of [...managed.items].sort(([a], [b]) => (a < b ? -1 : 1))) {
    lines.push(`${id} ${keys.join(",")}`);
  }
  return lines.join("\n");
}

/** The managed properties of a `__managed` output. */
export function parseManaged(text: unknown): Managed {
  const managed: Managed = { defaults: [], items: new Map() };
  if (typeof text !== "string") return managed;
  for (const line of text.split("\n")) {
    const [id, keys = ""] = line.split(" ");
    const list = keys.split(",").filter(Boolean);
    if (id === "defaults") managed.defaults = list;
    else if (id) managed.items.set(id, list);
  }
  return managed;
}

/** The keys item `id` manages. */
export function managedKeys(managed: Managed, id: string): string[] {
  return [...new Set([...managed.defaults, ...(managed.items.get(id) ?? [])])];
}

/** The managed part of a record or of effective inputs, in one form. */
function projection(source: Record<string, unknown>, attestation: Record<string, unknown>, keys: string[]) {
  const out: Record<string, unknown> = {
    type: attestation.type,
    endorsementKey: attestation.endorsementKey,
    primaryCaName: attestation.primaryCaName,
  };
  for (const key of keys) {
    const value = source[key];
    out[key] =
      key === "iotHubs" && Array.isArray(value)
        ? value.map((h) => String(h).toLowerCase()).sort()
        : (key === "tags" || key === "desired") && value === undefined
          ? {}
          : value;
  }
  return out;
}

/** The held digest of effective inputs (what the record holds right after a write of them). */
export function heldOfInputs(effective: EnrollmentInputs, keys: string[]): string {
  const source = effective as unknown as Record<string, unknown>;
  return digest64(projection(source, effective.attestation as unknown as Record<string, unknown>, keys));
}

/** The held digest of a record as read. */
export function heldOfView(view: EnrollmentView, keys: string[]): string {
  const source = view as unknown as Record<string, unknown>;
  return digest64(projection(source, view.attestation as unknown as Record<string, unknown>, keys));
}
