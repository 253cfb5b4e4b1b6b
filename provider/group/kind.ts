/** Enrollment groups as a kind of the shared machinery, and their dynamic provider. */
import type { dynamic } from "@pulumi/pulumi";
import { pageOf, type EnrollmentKind } from "../core/kind";
import { createProvider } from "../core/lifecycle";
import { checkGroupInputs } from "./check";

/** `EnrollmentGroup`: `/enrollmentGroups/{enrollmentGroupId}`. */
export const ENROLLMENT_GROUP: EnrollmentKind = {
  resource: "EnrollmentGroup",
  noun: "Enrollment group",
  idKey: "enrollmentGroupId",
  signingCertificates: true,
  check: checkGroupInputs,
  calls: {
    get: (client, id) => client.getEnrollmentGroup(id),
    attestation: (client, id) => client.getEnrollmentGroupAttestationMechanism(id),
    put: (client, record) => client.createOrUpdateEnrollmentGroup(record as never),
    delete: (client, id) => client.deleteEnrollmentGroup(id),
    query: (client, pageSize, token) =>
      pageOf(client.createEnrollmentGroupQuery({ query: "*" }, pageSize), token),
  },
};

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentGroup`. */
export const enrollmentGroupProvider: dynamic.ResourceProvider = createProvider(ENROLLMENT_GROUP);
