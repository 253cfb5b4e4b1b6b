/**
 * What every enrollment resource shares: the connection arguments, the arguments of the Set cmdlets
 * both kinds take, the outputs both kinds have, and how the dynamic resource's inputs are put
 * together (secrets marked, the provider given as a short module text that loads it by package name).
 */
import * as pulumi from "@pulumi/pulumi";
import { recordCallSiteOnly } from "./callSite";
import { canonicalAttestationType } from "../core/checks";
import { IMPORT_KEY } from "./keys";
import { makeOutputsOnFirstRead } from "./lazyOutputs";
import type {
  AllocationPolicy,
  AttestationState,
  EnrolledCertificates,
  EnrollmentConnection,
  JsonObject,
  ProvisioningStatus,
  ReprovisionPolicy,
} from "../core/types";
import { DYNAMIC_PROVIDER_KEY } from "../sdkInternals";

/** `connection` of an enrollment resource: one DPS, every field a `pulumi.Input`. */
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

/** The attestation arguments both kinds take; each kind adds its `type` and its own fields. */
export interface SharedAttestationArgs {
  /** Symmetric key: primary key, base64 (both or neither; neither generates both). */
  primaryKey?: pulumi.Input<string>;
  /** Symmetric key: secondary key, base64. */
  secondaryKey?: pulumi.Input<string>;
  /** X.509: primary certificate, PEM or base64. */
  primaryCertificate?: pulumi.Input<string>;
  /** X.509: secondary certificate. */
  secondaryCertificate?: pulumi.Input<string>;
  /** X.509: name of the primary CA certificate in the DPS (instead of certificates). */
  primaryCaName?: pulumi.Input<string>;
  /** X.509: name of the secondary CA certificate in the DPS. */
  secondaryCaName?: pulumi.Input<string>;
}

