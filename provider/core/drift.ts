/**
 * Drift, named: which properties the program manages (the dynamic face records the list in state:
 * dynamic/keys.ts), so that a refresh that finds an out-of-band change can hand the engine inputs
 * showing it. The engine prints an update's
 * `[diff: ~tags]` from old inputs against new ones (a dynamic provider cannot report the keys
 * itself), so after a refresh the old inputs must carry the service's values of the drifted
 * properties. Pure.
 */
import { jsonEqual } from "./diff";
import { ALLOCATION_PROPERTIES, REPLACED_PROPERTIES } from "./types";
import type { WireForm } from "./kind";
import type { EnrollmentInputs, EnrollmentOutputs, EnrollmentView } from "./types";

const OPTIONAL_PROPERTIES = [...REPLACED_PROPERTIES, ...ALLOCATION_PROPERTIES] as const;

/**
 * The optional properties and attestation fields the program sets, e.g.
 * `["tags", "allocationPolicy", "attestation.endorsementKey"]`.
 */
export function managedKeys(inputs: EnrollmentInputs): string[] {
  const keys: string[] = OPTIONAL_PROPERTIES.filter((key) => inputs[key] !== undefined);
  const attestation = inputs.attestation as unknown as Record<string, unknown>;
  for (const [field, value] of Object.entries(attestation)) {
    if (field !== "type" && value !== undefined) keys.push(`attestation.${field}`);
  }
  return keys;
}

/**
 * The inputs to store after a refresh, or `undefined` to keep the stored ones: the `managed`
 * properties (see {@link managedKeys}) as `refreshed` holds them, when at least one of them moved since
 * `state` was written. `undefined` also without a list (state written before it was kept: it cannot
 * tell what is managed).
 */
export function refreshedInputs(
  state: Partial<EnrollmentOutputs>,
  refreshed: EnrollmentView,
  kind: WireForm,
  managed: unknown,
): Record<string, unknown> | undefined {
  const idKey = kind.idKey;
  if (!Array.isArray(managed)) return undefined;
  const inputs: Record<string, unknown> = {
    connection: state.connection,
    [idKey]: refreshed[idKey],
  };
  if (state.adopt !== undefined) inputs.adopt = state.adopt;
  const attestation: Record<string, unknown> = { type: refreshed.attestation.type };
  const refreshedAttestation = refreshed.attestation as unknown as Record<string, unknown>;
  const oldAttestation = (state.attestation ?? {}) as unknown as Record<string, unknown>;
  let drifted = refreshed.attestation.type !== state.attestation?.type;
  for (const key of managed.map(String)) {
    if (key.startsWith("attestation.")) {
      const field = key.slice("attestation.".length);
      attestation[field] = refreshedAttestation[field];
      drifted ||= !jsonEqual(oldAttestation[field], refreshedAttestation[field]);
      continue;
    }
    const property = key as (typeof OPTIONAL_PROPERTIES)[number];
    inputs[property] = refreshed[property];
    drifted ||= !jsonEqual(state[property], refreshed[property]);
  }
  inputs.attestation = attestation;
  return drifted ? inputs : undefined;
}
