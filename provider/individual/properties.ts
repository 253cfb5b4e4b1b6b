/**
 * The properties of `IndividualEnrollment` as the plugin describes them. test/plugin/schema.test.ts
 * checks at compile time that their keys are the dynamic resource's (`IndividualEnrollmentArgs`,
 * `AttestationArgs`), so that the two faces cannot differ (here that would be an import cycle:
 * the resource class reads this kind's descriptor).
 */
import {
  JSON_OBJECT,
  SHARED_ATTESTATION,
  SHARED_INPUTS,
  text,
  typeRef,
  type PropertySpec,
} from "../plugin/properties";

/** The inputs of `IndividualEnrollment`: exactly the keys of `IndividualEnrollmentArgs` but `connection`. */
export const INDIVIDUAL_INPUTS = {
  registrationId: {
    ...text("`-RegistrationId`. Changing it replaces the enrollment."),
    replaceOnChanges: true,
  },
  attestation: {
    $ref: typeRef("Attestation"),
    description:
      "The attestation (`-AttestationType` and its keys or certificates). Its type cannot change in place.",
  },
  deviceId: text("`-DeviceId`."),
  optionalDeviceInformation: { ...JSON_OBJECT, description: "The CLI's `--device-information`." },
  ...SHARED_INPUTS,
} satisfies Record<string, PropertySpec>;

/** `attestation` of an individual enrollment: the keys of `AttestationArgs`. */
export const ATTESTATION_FIELDS = {
  ...SHARED_ATTESTATION,
  endorsementKey: text("TPM: endorsement key (required for TPM)."),
  storageRootKey: text("TPM: storage root key."),
  rootCertificate: {
    type: "boolean",
    description: "X.509: the certificates are signing (root/intermediate) certificates (`-RootCertificate`).",
  },
} satisfies Record<string, PropertySpec>;

/** Outputs only individual enrollments have. */
export const INDIVIDUAL_OUTPUTS = {
  registrationState: { ...JSON_OBJECT, description: "The device's registration state, once it registered." },
} satisfies Record<string, PropertySpec>;
