/**
 * The provider configuration: the connection of the DPS every resource of this provider instance
 * lives in, from `dps-enrollments:*` (the default provider, from stack config) or an explicit
 * provider's arguments. The same names, and the same checks, as the dynamic face's stack config.
 */
import { CONNECTION_KEYS as KEYS } from "../core/connection";
import { checkEnrollment, type CheckFailure } from "../core/checks";
import type { EnrollmentConnection } from "../core/types";
import { PACKAGE } from "./properties";

/** A config value as the connection takes it: `requestTimeout` is a number (config gives text). */
function configValue(key: (typeof KEYS)[number], value: unknown): unknown {
  if (key !== "requestTimeout" || typeof value !== "string" || value.trim() === "") return value;
  const seconds = Number(value);
  return Number.isNaN(seconds) ? value : seconds;
}

/**
 * The connection the configuration gives, from plain values keyed by name (`connectionString`) or by
 * the engine's variable names (`dps-enrollments:config:connectionString`); undefined when it gives none.
 */
export function connectionFromConfig(values: Record<string, unknown>): EnrollmentConnection | undefined {
  const connection: Record<string, string | number> = {};
  for (const key of KEYS) {
    const value = configValue(
      key,
      values[key] ?? values[`${PACKAGE}:config:${key}`] ?? values[`${PACKAGE}:${key}`],
    );
    if ((typeof value === "string" && value !== "") || typeof value === "number") connection[key] = value;
  }
  if (connection.connectionString === undefined && connection.hostName === undefined) return undefined;
  return connection as unknown as EnrollmentConnection;
}

/** Failures of a configuration, named by config key; none when it gives no connection (yet). */
export function checkConfig(values: Record<string, unknown>): CheckFailure[] {
  const given = Object.fromEntries(
    KEYS.filter((k) => values[k] !== undefined).map((k) => [k, configValue(k, values[k])]),
  );
  if (Object.keys(given).length === 0) return [];
  // The shared rules, on a connection alone: only its failures concern the configuration.
  const { failures } = checkEnrollment(
    { connection: given },
    {
      resource: "provider",
      idKey: "registrationId",
      inputs: [],
      attestations: {},
      rules() {},
      attestationRules() {},
    },
  );
  return failures
    .filter((f) => f.property.startsWith("connection"))
    .map((f) => ({
      property: f.property === "connection" ? "connectionString" : f.property.slice("connection.".length),
      reason: `${PACKAGE}: ${f.reason.replace(/connection\./g, `${PACKAGE}:`)}`,
    }));
}

/** The failure of a resource when the provider has no connection. */
export function noConnectionFailure(): CheckFailure {
  return {
    property: "connectionString",
    reason:
      `No DPS connection: configure the provider, e.g. \`pulumi config set --secret ${PACKAGE}:connectionString ` +
      `"HostName=...;SharedAccessKeyName=...;SharedAccessKey=..."\`, or ${PACKAGE}:hostName with ${PACKAGE}:credential ` +
      "default, or give an explicit provider those arguments.",
  };
}
