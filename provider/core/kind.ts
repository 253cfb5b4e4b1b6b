/**
 * What a kind of enrollment (individual enrollment, enrollment group) tells the shared machinery:
 * its id property, its words, its `check` rules and its collection on the data plane. Each kind
 * folder exports one descriptor (provider/descriptor.ts) that extends this with what its faces need;
 * the list in provider/kinds.ts is the one place that names them all.
 */
import type { CheckOutcome } from "./checks";
import type { WireCollection } from "./wire";

/** How a kind's records look on the wire. */
export interface WireForm {
  /** The id property, the same in inputs, state and on the wire. */
  idKey: WireCollection["idKey"];
  /** X.509 certificates are signing certificates (groups) rather than the device's own. */
  signingCertificates: boolean;
}

/** A kind of enrollment, as the shared machinery (checks, Set semantics, service calls) sees it. */
export interface EnrollmentKind extends WireForm, WireCollection {
  /** The resource's class name, for messages (`IndividualEnrollment`). */
  resource: string;
  /** How messages name one record, capitalized (`Enrollment`, `Enrollment group`). */
  noun: string;
  /** The `check` of this kind: canonical inputs and failures. Pure. */
  check(raw: Record<string, unknown>): CheckOutcome;
}
