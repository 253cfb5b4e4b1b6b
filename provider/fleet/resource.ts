/**
 * `EnrollmentFleet`, the dynamic resource: many individual enrollments as one resource, for
 * manifests (see docs/fleet.md). Served by Pulumi's dynamic-provider plugin with `fleetProvider`
 * of `provider/runtime.ts`, loaded by package name (see `providerModuleText`).
 */
import * as pulumi from "@pulumi/pulumi";
import { providerModuleText, withSecretOutputs, type DpsConnectionArgs } from "../dynamic/resource";
import { IMPORT_KEY } from "../dynamic/keys";
import type { EnrollmentConnection } from "../core/types";
import type { AttestationArgs, IndividualEnrollmentArgs } from "../individual/resource";
import { DYNAMIC_PROVIDER_KEY } from "../sdkInternals";

/** The type token of a fleet in state (`dynamic.Resource` with module `dps`). */
export const ENROLLMENT_FLEET_TYPE = "pulumi-nodejs:dynamic/dps:EnrollmentFleet";
/** The runtime export the provider text in state loads; it never changes. */
export const FLEET_RUNTIME_EXPORT = "fleetProvider";

/** An item's attestation: `IndividualEnrollment`'s, but `type` may be left out when the fields say it. */
export interface FleetAttestationArgs extends Omit<AttestationArgs, "type"> {
  /**
   * `"symmetricKey"` (needed when no key is given: keys are generated), `"tpm"` or `"x509"`; implied by
   * `endorsementKey` (TPM), certificates or CA names (X.509), or both keys (symmetric key).
   */
  type?: AttestationArgs["type"];
}

/**
 * The properties items share (`defaults`) or set for themselves: `IndividualEnrollment`'s optional
 * inputs but the fleet's own (`connection`, `adopt`) and the per-device ones.
 */
export type FleetPropertiesArgs = Omit<
  IndividualEnrollmentArgs,
  "connection" | "adopt" | "registrationId" | "attestation" | "deviceId"
>;

/** One item of a fleet: its attestation and any property that overrides the default of the same name. */
export interface FleetItemArgs extends FleetPropertiesArgs {
  /** IoT Hub device id (per item only: one device id names one device). */
  deviceId?: pulumi.Input<string>;
  /** How the device proves who it is. */
  attestation: pulumi.Input<FleetAttestationArgs>;
}

/** The arguments of an {@link EnrollmentFleet}. */
export interface EnrollmentFleetArgs {
  /** The DPS; absent: the stack config's `dps-enrollments:*`. */
  connection?: pulumi.Input<DpsConnectionArgs>;
  /** Properties every item has unless it sets its own (an item's property replaces the default whole). */
  defaults?: pulumi.Input<FleetPropertiesArgs>;
  /** The items, keyed by registration id (at most 10,000). */
  enrollments: pulumi.Input<Record<string, pulumi.Input<FleetItemArgs>>>;
  /** Take over existing records with Set semantics instead of failing. */
  adopt?: pulumi.Input<boolean>;
}

/** Whether any item of a resolved `enrollments` gives symmetric keys. */
function givesKeys(enrollments: unknown): boolean {
  if (enrollments === null || typeof enrollments !== "object") return true;
  return Object.values(
    enrollments as Record<string, { attestation?: { primaryKey?: unknown; secondaryKey?: unknown } }>,
  ).some(
    (item) => item?.attestation?.primaryKey !== undefined || item?.attestation?.secondaryKey !== undefined,
  );
}

/**
 * Many individual enrollments of one DPS as one resource, with the Set semantics of
 * `IndividualEnrollment` per item: only the items that changed are written, in bulk calls of 10,
 * with their etags. The state holds the items once (as inputs) and a compact record of what landed,
 * so a fleet of 10,000 TPM devices is one step, not 10,000. See docs/fleet.md.
 */
export class EnrollmentFleet extends pulumi.CustomResource {
  /** The DPS (secret); only `{ hostName }` when the stack config gives the connection. */
  declare readonly connection: pulumi.Output<EnrollmentConnection>;
  /** Items in the DPS as the program declares them. */
  declare readonly enrollmentCount: pulumi.Output<number>;
  /** Symmetric keys of the symmetric-key items, by registration id (secret). */
  declare readonly deviceKeys: pulumi.Output<
    Record<string, { primaryKey: string; secondaryKey: string }> | undefined
  >;
  /** Items the last write could not land, with the service's reason. */
  declare readonly failedEnrollments: pulumi.Output<Record<string, string> | undefined>;
  /** Items the last refresh found changed outside Pulumi (the next `up` writes them back). */
  declare readonly driftedEnrollments: pulumi.Output<Record<string, string> | undefined>;

  /**
   * Creates the fleet's enrollments (or, with `adopt`, takes over existing ones). The `import`
   * option (`ids:a,b,c` or `prefix:line7-`) takes existing records into the stack with no write
   * when the program matches them.
   * @param name The Pulumi resource name.
   * @param args The fleet; see {@link EnrollmentFleetArgs}.
   * @param opts Resource options.
   */
  constructor(name: string, args: EnrollmentFleetArgs, opts?: pulumi.CustomResourceOptions) {
    const { import: importId, ...rest } = opts ?? {};
    const props: pulumi.Inputs = {
      connection: args.connection === undefined ? undefined : pulumi.secret(args.connection),
      defaults: args.defaults,
      // Given keys make the items secret; TPM and X.509 manifests stay readable (and compact) in state.
      enrollments: pulumi
        .output(args.enrollments)
        .apply((e): unknown => (givesKeys(e) ? pulumi.secret(e) : e)),
      adopt: args.adopt,
      enrollmentCount: undefined,
      deviceKeys: undefined,
      failedEnrollments: undefined,
      driftedEnrollments: undefined,
      [DYNAMIC_PROVIDER_KEY]: providerModuleText(FLEET_RUNTIME_EXPORT),
    };
    if (importId !== undefined && rest.id === undefined) props[IMPORT_KEY] = importId;
    const options = withSecretOutputs(
      importId === undefined ? opts : rest,
      args.connection !== undefined,
      false,
    );
    options.additionalSecretOutputs = [...(options.additionalSecretOutputs ?? []), "deviceKeys"];
    super(ENROLLMENT_FLEET_TYPE, name, props, options);
  }
}
