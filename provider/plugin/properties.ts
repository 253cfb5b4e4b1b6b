/**
 * The properties of each kind as the plugin describes them: one table per kind, typed against the
 * TypeScript argument types of the dynamic resources (`IndividualEnrollmentArgs`,
 * `EnrollmentGroupArgs`), so that a property added to one and not the other fails to compile. The
 * schema (schema.ts) is generated from these tables; the checks the core runs (`CheckSpec`) are
 * compared with them by test/plugin/schema.test.ts.
 */
import type { DpsConnection } from "../core/connection";
import type { EnrollmentGroupArgs, GroupAttestationArgs } from "../group/resource";
import type { AttestationArgs, IndividualEnrollmentArgs } from "../individual/resource";

/** A property in Pulumi package-schema terms (the subset this package uses). */
export interface PropertySpec {
  /** The schema type; absent with `$ref`. */
  type?: "string" | "boolean" | "object" | "array";
  /** A type of this package, e.g. `#/types/dps-enrollments:index:Attestation`. */
  $ref?: string;
  /** What it is, the cmdlet parameter it maps to. */
  description: string;
  /** Element type of an array. */
  items?: { type: "string" };
  /** Value type of a map-like object (JSON objects: any value). */
  additionalProperties?: { $ref: "pulumi.json#/Any" };
  /** Kept secret in state and logs. */
  secret?: boolean;
  /** Changing it replaces the record. */
  replaceOnChanges?: boolean;
}

/** The package's name, the first part of every type token. */
export const PACKAGE = "dps-enrollments";
/** The token of a type of this package. */
export const typeRef = (name: string): string => `#/types/${PACKAGE}:index:${name}`;

const JSON_OBJECT = { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } } as const;
const text = (description: string): PropertySpec => ({ type: "string", description });

/** An argument of the dynamic resource not taken by the plugin: the connection is provider config. */
type PluginArgs<T> = Omit<T, "connection">;

/** The arguments both kinds take (`SharedEnrollmentArgs`, without `connection`). */
const SHARED_INPUTS = {
  provisioningStatus: text("`-ProvisioningStatus`: `Enabled` or `Disabled` (any case)."),
  reprovisionPolicy: text(
    "`-ReprovisionPolicy`: `reprovisionandmigratedata`, `reprovisionandresetdata` or `never` (any case).",
  ),
  edgeEnabled: { type: "boolean", description: "`-EdgeEnabled`." },
  tags: { ...JSON_OBJECT, description: "`-Tag`: initial twin tags, replaced whole." },
  desired: { ...JSON_OBJECT, description: "`-Desired`: initial twin desired properties, replaced whole." },
  allocationPolicy: text("`-AllocationPolicy`: `Hashed`, `GeoLatency`, `Static` or `Custom` (any case)."),
  iotHubs: { type: "array", items: { type: "string" }, description: "`-IotHub`: hub host names." },
  iotHubHostName: text("`-IotHubHostName`: the legacy single hub, without a policy."),
  webhookUrl: text("`-WebhookUrl` (Custom allocation)."),
  apiVersion: text("`-ApiVersion` (Custom allocation)."),
  namespaceName: text("Azure Device Registry namespace of the certificate policy; with the other two."),
  certificateAuthorityName: text("ADR certificate authority that owns the policy; with the other two."),
  certificatePolicyName: text("ADR certificate policy that issues device certificates; with the other two."),
  adopt: { type: "boolean", description: "Take over a record that already exists, with Set semantics." },
} satisfies Record<
  keyof Omit<
    PluginArgs<IndividualEnrollmentArgs>,
    "registrationId" | "attestation" | "deviceId" | "optionalDeviceInformation"
  >,
  PropertySpec
>;

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
} satisfies Record<keyof PluginArgs<IndividualEnrollmentArgs>, PropertySpec>;

