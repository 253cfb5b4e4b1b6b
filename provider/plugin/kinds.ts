/** The plugin's type tokens and the kind each one serves, built from the list of kinds. */
import type { KindDescriptor } from "../descriptor";
import { ENROLLMENT_GROUP } from "../group/kind";
import { INDIVIDUAL_ENROLLMENT } from "../individual/kind";
import { KINDS } from "../kinds";
import { PACKAGE } from "./properties";

/** `dps-enrollments:index:IndividualEnrollment`. */
export const INDIVIDUAL_TOKEN = INDIVIDUAL_ENROLLMENT.plugin.token;
/** `dps-enrollments:index:EnrollmentGroup`. */
export const GROUP_TOKEN = ENROLLMENT_GROUP.plugin.token;
/** `dps-enrollments:index:deriveDeviceKey`. */
export const DERIVE_DEVICE_KEY_TOKEN = `${PACKAGE}:index:deriveDeviceKey`;

/** Every resource type the plugin serves, by type token: one entry per kind of {@link KINDS}. */
export const PLUGIN_KINDS: ReadonlyMap<string, KindDescriptor> = new Map(
  KINDS.map((kind) => [kind.plugin.token, kind]),
);

/** The kind of a type token (or of a URN, whose type is its third `::` part); throws for others. */
export function kindOf(tokenOrUrn: string): KindDescriptor {
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
