/**
 * The `check` of `IndividualEnrollment`: the shared rules plus a device id, optional device
 * information, TPM attestation, and X.509 by the device's own (client) certificate.
 */
import {
  checkEnrollment,
  checkTwinPart,
  isUnknown,
  TWIN_LIMITS,
  type CheckOutcome,
  type CheckSpec,
} from "../core/checks";

/** IoT Hub device ids: up to 128 ASCII letters, digits and `- . % _ * ? ! ( ) , : = @ $ '`. */
const DEVICE_ID = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

/** What individual enrollments add to the shared rules. */
export const INDIVIDUAL_CHECKS: CheckSpec = {
  resource: "IndividualEnrollment",
  idKey: "registrationId",
  inputs: ["deviceId", "optionalDeviceInformation"],
  attestations: {
    symmetricKey: ["primaryKey", "secondaryKey"],
    tpm: ["endorsementKey", "storageRootKey"],
    x509: [
      "primaryCertificate",
      "secondaryCertificate",
      "rootCertificate",
      "primaryCaName",
      "secondaryCaName",
    ],
  },
  rules(raw, fail) {
    const deviceId = raw.deviceId;
    if (
      deviceId !== undefined &&
      !isUnknown(deviceId) &&
      (typeof deviceId !== "string" || !DEVICE_ID.test(deviceId))
    ) {
      fail(
        "deviceId",
        `deviceId ${JSON.stringify(deviceId)} is invalid: use 1 to 128 ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ '.`,
      );
    }
    checkTwinPart(raw, "optionalDeviceInformation", TWIN_LIMITS.deviceInformationBytes, fail);
  },
  attestationRules(type, value, fail) {
    if (type === "tpm" && value.endorsementKey === undefined) {
      fail(
        "attestation.endorsementKey",
        "TPM attestation needs endorsementKey (the TPM's public endorsement key, base64).",
      );
    }
    const root = value.rootCertificate;
    if (type !== "x509" || root === undefined || isUnknown(root)) return;
    if (typeof root !== "boolean") {
      fail("attestation.rootCertificate", "attestation.rootCertificate must be true or false.");
    } else if (root) {
      // The service takes signing (root) certificates only in enrollment groups.
      fail(
        "attestation.rootCertificate",
        "rootCertificate: true (signing certificates) applies only to enrollment groups; an individual " +
          "enrollment takes the device's own (client) certificate. Remove rootCertificate, or use primaryCaName.",
      );
    }
  },
};

/** Validates the raw inputs of an `IndividualEnrollment` and canonicalizes its enums. Pure. */
export function checkInputs(raw: Record<string, unknown>): CheckOutcome {
  return checkEnrollment(raw, INDIVIDUAL_CHECKS);
}
