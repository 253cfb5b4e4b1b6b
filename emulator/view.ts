// What clients see of a stored enrollment: symmetric keys hidden, registration state attached.
import type { JsonObject } from "./types";
import { isObject } from "./types";

/** Field order of the service's IndividualEnrollment. */
const ORDER = [
  "registrationId",
  "deviceId",
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

/**
 * The enrollment as GET, PUT and query return it: `attestation.symmetricKey` is `{}` (keys are only
 * returned by `POST /enrollments/{id}/attestationmechanism`); `registrationState` is present when set.
 */
export function publicEnrollment(stored: JsonObject, registrationState?: JsonObject): JsonObject {
  const merged: JsonObject = { ...stored };
  if (registrationState) merged.registrationState = registrationState;
  const att = stored.attestation;
  if (isObject(att) && att.type === "symmetricKey")
    merged.attestation = { type: "symmetricKey", symmetricKey: {} };
  const out: JsonObject = {};
  for (const key of ORDER) if (merged[key] !== undefined) out[key] = merged[key];
  return out;
}
