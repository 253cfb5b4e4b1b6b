/**
 * An item's effective inputs: what one individual enrollment of the fleet is, as the shared Set
 * semantics (core/semantics.ts) and diff (core/diff.ts) take it. Pure.
 */
import { asInputs } from "../core/checks";
import type { EnrollmentInputs } from "../core/types";
import { effectiveRaw } from "./check";
import { itemDigest } from "./ledger";
import type { FleetInputs } from "./types";

/** The checked effective inputs of item `id` of `inputs`, with the fleet's connection and adopt. */
export function effectiveInputs(inputs: FleetInputs, id: string): EnrollmentInputs {
  const item = inputs.enrollments[id] as unknown as Record<string, unknown>;
  const raw = effectiveRaw((inputs.defaults ?? {}) as Record<string, unknown>, item, id);
  const effective = asInputs({ ...raw, connection: inputs.connection as unknown });
  if (inputs.adopt !== undefined) effective.adopt = inputs.adopt;
  return effective;
}

/** The ledger digest of item `id` as `inputs` declare it. */
export function digestOf(inputs: FleetInputs, id: string): string {
  return itemDigest(effectiveInputs(inputs, id) as unknown as Record<string, unknown>);
}
