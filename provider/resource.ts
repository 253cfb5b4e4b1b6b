/**
 * `IndividualEnrollment`, the Pulumi resource: a dynamic resource (served by Pulumi's dynamic-provider
 * plugin, `pulumi-resource-pulumi-nodejs`) whose provider is `provider/runtime.ts`, loaded by package
 * name inside the plugin (see {@link PROVIDER_MODULE_TEXT}).
 */
import * as pulumi from "@pulumi/pulumi";
import { IMPORT_KEY } from "./importing";
import type {
  AllocationPolicy,
  AttestationState,
  EnrollmentConnection,
  JsonObject,
  ProvisioningStatus,
  ReprovisionPolicy,
} from "./types";

/** `connection` of {@link IndividualEnrollmentArgs}: one DPS, every field a `pulumi.Input`. */
export interface DpsConnectionArgs {
  /** `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` (kept secret in state). */
  connectionString?: pulumi.Input<string>;
  /** The DPS host name, with `credential`. */
  hostName?: pulumi.Input<string>;
  /** `"default"`: `DefaultAzureCredential` at run time (Microsoft Entra). */
  credential?: pulumi.Input<"default">;
  /** Where requests go instead of `https://{hostName}` (the local emulator). */
  endpoint?: pulumi.Input<string>;
  /** A CA to trust, PEM text or a file path (the emulator's). */
  caCertificate?: pulumi.Input<string>;
  /** Hubs linked to the DPS, when known: `check` rejects others at preview time. */
  linkedHubs?: pulumi.Input<pulumi.Input<string>[]>;
}

/** `attestation` of {@link IndividualEnrollmentArgs}. See {@link Attestation} for the forms. */
export interface AttestationArgs {
  /** `"symmetricKey"`, `"tpm"` or `"x509"` (any case). Changing it replaces the enrollment. */
  type: pulumi.Input<"symmetricKey" | "tpm" | "x509" | string>;
  /** Symmetric key: primary key, base64 (both or neither; neither generates both). */
  primaryKey?: pulumi.Input<string>;
  /** Symmetric key: secondary key, base64. */
  secondaryKey?: pulumi.Input<string>;
  /** TPM: endorsement key (required for TPM). */
  endorsementKey?: pulumi.Input<string>;
  /** TPM: storage root key. */
  storageRootKey?: pulumi.Input<string>;
  /** X.509: primary certificate, PEM or base64. */
  primaryCertificate?: pulumi.Input<string>;
  /** X.509: secondary certificate. */
  secondaryCertificate?: pulumi.Input<string>;
  /** X.509: the certificates are signing (root/intermediate) certificates, the cmdlet's `-RootCertificate`. */
  rootCertificate?: pulumi.Input<boolean>;
  /** X.509: name of the primary CA certificate in the DPS (instead of certificates). */
  primaryCaName?: pulumi.Input<string>;
  /** X.509: name of the secondary CA certificate in the DPS. */
  secondaryCaName?: pulumi.Input<string>;
}

