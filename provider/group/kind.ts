/** Enrollment groups: the one descriptor of the kind (see provider/descriptor.ts). */
import type { dynamic } from "@pulumi/pulumi";
import type { KindDescriptor, ResourceSchema } from "../descriptor";
import { createProvider } from "../dynamic/provider";
import { enrollmentOperations } from "../plugin/enrollmentOperations";
import { enrollmentSchema } from "../plugin/enrollmentSchema";
import type { PluginOperations } from "../plugin/operations";
import { checkGroupInputs, GROUP_CHECKS } from "./check";
import { DERIVE_DEVICE_KEY, DERIVE_DEVICE_KEY_FUNCTION } from "./deviceKeyFunction";
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
    schema: (): ResourceSchema => enrollmentSchema(ENROLLMENT_GROUP, ENROLLMENT_GROUP.plugin),
    functions: { [DERIVE_DEVICE_KEY_FUNCTION]: DERIVE_DEVICE_KEY },
    operations: (): PluginOperations => enrollmentOperations(ENROLLMENT_GROUP),
  },
  dynamic: {
    type: "pulumi-nodejs:dynamic/dps:EnrollmentGroup",
    runtimeExport: "enrollmentGroupProvider",
    provider: (): dynamic.ResourceProvider => createProvider(ENROLLMENT_GROUP),
  },
} satisfies KindDescriptor;
