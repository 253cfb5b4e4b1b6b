/** A JSON value, as parsed from a request body or stored. */
export type Json = null | boolean | number | string | Json[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: Json;
}

/** Narrows an unknown value to a plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Rights a shared access policy can hold (the DPS `accessRights` names). */
export type AccessRight =
  | "ServiceConfig"
  | "EnrollmentRead"
  | "EnrollmentWrite"
  | "DeviceConnect"
  | "RegistrationStatusRead"
  | "RegistrationStatusWrite";

/** A DPS shared access policy the emulator accepts SAS tokens for. */
export interface SharedAccessPolicy {
  /** The policy name, sent as `skn`. */
  keyName: string;
  /** Base64 key. */
  primaryKey: string;
  /** Optional second base64 key; tokens signed with either verify. */
  secondaryKey?: string;
  /** What tokens signed with this policy may do. */
  rights: AccessRight[];
}

/** The emulator's DPS operations, as counted in stats. */
export type Operation = "get" | "put" | "delete" | "attestation" | "bulk" | "query" | "registration";

/** Fault injection settings. Rates are probabilities in [0, 1], applied to DPS routes only. */
export interface FaultOptions {
  /** Share of requests answered 500. */
  rate500?: number;
  /** Share of requests answered 503 (with `Retry-After: 1`). */
  rate503?: number;
  /** Share of requests whose connection is destroyed without an answer. */
  dropRate?: number;
  /** Delay added before every DPS request is handled, in milliseconds. */
  latencyMs?: number;
  /**
   * Faults for the next DPS requests, one each, in order, before the rates apply again: a test that
   * must see a given fault sets it here rather than hoping a random draw picks it. Setting it
   * replaces what is left of the previous sequence; `[]` clears it.
   */
  next?: readonly InjectedFault[];
  /**
   * Another client's write, played just before the next write of ours naming a record: see
   * {@link ConcurrentWrite}. `null` (the default) turns it off.
   */
  concurrentWrite?: ConcurrentWrite | null;
}

/**
 * "Another writer", for tests of optimistic concurrency: on the next write naming the record (a PUT
 * or DELETE of it, or a bulk call with an item naming it) while the record exists, the emulator first
 * changes the record as another client would (sets `set`'s fields, a new etag), then handles the
 * request as usual, so a write carrying the etag it read answers 412. Name exactly one record.
 */
export interface ConcurrentWrite {
  /** The individual enrollment the other writer changes. */
  registrationId?: string;
  /** The enrollment group the other writer changes. */
  enrollmentGroupId?: string;
  /** Top-level fields the other writer sets on the record (the record must stay valid). */
  set: JsonObject;
  /** How many of the next writes naming the record meet the other writer; default 1. */
  times?: number;
}

/** A fault the emulator can inject into one DPS request. */
export type InjectedFault = "drop" | "500" | "503";

/**
 * How bulk writes answer for records that exist, sent without an etag. The real DPS refuses a bulk
 * `update` of an existing record item by item (409201 "Enrollment already exists.", 409202
 * "EnrollmentGroup already exists.", nothing written), as recorded for enrollments and groups; what it
 * does with `updateIfMatchETag` is not recorded.
 */
export interface BulkQuirks {
  /** Refuse bulk `update` of existing records as recorded; default true. False: replace them (the REST spec's reading). */
  updateRefusesExisting?: boolean;
  /** Refuse bulk `updateIfMatchETag` of existing records the same way; default false (not recorded). */
  updateIfMatchETagRefusesExisting?: boolean;
}
