/**
 * The dynamic providers, loaded by name inside the provider plugin: the provider text every resource
 * stores in state is `require("pulumi-dps-enrollments/provider/runtime").<export>`, one export per
 * kind of provider/kinds.ts (its `dynamic.runtimeExport`). Stacks made by earlier releases name
 * `enrollmentProvider`, so this module and every export stay.
 */
import type { dynamic } from "@pulumi/pulumi";
import { createProvider } from "./dynamic/provider";
import { createFleetProvider } from "./fleet/dynamicProvider";
import { KINDS, type RuntimeExport } from "./kinds";

/** The provider of the kind whose runtime export is `name`. */
function providerOf(name: RuntimeExport): dynamic.ResourceProvider {
  const kind = KINDS.find((k) => k.dynamic.runtimeExport === name);
  if (!kind) throw new Error(`No kind of enrollment has the runtime export ${name}.`);
  return createProvider(kind);
}

/** The `pulumi.dynamic.ResourceProvider` of `IndividualEnrollment`. */
export const enrollmentProvider: dynamic.ResourceProvider = providerOf("enrollmentProvider");

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentGroup`. */
export const enrollmentGroupProvider: dynamic.ResourceProvider = providerOf("enrollmentGroupProvider");

// Every kind has its export: a kind added to the list without one does not compile.
({ enrollmentProvider, enrollmentGroupProvider }) satisfies Record<RuntimeExport, dynamic.ResourceProvider>;

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentFleet` (provider/fleet/). */
export const fleetProvider: dynamic.ResourceProvider = createFleetProvider();
