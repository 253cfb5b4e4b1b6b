// What clients see of a stored enrollment: symmetric keys hidden, registration state attached.
import type { JsonObject } from "./types";
import { isObject } from "./types";

/** Field order of the service's IndividualEnrollment. */
const ORDER = [
  "registrationId",
  "deviceId",
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
  "optionalDeviceInformation",
];

/** Field order of the service's EnrollmentGroup: the enrollment's, without the device's own fields. */
const GROUP_ORDER = [
  "enrollmentGroupId",
  ...ORDER.filter(
    (key) => !["registrationId", "deviceId", "registrationState", "optionalDeviceInformation"].includes(key),
  ),
];

/** The stored record in `order`, symmetric keys hidden. */
function publicRecord(stored: JsonObject, order: readonly string[]): JsonObject {
  const merged: JsonObject = { ...stored };
  const att = stored.attestation;
  if (isObject(att) && att.type === "symmetricKey")
    merged.attestation = { type: "symmetricKey", symmetricKey: {} };
  const out: JsonObject = {};
  for (const key of order) if (merged[key] !== undefined) out[key] = merged[key];
  return out;
}

/**
 * The enrollment as GET, PUT and query return it: `attestation.symmetricKey` is `{}` (keys are only
 * returned by `POST /enrollments/{id}/attestationmechanism`); `registrationState` is present when set.
 */
export function publicEnrollment(stored: JsonObject, registrationState?: JsonObject): JsonObject {
  return publicRecord(registrationState ? { ...stored, registrationState } : stored, ORDER);
}

/** The enrollment group as GET, PUT and query return it: symmetric keys hidden as for enrollments. */
export function publicEnrollmentGroup(stored: JsonObject): JsonObject {
  return publicRecord(stored, GROUP_ORDER);
}
