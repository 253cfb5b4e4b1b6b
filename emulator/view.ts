// What clients see of a stored record, per answer: the service shows keys only in write answers,
// never the PEM of a certificate, and an `unassigned` registration state on a GET.
import type { JsonObject } from "./types";
import { isObject } from "./types";

/**
 * The answer a record is shown in. `write`: a PUT's answer, which carries the symmetric keys (given or
 * generated); `read`: a GET's, without them; `query`: a query page's, without them.
 */
export type ViewPurpose = "write" | "read" | "query";

/** Field order of the service's IndividualEnrollment, as its answers are recorded. */
const ORDER = [
  "registrationId",
  "deviceId",
  "optionalDeviceInformation",
  "namespaceName",
  "certificateAuthorityName",
  "certificatePolicyName",
  "registrationState",
  "attestation",
  "capabilities",
  "iotHubHostName",
  "initialTwin",
  "etag",
  "provisioningStatus",
  "reprovisionPolicy",
  "createdDateTimeUtc",
  "lastUpdatedDateTimeUtc",
  "allocationPolicy",
  "iotHubs",
  "customAllocationDefinition",
];

/** Field order of the service's EnrollmentGroup: the enrollment's, without the device's own fields. */
const GROUP_ORDER = [
  "enrollmentGroupId",
  ...ORDER.filter(
    (key) => !["registrationId", "deviceId", "registrationState", "optionalDeviceInformation"].includes(key),
  ),
];

/** `{primary: {certificate, info}, ...}` as answers show it: `info` only, never the PEM. */
function certificatesInfoOnly(certs: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [slot, cert] of Object.entries(certs)) {
    out[slot] = isObject(cert) && isObject(cert.info) ? { info: cert.info } : cert;
  }
  return out;
}

/**
 * The attestation as answers show it (recordings of the real DPS, api-version 2021-10-01): symmetric
 * keys in write answers only, with no `symmetricKey` object at all in reads; X.509 certificates as
 * their `info` only.
 */
function publicAttestation(att: JsonObject, purpose: ViewPurpose): JsonObject {
  if (att.type === "symmetricKey") {
    return purpose === "write" && isObject(att.symmetricKey)
      ? { type: att.type, symmetricKey: att.symmetricKey }
      : { type: att.type };
  }
  if (att.type === "x509" && isObject(att.x509)) {
    const x509: JsonObject = {};
    for (const [field, value] of Object.entries(att.x509)) {
      x509[field] =
        (field === "clientCertificates" || field === "signingCertificates") && isObject(value)
          ? certificatesInfoOnly(value)
          : value;
    }
    return { ...att, x509 };
  }
  return att;
}

/** The stored record in `order`, as `purpose` shows it. */
function publicRecord(stored: JsonObject, order: readonly string[], purpose: ViewPurpose): JsonObject {
  const merged: JsonObject = { ...stored };
  if (isObject(stored.attestation)) merged.attestation = publicAttestation(stored.attestation, purpose);
  const out: JsonObject = {};
  for (const key of order) if (merged[key] !== undefined) out[key] = merged[key];
  return out;
}

/**
 * The enrollment as `purpose` shows it (see {@link ViewPurpose}). A GET carries `registrationState`
 * always: the device's, else `{registrationId, status: "unassigned"}` as the service answers for an
 * enrollment no device has used; a query carries it only when a device registered; a PUT never.
 */
export function publicEnrollment(
  stored: JsonObject,
  purpose: ViewPurpose,
  registrationState?: JsonObject,
): JsonObject {
  let state: JsonObject | undefined;
  if (purpose === "read")
    state = registrationState ?? { registrationId: stored.registrationId, status: "unassigned" };
  else if (purpose === "query") state = registrationState;
  return publicRecord(state ? { ...stored, registrationState: state } : stored, ORDER, purpose);
}

/** The enrollment group as `purpose` shows it: attestation as for enrollments. */
export function publicEnrollmentGroup(stored: JsonObject, purpose: ViewPurpose): JsonObject {
  return publicRecord(stored, GROUP_ORDER, purpose);
}
