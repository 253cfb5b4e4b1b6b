/**
 * The one descriptor each resource folder exports: what each face needs to serve it, and for a kind
 * of enrollment what the shared machinery needs (core/kind.ts). A descriptor names its face
 * implementations itself (the plugin's handlers, the dynamic provider): nothing picks one by default.
 * provider/kinds.ts lists them; everything that dispatches, generates or tests per resource loops
 * over that list.
 */
import type { dynamic } from "@pulumi/pulumi";
import type { CheckSpec } from "./core/checks";
import type { EnrollmentKind } from "./core/kind";
import type { ResourceDoc } from "./plugin/examples";
import type { PluginFunction, PluginOperations } from "./plugin/operations";
import type { ObjectSpec, PACKAGE, PropertySpec, ResourceSpec } from "./plugin/properties";

/** A resource's part of the package schema. */
export interface ResourceSchema {
  /** Its schema entry but the description (composed from its {@link PluginFace.doc}). */
  resource: Omit<ResourceSpec, "description">;
  /** The object types it names, by token; a token two resources name must be the same type. */
  types: Record<string, ObjectSpec>;
}

/** What the schema-based plugin serves of a resource. */
export interface PluginFace {
  /** The resource's type token, `dps-enrollments:index:<Resource>`. */
  token: `${typeof PACKAGE}:index:${string}`;
  /** The registry documentation: summary, examples, import. */
  doc: ResourceDoc;
  /** Its part of the schema. */
  schema(): ResourceSchema;
  /** Its handlers: Check, Diff, Create, Read, Update, Delete on plain values. */
  operations(): PluginOperations;
  /** The functions that come with it (`Invoke`), by type token; none is `{}`. */
  functions: Record<`${typeof PACKAGE}:index:${string}`, PluginFunction>;
}

/** What the plugin serves of a kind of enrollment: its schema comes from these tables. */
export interface EnrollmentPluginFace extends PluginFace {
  /** Its inputs (the dynamic resource's arguments but `connection`). */
  inputs: Record<string, PropertySpec>;
  /** Outputs of this kind besides its inputs and those every kind has. */
  outputs: Record<string, PropertySpec>;
  /** The object type of its `attestation` input, named in `inputs` by `$ref`. */
  attestation: { name: string; description: string; properties: Record<string, PropertySpec> };
}

/** What the dynamic face (`pulumi.dynamic`) serves of a resource. */
export interface DynamicFace {
  /** The type token its resources have in state, as `dynamic.Resource` gives it (module `dps`). */
  type: `pulumi-nodejs:dynamic/dps:${string}`;
  /**
   * The export of `provider/runtime` that the provider text in state loads. State written by every
   * release names it, so it never changes.
   */
  runtimeExport: `${string}Provider`;
  /** Its `pulumi.dynamic.ResourceProvider`. */
  provider(): dynamic.ResourceProvider;
}

/** A resource both faces serve. */
export interface ResourceDescriptor {
  /** The resource's class name (`IndividualEnrollment`, `EnrollmentFleet`). */
  resource: string;
  /** The schema-based plugin's view of the resource. */
  plugin: PluginFace;
  /** The dynamic provider's view of the resource. */
  dynamic: DynamicFace;
}

/** A kind of enrollment (a resource that is one record) with everything its faces need. */
export interface KindDescriptor extends EnrollmentKind, ResourceDescriptor {
  /** What the kind adds to the shared check rules; {@link EnrollmentKind.check} applies them. */
  checks: CheckSpec;
  /** The schema-based plugin's view of the kind. */
  plugin: EnrollmentPluginFace;
}
