/** Individual enrollments as a kind of the shared machinery. */
import type { EnrollmentKind } from "../core/kind";
import { checkInputs } from "./check";

/** `IndividualEnrollment`: `/enrollments/{registrationId}`. */
export const INDIVIDUAL_ENROLLMENT: EnrollmentKind = {
  resource: "IndividualEnrollment",
  noun: "Enrollment",
  idKey: "registrationId",
  signingCertificates: false,
  check: checkInputs,
  collection: "/enrollments/",
};
