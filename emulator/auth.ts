// Checks the Authorization header of DPS requests: SAS tokens of configured policies, or Bearer
// tokens from the test issuer.
import { createHmac, timingSafeEqual } from "node:crypto";
import { clip, DpsError, ErrorCodes } from "./errors";
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
  /** Token of the control API under `/_emulator/` (`Authorization: Bearer {adminToken}`). */
  adminToken: string;
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

/** Longest accepted SAS lifetime: an `se` further ahead than this is refused (the service documents no cap). */
export const MAX_SAS_LIFETIME_SECONDS = 366 * 24 * 3600;

/** HMAC-SHA256 of `signedResource + "\n" + expiry` with the base64 key, base64-encoded. */
function hmac(signedResource: string, expiry: string, key: string): string {
  return createHmac("sha256", Buffer.from(key, "base64"))
    .update(`${signedResource}\n${expiry}`)
    .digest("base64");
}

/** The signature service clients compute: HMAC over `encodeURIComponent(sr) + "\n" + se`. */
export function sasSignature(resource: string, expiry: number, key: string): string {
  return hmac(encodeURIComponent(resource), String(expiry), key);
}

/**
 * Builds a `SharedAccessSignature sr=..&sig=..&se=..&skn=..` header value, as the service clients do.
 *
 * @param resource - The DPS host name, optionally followed by a resource path (`host/enrollments/id`).
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

/** Constant-time comparison of the whole signature text (no base64 leniency: trailing bytes fail). */
function sameSignature(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

const malformed = (why: string): DpsError => unauthorized(`Malformed SharedAccessSignature: ${why}`);

/** The token's fields, both as sent and decoded; each field at most once. */
function sasFields(token: string): Map<string, { sent: string; value: string }> {
  const fields = new Map<string, { sent: string; value: string }>();
  for (const part of token.split("&")) {
    const eq = part.indexOf("=");
    if (eq <= 0) throw malformed("every field must be name=value.");
    const name = part.slice(0, eq);
    const sent = part.slice(eq + 1);
    if (fields.has(name)) throw malformed(`the field '${name}' appears more than once.`);
    try {
      fields.set(name, { sent, value: decodeURIComponent(sent) });
    } catch {
      throw malformed(`the field '${name}' is not correctly URI-encoded.`);
    }
  }
  return fields;
}

/** Lowercased path without a trailing slash, for scope comparison (registration ids are case-insensitive). */
function scopePath(path: string): string {
  return path.toLowerCase().replace(/\/+$/, "");
}

/** Throws a 401 when `se` has passed or lies more than {@link MAX_SAS_LIFETIME_SECONDS} ahead. */
function checkExpiry(expiry: number, nowSeconds: number): void {
  if (expiry <= nowSeconds) throw unauthorized("The SharedAccessSignature has expired.");
  if (expiry > nowSeconds + MAX_SAS_LIFETIME_SECONDS) {
    throw unauthorized(
      `The SharedAccessSignature expires too far in the future: at most ${MAX_SAS_LIFETIME_SECONDS} seconds ahead.`,
    );
  }
}

/**
 * Checks a SAS token for a request to `resourcePath` (the decoded URL path). The signature is
 * verified over the `sr` text exactly as sent: service clients send it URI-encoded and sign the
 * encoded text, the Node device client sends and signs `{scope}/registrations/{id}` with raw slashes.
 */
function verifySas(token: string, ctx: AuthContext, resourcePath: string, nowSeconds: number): Principal {
  const fields = sasFields(token);
  const sr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  const skn = fields.get("skn");
  if (!sr?.value || !sig?.value || !se?.value || !skn?.value)
    throw malformed("sr, sig, se and skn are required.");
  if (!/^\d{1,12}$/.test(se.value)) throw malformed("se must be an integer (seconds since 1970).");
  const host = ctx.hostName.toLowerCase();
  const resource = scopePath(sr.value);
  if (resource !== host && !resource.startsWith(`${host}/`)) {
    throw unauthorized(`The SharedAccessSignature is for '${clip(sr.value)}', not for '${ctx.hostName}'.`);
  }
  const policy = ctx.policies.find((p) => p.keyName === skn.value);
  if (!policy) throw unauthorized(`The shared access policy '${clip(skn.value)}' does not exist.`);
  const keys = [policy.primaryKey, policy.secondaryKey].filter((k): k is string => !!k);
  if (!keys.some((key) => sameSignature(sig.value, hmac(sr.sent, se.sent, key)))) {
    throw unauthorized("The SharedAccessSignature signature is invalid.");
  }
  checkExpiry(Number(se.value), nowSeconds);
  // `sr` scopes the token to that resource and everything below it.
  const scope = resource.slice(host.length);
  const target = scopePath(resourcePath);
  if (scope !== "" && target !== scope && !target.startsWith(`${scope}/`)) {
    throw unauthorized(
      `The SharedAccessSignature is scoped to '${clip(sr.value)}', which does not cover '${clip(resourcePath)}'.`,
    );
  }
  // Write implies read: the service's own tools read an enrollment with the policy they pick for
  // EnrollmentWrite before writing it back.
  const rights = new Set(policy.rights);
  if (rights.has("EnrollmentWrite")) rights.add("EnrollmentRead");
  if (rights.has("RegistrationStatusWrite")) rights.add("RegistrationStatusRead");
  return { name: policy.keyName, rights };
}

/** What a device's SAS token is checked against (see {@link verifyDeviceSas}). */
export interface DeviceSasTarget {
  /** The DPS's ID scope. */
  idScope: string;
  /** The registration id of the request path. */
  registrationId: string;
}

/**
 * Checks the SAS of a device registration: `sr={idScope}/registrations/{registrationId}` (compared
 * decoded and case-insensitively; the host is not part of a device token), `skn=registration`
 * (required), an `se` in the future and at most {@link MAX_SAS_LIFETIME_SECONDS} ahead, and `sig`
 * computed with one of `keys` over the `sr` text as sent. Returns the key that signed it.
 *
 * @throws DpsError 401 when the token is malformed, scoped elsewhere, expired or signed with another key.
 */
export function verifyDeviceSas(
  header: string,
  target: DeviceSasTarget,
  keys: readonly string[],
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  if (!header.startsWith("SharedAccessSignature ")) {
    throw unauthorized("Unsupported Authorization scheme: a device sends a SharedAccessSignature.");
  }
  const fields = sasFields(header.slice("SharedAccessSignature ".length).trim());
  const sr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  if (!sr?.value || !sig?.value || !se?.value) throw malformed("sr, sig and se are required.");
  if (!/^\d{1,12}$/.test(se.value)) throw malformed("se must be an integer (seconds since 1970).");
  const expected = `${target.idScope}/registrations/${target.registrationId}`;
  if (scopePath(sr.value) !== expected.toLowerCase()) {
    throw unauthorized(`The SharedAccessSignature is for '${clip(sr.value)}', not for '${expected}'.`);
  }
  // The device SDKs send skn=registration (the Node SDK for symmetric keys and for TPM alike).
  const skn = fields.get("skn")?.value;
  if (skn !== "registration") {
    throw unauthorized(
      skn === undefined
        ? "A device SharedAccessSignature needs skn=registration."
        : `A device SharedAccessSignature has skn=registration, not '${clip(skn)}'.`,
    );
  }
  const key = keys.find((k) => sameSignature(sig.value, hmac(sr.sent, se.sent, k)));
  if (key === undefined) throw unauthorized("The SharedAccessSignature signature is invalid.");
  checkExpiry(Number(se.value), nowSeconds);
  return key;
}

/**
 * Authenticates a request from its `Authorization` header.
 *
 * @param header - The `Authorization` header.
 * @param ctx - Policies and issuer.
 * @param resourcePath - The decoded request path (`/enrollments/id`), which a SAS `sr` must cover.
 * @throws DpsError 401 when the header is missing, malformed, expired, wrongly signed, scoped elsewhere,
 *   or names an unknown policy.
 */
export async function authenticate(
  header: string | undefined,
  ctx: AuthContext,
  resourcePath: string,
): Promise<Principal> {
  if (!header) throw unauthorized("The Authorization header is missing.");
  if (header.startsWith("SharedAccessSignature ")) {
    return verifySas(
      header.slice("SharedAccessSignature ".length).trim(),
      ctx,
      resourcePath,
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

/**
 * Authenticates a request to the control API under `/_emulator/`: `Bearer {adminToken}`, or a SAS
 * of a policy with the ServiceConfig right (the owner policy).
 *
 * @throws DpsError 401 otherwise.
 */
export async function authenticateAdmin(
  header: string | undefined,
  ctx: AuthContext,
  resourcePath: string,
): Promise<void> {
  const hint =
    "The control API needs 'Authorization: Bearer {adminToken}' (the adminToken dps-emulator prints) " +
    "or a SharedAccessSignature of a policy with the ServiceConfig right.";
  if (header?.startsWith("Bearer ")) {
    if (sameSignature(header.slice("Bearer ".length).trim(), ctx.adminToken)) return;
    throw unauthorized(`The admin token is wrong. ${hint}`);
  }
  if (!header?.startsWith("SharedAccessSignature ")) throw unauthorized(hint);
  requireRight(await authenticate(header, ctx, resourcePath), "ServiceConfig");
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