/** The arguments both kinds take; each maps to a parameter of the Set cmdlets (see the docs). */
export interface SharedEnrollmentArgs {
  /**
   * The DPS (`-ResourceGroupName -DpsName` / `-DpsObject` / `-ResourceId`: see `provider/azure`).
   * Absent: the stack config's `dps-enrollments:*`, given once for a fleet (see docs/fleet-scale.md).
   */
  connection?: pulumi.Input<DpsConnectionArgs>;
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
  /**
   * Azure Device Registry namespace of the certificate policy that issues the devices' operational
   * certificates (data plane 2026-11-01, REST field `namespaceName`). All three ADR names, or none;
   * when none, whatever the record holds is kept.
   */
  namespaceName?: pulumi.Input<string>;
  /** ADR certificate authority that owns the policy (`certificateAuthorityName`). With the other two. */
  certificateAuthorityName?: pulumi.Input<string>;
  /** ADR certificate policy (`certificatePolicyName`). With the other two. */
  certificatePolicyName?: pulumi.Input<string>;
  /** Take over a record that already exists, with Set semantics, instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

/** What a `get` needs besides the id. */
export interface EnrollmentGetArgs {
  /** The DPS to read from; absent: the stack config's (see {@link SharedEnrollmentArgs.connection}). */
  connection?: pulumi.Input<DpsConnectionArgs>;
}

/** The optional inputs both kinds have, and the outputs only the service sets. */
const SHARED_OPTIONAL = [
  "provisioningStatus",
  "reprovisionPolicy",
  "edgeEnabled",
  "tags",
  "desired",
  "allocationPolicy",
  "iotHubs",
  "iotHubHostName",
  "webhookUrl",
  "apiVersion",
  "namespaceName",
  "certificateAuthorityName",
  "certificatePolicyName",
  "adopt",
  "etag",
  "createdDateTimeUtc",
  "lastUpdatedDateTimeUtc",
  "certificates",
];

/**
 * The inputs of a dynamic enrollment resource: every output property present (unset ones as
 * `undefined`, so they become outputs), the connection and any given keys secret, and `__provider`
 * the module text of the kind's provider.
 */
export function dynamicInputs(
  args: { connection?: pulumi.Input<DpsConnectionArgs>; attestation?: pulumi.Input<object> },
  kindOptional: readonly string[],
  providerText: string,
): pulumi.Inputs {
  const props: pulumi.Inputs = {};
  for (const key of [...kindOptional, ...SHARED_OPTIONAL]) props[key] = undefined;
  return {
    ...props,
    ...args,
    // Secret as inputs too, so keys or a connection string given in plain text never reach state in clear.
    // An attestation without symmetric keys (a type, TPM public keys, certificates, CA names) holds
    // nothing secret as an input; its output is secret anyway (generated keys).
    connection: args.connection === undefined ? undefined : pulumi.secret(args.connection),
    attestation: args.attestation === undefined ? undefined : secretIfKeys(args.attestation),
    // What `dynamic.Resource` does, with a provider text of our own (see PROVIDER_MODULE_TEXT).
    [DYNAMIC_PROVIDER_KEY]: providerText,
  };
}

function secretIfKeys(attestation: pulumi.Input<object>): pulumi.Output<unknown> {
  return pulumi.output(attestation).apply((a): pulumi.Output<unknown> | unknown => {
    const keys = a as { primaryKey?: unknown; secondaryKey?: unknown };
    return keys.primaryKey !== undefined || keys.secondaryKey !== undefined ? pulumi.secret(a) : a;
  });
}

/**
 * False only when the attestation is known, as the program declares it, to hold no key: a TPM or X.509
 * type given as a plain string. Its output (public keys, certificates, CA names) then stays readable in
 * state instead of costing a ciphertext per enrollment; anything else may come back with generated
 * keys, so it stays secret.
 */
export function attestationMayHoldKeys(attestation: unknown): boolean {
  if (attestation === null || typeof attestation !== "object" || pulumi.Output.isInstance(attestation))
    return true;
  const type = canonicalAttestationType((attestation as { type?: unknown }).type);
  return type !== "tpm" && type !== "x509";
}

/**
 * `opts` with the attestation (when it may hold keys) and, when the resource is given one, the
 * connection as secret outputs. Without a connection the state keeps only the stack connection's
 * host name, which is no secret.
 */
export function withSecretOutputs(
  opts: pulumi.CustomResourceOptions | undefined,
  connectionGiven = true,
  attestationSecret = true,
): pulumi.CustomResourceOptions {
  const extra = opts?.additionalSecretOutputs ?? [];
  const secret = [...(connectionGiven ? ["connection"] : []), ...(attestationSecret ? ["attestation"] : [])];
  return { ...opts, additionalSecretOutputs: [...new Set([...extra, ...secret])] };
}

/**
 * `opts` as the engine gets them, with `props` completed: the connection and attestation secret
 * outputs, and the `import` option handed to the provider as the internal input `__import` (the
 * engine's own import step cannot reach a dynamic provider; see importing.ts and docs/import-and-drift.md).
 * `attestation` is the program's, before `props` made it an output.
 */
export function engineOptions(
  props: pulumi.Inputs,
  opts: pulumi.CustomResourceOptions | undefined,
  attestation?: unknown,
): pulumi.CustomResourceOptions {
  const { import: importId, ...rest } = opts ?? {};
  const connectionGiven = props.connection !== undefined;
  const attestationSecret = attestationMayHoldKeys(attestation);
  if (importId === undefined) return withSecretOutputs(opts, connectionGiven, attestationSecret);
  if (rest.id === undefined) props[IMPORT_KEY] = importId;
  return withSecretOutputs(rest, connectionGiven, attestationSecret);
}

/**
 * The provider text of a kind exported by `provider/runtime.ts` under `exportName`: what the
 * dynamic-provider plugin evaluates (it calls `exports.handler()` to get the provider). It loads the
 * implementation by package name inside the plugin, so it is 100 bytes, identical for every resource
 * of the kind, and captures nothing; `dynamic.Resource` would serialize a provider object as six
 * wrapped closures, about 2 KB stored twice per resource.
 */
export function providerModuleText(exportName: string): string {
  return `exports.handler = () => require("pulumi-dps-enrollments/provider/runtime").${exportName};\n`;
}

/**
 * Turns on, until the returned function is called, what an enrollment changes in the SDK while it
 * registers: state keeps the declaring line, not the whole call stack (callSite.ts), and outputs are
 * made when first read, not all at once (lazyOutputs.ts). Call it right before `super(...)` and the
 * returned function in a `finally` right after.
 */
export function enrollmentRegistration(): () => void {
  const restoreCallSite = recordCallSiteOnly();
  const restoreOutputs = makeOutputsOnFirstRead();
  return () => {
    restoreOutputs();
    restoreCallSite();
  };
}

/** The outputs both kinds have. */
export abstract class EnrollmentResource extends pulumi.CustomResource {
  /** The DPS (secret); only `{ hostName }` when the stack config gives the connection. */
  declare readonly connection: pulumi.Output<EnrollmentConnection>;
  /**
   * The attestation with its keys and certificates: secret, generated keys included, unless the program
   * declares a TPM or X.509 type as a plain string (public keys and certificates only).
   */
  declare readonly attestation: pulumi.Output<AttestationState>;
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
  /** Azure Device Registry namespace of the certificate policy, when the record names one. */
  declare readonly namespaceName: pulumi.Output<string | undefined>;
  /** ADR certificate authority, when the record names a policy. */
  declare readonly certificateAuthorityName: pulumi.Output<string | undefined>;
  /** ADR certificate policy, when the record names one. */
  declare readonly certificatePolicyName: pulumi.Output<string | undefined>;
  /**
   * The service's etag of the version Pulumi last saw; empty after a write that went out in a bulk
   * call (its answer has none), until the next refresh or single write (docs/fleet-scale.md).
   */
  declare readonly etag: pulumi.Output<string>;
  /** When the record was created (absent after a create that went out in a bulk call, until a refresh). */
  declare readonly createdDateTimeUtc: pulumi.Output<string>;
  /** When the record was last changed (absent after a bulk write, until a refresh). */
  declare readonly lastUpdatedDateTimeUtc: pulumi.Output<string>;
  /** As given. */
  declare readonly adopt: pulumi.Output<boolean | undefined>;
  /**
   * X.509 with certificates: what the service reports about them (`info`), for the primary and the
   * secondary: `sha256Thumbprint`, `sha1Thumbprint`, `subjectName`, `notAfterUtc`. Undefined for other
   * attestations, CA references, and state written before this output existed until a refresh or update.
   */
  declare readonly certificates: pulumi.Output<EnrolledCertificates | undefined>;
}
