/**
 * Pulumi dynamic resource provider for Azure IoT Hub Device Provisioning Service individual
 * enrollments and enrollment groups.
 * @packageDocumentation
 */
export { IndividualEnrollment } from "./individual/resource";
export type {
  IndividualEnrollmentArgs,
  IndividualEnrollmentGetArgs,
  AttestationArgs,
} from "./individual/resource";
export { tpmRegistrationId } from "./individual/tpmRegistrationId";
export { EnrollmentGroup } from "./group/resource";
export { EnrollmentFleet } from "./fleet/resource";
export type {
  EnrollmentFleetArgs,
  FleetItemArgs,
  FleetPropertiesArgs,
  FleetAttestationArgs,
} from "./fleet/resource";
export type { EnrollmentGroupArgs, EnrollmentGroupGetArgs, GroupAttestationArgs } from "./group/resource";
export { deriveDeviceKey, deriveDeviceKeyOutput } from "./group/deviceKey";
export type {
  DpsConnectionArgs,
  SharedAttestationArgs,
  SharedEnrollmentArgs,
  EnrollmentGetArgs,
} from "./dynamic/resource";
export { EnrollmentResource } from "./dynamic/resource";
export type { DpsConnection, DpsFacts } from "./core/connection";
export type {
  Attestation,
  AttestationState,
  AttestationType,
  AllocationPolicy,
  CertificateSummary,
  EnrolledCertificates,
  EnrollmentConnection,
  JsonObject,
  JsonValue,
  ProvisioningStatus,
  ReprovisionPolicy,
  SymmetricKeyAttestation,
  TpmAttestation,
  X509CaAttestation,
  X509CertificateAttestation,
} from "./core/types";
export { DpsServiceError } from "./core/errors";
export { createServiceClient } from "./core/transport";
export { dpsConnection, dpsConnectionFromResource, dpsConnectionFromResourceId } from "./azure/dps";
export type { AzureDpsConnection, DpsConnectionOptions, DpsNames, DpsDescription } from "./azure/dps";
export {
  parseDpsResourceId,
  pickEnrollmentWritePolicy,
  buildConnectionString,
  MISSING_ENROLLMENT_WRITE_POLICY,
} from "./azure/resourceId";
