/**
 * What a kind of enrollment (individual enrollment, enrollment group) tells the shared machinery:
 * its id property, its words, its `check` rules and its collection on the data plane. A new kind is one object
 * of this type in a folder of its own.
 */
import type { CheckOutcome } from "./checks";
import type { CollectionPath } from "./wire";
import type { IdKey } from "./types";

/** How a kind's records look on the wire. */
export interface WireForm {
  /** The id property, the same in inputs, state and on the wire. */
  idKey: IdKey;
  /** X.509 certificates are signing certificates (groups) rather than the device's own. */
  signingCertificates: boolean;
}

/** A kind of enrollment. */
export interface EnrollmentKind extends WireForm {
  /** The resource's class name, for messages (`IndividualEnrollment`). */
  resource: string;
  /** How messages name one record, capitalized (`Enrollment`, `Enrollment group`). */
  noun: string;
  /** The `check` of this kind: canonical inputs and failures. Pure. */
  check(raw: Record<string, unknown>): CheckOutcome;
  /** Where its records live on the data plane. */
  collection: CollectionPath;
}
