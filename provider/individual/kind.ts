/** Individual enrollments: the one descriptor of the kind (see provider/descriptor.ts). */
import type { KindDescriptor } from "../descriptor";
import { checkInputs, INDIVIDUAL_CHECKS } from "./check";
import { INDIVIDUAL_DOC } from "./examples";
import { ATTESTATION_FIELDS, INDIVIDUAL_INPUTS, INDIVIDUAL_OUTPUTS } from "./properties";

/** `IndividualEnrollment`: `/enrollments/{registrationId}`. */
export const INDIVIDUAL_ENROLLMENT = {
  resource: "IndividualEnrollment",
  noun: "Enrollment",
  idKey: "registrationId",
  signingCertificates: false,
  check: checkInputs,
  checks: INDIVIDUAL_CHECKS,
  collection: "/enrollments/",
  bulkField: "enrollments",
  plugin: {
    token: "dps-enrollments:index:IndividualEnrollment",
    inputs: INDIVIDUAL_INPUTS,
    outputs: INDIVIDUAL_OUTPUTS,
    attestation: {
      name: "Attestation",
      description: "How devices of an individual enrollment prove who they are.",
      properties: ATTESTATION_FIELDS,
    },
    doc: INDIVIDUAL_DOC,
  },
  dynamic: {
    type: "pulumi-nodejs:dynamic/dps:IndividualEnrollment",
    runtimeExport: "enrollmentProvider",
  },
} satisfies KindDescriptor;
