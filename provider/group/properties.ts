/**
 * The properties of `EnrollmentGroup` as the plugin describes them. test/plugin/schema.test.ts
 * checks at compile time that their keys are the dynamic resource's (`EnrollmentGroupArgs`,
 * `GroupAttestationArgs`), so that the two faces cannot differ.
 */
import { SHARED_ATTESTATION, SHARED_INPUTS, text, typeRef, type PropertySpec } from "../plugin/properties";

/** The inputs of `EnrollmentGroup`: exactly the keys of `EnrollmentGroupArgs` but `connection`. */
export const GROUP_INPUTS = {
  enrollmentGroupId: {
    ...text("`-Name`: the enrollment group id. Changing it replaces the group."),
    replaceOnChanges: true,
  },
  attestation: {
    $ref: typeRef("GroupAttestation"),
    description: "The attestation (symmetric group keys, X.509 signing certificates or CA names).",
  },
  ...SHARED_INPUTS,
} satisfies Record<string, PropertySpec>;

/** `attestation` of an enrollment group: the keys of `GroupAttestationArgs`. */
export const GROUP_ATTESTATION_FIELDS = SHARED_ATTESTATION;
