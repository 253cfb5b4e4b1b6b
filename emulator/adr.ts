// Azure Device Registry (ADR) certificate policy references on enrollments and enrollment groups
// (service API 2026-11-01): pure rules, no I/O.
import { DpsError, ErrorCodes } from "./errors";
import type { JsonObject } from "./types";

/** The service API versions the emulator speaks; the first is the default of the official Node client. */
export const SERVICE_API_VERSIONS = ["2021-10-01", "2026-11-01"] as const;
/** The first service API version with the ADR fields and certificate issuance. */
export const ADR_API_VERSION = "2026-11-01";

/** The three ADR fields, in the spec's order. */
export const ADR_FIELDS = ["namespaceName", "certificateAuthorityName", "certificatePolicyName"] as const;

/** An ADR certificate policy reference. */
export interface AdrReference {
  /** ADR namespace. */
  namespaceName: string;
  /** Certificate authority in the namespace. */
  certificateAuthorityName: string;
  /** Certificate policy of the CA. */
  certificatePolicyName: string;
}

/** The spec's constraints (service.json 2026-11-01, IndividualEnrollment and EnrollmentGroup). */
const RULES: Record<(typeof ADR_FIELDS)[number], { pattern: RegExp; max: number; text: string }> = {
  namespaceName: {
    pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/,
    max: 64,
    text: "3 to 64 lowercase letters, digits and '-', starting and ending with a letter or digit",
  },
  certificateAuthorityName: {
    pattern: /^[0-9a-zA-Z][a-zA-Z0-9-]*$/,
    max: 63,
    text: "3 to 63 letters, digits and '-', starting with a letter or digit",
  },
  certificatePolicyName: {
    pattern: /^[0-9a-zA-Z][a-zA-Z0-9-]*$/,
    max: 63,
    text: "3 to 63 letters, digits and '-', starting with a letter or digit",
  },
};

function invalid(message: string): DpsError {
  return new DpsError(400, ErrorCodes.invalidEnrollment, message);
}

/** True when `version` has the ADR fields. */
export function hasAdrFields(version: string | null): boolean {
  return version === ADR_API_VERSION;
}

/**
 * The ADR reference a 2026-11-01 PUT body names: all three fields or none (undefined). Throws the
 * service's 400 when only some are given or one breaks the spec's pattern or length.
 */
export function adrReferenceOf(body: JsonObject): AdrReference | undefined {
  const given = ADR_FIELDS.filter((f) => body[f] !== undefined && body[f] !== null);
  if (given.length === 0) return undefined;
  if (given.length < ADR_FIELDS.length) {
    const missing = ADR_FIELDS.filter((f) => !given.includes(f));
    throw invalid(
      `'namespaceName', 'certificateAuthorityName' and 'certificatePolicyName' go together: ` +
        `give all three or none (missing: ${missing.map((f) => `'${f}'`).join(", ")}).`,
    );
  }
  for (const field of ADR_FIELDS) {
    const value = body[field];
    const rule = RULES[field];
    if (typeof value !== "string") throw invalid(`'${field}' must be a string.`);
    if (value.length < 3 || value.length > rule.max || !rule.pattern.test(value)) {
      throw invalid(`'${field}' ('${value}') is invalid: use ${rule.text}.`);
    }
  }
  return {
    namespaceName: body.namespaceName as string,
    certificateAuthorityName: body.certificateAuthorityName as string,
    certificatePolicyName: body.certificatePolicyName as string,
  };
}

/** The reference a stored record holds, if any. */
export function storedAdrReference(record: JsonObject): AdrReference | undefined {
  const [ns, ca, policy] = ADR_FIELDS.map((f) => record[f]);
  if (typeof ns !== "string" || typeof ca !== "string" || typeof policy !== "string") return undefined;
  return { namespaceName: ns, certificateAuthorityName: ca, certificatePolicyName: policy };
}

/** `record` as an api-version without the ADR fields shows it. */
export function withoutAdrFields(record: JsonObject): JsonObject {
  const out: JsonObject = { ...record };
  for (const f of ADR_FIELDS) delete out[f];
  return out;
}

/** The `NAMESPACE/CA/POLICY` key of a reference (names compare case-insensitively, as ARM names do). */
export function adrPolicyKey(ref: AdrReference): string {
  return `${ref.namespaceName}/${ref.certificateAuthorityName}/${ref.certificatePolicyName}`.toLowerCase();
}

/** Parses an `--adr-policy NAMESPACE/CA/POLICY` value; throws an Error naming the flag and the fix. */
export function parseAdrPolicy(text: string): AdrReference {
  const parts = text.split("/");
  const ref =
    parts.length === 3
      ? { namespaceName: parts[0], certificateAuthorityName: parts[1], certificatePolicyName: parts[2] }
      : undefined;
  try {
    if (!ref || adrReferenceOf({ ...ref }) === undefined) throw new Error("three names are required");
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`--adr-policy expects NAMESPACE/CA/POLICY, got '${text}': ${why}`, { cause: err });
  }
  return ref;
}
