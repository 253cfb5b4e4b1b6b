/** Individual enrollments as a kind of the shared machinery, and their dynamic provider. */
import type { dynamic } from "@pulumi/pulumi";
import { pageOf, type EnrollmentKind } from "../core/kind";
import { createProvider } from "../core/lifecycle";
import { checkInputs } from "./check";

/** `IndividualEnrollment`: `/enrollments/{registrationId}`. */
export const INDIVIDUAL_ENROLLMENT: EnrollmentKind = {
  resource: "IndividualEnrollment",
  noun: "Enrollment",
  idKey: "registrationId",
  signingCertificates: false,
  check: checkInputs,
  calls: {
    get: (client, id) => client.getIndividualEnrollment(id),
    attestation: (client, id) => client.getIndividualEnrollmentAttestationMechanism(id),
    put: (client, record) => client.createOrUpdateIndividualEnrollment(record as never),
    delete: (client, id) => client.deleteIndividualEnrollment(id),
    query: (client, pageSize, token) =>
      pageOf(client.createIndividualEnrollmentQuery({ query: "*" }, pageSize), token),
  },
};

/** The `pulumi.dynamic.ResourceProvider` of `IndividualEnrollment`. */
export const enrollmentProvider: dynamic.ResourceProvider = createProvider(INDIVIDUAL_ENROLLMENT);
