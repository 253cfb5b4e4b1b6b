/**
 * `IndividualEnrollment`, the Pulumi resource: a dynamic resource (served by Pulumi's dynamic-provider
 * plugin, `pulumi-resource-pulumi-nodejs`) whose provider is `enrollmentProvider` of `provider/runtime.ts`, loaded by package
 * name inside the plugin (see {@link PROVIDER_MODULE_TEXT}).
 */
import type * as pulumi from "@pulumi/pulumi";
import {
  dynamicInputs,
  EnrollmentResource,
  providerModuleText,
  engineOptions,
  enrollmentRegistration,
  type EnrollmentGetArgs,
  type SharedAttestationArgs,
  type SharedEnrollmentArgs,
} from "../dynamic/resource";
import type { JsonObject } from "../core/types";
import { truthfulPreviewOutputs } from "../dynamic/previewOutputs";
import { INDIVIDUAL_ENROLLMENT } from "./kind";

export type { DpsConnectionArgs } from "../dynamic/resource";

/** `attestation` of {@link IndividualEnrollmentArgs}. See {@link Attestation} for the forms. */
export interface AttestationArgs extends SharedAttestationArgs {
  /** `"symmetricKey"`, `"tpm"` or `"x509"` (any case). Changing it replaces the enrollment. */
  type: pulumi.Input<"symmetricKey" | "tpm" | "x509" | string>;
  /** TPM: endorsement key (required for TPM). */
  endorsementKey?: pulumi.Input<string>;
  /** TPM: storage root key. */
  storageRootKey?: pulumi.Input<string>;
  /** X.509: the certificates are signing (root/intermediate) certificates, the cmdlet's `-RootCertificate`. */
  rootCertificate?: pulumi.Input<boolean>;
}

/** The arguments of an {@link IndividualEnrollment}; each maps to a parameter of the cmdlets (see the README). */
export interface IndividualEnrollmentArgs extends SharedEnrollmentArgs {
  /** `-RegistrationId`. Changing it replaces the enrollment. */
  registrationId: pulumi.Input<string>;
  /** The attestation (`Add-...` `-AttestationType` and its keys or certificates). */
  attestation: pulumi.Input<AttestationArgs>;
  /** `-DeviceId`. */
  deviceId?: pulumi.Input<string>;
  /** The CLI's `--device-information`. */
  optionalDeviceInformation?: pulumi.Input<JsonObject>;
}

/** What {@link IndividualEnrollment.get} needs besides the registration id. */
export type IndividualEnrollmentGetArgs = EnrollmentGetArgs;

/**
 * The `__provider` stored in state: the module text the dynamic-provider plugin evaluates (it calls
 * `exports.handler()` to get the provider). It loads the implementation by package name inside the
 * plugin, so it is 100 bytes, identical for every resource, and captures nothing. `dynamic.Resource`
 * would serialize a provider object as six wrapped closures, about 2 KB stored twice per resource.
 * @internal Exported for tests that drive the dynamic-provider gRPC server as the engine does.
 */
export const PROVIDER_MODULE_TEXT = providerModuleText(INDIVIDUAL_ENROLLMENT.dynamic.runtimeExport);

/** The type token `dynamic.Resource` gives a resource with module `dps` and type `IndividualEnrollment`. */
export const INDIVIDUAL_ENROLLMENT_TYPE = INDIVIDUAL_ENROLLMENT.dynamic.type;

/**
 * An individual enrollment of an Azure IoT Hub Device Provisioning Service, managed with the Set
 * semantics of `Set-AzIoTDeviceProvisioningServiceEnrollment`: only what the program sets is changed,
 * everything else the service holds (symmetric keys included) is kept, and every write carries the
 * etag so nothing is overwritten blindly.
 */
export class IndividualEnrollment extends EnrollmentResource {
  /** The registration id. */
  declare readonly registrationId: pulumi.Output<string>;
  /** Device id. */
  declare readonly deviceId: pulumi.Output<string | undefined>;
  /** Optional device information. */
  declare readonly optionalDeviceInformation: pulumi.Output<JsonObject | undefined>;
  /** The device's registration state, once a device has registered. */
  declare readonly registrationState: pulumi.Output<JsonObject | undefined>;

  /**
   * Creates (or, with `adopt`, takes over) an enrollment.
   *
   * The `import` option takes an existing enrollment into the stack with no write when the program
   * matches it, and fails listing the differences when it does not. The provider does it (the engine's
   * own import step cannot reach a dynamic provider), so the step shows as a create (`+`), not an
   * import (`=`); `pulumi import` on the command line is not supported. See docs/import-and-drift.md.
   * @param name The Pulumi resource name.
   * @param args The enrollment; see {@link IndividualEnrollmentArgs}.
   * @param opts Resource options.
   */
  constructor(name: string, args: IndividualEnrollmentArgs, opts?: pulumi.CustomResourceOptions) {
    const props = dynamicInputs(
      args,
      ["deviceId", "optionalDeviceInformation", "registrationState"],
      PROVIDER_MODULE_TEXT,
    );
    // State keeps the declaring line, and outputs are made on first read (see enrollmentRegistration).
    const restore = enrollmentRegistration();
    try {
      super(INDIVIDUAL_ENROLLMENT_TYPE, name, props, engineOptions(props, opts, args.attestation));
    } finally {
      restore();
    }
    // A preview of a write hands back the inputs: what the Set keeps is unknown there, not undefined.
    truthfulPreviewOutputs(this);
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
