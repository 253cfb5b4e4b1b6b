/**
 * Enrollments of the provider plugin declared from an inline TypeScript program, as a generated
 * Node SDK class declares them (a `CustomResource` of the plugin's type token), for the engine tests
 * and the bench that run programs through the Automation API. The engine finds the plugin on PATH:
 * give {@link PLUGIN_DIR} to `EngineStack.create`'s `binDirs`.
 */
import * as pulumi from "@pulumi/pulumi";
import { GROUP_TOKEN, INDIVIDUAL_TOKEN } from "../../provider/plugin/kinds";

export { PLUGIN_DIR } from "./cliProject";

/** The plugin's resource types, by the names the dynamic classes also have. */
export const PLUGIN_TOKENS = {
  IndividualEnrollment: INDIVIDUAL_TOKEN,
  EnrollmentGroup: GROUP_TOKEN,
} as const;

/** A plugin enrollment: a custom resource of the plugin's type token, as a generated SDK class is. */
export class PluginEnrollment extends pulumi.CustomResource {}

/**
 * Declares a plugin enrollment of `kind`.
 * @param kind - `IndividualEnrollment` or `EnrollmentGroup`
 * @param name - the resource name
 * @param args - its arguments (those of the dynamic class, without `connection`)
 * @param opts - resource options (an explicit provider, aliases, ...)
 */
export function pluginEnrollment(
  kind: keyof typeof PLUGIN_TOKENS,
  name: string,
  args: pulumi.Inputs,
  opts?: pulumi.CustomResourceOptions,
): PluginEnrollment {
  return new PluginEnrollment(PLUGIN_TOKENS[kind], name, args, opts);
}
