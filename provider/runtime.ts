/**
 * The dynamic providers, loaded by name inside the provider plugin: the provider text every resource
 * stores in state is `require("pulumi-dps-enrollments/provider/runtime").<export>`. Stacks made by
 * earlier releases name `enrollmentProvider`, so this module and that export stay.
 */
export { enrollmentProvider } from "./individual/kind";
export { enrollmentGroupProvider } from "./group/kind";
