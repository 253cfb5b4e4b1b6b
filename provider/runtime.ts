/**
 * The dynamic providers, loaded by name inside the provider plugin: the provider text every resource
 * stores in state is `require("pulumi-dps-enrollments/provider/runtime").<export>`. Stacks made by
 * earlier releases name `enrollmentProvider`, so this module and that export stay.
 */
import type { dynamic } from "@pulumi/pulumi";
import { createProvider } from "./dynamic/provider";
import { ENROLLMENT_GROUP } from "./group/kind";
import { INDIVIDUAL_ENROLLMENT } from "./individual/kind";

/** The `pulumi.dynamic.ResourceProvider` of `IndividualEnrollment`. */
export const enrollmentProvider: dynamic.ResourceProvider = createProvider(INDIVIDUAL_ENROLLMENT);

/** The `pulumi.dynamic.ResourceProvider` of `EnrollmentGroup`. */
export const enrollmentGroupProvider: dynamic.ResourceProvider = createProvider(ENROLLMENT_GROUP);