/** The arguments of an {@link IndividualEnrollment}; each maps to a parameter of the cmdlets (see the README). */
export interface IndividualEnrollmentArgs {
  /** The DPS (`-ResourceGroupName -DpsName` / `-DpsObject` / `-ResourceId`: see `provider/azure.ts`). */
  connection: pulumi.Input<DpsConnectionArgs>;
  /** `-RegistrationId`. Changing it replaces the enrollment. */
  registrationId: pulumi.Input<string>;
  /** The attestation (`Add-...` `-AttestationType` and its keys or certificates). */
  attestation: pulumi.Input<AttestationArgs>;
  /** `-DeviceId`. */
  deviceId?: pulumi.Input<string>;
  /** `-ProvisioningStatus`: `Enabled` or `Disabled` (any case). */
  provisioningStatus?: pulumi.Input<ProvisioningStatus | string>;
  /** `-ReprovisionPolicy`: `reprovisionandmigratedata`, `reprovisionandresetdata` or `never` (any case). */
  reprovisionPolicy?: pulumi.Input<ReprovisionPolicy | string>;
  /** `-EdgeEnabled`. */
  edgeEnabled?: pulumi.Input<boolean>;
  /** `-Tag`: initial twin tags, replaced whole. */
  tags?: pulumi.Input<JsonObject>;
  /** `-Desired`: initial twin desired properties, replaced whole. */
  desired?: pulumi.Input<JsonObject>;
  /** The CLI's `--device-information`. */
  optionalDeviceInformation?: pulumi.Input<JsonObject>;
  /** `-AllocationPolicy`: `Hashed`, `GeoLatency`, `Static` or `Custom` (any case). */
  allocationPolicy?: pulumi.Input<AllocationPolicy | string>;
  /** `-IotHub`: hub host names. */
  iotHubs?: pulumi.Input<pulumi.Input<string>[]>;
  /** `-IotHubHostName`: the legacy single hub, without a policy. */
  iotHubHostName?: pulumi.Input<string>;
  /** `-WebhookUrl` (Custom allocation). */
  webhookUrl?: pulumi.Input<string>;
  /** `-ApiVersion` (Custom allocation). */
  apiVersion?: pulumi.Input<string>;
  /** Take over an enrollment that already exists, with Set semantics, instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

/** What {@link IndividualEnrollment.get} needs besides the registration id. */
export interface IndividualEnrollmentGetArgs {
  /** The DPS to read from. */
  connection: pulumi.Input<DpsConnectionArgs>;
}

/**
 * The `__provider` stored in state: the module text the dynamic-provider plugin evaluates (it calls
 * `exports.handler()` to get the provider). It loads the implementation by package name inside the
 * plugin, so it is 100 bytes, identical for every resource, and captures nothing. `dynamic.Resource`
 * would serialize a provider object as six wrapped closures, about 2 KB stored twice per resource.
 * @internal Exported for tests that drive the dynamic-provider gRPC server as the engine does.
 */
export const PROVIDER_MODULE_TEXT =
  'exports.handler = () => require("pulumi-dps-enrollments/provider/runtime").enrollmentProvider;\n';

/** The type token `dynamic.Resource` gives a resource with module `dps` and type `IndividualEnrollment`. */
export const INDIVIDUAL_ENROLLMENT_TYPE = "pulumi-nodejs:dynamic/dps:IndividualEnrollment";

/**
 * An individual enrollment of an Azure IoT Hub Device Provisioning Service, managed with the Set
 * semantics of `Set-AzIoTDeviceProvisioningServiceEnrollment`: only what the program sets is changed,
 * everything else the service holds (symmetric keys included) is kept, and every write carries the
 * etag so nothing is overwritten blindly.
 */
export class IndividualEnrollment extends pulumi.CustomResource {
  /** The DPS (secret). */
  declare readonly connection: pulumi.Output<EnrollmentConnection>;
  /** The registration id. */
  declare readonly registrationId: pulumi.Output<string>;
  /** The attestation with its keys and certificates (secret; generated keys included). */
  declare readonly attestation: pulumi.Output<AttestationState>;
  /** Device id. */
  declare readonly deviceId: pulumi.Output<string | undefined>;
  /** `Enabled` or `Disabled`. */
  declare readonly provisioningStatus: pulumi.Output<ProvisioningStatus>;
  /** Reprovision policy, the cmdlet's name for it. */
  declare readonly reprovisionPolicy: pulumi.Output<ReprovisionPolicy>;
  /** `capabilities.iotEdge`. */
  declare readonly edgeEnabled: pulumi.Output<boolean>;
  /** Initial twin tags. */
  declare readonly tags: pulumi.Output<JsonObject>;
  /** Initial twin desired properties. */
  declare readonly desired: pulumi.Output<JsonObject>;
  /** Optional device information. */
  declare readonly optionalDeviceInformation: pulumi.Output<JsonObject | undefined>;
  /** Allocation policy. */
  declare readonly allocationPolicy: pulumi.Output<AllocationPolicy | undefined>;
  /** Hub host names. */
  declare readonly iotHubs: pulumi.Output<string[] | undefined>;
  /** Legacy single hub. */
  declare readonly iotHubHostName: pulumi.Output<string | undefined>;
  /** Custom allocation webhook URL. */
  declare readonly webhookUrl: pulumi.Output<string | undefined>;
  /** Custom allocation API version. */
  declare readonly apiVersion: pulumi.Output<string | undefined>;
  /** The service's etag of the version Pulumi last saw. */
  declare readonly etag: pulumi.Output<string>;
  /** When the enrollment was created. */
  declare readonly createdDateTimeUtc: pulumi.Output<string>;
  /** When the enrollment was last changed. */
  declare readonly lastUpdatedDateTimeUtc: pulumi.Output<string>;
  /** The device's registration state, once a device has registered. */
  declare readonly registrationState: pulumi.Output<JsonObject | undefined>;
  /** As given. */
  declare readonly adopt: pulumi.Output<boolean | undefined>;

