/**
 * The fleet's `diff`: which items are added, removed or changed, from the ledger of what landed
 * (ledger.ts) against the program's items, and the property paths a preview names. Pure.
 */
import { jsonEqual } from "../core/diff";
import { connectionHostName } from "../core/connectionString";
import { isObject, isUnknown } from "../core/checks";
import { digestOf } from "./items";
import { parseLedger } from "./ledger";
import type { FleetInputs, FleetOutputs } from "./types";

/** What differs between the state and the program. */
export interface FleetDiff {
  /** True when anything is to be written (or not known yet). */
  changes: boolean;
  /** Items the program declares that are not in the DPS as declared, and never landed. */
  added: string[];
  /** Items that landed and the program no longer declares. */
  removed: string[];
  /** Items that landed and whose effective inputs changed. */
  changed: string[];
  /** The DPS the fleet lives in changed (another host name): the fleet is replaced. */
  connectionChanged: boolean;
}

/** The DPS host of a connection, lowercased; undefined when not known. */
function hostOf(connection: unknown): string | undefined {
  if (!isObject(connection) || isUnknown(connection)) return undefined;
  return connectionHostName(connection)?.toLowerCase();
}

/**
 * Compares the program's checked inputs with the state's ledger. Inputs still unknown (preview)
 * count as changes.
 */
export function diffFleet(previous: Partial<FleetOutputs>, news: FleetInputs): FleetDiff {
  const ledger = parseLedger(previous.__fleet);
  const oldHost = hostOf(previous.connection);
  const newHost = hostOf(news.connection);
  const connectionChanged = oldHost !== undefined && newHost !== undefined && oldHost !== newHost;
  if (isUnknown(news.enrollments) || isUnknown(news.defaults)) {
    return { changes: true, added: [], removed: [], changed: [], connectionChanged };
  }
  const added: string[] = [];
  const changed: string[] = [];
  for (const id of Object.keys(news.enrollments)) {
    const entry = ledger.get(id);
    if (!entry) added.push(id);
    else if (isUnknown(news.enrollments[id]) || entry.digest !== digestOf(news, id)) changed.push(id);
  }
  const removed = [...ledger.keys()].filter((id) => news.enrollments[id] === undefined);
  const failedBefore = Object.keys(previous.failedEnrollments ?? {}).length > 0;
  const connection = !jsonEqual(previous.connection, news.connection);
  return {
    changes:
      added.length + removed.length + changed.length > 0 ||
      connectionChanged ||
      failedBefore ||
      connection ||
      (previous.adopt ?? undefined) !== (news.adopt ?? undefined),
    added,
    removed,
    changed,
    connectionChanged,
  };
}

/** `enrollments["id"]` of a path. */
function itemKey(id: string): string {
  return `enrollments[${JSON.stringify(id)}]`;
}

/** The top-level properties of two objects that differ, as `prefix.key` paths. */
function differingKeys(prefix: string, a: unknown, b: unknown): string[] {
  const left = isObject(a) ? a : {};
  const right = isObject(b) ? b : {};
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].filter((k) => !jsonEqual(left[k], right[k])).map((k) => `${prefix}.${k}`);
}

/**
 * The detailed diff a preview shows, from old inputs to new: `enrollments["line7-0042"].tags`,
 * `defaults.allocationPolicy`, `enrollments["line7-0043"]` for an item added or removed.
 */
export function detailedFleetDiff(
  oldInputs: Partial<FleetInputs>,
  news: FleetInputs,
): Record<string, "add" | "delete" | "update"> {
  const detail: Record<string, "add" | "delete" | "update"> = {};
  const oldDefaults = (oldInputs.defaults ?? {}) as Record<string, unknown>;
  const newDefaults = (news.defaults ?? {}) as Record<string, unknown>;
  for (const path of differingKeys("defaults", oldDefaults, newDefaults)) {
    const key = path.slice("defaults.".length);
    detail[path] =
      oldDefaults[key] === undefined ? "add" : newDefaults[key] === undefined ? "delete" : "update";
  }
  const olds = (oldInputs.enrollments ?? {}) as Record<string, unknown>;
  const next = (news.enrollments ?? {}) as Record<string, unknown>;
  for (const id of Object.keys(next)) {
    if (olds[id] === undefined) {
      detail[itemKey(id)] = "add";
      continue;
    }
    const a = olds[id] as Record<string, unknown>;
    const b = next[id] as Record<string, unknown>;
    for (const path of differingKeys(itemKey(id), a, b)) {
      const key = path.slice(itemKey(id).length + 1);
      detail[path] = a[key] === undefined ? "add" : b[key] === undefined ? "delete" : "update";
    }
  }
  for (const id of Object.keys(olds)) if (next[id] === undefined) detail[itemKey(id)] = "delete";
  if (!jsonEqual(oldInputs.adopt, news.adopt)) detail.adopt = "update";
  return detail;
}
