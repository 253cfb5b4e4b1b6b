// startEmulator: a local HTTPS emulator of the DPS service API 2021-10-01 for individual enrollments.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EVERY_RIGHT } from "./auth";
import { startTestIssuer, type MintOptions } from "./issuer";
import { Runtime, type RuntimeSettings } from "./runtime";
import { createDispatcher } from "./server";
import type { EmulatorStats } from "./stats";
import { EnrollmentStore } from "./store";
import { createTlsMaterial } from "./tls";
import type { FaultOptions, JsonObject, SharedAccessPolicy } from "./types";

export type { EmulatorStats } from "./stats";
export type { RuntimeSettings } from "./runtime";
export type { AccessRight, FaultOptions, SharedAccessPolicy } from "./types";
export { createSasToken } from "./auth";
export { mintToken, DPS_AUDIENCE, type MintOptions } from "./issuer";

/** Default DPS host name: what tokens are signed for. Requests go to `endpoint`. */
export const DEFAULT_HOST_NAME = "emulator.azure-devices-provisioning.net";
/** Default linked hubs. */
export const DEFAULT_LINKED_HUBS = ["hub1.azure-devices.net", "hub2.azure-devices.net"];
/** Name of the default policy. */
export const DEFAULT_POLICY_NAME = "provisioningserviceowner";

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to listen on; default `127.0.0.1`. */
  host?: string;
  /** DPS host name put in the connection string; default {@link DEFAULT_HOST_NAME}. */
  hostName?: string;
  /** JSON file holding enrollments across restarts; the CA is written beside it as `FILE.ca.pem`. */
  stateFile?: string;
  /** IoT hubs linked to the DPS; default {@link DEFAULT_LINKED_HUBS}. */
  linkedHubs?: string[];
  /**
   * Shared access policies. Default: one policy {@link DEFAULT_POLICY_NAME} with every right and a
   * random key (kept in the state file when there is one).
   */
  policies?: SharedAccessPolicy[];
  /** Rate limit (token bucket) in operations per minute; default none. */
  opsPerMinute?: number;
  /** Fault injection; default none. */
  faults?: FaultOptions;
  /** Also start the managed-identity test issuer and accept its Bearer tokens. */
  testIssuer?: boolean;
  /** Lifetime of test-issuer tokens in seconds; default 900. */
  tokenLifetimeSeconds?: number;
}

/** The test issuer of a running emulator (see `EmulatorOptions.testIssuer`). */
export interface TestIssuerInfo {
  /** Value for the `IDENTITY_ENDPOINT` environment variable. */
  identityEndpoint: string;
  /** Value for the `IDENTITY_HEADER` environment variable. */
  identityHeader: string;
  /** `client_id` of the simulated managed identity. */
  clientId: string;
  /** Mints a token the emulator accepts (or, with other options, one it refuses). */
  mintToken(options?: MintOptions): Promise<string>;
}

/** A running emulator. */
export interface EmulatorHandle {
  /** `https://127.0.0.1:PORT`: where requests go. */
  endpoint: string;
  /** The DPS host name the connection string names. */
  hostName: string;
  /** The listening port. */
  port: number;
  /** `HostName=...;SharedAccessKeyName=...;SharedAccessKey=...` of the first policy with EnrollmentWrite. */
  connectionString: string;
  /** Absolute path of the CA certificate PEM to trust. */
  caCertificate: string;
  /** The CA certificate PEM text. */
  caCertificatePem: string;
  /** Hubs linked to the emulated DPS. */
  linkedHubs: string[];
  /** Policies accepted. */
  policies: SharedAccessPolicy[];
  /** Present when started with `testIssuer: true`. */
  testIssuer?: TestIssuerInfo;
  /** Request counters since start or the last reset. */
  stats(): EmulatorStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Changes fault injection and the rate limit at run time. */
  setFaults(settings: RuntimeSettings): void;
  /** Simulates a device registration for an enrollment (shows as `registrationState`). */
  setRegistrationState(registrationId: string, state?: JsonObject): JsonObject;
  /** Stops serving, saves state, removes temporary files. */
  stop(): Promise<void>;
}

/** Starts the emulator; resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const hostName = options.hostName ?? DEFAULT_HOST_NAME;
  const linkedHubs = [...(options.linkedHubs ?? DEFAULT_LINKED_HUBS)];
  const stateFile = options.stateFile ? resolve(options.stateFile) : undefined;
  const store = new EnrollmentStore(stateFile);

  let policies = options.policies;
  if (!policies || policies.length === 0) {
    const key = store.sharedAccessKey ?? randomBytes(32).toString("base64");
    store.setSharedAccessKey(key);
    policies = [{ keyName: DEFAULT_POLICY_NAME, primaryKey: key, rights: [...EVERY_RIGHT] }];
  }
  const main = policies.find((p) => p.rights.includes("EnrollmentWrite")) ?? policies[0];

  const issuer = options.testIssuer ? await startTestIssuer(options.tokenLifetimeSeconds) : undefined;
  const settings: RuntimeSettings = { ...options.faults, opsPerMinute: options.opsPerMinute };
  const rt = new Runtime(store, linkedHubs, { hostName, policies, bearerSecret: issuer?.secret }, settings);

  const tls = await createTlsMaterial([hostName]);
  const tempDir = stateFile ? undefined : mkdtempSync(join(tmpdir(), "dps-emulator-"));
  const caCertificate = stateFile ? `${stateFile}.ca.pem` : join(tempDir as string, "ca.pem");
  writeFileSync(caCertificate, tls.caCertificatePem);

  const server = createServer({ key: tls.privateKeyPem, cert: tls.certificatePem }, createDispatcher(rt));
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => ok());
    });
  } catch (err) {
    await issuer?.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const listenHost = options.host ?? "127.0.0.1";
  const endpointHost = listenHost.includes(":") ? `[${listenHost}]` : listenHost;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `https://${endpointHost}:${port}`,
    hostName,
    port,
    connectionString: `HostName=${hostName};SharedAccessKeyName=${main.keyName};SharedAccessKey=${main.primaryKey}`,
    caCertificate,
    caCertificatePem: tls.caCertificatePem,
    linkedHubs,
    policies,
    testIssuer: issuer && {
      identityEndpoint: issuer.identityEndpoint,
      identityHeader: issuer.identityHeader,
      clientId: issuer.clientId,
      mintToken: issuer.mintToken,
    },
    stats: () => rt.snapshot(),
    resetStats: () => rt.resetStats(),
    setFaults: (s) => rt.setFaults(s),
    setRegistrationState: (id, state) => rt.setRegistrationState(id, state),
    stop: () =>
      (stopped ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await issuer?.close();
        await store.flush();
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      })()),
  };
}
