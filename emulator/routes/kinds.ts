// What the DPS routes need to know about a kind of record, so single, bulk and query routes exist
// once for individual enrollments and enrollment groups.
import { adrReferenceOf, hasAdrFields, withoutAdrFields } from "../adr";
import { registrationStateView } from "../device/registration";
import type { Runtime } from "../runtime";
import type { PutResult } from "../table";
import { isObject, type Json, type JsonObject } from "../types";
import { validateEnrollment, validateEnrollmentGroup } from "../validation";
import { publicEnrollment, publicEnrollmentGroup, type ViewPurpose } from "../view";

/** The record operations the routes use (an `EnrollmentStore` or a `RecordTable`). */
export interface Records {
  /** The record, keys included, or undefined. */
  get(id: string): JsonObject | undefined;
  /** The record, or the service's 404. */
  require(id: string): JsonObject;
  /** Creates or replaces a validated record. */
  put(id: string, record: JsonObject, ifMatch: string | undefined): PutResult;
  /** Deletes a record. */
  delete(id: string, ifMatch: string | undefined): void;
  /** All records in store-key order. */
  list(): JsonObject[];
  /** A record's store key. */
  keyOf(record: JsonObject): string;
}

/** A kind of record as the routes see it. */
export interface RouteKind {
  /** The path segment: `enrollments`, `enrollmentGroups`. */
  segment: string;
  /** The id field of a record. */
  idField: string;
  /** The array field of a bulk request. */
  listField: string;
  /** `x-ms-item-type` of query answers. */
  itemType: string;
  /** The query texts that select every record: `*`, `SELECT *` (as recorded) and `SELECT * FROM {segment}`. */
  selectAll: RegExp;
  /** The records of `rt`. */
  records(rt: Runtime): Records;
  /** Validates a PUT body (throws the service's 400). */
  validate(body: Json, id: string, linkedHubs: readonly string[]): JsonObject;
  /** What clients see of a stored record in an answer of `purpose`. */
  view(rt: Runtime, stored: JsonObject, purpose: ViewPurpose): JsonObject;
}

/** Individual enrollments. */
export const ENROLLMENT_ROUTES: RouteKind = {
  segment: "enrollments",
  idField: "registrationId",
  listField: "enrollments",
  itemType: "Enrollment",
  selectAll: /^\s*(\*|select\s+\*(\s+from\s+enrollments)?)\s*$/i,
  records: (rt) => rt.store,
  validate: validateEnrollment,
  view: (rt, e, purpose) => {
    const state = rt.store.getRegistration(String(e.registrationId));
    return publicEnrollment(e, purpose, state && registrationStateView(state));
  },
};

/** Enrollment groups. */
export const GROUP_ROUTES: RouteKind = {
  segment: "enrollmentGroups",
  idField: "enrollmentGroupId",
  listField: "enrollmentGroups",
  itemType: "EnrollmentGroup",
  selectAll: /^\s*(\*|select\s+\*(\s+from\s+enrollmentgroups)?)\s*$/i,
  records: (rt) => rt.store.groups,
  validate: validateEnrollmentGroup,
  view: (_rt, g, purpose) => publicEnrollmentGroup(g, purpose),
};

/**
 * Validates a PUT (or bulk item) body of `kind` as `version` reads it. From 2026-11-01 the ADR fields
 * are checked and kept; an older version does not know them, so the record it writes has none (a PUT
 * replaces the record: ADR fields stored before are dropped, as documented in docs/emulator.md).
 */
export function validateRecord(
  rt: Runtime,
  kind: RouteKind,
  body: Json,
  id: string,
  version: string | null,
): JsonObject {
  const record = kind.validate(body, id, rt.linkedHubs);
  const ref = hasAdrFields(version) && isObject(body) ? adrReferenceOf(body) : undefined;
  return ref ? { ...record, ...ref } : record;
}

/**
 * What clients of `version` see of a stored record in an answer of `purpose`: the ADR fields only from
 * 2026-11-01.
 */
export function viewRecord(
  rt: Runtime,
  kind: RouteKind,
  stored: JsonObject,
  version: string | null,
  purpose: ViewPurpose,
): JsonObject {
  const view = kind.view(rt, stored, purpose);
  return hasAdrFields(version) ? view : withoutAdrFields(view);
}
