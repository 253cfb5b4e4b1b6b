/**
 * `EnrollmentGroup`, the Pulumi resource: a dynamic resource like `IndividualEnrollment`, whose
 * provider is `enrollmentGroupProvider` of `provider/runtime.ts`, loaded by package name inside the
 * dynamic-provider plugin.
 */
import * as pulumi from "@pulumi/pulumi";
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
import { deriveDeviceKeyOutput } from "./deviceKey";
import { truthfulPreviewOutputs } from "../dynamic/previewOutputs";
import { ENROLLMENT_GROUP } from "./kind";

/**
 * `attestation` of {@link EnrollmentGroupArgs}: symmetric group keys (generated when absent), X.509
 * signing (root or intermediate, CA:TRUE) certificates, or names of CA certificates verified in the
 * DPS. No TPM: the service has no TPM groups.
 */
export interface GroupAttestationArgs extends SharedAttestationArgs {
  /** `"symmetricKey"` or `"x509"` (any case). Changing it replaces the group. */
  type: pulumi.Input<"symmetricKey" | "x509" | string>;
}

/** The arguments of an {@link EnrollmentGroup}; each maps to a parameter of the cmdlets (see docs/enrollment-groups.md). */
export interface EnrollmentGroupArgs extends SharedEnrollmentArgs {
  /** `-Name`: the enrollment group id. Changing it replaces the group. */
  enrollmentGroupId: pulumi.Input<string>;
  /** The attestation (`Add-...` `-AttestationType` and its keys, certificates or CA names). */
  attestation: pulumi.Input<GroupAttestationArgs>;
}

/** What {@link EnrollmentGroup.get} needs besides the group id. */
export type EnrollmentGroupGetArgs = EnrollmentGetArgs;

/** The `__provider` of every `EnrollmentGroup` in state. @internal Exported for tests. */
export const GROUP_PROVIDER_MODULE_TEXT = providerModuleText(ENROLLMENT_GROUP.dynamic.runtimeExport);

/** The type token of `EnrollmentGroup`, as `dynamic.Resource` would give it (module `dps`). */
export const ENROLLMENT_GROUP_TYPE = ENROLLMENT_GROUP.dynamic.type;

/**
 * An enrollment group of an Azure IoT Hub Device Provisioning Service, managed with the Set
 * semantics of `Set-AzIoTDeviceProvisioningServiceEnrollmentGroup`: only what the program sets is
 * changed, everything else the service holds (symmetric keys included) is kept, and every write
 * carries the etag so nothing is overwritten blindly.
 */
export class EnrollmentGroup extends EnrollmentResource {
  /** The enrollment group id. */
  declare readonly enrollmentGroupId: pulumi.Output<string>;

  /**
   * Creates (or, with `adopt`, takes over) an enrollment group.
   * @param name The Pulumi resource name.
   * @param args The group; see {@link EnrollmentGroupArgs}.
   * @param opts Resource options.
   */
  constructor(name: string, args: EnrollmentGroupArgs, opts?: pulumi.CustomResourceOptions) {
    const props = dynamicInputs(args, [], GROUP_PROVIDER_MODULE_TEXT);
    // State keeps the declaring line, and outputs are made on first read (see enrollmentRegistration).
    const restore = enrollmentRegistration();
    try {
      super(ENROLLMENT_GROUP_TYPE, name, props, engineOptions(props, opts, args.attestation));
    } finally {
      restore();
    }
    // A preview of a write hands back the inputs: what the Set keeps is unknown there, not undefined.
    truthfulPreviewOutputs(this);
  }

  /**
   * The device key of `registrationId` derived from this group's primary key (symmetric-key groups),
   * as a secret: what the device presents when it registers through the group.
   * @param registrationId The device's registration id.
   */
  deviceKey(registrationId: pulumi.Input<string>): pulumi.Output<string> {
    const key = this.attestation.apply((a): string => {
      if (a.type !== "symmetricKey") {
        throw new Error(`deviceKey: only symmetricKey enrollment groups have keys; this one has ${a.type}.`);
      }
      // A preview of a group being created or changed does not know its keys yet: neither is the device key.
      if (!a.primaryKey && pulumi.runtime.isDryRun()) return pulumi.unknown as unknown as string;
      if (!a.primaryKey) throw new Error("deviceKey: the group's primary key is not known.");
      return a.primaryKey;
    });
    return deriveDeviceKeyOutput(key, registrationId);
  }

  /**
   * Reads an existing group into the stack without managing it (`Get-AzIoTDeviceProvisioningServiceEnrollmentGroup`).
   * To manage one that exists, declare it with `adopt: true` instead.
   * @param name The Pulumi resource name.
   * @param enrollmentGroupId The group's id.
   * @param args Which DPS to read from.
   * @param opts Resource options.
   */
  static get(
    name: string,
    enrollmentGroupId: pulumi.Input<string>,
    args: EnrollmentGroupGetArgs,
    opts?: pulumi.CustomResourceOptions,
  ): EnrollmentGroup {
    return new EnrollmentGroup(
      name,
      {
        connection: args.connection,
        enrollmentGroupId,
        attestation: undefined as unknown as GroupAttestationArgs,
      },
      { ...opts, id: enrollmentGroupId },
    );
  }
}
