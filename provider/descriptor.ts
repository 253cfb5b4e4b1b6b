/**
 * The one descriptor each kind folder exports: what the shared machinery needs (core/kind.ts) and
 * what each face needs to serve it. provider/kinds.ts lists them; everything that dispatches,
 * generates or tests per kind loops over that list.
 */
import type { CheckSpec } from "./core/checks";
import type { EnrollmentKind } from "./core/kind";
import type { ResourceDoc } from "./plugin/examples";
import type { PACKAGE, PropertySpec } from "./plugin/properties";

/** What the schema-based plugin serves of a kind. */
export interface PluginFace {
  /** The resource's type token, `dps-enrollments:index:<Resource>`. */
  token: `${typeof PACKAGE}:index:${string}`;
  /** Its inputs (the dynamic resource's arguments but `connection`). */
  inputs: Record<string, PropertySpec>;
  /** Outputs of this kind besides its inputs and those every kind has. */
  outputs: Record<string, PropertySpec>;
  /** The object type of its `attestation` input, named in `inputs` by `$ref`. */
  attestation: { name: string; description: string; properties: Record<string, PropertySpec> };
  /** The registry documentation: summary, examples, import. */
  doc: ResourceDoc;
}

/** What the dynamic face (`pulumi.dynamic`) serves of a kind. */
export interface DynamicFace {
  /** The type token its resources have in state, as `dynamic.Resource` gives it (module `dps`). */
  type: `pulumi-nodejs:dynamic/dps:${string}`;
  /**
   * The export of `provider/runtime` that the provider text in state loads. State written by every
   * release names it, so it never changes.
   */
  runtimeExport: `${string}Provider`;
}

/** A kind of enrollment with everything its faces need. */
export interface KindDescriptor extends EnrollmentKind {
  /** What the kind adds to the shared check rules; {@link EnrollmentKind.check} applies them. */
  checks: CheckSpec;
  /** The schema-based plugin's view of the kind. */
  plugin: PluginFace;
  /** The dynamic provider's view of the kind. */
  dynamic: DynamicFace;
}
