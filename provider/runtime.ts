/**
 * The dynamic providers, loaded by name inside the provider plugin: the provider text every resource
 * stores in state is `require("pulumi-dps-enrollments/provider/runtime").<export>`, one export per
 * resource of provider/kinds.ts (its `dynamic.runtimeExport`). Stacks made by earlier releases name
 * `enrollmentProvider`, so this module and every export stay.
 */
import type { dynamic } from "@pulumi/pulumi";
import { RESOURCES, type RuntimeExport } from "./kinds";

/** The provider of the resource whose runtime export is `name`. */
function providerOf(name: RuntimeExport): dynamic.ResourceProvider {
  const resource = RESOURCES.find((r) => r.dynamic.runtimeExport === name);
  if (!resource) throw new Error(`No resource has the runtime export ${name}.`);
  return resource.dynamic.provider();
}

/** The `pulumi.dynamic.ResourceProvider` of `IndividualEnrollment`. */
export const enrollmentProvider: dynamic.ResourceProvider = providerOf("enrollmentProvider");

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentGroup`. */
export const enrollmentGroupProvider: dynamic.ResourceProvider = providerOf("enrollmentGroupProvider");

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentFleet`. */
export const fleetProvider: dynamic.ResourceProvider = providerOf("fleetProvider");

// Every resource has its export: a resource added to the list without one does not compile.
({ enrollmentProvider, enrollmentGroupProvider, fleetProvider }) satisfies Record<
  RuntimeExport,
  dynamic.ResourceProvider
>;
