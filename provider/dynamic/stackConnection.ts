/**
 * The DPS connection given once for the whole stack, in stack config (`dps-enrollments:*`), for fleets:
 * an enrollment declared without `connection` stores only `{ hostName }` (which DPS it lives in) and
 * the provider takes the credentials from the stack config, which `pulumi refresh` and `pulumi destroy`
 * receive without the program. The per-resource `connection` works as before.
 */
import { CONNECTION_KEYS as KEYS } from "../core/connection";
import { connectionHostName } from "../core/connectionString";
import type { EnrollmentConnection } from "../core/types";

/** The stack config namespace: `pulumi config set --secret dps-enrollments:connectionString ...`. */
export const CONFIG_NAMESPACE = "dps-enrollments";

/** How to set it, for messages. */
const HOW =
  `set it once for the stack: \`pulumi config set --secret ${CONFIG_NAMESPACE}:connectionString "HostName=...;` +
  'SharedAccessKeyName=...;SharedAccessKey=..."` (see docs/fleet-scale.md)';

let configured: EnrollmentConnection | undefined;

/**
 * Keeps the connection the stack config gives (the dynamic provider's `configure`); none when the
 * config has no `dps-enrollments:connectionString` or `:hostName`.
 * @param get reads a config value by its full key (`dps-enrollments:connectionString`)
 */
export function configureStackConnection(get: (key: string) => string | undefined): void {
  const connection: Record<string, string | number> = {};
  for (const key of KEYS) {
    const value = readConfig(get, `${CONFIG_NAMESPACE}:${key}`);
    // Config is text; the deadline is seconds (a value that is not a number is refused by check).
    if (value !== undefined && value !== "") {
      connection[key] = key === "requestTimeout" && !Number.isNaN(Number(value)) ? Number(value) : value;
    }
  }
  configured =
    connection.connectionString === undefined && connection.hostName === undefined
      ? undefined
      : (connection as unknown as EnrollmentConnection);
}

/**
 * One config value. The plugin's config object throws when the engine sent none; that must not break
 * the provider for the resources that bring their own connection (every stack made before).
 */
function readConfig(get: (key: string) => string | undefined, key: string): string | undefined {
  try {
    return get(key);
  } catch {
    return undefined;
  }
}

/** The stack's connection, if its config gives one. */
export function stackConnection(): EnrollmentConnection | undefined {
  return configured;
}

/**
 * Whether `connection` is only a reference to the stack's connection: what state holds for an
 * enrollment declared without `connection` (a host name, no credentials). Every connection a
 * program can give has a connection string or a credential.
 */
export function isStackReference(connection: EnrollmentConnection | undefined): boolean {
  return connection === undefined || (!connection.connectionString && !connection.credential);
}

/** What state keeps of the stack's connection: the DPS's host name. Throws when the config has none. */
export function stackReference(): EnrollmentConnection {
  return { hostName: connectionHostName(requireStackConnection(undefined)) };
}

/**
 * The connection to use for `connection` as stored or given: itself, or for a reference the stack's
 * connection, which must name the same DPS (an enrollment is never looked for in another DPS).
 */
export function resolveConnection(connection: EnrollmentConnection | undefined): EnrollmentConnection {
  if (!isStackReference(connection)) return connection as EnrollmentConnection;
  const resolved = requireStackConnection(connection?.hostName);
  const want = connection?.hostName?.toLowerCase();
  const have = connectionHostName(resolved)?.toLowerCase();
  if (want !== undefined && want !== have) {
    throw new Error(
      `This enrollment lives in ${connection?.hostName} and takes its connection from stack config, but ` +
        `${CONFIG_NAMESPACE}:* names ${have ?? "no host"}; an enrollment is never looked for in another DPS. ` +
        `Set the stack config back to ${connection?.hostName}'s connection.`,
    );
  }
  return resolved;
}

function requireStackConnection(hostName: string | undefined): EnrollmentConnection {
  if (configured) return configured;
  const where = hostName ? ` (state: ${hostName})` : "";
  throw new Error(
    `No DPS connection: the enrollment has no \`connection\`${where} and the stack config has no ` +
      `${CONFIG_NAMESPACE}:connectionString or ${CONFIG_NAMESPACE}:hostName. Give \`connection\`, or ${HOW}.`,
  );
}
