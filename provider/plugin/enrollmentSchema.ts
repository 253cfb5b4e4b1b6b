/**
 * The schema of a kind of enrollment (a resource that is one record), from its property tables: its
 * inputs, the outputs every record has and its own, and its attestation type. Pure.
 */
import type { EnrollmentPluginFace, ResourceSchema } from "../descriptor";
import type { WireForm } from "../core/kind";
import { RECORD_PROPERTIES } from "../core/types";
import { PACKAGE, SHARED_OUTPUTS, type PropertySpec } from "./properties";

/** An output of a property: secret inputs stay secret, `replaceOnChanges` belongs to inputs only. */
export function asOutput(spec: PropertySpec): PropertySpec {
  const { replaceOnChanges: _replace, ...rest } = spec;
  return rest;
}

function outputsOf(inputs: Record<string, PropertySpec>, extra: Record<string, PropertySpec>) {
  const props: Record<string, PropertySpec> = {};
  for (const [key, spec] of Object.entries(inputs)) props[key] = asOutput(spec);
  for (const [key, spec] of Object.entries(extra)) props[key] = spec;
  return props;
}

/** The outputs every record has: the properties read back with defaults, and the service's etag. */
const ALWAYS = [...RECORD_PROPERTIES, "etag"];

/** The schema of the kind with id property `idKey` and plugin face `plugin`. */
export function enrollmentSchema(
  { idKey }: Pick<WireForm, "idKey">,
  plugin: Pick<EnrollmentPluginFace, "inputs" | "outputs" | "attestation">,
): ResourceSchema {
  const { attestation } = plugin;
  return {
    resource: {
      inputProperties: plugin.inputs,
      requiredInputs: [idKey, "attestation"],
      properties: outputsOf(plugin.inputs, { ...SHARED_OUTPUTS, ...plugin.outputs }),
      required: [idKey, ...ALWAYS],
    },
    types: {
      [`${PACKAGE}:index:${attestation.name}`]: {
        type: "object",
        description: attestation.description,
        properties: attestation.properties,
        required: ["type"],
      },
    },
  };
}
