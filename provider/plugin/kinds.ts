/** The plugin's type tokens and the resource each one serves, built from the list of resources. */
import type { ResourceDescriptor } from "../descriptor";
import type { PluginFunction } from "./operations";
import { RESOURCES, type PluginToken } from "../kinds";
import { PACKAGE } from "./properties";

/** `dps-enrollments:index:IndividualEnrollment`. */
export const INDIVIDUAL_TOKEN = "dps-enrollments:index:IndividualEnrollment" satisfies PluginToken;
/** `dps-enrollments:index:EnrollmentGroup`. */
export const GROUP_TOKEN = "dps-enrollments:index:EnrollmentGroup" satisfies PluginToken;
/** `dps-enrollments:index:deriveDeviceKey`. */
export const DERIVE_DEVICE_KEY_TOKEN = "dps-enrollments:index:deriveDeviceKey";

/** Every resource type the plugin serves, by type token: one entry per resource of {@link RESOURCES}. */
export const PLUGIN_KINDS: ReadonlyMap<string, ResourceDescriptor> = new Map(
  RESOURCES.map((resource) => [resource.plugin.token, resource]),
);

/** Every function the plugin serves, by type token: those the resources of {@link RESOURCES} name. */
export const FUNCTIONS: ReadonlyMap<string, PluginFunction> = new Map(
  RESOURCES.flatMap((resource) => Object.entries(resource.plugin.functions)),
);

/** The resource of a type token (or of a URN, whose type is its third `::` part); throws for others. */
export function kindOf(tokenOrUrn: string): ResourceDescriptor {
  const token = tokenOrUrn.startsWith("urn:pulumi:") ? urnType(tokenOrUrn) : tokenOrUrn;
  const kind = PLUGIN_KINDS.get(token);
  if (!kind)
    throw new Error(
      `${PACKAGE} has no resource type ${token}; it serves ${[...PLUGIN_KINDS.keys()].join(", ")}.`,
    );
  return kind;
}

/** The resource type of a URN (`urn:pulumi:stack::project::[parent$]type::name`). */
function urnType(urn: string): string {
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}
