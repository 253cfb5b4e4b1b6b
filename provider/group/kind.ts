/** Enrollment groups as a kind of the shared machinery. */
import type { EnrollmentKind } from "../core/kind";
import { checkGroupInputs } from "./check";

/** `EnrollmentGroup`: `/enrollmentGroups/{enrollmentGroupId}`. */
export const ENROLLMENT_GROUP: EnrollmentKind = {
  resource: "EnrollmentGroup",
  noun: "Enrollment group",
  idKey: "enrollmentGroupId",
  signingCertificates: true,
  check: checkGroupInputs,
  collection: "/enrollmentGroups/",
};
