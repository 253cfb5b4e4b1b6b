/**
 * Pulumi dynamic resource provider for Azure IoT Hub Device Provisioning Service individual enrollments.
 * @packageDocumentation
 */
export { IndividualEnrollment } from "./resource";
export type {
  IndividualEnrollmentArgs,
  IndividualEnrollmentGetArgs,
  DpsConnectionArgs,
  AttestationArgs,
} from "./resource";
export type { DpsConnection, DpsFacts } from "./connection";
export type {
  Attestation,
  AttestationState,
  AttestationType,
  AllocationPolicy,
  EnrollmentConnection,
  JsonObject,
  JsonValue,
  ProvisioningStatus,
  ReprovisionPolicy,
  SymmetricKeyAttestation,
  TpmAttestation,
  X509CaAttestation,
  X509CertificateAttestation,
} from "./types";
export { DpsServiceError } from "./errors";
export { createServiceClient } from "./transport";
export { dpsConnection, dpsConnectionFromResource, dpsConnectionFromResourceId } from "./azure";
export type { AzureDpsConnection, DpsConnectionOptions, DpsNames, DpsDescription } from "./azure";
export { parseDpsResourceId, MISSING_ENROLLMENT_WRITE_POLICY } from "./resourceId";