/** The inputs of `EnrollmentGroup`: exactly the keys of `EnrollmentGroupArgs` but `connection`. */
export const GROUP_INPUTS = {
  enrollmentGroupId: {
    ...text("`-Name`: the enrollment group id. Changing it replaces the group."),
    replaceOnChanges: true,
  },
  attestation: {
    $ref: typeRef("GroupAttestation"),
    description: "The attestation (symmetric group keys, X.509 signing certificates or CA names).",
  },
  ...SHARED_INPUTS,
} satisfies Record<keyof PluginArgs<EnrollmentGroupArgs>, PropertySpec>;

const SHARED_ATTESTATION = {
  type: text("`symmetricKey`, `tpm` or `x509` (any case). Changing it replaces the record."),
  primaryKey: {
    ...text("Symmetric key: primary key, base64 (both or neither; neither generates both)."),
    secret: true,
  },
  secondaryKey: { ...text("Symmetric key: secondary key, base64."), secret: true },
  primaryCertificate: text("X.509: primary certificate, PEM or base64."),
  secondaryCertificate: text("X.509: secondary certificate."),
  primaryCaName: text("X.509: name of the primary CA certificate in the DPS (instead of certificates)."),
  secondaryCaName: text("X.509: name of the secondary CA certificate in the DPS."),
} satisfies Record<keyof GroupAttestationArgs, PropertySpec>;

/** `attestation` of an individual enrollment: the keys of `AttestationArgs`. */
export const ATTESTATION_FIELDS = {
  ...SHARED_ATTESTATION,
  endorsementKey: text("TPM: endorsement key (required for TPM)."),
  storageRootKey: text("TPM: storage root key."),
  rootCertificate: {
    type: "boolean",
    description: "X.509: the certificates are signing (root/intermediate) certificates (`-RootCertificate`).",
  },
} satisfies Record<keyof AttestationArgs, PropertySpec>;

/** `attestation` of an enrollment group: the keys of `GroupAttestationArgs`. */
export const GROUP_ATTESTATION_FIELDS = SHARED_ATTESTATION;

/** What the service reports about an enrolled certificate (`CertificateSummary`). */
export const CERTIFICATE_SUMMARY_FIELDS = {
  sha256Thumbprint: text("SHA-256 thumbprint, upper-case hex."),
  sha1Thumbprint: text("SHA-1 thumbprint."),
  subjectName: text("The certificate's subject."),
  notAfterUtc: text("End of validity, ISO 8601 UTC."),
};

/** Outputs only the service sets, both kinds. */
export const SHARED_OUTPUTS = {
  etag: text("The service's etag of the version Pulumi last saw."),
  createdDateTimeUtc: text("When the record was created."),
  lastUpdatedDateTimeUtc: text("When the record was last changed."),
  certificates: {
    $ref: typeRef("EnrolledCertificates"),
    description: "X.509 with certificates: what the service reports about them.",
  },
} satisfies Record<string, PropertySpec>;

/** Outputs only individual enrollments have. */
export const INDIVIDUAL_OUTPUTS = {
  registrationState: { ...JSON_OBJECT, description: "The device's registration state, once it registered." },
} satisfies Record<string, PropertySpec>;

/** The provider configuration: the names of the stack-config connection (`dps-enrollments:*`). */
export const CONFIG = {
  connectionString: {
    ...text(
      "`HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` of a policy with EnrollmentRead/Write.",
    ),
    secret: true,
  },
  hostName: text("The DPS host name, with `credential`."),
  credential: text('`"default"`: DefaultAzureCredential (Microsoft Entra), with `hostName`.'),
  endpoint: text("Where requests go instead of `https://{hostName}` (the local emulator)."),
  caCertificate: text("A CA to trust, PEM text or a file path (the emulator's)."),
  // requestTimeout is read from config too (configure.ts) but not in the schema yet: adding it
  // regenerates every SDK.
} satisfies Record<Exclude<keyof DpsConnection, "requestTimeout">, PropertySpec>;
