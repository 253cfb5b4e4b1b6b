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

/** Splits a connection string into its parts; keys are matched case-insensitively, like the SDK. */
export function parseConnectionString(value: string): ParsedConnectionString {
  const parts = new Map<string, string>();
  for (const segment of value.split(";")) {
    if (!segment.trim()) continue;
    const at = segment.indexOf("=");
    if (at <= 0) continue;
    parts.set(segment.slice(0, at).trim().toLowerCase(), segment.slice(at + 1).trim());
  }
  const parsed: ParsedConnectionString = {
    hostName: parts.get("hostname"),
    keyName: parts.get("sharedaccesskeyname"),
    key: parts.get("sharedaccesskey"),
  };
  const missing = [
    ["HostName", parsed.hostName],
    ["SharedAccessKeyName", parsed.keyName],
    ["SharedAccessKey", parsed.key],
  ]
    .filter(([, v]) => !v)
    .map(([k]) => k);
  if (missing.length > 0) {
    parsed.problem =
      `connection.connectionString lacks ${missing.join(", ")}: use the DPS's ` +
      '"HostName=...;SharedAccessKeyName=...;SharedAccessKey=..." of a policy with EnrollmentWrite.';
  }
  return parsed;
}

/** The DPS host name a connection addresses (from the connection string or `hostName`). */
export function connectionHostName(connection: {
  connectionString?: string;
  hostName?: string;
}): string | undefined {
  if (connection.connectionString) return parseConnectionString(connection.connectionString).hostName;
  return connection.hostName;
}
