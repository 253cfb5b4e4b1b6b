/** Enrollment groups as a kind of the shared machinery, and their dynamic provider. */
import type { dynamic } from "@pulumi/pulumi";
import type { EnrollmentKind } from "../core/kind";
import { createProvider } from "../core/lifecycle";
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

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentGroup`. */
export const enrollmentGroupProvider: dynamic.ResourceProvider = createProvider(ENROLLMENT_GROUP);
