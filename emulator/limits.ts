// Pure checks of the service's input limits: JSON nesting of a whole body, and the size and depth of
// twin collections (initial twin tags and desired properties, optional device information).
import { DpsError, ErrorCodes } from "./errors";
import { isObject, type Json, type JsonObject } from "./types";

/**
 * Deepest nesting of objects and arrays accepted in any request body. The service does not document
 * one; a valid enrollment nests at most 15 levels (root, initialTwin, properties, desired and 10
 * twin levels, plus arrays), so 32 leaves room and keeps every later recursion shallow.
 */
export const MAX_JSON_DEPTH = 32;

/** Deepest nesting of objects under a twin collection (IoT Hub: "maximum depth of 10"). */
export const MAX_TWIN_DEPTH = 10;

/** Largest twin collection, in IoT Hub's size units (key and value lengths): 32 KB. */
export const MAX_TWIN_BYTES = 32 * 1024;

/**
 * Throws a 400 when `text` nests objects or arrays deeper than `max`. It scans the raw text before
 * `JSON.parse`, so no later step (parse, validation, serialization, the store's save) ever recurses
 * through a hostile depth.
 */
export function checkJsonDepth(text: string, max = MAX_JSON_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        throw new DpsError(
          400,
          ErrorCodes.malformedBody,
          `The request body nests objects or arrays deeper than ${max} levels.`,
        );
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/** Levels of objects and arrays in `value`: 0 for a scalar, 1 for `{"a": 1}`. */
function nesting(value: Json): number {
  const children = Array.isArray(value) ? value : isObject(value) ? Object.values(value) : undefined;
  if (!children) return 0;
  return 1 + children.reduce<number>((m, v) => Math.max(m, nesting(v)), 0);
}

/**
 * Size of a twin collection as IoT Hub counts it: UTF-8 length of every key and string value,
 * 8 per number, 4 per boolean (and, where the docs are silent, 4 per null), nested values summed.
 */
export function twinSize(value: Json): number {
  if (typeof value === "string") return Buffer.byteLength(value, "utf8");
  if (typeof value === "number") return 8;
  if (typeof value === "boolean" || value === null) return 4;
  if (Array.isArray(value)) return value.reduce<number>((s, v) => s + twinSize(v), 0);
  return Object.entries(value).reduce((s, [k, v]) => s + Buffer.byteLength(k, "utf8") + twinSize(v), 0);
}

/**
 * Throws a 400 naming `path` when a twin collection nests deeper than {@link MAX_TWIN_DEPTH} or is
 * larger than {@link MAX_TWIN_BYTES}.
 */
export function checkTwinCollection(collection: JsonObject, path: string): void {
  // IoT Hub's example of the deepest valid twin nests objects "one" to "ten" under `desired`.
  const depth = nesting(collection) - 1;
  if (depth > MAX_TWIN_DEPTH) {
    throw new DpsError(
      400,
      ErrorCodes.invalidEnrollment,
      `'${path}' nests ${depth} levels; the maximum depth of a twin collection is ${MAX_TWIN_DEPTH}.`,
    );
  }
  const size = twinSize(collection);
  if (size > MAX_TWIN_BYTES) {
    throw new DpsError(
      400,
      ErrorCodes.invalidEnrollment,
      `'${path}' is ${size} bytes; the maximum size of a twin collection is ${MAX_TWIN_BYTES} bytes.`,
    );
  }
}
