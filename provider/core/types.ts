/**
 * Plain (resolved) shapes shared by every kind of enrollment, the dynamic provider and the pure rules.
 * The resources' `XArgs` wrap these in `pulumi.Input`; the provider receives them resolved. A kind
 * that lacks a property (groups have no `deviceId`) refuses it in its `check`.
 */
import type { DpsConnection, DpsFacts } from "./connection";

import type { JsonObject, WireIds } from "./wire";

export type { JsonObject, JsonValue } from "./wire";

/** The DPS an enrollment lives in, with what is known about it at preview time. */
export type EnrollmentConnection = DpsConnection & DpsFacts;

/** `Enabled` or `Disabled`, the cmdlet's spelling (inputs are accepted in any case). */
export type ProvisioningStatus = "Enabled" | "Disabled";
/** The cmdlet's `PSReprovisionType` values. */
export type ReprovisionPolicy = "reprovisionandmigratedata" | "reprovisionandresetdata" | "never";
/** The cmdlet's `PSAllocationPolicy` values. */
export type AllocationPolicy = "Hashed" | "GeoLatency" | "Static" | "Custom";
/** The attestation kinds this provider manages. */
export type AttestationType = "symmetricKey" | "tpm" | "x509";

/** Symmetric-key attestation: both keys, or neither (then keys are generated when the enrollment is created). */
export interface SymmetricKeyAttestation {
  /** Attestation kind. */
  type: "symmetricKey";
  /** Base64 key of 16 to 64 bytes. Secret. */
  primaryKey?: string;
  /** Base64 key of 16 to 64 bytes. Secret. */
  secondaryKey?: string;
}

/** TPM attestation. */
export interface TpmAttestation {
  /** Attestation kind. */
  type: "tpm";
  /** The TPM's endorsement key, base64. Required. */
  endorsementKey: string;
  /** The TPM's storage root key, base64. */
  storageRootKey?: string;
}

/** X.509 attestation with certificates (PEM or base64 DER). */
export interface X509CertificateAttestation {
  /** Attestation kind. */
  type: "x509";
  /** The primary certificate. Required in this form. */
  primaryCertificate: string;
  /** The secondary certificate. */
  secondaryCertificate?: string;
  /**
   * The cmdlet's `-RootCertificate` switch: `true` registers the certificates as signing (root or
   * intermediate) certificates, `false` or absent as client (leaf) certificates.
   */
  rootCertificate?: boolean;
}

/** X.509 attestation by names of CA certificates uploaded to the DPS. */
export interface X509CaAttestation {
  /** Attestation kind. */
  type: "x509";
  /** Name of the primary CA certificate in the DPS. Required in this form. */
  primaryCaName: string;
  /** Name of the secondary CA certificate in the DPS. */
  secondaryCaName?: string;
}

/** How devices of the enrollment prove who they are. The type cannot change in place (it replaces). */
export type Attestation =
  SymmetricKeyAttestation | TpmAttestation | X509CertificateAttestation | X509CaAttestation;

/**
 * Every field any attestation kind can carry, flattened: the form kept in state, where only the fields
 * of `type` are set.
 */
export interface AttestationState {
  /** Attestation kind. */
  type: AttestationType;
  /** Symmetric primary key (secret). */
  primaryKey?: string;
  /** Symmetric secondary key (secret). */
  secondaryKey?: string;
  /** TPM endorsement key. */
  endorsementKey?: string;
  /** TPM storage root key. */
  storageRootKey?: string;
  /** X.509 primary certificate, when known (the service reports only its info). */
  primaryCertificate?: string;
  /** X.509 secondary certificate, when known. */
  secondaryCertificate?: string;
  /** X.509: certificates are signing certificates. */
  rootCertificate?: boolean;
  /** X.509 primary CA name. */
  primaryCaName?: string;
  /** X.509 secondary CA name. */
  secondaryCaName?: string;
}

/**
 * What the service reports (`info`) about an enrolled X.509 certificate, the fields a user acts on:
 * which certificate it is and when it expires.
 */
export interface CertificateSummary {
  /** SHA-256 thumbprint, upper-case hex without separators, as the service reports it. */
  sha256Thumbprint: string;
  /** SHA-1 thumbprint, as the service reports it. */
  sha1Thumbprint: string;
  /** The certificate's subject, e.g. `CN=device-1`. */
  subjectName: string;
  /** End of validity, ISO 8601 UTC. */
  notAfterUtc: string;
}

/**
 * The enrolled certificates of an X.509 enrollment: an individual enrollment's client (or signing)
 * certificates, a group's signing certificates. Absent for other attestations and CA references.
 */
export interface EnrolledCertificates {
  /** The primary certificate. */
  primary?: CertificateSummary;
  /** The secondary certificate, when there is one. */
  secondary?: CertificateSummary;
}

