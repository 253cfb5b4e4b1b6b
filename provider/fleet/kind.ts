/** `EnrollmentFleet`: the one descriptor of the resource (see provider/descriptor.ts). */
import type { dynamic } from "@pulumi/pulumi";
import type { ResourceDescriptor, ResourceSchema } from "../descriptor";
import type { PluginOperations } from "../plugin/operations";
import { createFleetProvider } from "./dynamicProvider";
import { FLEET_DOC } from "./examples";
import { FLEET_OPERATIONS } from "./plugin";
import { fleetSchema } from "./pluginSchema";

/** `EnrollmentFleet`: many records of the individual kind (`/enrollments/`) as one resource. */
export const ENROLLMENT_FLEET = {
  resource: "EnrollmentFleet",
  plugin: {
    token: "dps-enrollments:index:EnrollmentFleet",
    doc: FLEET_DOC,
    schema: (): ResourceSchema => fleetSchema(),
    functions: {},
    operations: (): PluginOperations => FLEET_OPERATIONS,
  },
  dynamic: {
    type: "pulumi-nodejs:dynamic/dps:EnrollmentFleet",
    runtimeExport: "fleetProvider",
    provider: (): dynamic.ResourceProvider => createFleetProvider(),
  },
} as const satisfies ResourceDescriptor;
