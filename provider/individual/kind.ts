/** Individual enrollments as a kind of the shared machinery, and their dynamic provider. */
import type { dynamic } from "@pulumi/pulumi";
import type { EnrollmentKind } from "../core/kind";
import { createProvider } from "../core/lifecycle";
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

/** The `pulumi.dynamic.ResourceProvider` of `IndividualEnrollment`. */
export const enrollmentProvider: dynamic.ResourceProvider = createProvider(INDIVIDUAL_ENROLLMENT);
