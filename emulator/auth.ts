// Checks the Authorization header of DPS requests: SAS tokens of configured policies, or Bearer
// tokens from the test issuer.
import { createHmac, timingSafeEqual } from "node:crypto";
import { DpsError, ErrorCodes } from "./errors";
import { verifyToken } from "./issuer";
import type { AccessRight, SharedAccessPolicy } from "./types";

/** Who made a request and what they may do. */
export interface Principal {
  /** Policy name, or `bearer:{sub}`. */
  name: string;
  /** Rights granted. */
  rights: ReadonlySet<AccessRight>;
}

/** What {@link authenticate} checks against. */
export interface AuthContext {
  /** The DPS host name tokens must be issued for (`sr`). */
  hostName: string;
  /** Accepted shared access policies. */
  policies: readonly SharedAccessPolicy[];
  /** Secret of the test issuer; absent: Bearer tokens are refused. */
  bearerSecret?: Uint8Array;
}

/** Every right of a DPS shared access policy: the default policy's, and what a verified Bearer token gets. */
export const EVERY_RIGHT: readonly AccessRight[] = [
  "ServiceConfig",
  "EnrollmentRead",
  "EnrollmentWrite",
  "DeviceConnect",
  "RegistrationStatusRead",
  "RegistrationStatusWrite",
];

/** What a verified Bearer token gets (the emulator models no Azure RBAC roles). */
const ALL_RIGHTS: ReadonlySet<AccessRight> = new Set<AccessRight>(EVERY_RIGHT);

function unauthorized(message: string): DpsError {
  return new DpsError(401, ErrorCodes.unauthorized, message);
}

/** HMAC-SHA256 of `encodeURIComponent(sr) + "\n" + se` with the base64 key, base64-encoded. */
export function sasSignature(resource: string, expiry: number, key: string): string {
  return createHmac("sha256", Buffer.from(key, "base64"))
    .update(`${encodeURIComponent(resource)}\n${expiry}`)
    .digest("base64");
}

/**
 * Builds a `SharedAccessSignature sr=..&sig=..&se=..&skn=..` header value, as the service clients do.
 *
 * @param resource - The DPS host name.
 * @param keyName - Policy name.
 * @param key - Base64 policy key.
 * @param expiry - Expiry, seconds since the epoch.
 */
export function createSasToken(resource: string, keyName: string, key: string, expiry: number): string {
  const sig = sasSignature(resource, expiry, key);
  return (
    `SharedAccessSignature sr=${encodeURIComponent(resource)}&sig=${encodeURIComponent(sig)}` +
    `&se=${expiry}&skn=${encodeURIComponent(keyName)}`
  );
}

function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given, "base64");
  const b = Buffer.from(expected, "base64");
  return a.length === b.length && timingSafeEqual(a, b);
}

function verifySas(token: string, ctx: AuthContext, nowSeconds: number): Principal {
  const fields = new Map<string, string>();
  for (const part of token.split("&")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw unauthorized("Malformed SharedAccessSignature.");
    try {
      fields.set(part.slice(0, eq), decodeURIComponent(part.slice(eq + 1)));
    } catch {
      throw unauthorized("Malformed SharedAccessSignature.");
    }
  }
  const sr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  const skn = fields.get("skn");
  if (!sr || !sig || !se || !skn)
    throw unauthorized("Malformed SharedAccessSignature: sr, sig, se and skn are required.");
  if (!/^\d+$/.test(se)) throw unauthorized("Malformed SharedAccessSignature: se must be an integer.");
  const host = ctx.hostName.toLowerCase();
  const resource = sr.toLowerCase();
  if (resource !== host && !resource.startsWith(`${host}/`)) {
    throw unauthorized(`The SharedAccessSignature is for '${sr}', not for '${ctx.hostName}'.`);
  }
  const policy = ctx.policies.find((p) => p.keyName === skn);
  if (!policy) throw unauthorized(`The shared access policy '${skn}' does not exist.`);
  const keys = [policy.primaryKey, policy.secondaryKey].filter((k): k is string => !!k);
  if (!keys.some((key) => sameSignature(sig, sasSignature(sr, Number(se), key)))) {
    throw unauthorized("The SharedAccessSignature signature is invalid.");
  }
  if (Number(se) <= nowSeconds) throw unauthorized("The SharedAccessSignature has expired.");
  // Write implies read: the service's own tools read an enrollment with the policy they pick for
  // EnrollmentWrite before writing it back.
  const rights = new Set(policy.rights);
  if (rights.has("EnrollmentWrite")) rights.add("EnrollmentRead");
  if (rights.has("RegistrationStatusWrite")) rights.add("RegistrationStatusRead");
  return { name: policy.keyName, rights };
}

/**
 * Authenticates a request from its `Authorization` header.
 *
 * @throws DpsError 401 when the header is missing, malformed, expired, wrongly signed, or names an unknown policy.
 */
export async function authenticate(header: string | undefined, ctx: AuthContext): Promise<Principal> {
  if (!header) throw unauthorized("The Authorization header is missing.");
  if (header.startsWith("SharedAccessSignature ")) {
    return verifySas(
      header.slice("SharedAccessSignature ".length).trim(),
      ctx,
      Math.floor(Date.now() / 1000),
    );
  }
  if (header.startsWith("Bearer ")) {
    if (!ctx.bearerSecret)
      throw unauthorized("Bearer tokens are accepted only when the emulator runs with a test issuer.");
    try {
      const payload = await verifyToken(ctx.bearerSecret, header.slice("Bearer ".length).trim());
      return { name: `bearer:${payload.sub ?? "unknown"}`, rights: ALL_RIGHTS };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw unauthorized(`The Bearer token is invalid: ${reason}`);
    }
  }
  throw unauthorized("Unsupported Authorization scheme: use SharedAccessSignature or Bearer.");
}

/** Throws a 401 unless `principal` holds `right`. */
export function requireRight(principal: Principal, right: AccessRight): void {
  if (!principal.rights.has(right)) {
    throw new DpsError(
      401,
      ErrorCodes.forbiddenRights,
      `The policy '${principal.name}' does not have the ${right} right required for this operation.`,
    );
  }
}
