/** Parsing of DPS connection strings (`HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`). Pure. */

/** The parts of a DPS connection string, or what is wrong with it. */
export interface ParsedConnectionString {
  /** The DPS service host name. */
  hostName?: string;
  /** The shared access policy name. */
  keyName?: string;
  /** The policy's key. */
  key?: string;
  /** Set when the string is not a usable DPS connection string; says what to fix. */
  problem?: string;
}

/** The names the official client requires, spelled as it reads them (case-sensitively). */
const NAMES = ["HostName", "SharedAccessKeyName", "SharedAccessKey"] as const;

/** A DNS host name: labels of letters, digits and hyphens, at most 253 characters. */
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Shared access policy names: letters, digits and `._-`, at most 64 characters (Azure's limit). */
const KEY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** Longest connection string taken; real ones are about 150 characters. */
export const MAX_CONNECTION_STRING_LENGTH = 1024;

const FIX =
  'use the DPS\'s "HostName=...;SharedAccessKeyName=...;SharedAccessKey=..." of a policy with EnrollmentWrite.';

/**
 * Splits a connection string as the official client does (`name=value` pairs split on `;` and the
 * first `=`, names case-sensitive, nothing trimmed) and says what the client or the service would
 * refuse. A problem names the part and never repeats a value.
 */
export function parseConnectionString(value: string): ParsedConnectionString {
  const parts = new Map<string, string>();
  for (const segment of value.split(";")) {
    const at = segment.indexOf("=");
    if (at <= 0 || at === segment.length - 1) continue;
    parts.set(segment.slice(0, at), segment.slice(at + 1));
  }
  const parsed: ParsedConnectionString = {
    hostName: parts.get("HostName"),
    keyName: parts.get("SharedAccessKeyName"),
    key: parts.get("SharedAccessKey"),
  };
  parsed.problem = problemOf(value, parts, parsed);
  return parsed;
}

function problemOf(
  value: string,
  parts: Map<string, string>,
  parsed: ParsedConnectionString,
): string | undefined {
  const where = "connection.connectionString";
  if (value.length > MAX_CONNECTION_STRING_LENGTH) {
    return `${where} is ${value.length} characters long, more than ${MAX_CONNECTION_STRING_LENGTH}: ${FIX}`;
  }
  const missing = NAMES.filter((name) => !parts.has(name));
  if (missing.length > 0) {
    const misspelled = missing.filter((name) =>
      [...parts.keys()].some((k) => k.trim().toLowerCase() === name.toLowerCase()),
    );
    const spelling =
      misspelled.length > 0
        ? ` (names are read case-sensitively and untrimmed: spell ${misspelled.join(", ")} exactly so)`
        : "";
    return `${where} lacks ${missing.join(", ")}${spelling}: ${FIX}`;
  }
  if (!HOST_NAME.test(parsed.hostName ?? "")) {
    return `${where} has a HostName that is not a host name (like my-dps.azure-devices-provisioning.net): ${FIX}`;
  }
  if (!KEY_NAME.test(parsed.keyName ?? "")) {
    return `${where} has a SharedAccessKeyName that is not a policy name (1 to 64 letters, digits and ._-): ${FIX}`;
  }
  const key = parsed.key ?? "";
  const bytes = BASE64.test(key) ? Buffer.from(key, "base64").length : 0;
  if (bytes < 16 || bytes > 64) {
    return `${where} has a SharedAccessKey that is not base64 of 16 to 64 bytes (a policy's key is 44 characters): ${FIX}`;
  }
  return undefined;
}

/** The DPS host name a connection addresses (from the connection string or `hostName`). */
export function connectionHostName(connection: {
  connectionString?: string;
  hostName?: string;
}): string | undefined {
  if (connection.connectionString) return parseConnectionString(connection.connectionString).hostName;
  return connection.hostName;
}