/** The enrollment properties a program can manage, resolved. Absent means "not managed". */
export interface EnrollmentProperties {
  /** IoT Hub device id the device gets. */
  deviceId?: string;
  /** Whether devices may provision. */
  provisioningStatus?: ProvisioningStatus;
  /** What happens to device data when a device is re-provisioned to another hub. */
  reprovisionPolicy?: ReprovisionPolicy;
  /** `capabilities.iotEdge`. */
  edgeEnabled?: boolean;
  /** Initial twin tags, replaced whole. */
  tags?: JsonObject;
  /** Initial twin desired properties, replaced whole. */
  desired?: JsonObject;
  /** `optionalDeviceInformation`, replaced whole. */
  optionalDeviceInformation?: JsonObject;
  /** How a hub is chosen for the device. */
  allocationPolicy?: AllocationPolicy;
  /** Host names of the hubs the policy chooses among. */
  iotHubs?: string[];
  /** Legacy single-hub assignment; exclusive with `allocationPolicy` and `iotHubs`. */
  iotHubHostName?: string;
  /** Custom allocation webhook (Azure Function) URL. */
  webhookUrl?: string;
  /** Custom allocation API version. */
  apiVersion?: string;
  /** Azure Device Registry namespace of the certificate policy (data plane 2026-11-01); with the other two. */
  namespaceName?: string;
  /** Azure Device Registry certificate authority that owns the policy; with the other two. */
  certificateAuthorityName?: string;
  /** Azure Device Registry certificate policy that issues devices' operational certificates; with the other two. */
  certificatePolicyName?: string;
}

/**
 * The properties every record has, read back with the service's defaults when a program never set
 * them (`fromWire` fills each), and that every kind takes as input.
 */
export const RECORD_PROPERTIES = [
  "attestation",
  "provisioningStatus",
  "reprovisionPolicy",
  "edgeEnabled",
  "tags",
  "desired",
] as const satisfies readonly (keyof EnrollmentView)[];

/** The Azure Device Registry certificate-policy reference: all three, or none. */
export const ADR_PROPERTIES = [
  "namespaceName",
  "certificateAuthorityName",
  "certificatePolicyName",
] as const satisfies readonly (keyof EnrollmentProperties)[];

/** Properties a Set replaces whole when the program names them (the cmdlet's simple parameters). */
export const REPLACED_PROPERTIES = [
  "deviceId",
  "provisioningStatus",
  "reprovisionPolicy",
  "edgeEnabled",
  "tags",
  "desired",
  "optionalDeviceInformation",
  ...ADR_PROPERTIES,
] as const satisfies readonly (keyof EnrollmentProperties)[];

/** Properties of the allocation, applied together with the effective policy. */
export const ALLOCATION_PROPERTIES = [
  "allocationPolicy",
  "iotHubs",
  "iotHubHostName",
  "webhookUrl",
  "apiVersion",
] as const satisfies readonly (keyof EnrollmentProperties)[];

/** The property that names a record (see wire.ts, which the list of kinds is checked against). */
export type { IdKey } from "./wire";

/** The id of a record under its kind's key (exactly one is set). */
export type RecordIds = WireIds;

/** Resolved inputs of an enrollment of any kind, as the dynamic provider receives them. */
export interface EnrollmentInputs extends EnrollmentProperties, RecordIds {
  /** The DPS. */
  connection: EnrollmentConnection;
  /** The attestation. */
  attestation: Attestation;
  /** Take over an existing enrollment with Set semantics instead of failing. */
  adopt?: boolean;
}

/** What the service holds for an enrollment of any kind, in the provider's canonical form. */
export interface EnrollmentView extends EnrollmentProperties, RecordIds {
  /** The attestation, with the secrets the provider knows. */
  attestation: AttestationState;
  /** The service's etag of this version. */
  etag?: string;
  /** When the enrollment was created. */
  createdDateTimeUtc?: string;
  /** When the enrollment was last changed. */
  lastUpdatedDateTimeUtc?: string;
  /** The device's registration, once a device has registered. */
  registrationState?: JsonObject;
  /** What the service reports about the enrolled X.509 certificates (read-only; absent in older state). */
  certificates?: EnrolledCertificates;
}

/** The outputs of an enrollment of any kind (its state). */
export interface EnrollmentOutputs extends EnrollmentView {
  /** The DPS (secret). */
  connection: EnrollmentConnection;
  /** As given. */
  adopt?: boolean;
  /**
   * The data-plane api-version this view was read or written with; absent in state written before
   * 2026-11-01 was spoken, whose view may lack fields only that version returns (see lifecycle.ts).
   */
  __dataPlane?: string;
}
