// POST /enrollments and /enrollmentGroups: bulk create|update|updateIfMatchETag|delete of up to 10 records.
import { DpsError, ErrorCodes } from "../errors";
import type { Route } from "../router";
import type { Runtime } from "../runtime";
import { isObject, type Json, type JsonObject } from "../types";
import { validateRegistrationId } from "../validation";
import { meetConcurrentWriter } from "./concurrent";
import { type RouteKind, validateRecord } from "./kinds";

/** Most enrollments one bulk request may carry (service limit). */
export const MAX_BULK_ITEMS = 10;

const MODES = ["create", "update", "updateIfMatchETag", "delete"] as const;
type Mode = (typeof MODES)[number];

function bad(message: string): DpsError {
  return new DpsError(400, ErrorCodes.invalidBulkOperation, message);
}

/**
 * Applies one item. Modes: `create` fails (409) on an existing enrollment; `update` creates or replaces
 * regardless of etag; `updateIfMatchETag` needs the item's etag to match (an item without etag only
 * creates, and gets 412 on an existing one); `delete` honours the item's etag when given.
 */
function applyItem(rt: Runtime, kind: RouteKind, mode: Mode, item: Json, version: string | null): void {
  const id = isObject(item) ? item[kind.idField] : undefined;
  if (!isObject(item) || typeof id !== "string") {
    throw new DpsError(400, ErrorCodes.invalidEnrollment, `'${kind.idField}' is required.`);
  }
  const records = kind.records(rt);
  const etag = typeof item.etag === "string" && item.etag !== "" ? item.etag : undefined;
  if (mode === "delete") {
    validateRegistrationId(id);
    records.delete(id, etag);
    return;
  }
  const record = validateRecord(rt, kind, item, id, version);
  const exists = records.get(id) !== undefined;
  if (exists && refusesExisting(rt, mode)) throw alreadyExists(kind);
  if (mode === "create") records.put(id, record, undefined);
  else if (mode === "update") records.put(id, record, exists ? "*" : undefined);
  else if (etag === undefined && exists) {
    throw new DpsError(
      412,
      ErrorCodes.preconditionFailed,
      `Precondition failed: '${id}' exists and no etag was given.`,
    );
  } else records.put(id, record, etag);
}

/** Whether the bulk quirks make `mode` refuse an existing record (see `BulkQuirks`). */
function refusesExisting(rt: Runtime, mode: Mode): boolean {
  if (mode === "update") return rt.bulkQuirks.updateRefusesExisting;
  if (mode === "updateIfMatchETag") return rt.bulkQuirks.updateIfMatchETagRefusesExisting;
  return false;
}

/** The item error the real DPS gives a bulk `update` of an existing record, as recorded. */
function alreadyExists(kind: RouteKind): DpsError {
  return kind.idField === "registrationId"
    ? new DpsError(409, ErrorCodes.enrollmentExists, "Enrollment already exists.")
    : new DpsError(409, ErrorCodes.enrollmentGroupExists, "EnrollmentGroup already exists.");
}

/** Validates one item as {@link applyItem} will, without writing; throws the same errors. */
function validateItem(rt: Runtime, kind: RouteKind, mode: Mode, item: Json, version: string | null): void {
  const id = isObject(item) ? item[kind.idField] : undefined;
  if (!isObject(item) || typeof id !== "string") {
    throw new DpsError(400, ErrorCodes.invalidEnrollment, `'${kind.idField}' is required.`);
  }
  if (mode === "delete") validateRegistrationId(id);
  else validateRecord(rt, kind, item, id, version);
}

/** The bulk route of `kind`. Items are applied in order and independently (not atomically). */
export function bulkRoutes(rt: Runtime, kind: RouteKind): Route[] {
  return [
    {
      method: "POST",
      pattern: new RegExp(`^/${kind.segment}/?$`, "i"),
      operation: "bulk",
      right: "EnrollmentWrite",
      handler: async ({ json, query }) => {
        const body = await json();
        if (!isObject(body)) throw bad("The request body must be a JSON object.");
        // Modes compare case-insensitively: the REST spec says updateIfMatchETag, the Node client's
        // type updateIfMatchEtag.
        const mode = MODES.find(
          (m) => typeof body.mode === "string" && m.toLowerCase() === body.mode.toLowerCase(),
        );
        if (!mode) throw bad(`'mode' must be one of ${MODES.join(", ")}.`);
        const items = body[kind.listField];
        if (!Array.isArray(items) || items.length === 0)
          throw bad(`'${kind.listField}' must be a non-empty array.`);
        if (items.length > MAX_BULK_ITEMS) {
          throw bad(
            `A bulk operation may carry at most ${MAX_BULK_ITEMS} ${kind.listField}; got ${items.length}.`,
          );
        }
        const errors: JsonObject[] = [];
        const version = query.get("api-version");
        // Every item is validated before any is written: a call that fails on an item's input leaves
        // no half of itself behind (a client retries such a call whole).
        const refused = new Map<number, unknown>();
        items.forEach((item, i) => {
          try {
            validateItem(rt, kind, mode, item, version);
          } catch (err) {
            refused.set(i, err);
          }
        });
        // An unexpected failure (a bug, not a refusal) answers before anything is written.
        for (const err of refused.values()) if (!(err instanceof DpsError)) throw err;
        meetConcurrentWriter(
          rt,
          kind,
          items.map((item) => (isObject(item) ? item[kind.idField] : undefined)),
        );
        for (const [i, item] of items.entries()) {
          try {
            if (refused.has(i)) throw refused.get(i);
            applyItem(rt, kind, mode, item, version);
          } catch (err) {
            if (!(err instanceof DpsError)) throw err;
            const id = isObject(item) && typeof item[kind.idField] === "string" ? item[kind.idField] : null;
            errors.push({ [kind.idField]: id, errorCode: err.errorCode, errorStatus: err.message });
            const counted = rt.stats.bulkItemErrors;
            counted[err.status] = (counted[err.status] ?? 0) + 1;
          }
        }
        return { status: 200, body: { errors, isSuccessful: errors.length === 0 } };
      },
    },
  ];
}