  /**
   * Creates (or, with `adopt`, takes over) an enrollment.
   *
   * The `import` option takes an existing enrollment into the stack with no write when the program
   * matches it, and fails listing the differences when it does not. The provider does it (the engine's
   * own import step cannot reach a dynamic provider), so the step shows as a create (`+`), not an
   * import (`=`); `pulumi import` on the command line is not supported. See docs/import.md.
   * @param name The Pulumi resource name.
   * @param args The enrollment; see {@link IndividualEnrollmentArgs}.
   * @param opts Resource options.
   */
  constructor(name: string, args: IndividualEnrollmentArgs, opts?: pulumi.CustomResourceOptions) {
    const { import: importId, ...rest } = opts ?? {};
    const props: pulumi.Inputs = {
      deviceId: undefined,
      provisioningStatus: undefined,
      reprovisionPolicy: undefined,
      edgeEnabled: undefined,
      tags: undefined,
      desired: undefined,
      optionalDeviceInformation: undefined,
      allocationPolicy: undefined,
      iotHubs: undefined,
      iotHubHostName: undefined,
      webhookUrl: undefined,
      apiVersion: undefined,
      adopt: undefined,
      ...args,
      // Secret as inputs too, so keys or a connection string given in plain text never reach state in clear.
      // An attestation without symmetric keys (a type, TPM public keys, certificates, CA names) holds
      // nothing secret as an input; its output is secret anyway (generated keys).
      connection: args.connection === undefined ? undefined : pulumi.secret(args.connection),
      attestation: args.attestation === undefined ? undefined : secretIfKeys(args.attestation),
      etag: undefined,
      createdDateTimeUtc: undefined,
      lastUpdatedDateTimeUtc: undefined,
      registrationState: undefined,
      // What `dynamic.Resource` does, with a provider text of our own (see PROVIDER_MODULE_TEXT).
      __provider: PROVIDER_MODULE_TEXT,
    };
    if (importId !== undefined && rest.id === undefined) props[IMPORT_KEY] = importId;
    super(INDIVIDUAL_ENROLLMENT_TYPE, name, props, withSecretOutputs(importId === undefined ? opts : rest));
  }

  /**
   * Reads an existing enrollment into the stack without managing it (`Get-AzIoTDeviceProvisioningServiceEnrollment`).
   * To manage one that exists, declare it with `adopt: true` instead.
   * @param name The Pulumi resource name.
   * @param registrationId The enrollment's registration id.
   * @param args Which DPS to read from.
   * @param opts Resource options.
   */
  static get(
    name: string,
    registrationId: pulumi.Input<string>,
    args: IndividualEnrollmentGetArgs,
    opts?: pulumi.CustomResourceOptions,
  ): IndividualEnrollment {
    return new IndividualEnrollment(
      name,
      { connection: args.connection, registrationId, attestation: undefined as unknown as AttestationArgs },
      { ...opts, id: registrationId },
    );
  }
}

function secretIfKeys(attestation: pulumi.Input<AttestationArgs>): pulumi.Output<unknown> {
  return pulumi.output(attestation).apply((a): pulumi.Output<unknown> | unknown => {
    const keys = a as { primaryKey?: unknown; secondaryKey?: unknown };
    return keys.primaryKey !== undefined || keys.secondaryKey !== undefined ? pulumi.secret(a) : a;
  });
}

function withSecretOutputs(opts: pulumi.CustomResourceOptions | undefined): pulumi.CustomResourceOptions {
  const extra = opts?.additionalSecretOutputs ?? [];
  return { ...opts, additionalSecretOutputs: [...new Set([...extra, "connection", "attestation"])] };
}
