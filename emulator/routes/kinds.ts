// What the DPS routes need to know about a kind of record, so single, bulk and query routes exist
// once for individual enrollments and enrollment groups.
import { registrationStateView } from "../device/registration";
import type { Runtime } from "../runtime";
import type { PutResult } from "../table";
import type { Json, JsonObject } from "../types";
import { validateEnrollment, validateEnrollmentGroup } from "../validation";
import { publicEnrollment, publicEnrollmentGroup } from "../view";

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
  /** The query text that selects every record (besides `*`). */
  selectAll: RegExp;
  /** The records of `rt`. */
  records(rt: Runtime): Records;
  /** Validates a PUT body (throws the service's 400). */
  validate(body: Json, id: string, linkedHubs: readonly string[]): JsonObject;
  /** What clients see of a stored record. */
  view(rt: Runtime, stored: JsonObject): JsonObject;
}

/** Individual enrollments. */
export const ENROLLMENT_ROUTES: RouteKind = {
  segment: "enrollments",
  idField: "registrationId",
  listField: "enrollments",
  itemType: "Enrollment",
  selectAll: /^\s*(\*|select\s+\*\s+from\s+enrollments)\s*$/i,
  records: (rt) => rt.store,
  validate: validateEnrollment,
  view: (rt, e) => {
    const state = rt.store.getRegistration(String(e.registrationId));
    return publicEnrollment(e, state && registrationStateView(state));
  },
};

/** Enrollment groups. */
export const GROUP_ROUTES: RouteKind = {
  segment: "enrollmentGroups",
  idField: "enrollmentGroupId",
  listField: "enrollmentGroups",
  itemType: "EnrollmentGroup",
  selectAll: /^\s*(\*|select\s+\*\s+from\s+enrollmentgroups)\s*$/i,
  records: (rt) => rt.store.groups,
  validate: validateEnrollmentGroup,
  view: (_rt, g) => publicEnrollmentGroup(g),
};
