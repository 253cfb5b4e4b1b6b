/**
 * The `check` of `EnrollmentGroup`: the shared rules, no device id, no TPM (the service has no TPM
 * groups), and X.509 signing certificates parsed at preview so a file that is no certificate fails
 * before any call.
 */
import { X509Certificate } from "node:crypto";
import { checkEnrollment, isUnknown, type CheckOutcome, type CheckSpec, type Fail } from "../core/checks";

/** Parses PEM or base64 DER; undefined when it is not a certificate. */
function parseCertificate(text: string): X509Certificate | undefined {
  try {
    const pem = text.includes("-----BEGIN CERTIFICATE-----");
    return new X509Certificate(pem ? text : Buffer.from(text.replace(/\s+/g, ""), "base64"));
  } catch {
    return undefined;
  }
}

function checkSigningCertificate(value: unknown, key: string, fail: Fail): void {
  if (typeof value !== "string" || value.trim() === "" || isUnknown(value)) return;
  const cert = parseCertificate(value);
  if (!cert) {
    fail(
      `attestation.${key}`,
      `attestation.${key} is not an X.509 certificate: give the signing (root or intermediate) certificate as PEM or base64 DER.`,
    );
  }
  // A certificate without CA extensions is no preview error: the service takes it (a self-signed one
  // with no extensions, recorded, issue 27); a device whose chain it does not sign is refused when it
  // registers.
}

/** What enrollment groups add to the shared rules. */
export const GROUP_CHECKS: CheckSpec = {
  resource: "EnrollmentGroup",
  idKey: "enrollmentGroupId",
  inputs: [],
  attestations: {
    symmetricKey: ["primaryKey", "secondaryKey"],
    x509: ["primaryCertificate", "secondaryCertificate", "primaryCaName", "secondaryCaName"],
  },
  rules() {},
  attestationRules(type, value, fail) {
    if (type !== "x509") return;
    checkSigningCertificate(value.primaryCertificate, "primaryCertificate", fail);
    checkSigningCertificate(value.secondaryCertificate, "secondaryCertificate", fail);
  },
};

/** Validates the raw inputs of an `EnrollmentGroup` and canonicalizes its enums. Pure. */
export function checkGroupInputs(raw: Record<string, unknown>): CheckOutcome {
  return checkEnrollment(raw, GROUP_CHECKS);
}
