/**
 * The properties every kind shares as the plugin describes them, typed against the TypeScript argument
 * types of the dynamic resources (`SharedEnrollmentArgs`), so that a property added to one and not the
 * other fails to compile. Each kind's own table lives in its folder (`individual/properties.ts`) and is
 * typed against its resource's arguments the same way. The schema (schema.ts) is generated from these
 * tables; the checks the core runs (`CheckSpec`) are compared with them by test/plugin/schema.test.ts.
 */
import type { DpsConnection } from "../core/connection";
import type { SharedAttestationArgs, SharedEnrollmentArgs } from "../dynamic/resource";

/** A property in Pulumi package-schema terms (the subset this package uses). */
export interface PropertySpec {
  /** The schema type; absent with `$ref`. */
  type?: "string" | "boolean" | "integer" | "object" | "array";
  /** A type of this package, e.g. `#/types/dps-enrollments:index:Attestation`. */
  $ref?: string;
  /** What it is, the cmdlet parameter it maps to. */
  description: string;
  /** Element type of an array. */
  items?: { type: "string" };
  /** Value type of a map-like object (JSON objects: any value; maps of strings or of a type). */
  additionalProperties?: { $ref: string } | { type: "string" };
  /** Kept secret in state and logs. */
  secret?: boolean;
  /** Changing it replaces the record. */
  replaceOnChanges?: boolean;
}

/** An object type. */
export interface ObjectSpec {
  /** Always `object`. */
  type: "object";
  /** What it is. */
  description: string;
  /** Its fields. */
  properties: Record<string, PropertySpec>;
  /** Fields always present. */
  required?: string[];
}

/** A resource. */
export interface ResourceSpec {
  /** What it is. */
  description: string;
  /** Its arguments. */
  inputProperties: Record<string, PropertySpec>;
  /** Arguments a program must give. */
  requiredInputs: string[];
  /** Its outputs. */
  properties: Record<string, PropertySpec>;
  /** Outputs always present. */
  required: string[];
}

/** A function. */
export interface FunctionSpec {
  /** What it computes. */
  description: string;
  /** Its arguments. */
  inputs: ObjectSpec;
  /** Its result. */
  outputs: ObjectSpec;
}

/** The package's name, the first part of every type token. */
export const PACKAGE = "dps-enrollments";
/** The token of a type of this package. */
export const typeRef = (name: string): string => `#/types/${PACKAGE}:index:${name}`;

/** A JSON object of any values (tags, desired properties). */
export const JSON_OBJECT = { type: "object", additionalProperties: { $ref: "pulumi.json#/Any" } } as const;
/** A string property. */
export const text = (description: string): PropertySpec => ({ type: "string", description });

/** An argument of the dynamic resource not taken by the plugin: the connection is provider config. */
export type PluginArgs<T> = Omit<T, "connection">;

/** The arguments both kinds take (`SharedEnrollmentArgs`, without `connection`). */
export const SHARED_INPUTS = {
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
} satisfies Record<keyof PluginArgs<SharedEnrollmentArgs>, PropertySpec>;

/** The attestation fields both kinds take. */
export const SHARED_ATTESTATION = {
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
} satisfies Record<keyof SharedAttestationArgs | "type", PropertySpec>;

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
