/**
 * The plugin's detailed diff: each property path the Set will write, with its kind, from the core's
 * `diffEnrollment` (the same comparison the dynamic face uses). Pure.
 */
import { jsonEqual, type EnrollmentDiff } from "../core/diff";
import { isUnknown } from "../core/checks";

/** How a property changes, as the engine's `PropertyDiff.Kind` names it. */
export type PropertyChange = "add" | "addReplace" | "delete" | "deleteReplace" | "update" | "updateReplace";

/** Property path (`tags`, `attestation.primaryKey`) to how it changes. */
export type DetailedDiff = Record<string, PropertyChange>;

function change(had: boolean, has: boolean, replaces: boolean): PropertyChange {
  if (!had) return replaces ? "addReplace" : "add";
  if (!has) return replaces ? "deleteReplace" : "delete";
  return replaces ? "updateReplace" : "update";
}

/**
 * The paths `diff` found changed between the state `olds` and the checked inputs `news`: a top-level
 * property by its name, the attestation by field (`attestation.type` when the type replaces it).
 * Connection changes are not listed: the plugin keeps the connection in provider configuration.
 */
export function detailedDiff(
  diff: EnrollmentDiff,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): DetailedDiff {
  const out: DetailedDiff = {};
  for (const key of diff.changed) {
    if (key === "connection") continue;
    const replaces = diff.replaces.includes(key);
    if (key !== "attestation") {
      out[key] = change(olds[key] !== undefined, news[key] !== undefined, replaces);
      continue;
    }
    const had = (olds.attestation ?? {}) as Record<string, unknown>;
    const has = (news.attestation ?? {}) as Record<string, unknown>;
    if (replaces) {
      out["attestation.type"] = change(had.type !== undefined, true, true);
      continue;
    }
    for (const [field, value] of Object.entries(has)) {
      if (field === "type" || value === undefined) continue;
      const before = had[field] ?? (field === "rootCertificate" ? false : undefined);
      if (isUnknown(value) || !jsonEqual(value, before)) {
        out[`attestation.${field}`] = change(had[field] !== undefined, true, false);
      }
    }
  }
  return out;
}
