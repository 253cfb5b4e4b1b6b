/** Enrollment groups: the one descriptor of the kind (see provider/descriptor.ts). */
import type { KindDescriptor } from "../descriptor";
import { checkGroupInputs, GROUP_CHECKS } from "./check";
import { GROUP_DOC } from "./examples";
import { GROUP_ATTESTATION_FIELDS, GROUP_INPUTS } from "./properties";

/** `EnrollmentGroup`: `/enrollmentGroups/{enrollmentGroupId}`. */
export const ENROLLMENT_GROUP = {
  resource: "EnrollmentGroup",
  noun: "Enrollment group",
  idKey: "enrollmentGroupId",
  signingCertificates: true,
  check: checkGroupInputs,
  checks: GROUP_CHECKS,
  collection: "/enrollmentGroups/",
  bulkField: "enrollmentGroups",
  plugin: {
    token: "dps-enrollments:index:EnrollmentGroup",
    inputs: GROUP_INPUTS,
    outputs: {},
    attestation: {
      name: "GroupAttestation",
      description: "How devices of an enrollment group prove who they are (no TPM).",
      properties: GROUP_ATTESTATION_FIELDS,
    },
    doc: GROUP_DOC,
  },
  dynamic: {
    type: "pulumi-nodejs:dynamic/dps:EnrollmentGroup",
    runtimeExport: "enrollmentGroupProvider",
  },
} satisfies KindDescriptor;
