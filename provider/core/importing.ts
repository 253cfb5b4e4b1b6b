/**
 * The `import` resource option, done by the provider with no write when the program matches the
 * record (the dynamic face carries the id as an internal input: dynamic/keys.ts). Pure rules here.
 */
import { diffEnrollment } from "./diff";
import type { WireForm } from "./kind";
import type { EnrollmentInputs, EnrollmentView } from "./types";

const SECRET_FIELDS = new Set(["primaryKey", "secondaryKey"]);
/** Fields the service may not return (Azure's GET gives a certificate's `info`, not the certificate). */
const UNREPORTED_FIELDS = new Set(["primaryCertificate", "secondaryCertificate"]);

function show(value: unknown): string {
  return value === undefined ? "(not set)" : JSON.stringify(value);
}

/**
 * How the enrollment the service holds differs from what the program declares, one line per managed
 * property (`tags: the DPS has {...}, the program says {...}`); empty when the import can go ahead.
 * Symmetric keys are named, never printed.
 */
export function importDifferences(
  current: EnrollmentView,
  inputs: EnrollmentInputs,
  kind: WireForm,
): string[] {
  const diff = diffEnrollment({ ...current, connection: inputs.connection }, inputs, kind);
  const lines: string[] = [];
  for (const key of diff.changed) {
    if (key === "connection") continue;
    if (key === "attestation") {
      const given = inputs.attestation as unknown as Record<string, unknown>;
      const held = current.attestation as unknown as Record<string, unknown>;
      if (given.type !== held.type) {
        lines.push(`attestation.type: the DPS has ${show(held.type)}, the program says ${show(given.type)}`);
        continue;
      }
      for (const [field, value] of Object.entries(given)) {
        if (field === "type" || value === undefined || value === held[field]) continue;
        if (UNREPORTED_FIELDS.has(field) && held[field] === undefined) continue;
        lines.push(
          SECRET_FIELDS.has(field)
            ? `attestation.${field}: differs from the key the DPS holds`
            : `attestation.${field}: the DPS has ${show(held[field])}, the program says ${show(value)}`,
        );
      }
      continue;
    }
    const property = key as keyof EnrollmentView & keyof EnrollmentInputs;
    lines.push(`${key}: the DPS has ${show(current[property])}, the program says ${show(inputs[property])}`);
  }
  return lines;
}

/** The error for an import whose program does not match the record (nothing was written). */
export function importMismatchMessage(
  noun: string,
  id: string,
  hostName: string,
  differences: string[],
): string {
  return (
    `Cannot import ${noun.toLowerCase()} "${id}" from ${hostName}: the program does not match it.\n` +
    differences.map((line) => `  - ${line}`).join("\n") +
    "\nChange the program to match (then import), or remove the `import` option and set `adopt: true` to take " +
    "it over and apply the program with Set semantics. Nothing was changed."
  );
}
