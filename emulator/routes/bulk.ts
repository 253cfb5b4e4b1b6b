// POST /enrollments: bulk create|update|updateIfMatchETag|delete of up to 10 enrollments.
import { DpsError, ErrorCodes } from "../errors";
import type { Route } from "../router";
import type { Runtime } from "../runtime";
import { isObject, type Json, type JsonObject } from "../types";
import { validateEnrollment, validateRegistrationId } from "../validation";

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
function applyItem(rt: Runtime, mode: Mode, item: Json): void {
  if (!isObject(item) || typeof item.registrationId !== "string") {
    throw new DpsError(400, ErrorCodes.invalidEnrollment, "'registrationId' is required.");
  }
  const id = item.registrationId;
  const etag = typeof item.etag === "string" && item.etag !== "" ? item.etag : undefined;
  if (mode === "delete") {
    validateRegistrationId(id);
    rt.store.delete(id, etag);
    return;
  }
  const enrollment = validateEnrollment(item, id, rt.linkedHubs);
  const exists = rt.store.get(id) !== undefined;
  if (mode === "create") rt.store.put(id, enrollment, undefined);
  else if (mode === "update") rt.store.put(id, enrollment, exists ? "*" : undefined);
  else if (etag === undefined && exists) {
    throw new DpsError(
      412,
      ErrorCodes.preconditionFailed,
      `Precondition failed: enrollment '${id}' exists and no etag was given.`,
    );
  } else rt.store.put(id, enrollment, etag);
}

/** The bulk route. Items are applied in order and independently (not atomically). */
export function bulkRoutes(rt: Runtime): Route[] {
  return [
    {
      method: "POST",
      pattern: /^\/enrollments\/?$/i,
      operation: "bulk",
      right: "EnrollmentWrite",
      handler: async ({ json }) => {
        const body = await json();
        if (!isObject(body)) throw bad("The request body must be a JSON object.");
        // Modes compare case-insensitively: the REST spec says updateIfMatchETag, the Node client's
        // type updateIfMatchEtag.
        const mode = MODES.find(
          (m) => typeof body.mode === "string" && m.toLowerCase() === body.mode.toLowerCase(),
        );
        if (!mode) throw bad(`'mode' must be one of ${MODES.join(", ")}.`);
        const items = body.enrollments;
        if (!Array.isArray(items) || items.length === 0)
          throw bad("'enrollments' must be a non-empty array.");
        if (items.length > MAX_BULK_ITEMS) {
          throw bad(`A bulk operation may carry at most ${MAX_BULK_ITEMS} enrollments; got ${items.length}.`);
        }
        const errors: JsonObject[] = [];
        for (const item of items) {
          try {
            applyItem(rt, mode, item);
          } catch (err) {
            if (!(err instanceof DpsError)) throw err;
            const registrationId =
              isObject(item) && typeof item.registrationId === "string" ? item.registrationId : null;
            errors.push({ registrationId, errorCode: err.errorCode, errorStatus: err.message });
          }
        }
        return { status: 200, body: { isSuccessful: errors.length === 0, errors } };
      },
    },
  ];
}
