/** Individual enrollments: the one descriptor of the kind (see provider/descriptor.ts). */
import type { dynamic } from "@pulumi/pulumi";
import type { KindDescriptor, ResourceSchema } from "../descriptor";
import { createProvider } from "../dynamic/provider";
import { enrollmentOperations } from "../plugin/enrollmentOperations";
import { enrollmentSchema } from "../plugin/enrollmentSchema";
import type { PluginOperations } from "../plugin/operations";
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
    schema: (): ResourceSchema => enrollmentSchema(INDIVIDUAL_ENROLLMENT, INDIVIDUAL_ENROLLMENT.plugin),
    functions: {},
    operations: (): PluginOperations => enrollmentOperations(INDIVIDUAL_ENROLLMENT),
  },
  dynamic: {
    type: "pulumi-nodejs:dynamic/dps:IndividualEnrollment",
    runtimeExport: "enrollmentProvider",
    provider: (): dynamic.ResourceProvider => createProvider(INDIVIDUAL_ENROLLMENT),
  },
} satisfies KindDescriptor;
