/**
 * How the provider reaches a DPS data plane. This one type is what every way of naming a DPS
 * (a connection string, a host name with a Microsoft Entra credential, or the azure-native helpers in
 * `provider/azure/dps.ts`) resolves to, and what the dynamic provider receives as plain inputs.
 */
export interface DpsConnection {
  /** `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` of a policy with EnrollmentRead/EnrollmentWrite. Secret. */
  connectionString?: string;
  /** The DPS service host name (`{dps}.azure-devices-provisioning.net`); required with `credential`. */
  hostName?: string;
  /**
   * `"default"`: authenticate with `DefaultAzureCredential` from `@azure/identity`, created inside the
   * provider at run time (nothing about it is serialized or stored).
   */
  credential?: "default";
  /** Overrides where requests go (`https://127.0.0.1:8443` for the local emulator); the host name still signs tokens. */
  endpoint?: string;
  /** PEM text, or a path to a PEM file, of a CA to trust in addition to the system's (the emulator's CA). */
  caCertificate?: string;
  /**
   * Seconds one DPS request may wait for its answer before it is abandoned; default 60, or
   * `DPS_ENROLLMENTS_REQUEST_TIMEOUT` (see docs/provider.md).
   */
  requestTimeout?: number;
}

/** The fields of a {@link DpsConnection}: the `dps-enrollments:*` config keys both faces read. */
export const CONNECTION_KEYS = [
  "connectionString",
  "hostName",
  "credential",
  "endpoint",
  "caCertificate",
  "requestTimeout",
] as const satisfies readonly (keyof DpsConnection)[];

/**
 * Extra facts about the DPS that are known at preview time when it is referenced from azure-native.
 * Not needed to connect; used by `check` to reject hubs that are not linked.
 */
export interface DpsFacts {
  /** Host names of the IoT hubs linked to the DPS. When set, `iotHubs`/`iotHubHostName` must be among them. */
  linkedHubs?: string[];
}
