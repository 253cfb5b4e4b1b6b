/**
 * The REST shapes of the DPS data plane (api-version 2026-11-01) the provider reads and writes: records,
 * attestations, query pages and collection paths. A leaf module: it imports nothing of ours, so every
 * other module (the client, the fleet reader, the Set semantics, the kinds) can depend on it without a cycle.
 */

/** A JSON object, as twin tags, desired properties and device information are. */
export type JsonObject = { [key: string]: JsonValue };
/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonObject | JsonValue[];

/**
 * The record ids of the data plane, one per kind of record (REST: `IndividualEnrollment.registrationId`,
 * `EnrollmentGroup.enrollmentGroupId`). The id keys and collections below derive from these two tables,
 * and provider/kinds.ts checks at compile time that its list of kinds covers each exactly.
 */
export interface WireIds {
  /** An individual enrollment's registration id. */
  registrationId?: string;
  /** An enrollment group's id. */
  enrollmentGroupId?: string;
}

/** The property that names a record of a kind: a key of {@link WireIds}. */
export type IdKey = keyof WireIds;

/** The body of a bulk operation (`BulkEnrollmentOperation`, `BulkEnrollmentGroupOperation`). */
export interface WireBulkBody {
  /** What to do with the records. */
  mode: BulkMode;
  /** The records, individual enrollments. */
  enrollments?: WireEnrollment[];
  /** The records, enrollment groups. */
  enrollmentGroups?: WireEnrollment[];
}

/** The field of a bulk body that carries a kind's records. */
export type BulkField = Exclude<keyof WireBulkBody, "mode">;

/** The collection of a kind of record (`/enrollments/`, `/enrollmentGroups/`): its bulk field as a path. */
export type CollectionPath = `/${BulkField}/`;

/** Where a kind's records live on the data plane and how they are named there. */
export interface WireCollection {
  /** The collection path, e.g. `/enrollments/`. */
  collection: CollectionPath;
  /** The id property of its records. */
  idKey: IdKey;
  /** The field of a bulk body that carries its records. */
  bulkField: BulkField;
}

/** An X.509 certificate as the service takes it (`certificate`) and reports it (`info`). */
export interface WireCertificate {
  /** PEM or base64 DER; the service does not echo it back. */
  certificate?: string;
  /** What the service reports about the certificate. */
  info?: JsonObject;
}

/** The attestation on the wire (api-version 2026-11-01; the same as 2021-10-01). */
export interface WireAttestation {
  /** `none`, `tpm`, `x509` or `symmetricKey`. */
  type: string;
  /** TPM keys. */
  tpm?: { endorsementKey?: string; storageRootKey?: string };
  /** X.509 certificates or CA references. */
  x509?: {
    clientCertificates?: { primary?: WireCertificate; secondary?: WireCertificate };
    signingCertificates?: { primary?: WireCertificate; secondary?: WireCertificate };
    caReferences?: { primary?: string; secondary?: string };
  };
  /** Symmetric keys (only from `attestationmechanism`, never from GET). */
  symmetricKey?: { primaryKey?: string; secondaryKey?: string };
}

/** An individual enrollment or enrollment group on the wire (api-version 2026-11-01: 2021-10-01 plus the ADR fields). */
export interface WireEnrollment extends WireIds {
  /** Device id. */
  deviceId?: string;
  /** Attestation. */
  attestation: WireAttestation;
  /** Device capabilities. */
  capabilities?: { iotEdge?: boolean };
  /** Legacy single hub. */
  iotHubHostName?: string;
  /** Initial twin. */
  initialTwin?: { tags?: JsonObject; properties?: { desired?: JsonObject } };
  /** Version tag. */
  etag?: string;
  /** `enabled` or `disabled`. */
  provisioningStatus?: string;
  /** Re-provisioning behaviour. */
  reprovisionPolicy?: { updateHubAssignment?: boolean; migrateDeviceData?: boolean };
  /** `hashed`, `geoLatency`, `static` or `custom`. */
  allocationPolicy?: string;
  /** Hub host names. */
  iotHubs?: string[];
  /** Custom allocation webhook. */
  customAllocationDefinition?: { webhookUrl?: string; apiVersion?: string };
  /** Free-form device information. */
  optionalDeviceInformation?: JsonObject;
  /** Read-only: the device's registration. */
  registrationState?: JsonObject;
  /** Azure Device Registry namespace (2026-11-01). */
  namespaceName?: string;
  /** Azure Device Registry certificate authority (2026-11-01). */
  certificateAuthorityName?: string;
  /** Azure Device Registry certificate policy (2026-11-01). */
  certificatePolicyName?: string;
  /** Read-only. */
  createdDateTimeUtc?: string;
  /** Read-only. */
  lastUpdatedDateTimeUtc?: string;
}

/** One page of a query: the records (without keys, like a GET) and the token of the next page. */
export interface QueryPage {
  /** The records of the page. */
  items: WireEnrollment[];
  /** The continuation token; `undefined` on the last page. */
  token?: string;
}

/** A bulk operation's mode (`POST /enrollments`, `POST /enrollmentGroups`; at most 10 records a call). */
export type BulkMode = "create" | "update" | "updateIfMatchETag" | "delete";

/**
 * One failed item of a bulk operation (`BulkEnrollmentOperationError`, `BulkEnrollmentGroupOperationError`):
 * the record's id under its kind's key, the six-digit DPS code (its first three digits are the HTTP
 * status a single call would have answered) and the service's text.
 */
export interface BulkItemError extends WireIds {
  /** Six-digit DPS error code, e.g. 409201. */
  errorCode: number;
  /** The service's text for the item. */
  errorStatus: string;
}

/**
 * What a bulk operation answers (`BulkEnrollmentOperationResult`): whether every item landed and the
 * items that did not. It carries no etag and no record, so what the service generates (etags,
 * timestamps, certificate details) is not learned from it.
 */
export interface BulkResult {
  /** True when every item landed. */
  isSuccessful: boolean;
  /** The failed items. */
  errors?: BulkItemError[];
}
