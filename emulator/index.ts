// startEmulator: a local HTTPS emulator of the DPS service API (2021-10-01 and 2026-11-01) and device API.
import { constants, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { EVERY_RIGHT } from "./auth";
import { AdrAuthorities, type AdrPolicyInfo } from "./device/issuance";
import { caRegistry } from "./device/cas";
import type { HeldChains } from "./device/peer";
import { startTestIssuer, type MintOptions } from "./issuer";
import { Runtime, type RuntimeSettings } from "./runtime";
import { createDispatcher } from "./server";
import type { EmulatorStats } from "./stats";
import { EnrollmentStore } from "./store";
import { createTlsMaterial } from "./tls";
import type { BulkQuirks, FaultOptions, JsonObject, SharedAccessPolicy } from "./types";

export type { EmulatorStats } from "./stats";
export type { RuntimeSettings } from "./runtime";
export type { AccessRight, BulkQuirks, FaultOptions, SharedAccessPolicy } from "./types";
export type { AdrPolicyInfo } from "./device/issuance";
export type { HeldChains } from "./device/peer";
export { MAX_CHAIN_CERTIFICATES } from "./device/chain";
export { createSasToken } from "./auth";
export { mintToken, DPS_AUDIENCE, type MintOptions } from "./issuer";

/** Default DPS host name: what tokens are signed for. Requests go to `endpoint`. */
export const DEFAULT_HOST_NAME = "emulator.azure-devices-provisioning.net";
/** Default linked hubs. */
export const DEFAULT_LINKED_HUBS = ["hub1.azure-devices.net", "hub2.azure-devices.net"];
/** Name of the default policy. */
export const DEFAULT_POLICY_NAME = "provisioningserviceowner";

/** Connection timeouts of the emulator's server, in milliseconds. */
export interface EmulatorTimeouts {
  /** A connection with no traffic at all (idle keep-alive, or TLS done and then silence) is closed; default 60,000. */
  idleMs?: number;
  /** A client must complete the TLS handshake within this; default 30,000. */
  handshakeMs?: number;
  /** A request's headers must arrive within this (counted from the connection for its first request); default 60,000. */
  headersMs?: number;
  /** A whole request (headers and body) must arrive within this; default 120,000. */
  requestMs?: number;
}

// Generous enough for a loaded CI machine, where a burst of TLS handshakes can queue for seconds.
const DEFAULT_TIMEOUTS: Required<EmulatorTimeouts> = {
  idleMs: 60_000,
  handshakeMs: 30_000,
  headersMs: 60_000,
  requestMs: 120_000,
};

/** True for addresses only this host can reach: `localhost`, 127.0.0.0/8, `::1`. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1"
  );
}

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
  /** How bulk writes answer for existing records; default as recorded (see {@link BulkQuirks}). */
  bulkQuirks?: BulkQuirks;
  /** Also start the managed-identity test issuer and accept its Bearer tokens. */
  testIssuer?: boolean;
  /** Lifetime of test-issuer tokens in seconds; default 900. */
  tokenLifetimeSeconds?: number;
  /** Connection timeouts; see {@link EmulatorTimeouts}. */
  timeouts?: EmulatorTimeouts;
  /** The ID scope devices register under; default one generated (and kept in the state file). */
  idScope?: string;
  /** CA certificates (PEM) trusted, besides the public roots, when calling custom allocation webhooks. */
  webhookCas?: string[];
  /**
   * ADR certificate policies, each `NAMESPACE/CA/POLICY`: devices of enrollments naming one get
   * certificates from its throwaway CA (made at start) when they register with a CSR. Default none.
   */
  adrPolicies?: string[];
  /**
   * The DPS's CA certificates (PEM or base64 DER), by name: what enrollments' `x509.caReferences` name
   * (in Azure, certificates uploaded and verified in the DPS resource). They count as verified.
   */
  caCertificates?: Record<string, string>;
  /** Where warnings and state-file save failures are reported; default a line on stderr. */
  log?: (message: string) => void;
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
  /** The ID scope devices register under (`PUT /{idScope}/registrations/{id}/register`). */
  idScope: string;
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
  /** Token of the control API under `/_emulator/`: send `Authorization: Bearer {adminToken}`. New at each start. */
  adminToken: string;
  /** The ADR certificate policies (`EmulatorOptions.adrPolicies`) with their CA certificates. */
  adrPolicies: AdrPolicyInfo[];
  /** Present when started with `testIssuer: true`. */
  testIssuer?: TestIssuerInfo;
  /** Request counters since start or the last reset. */
  stats(): EmulatorStats;
  /** Zeroes the counters. */
  resetStats(): void;
  /** Changes fault injection, the rate limit and the bulk quirks at run time. */
  setFaults(settings: RuntimeSettings): void;
  /** Simulates a device registration for an enrollment (shows as `registrationState`). */
  setRegistrationState(registrationId: string, state?: JsonObject): JsonObject;
  /**
   * Client certificate chains held for open TLS connections: at most one per connection, each cut at
   * `MAX_CHAIN_CERTIFICATES + 1` certificates, released when the connection closes.
   */
  clientChains(): HeldChains;
  /** Stops serving, saves state, removes temporary files. */
  stop(): Promise<void>;
}

/** Starts the emulator; resolves once it accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  // Checked first: a bad CA stops the start before anything is written.
  const caCertificates = caRegistry(options.caCertificates);
  const hostName = options.hostName ?? DEFAULT_HOST_NAME;
  const linkedHubs = [...(options.linkedHubs ?? DEFAULT_LINKED_HUBS)];
  const stateFile = options.stateFile ? resolve(options.stateFile) : undefined;
  const log = options.log ?? ((m: string) => void process.stderr.write(`dps-emulator: ${m}\n`));
  const listenHost = options.host ?? "127.0.0.1";
  if (!isLoopback(listenHost)) {
    log(
      `warning: listening on ${listenHost}, reachable from other hosts. Anyone who can reach it and ` +
        "holds the connection string or the admin token controls the emulator; prefer 127.0.0.1.",
    );
  }
  // First, so a malformed policy fails the start before anything is written.
  const adr = await AdrAuthorities.create(options.adrPolicies);
  if (stateFile) mkdirSync(dirname(stateFile), { recursive: true });
  const store = new EnrollmentStore(stateFile, log);

  let policies = options.policies;
  if (!policies || policies.length === 0) {
    const key = store.sharedAccessKey ?? randomBytes(32).toString("base64");
    store.setSharedAccessKey(key);
    policies = [{ keyName: DEFAULT_POLICY_NAME, primaryKey: key, rights: [...EVERY_RIGHT] }];
  }
  const idScope = options.idScope ?? store.idScope ?? `0ne${randomBytes(4).toString("hex").toUpperCase()}`;
  store.setIdScope(idScope);
  // Saving once now makes an unwritable state file fail the start, not the first write.
  await store.flush();
  const main = policies.find((p) => p.rights.includes("EnrollmentWrite")) ?? policies[0];

  const issuer = options.testIssuer ? await startTestIssuer(options.tokenLifetimeSeconds) : undefined;
  const settings: RuntimeSettings = {
    ...options.faults,
    ...options.bulkQuirks,
    opsPerMinute: options.opsPerMinute,
  };
  const adminToken = randomBytes(32).toString("base64url");
  const rt = new Runtime(
    store,
    linkedHubs,
    { hostName, policies, bearerSecret: issuer?.secret, adminToken },
    settings,
    { idScope, webhookCas: options.webhookCas, adr, caCertificates },
  );

  const tls = await createTlsMaterial([hostName]);
  const tempDir = stateFile ? undefined : mkdtempSync(join(tmpdir(), "dps-emulator-"));
  const caCertificate = stateFile ? `${stateFile}.ca.pem` : join(tempDir as string, "ca.pem");
  writeFileSync(caCertificate, tls.caCertificatePem);

  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server = createServer(
    {
      key: tls.privateKeyPem,
      cert: tls.certificatePem,
      // Devices with X.509 attestation authenticate with a client certificate; the device routes
      // check it themselves (a device's chain ends at its enrollment, not at a CA the server trusts).
      requestCert: true,
      rejectUnauthorized: false,
      // No TLS session resumption: a resumed session carries no chain, and remembering chains across
      // connections is memory that clients who never authenticate could fill (see device/peer.ts).
      secureOptions: constants.SSL_OP_NO_TICKET,
      handshakeTimeout: timeouts.handshakeMs,
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      requestTimeout: timeouts.requestMs,
      // How often headers and request timeouts are checked; the default (30 s) would let them slip.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, timeouts.headersMs / 4)),
    },
    createDispatcher(rt),
  );
  // A socket with no traffic for idleMs is destroyed (no 'timeout' listener): covers a client that
  // finishes the TLS handshake and never sends a request. Longer than the largest injected latency.
  server.setTimeout(timeouts.idleMs);
  try {
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(options.port ?? 0, listenHost, () => ok());
    });
  } catch (err) {
    await issuer?.close();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
  const { port } = server.address() as AddressInfo;
  const endpointHost = listenHost.includes(":") ? `[${listenHost}]` : listenHost;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `https://${endpointHost}:${port}`,
    hostName,
    idScope,
    port,
    connectionString: `HostName=${hostName};SharedAccessKeyName=${main.keyName};SharedAccessKey=${main.primaryKey}`,
    caCertificate,
    caCertificatePem: tls.caCertificatePem,
    linkedHubs,
    policies,
    adminToken,
    adrPolicies: adr.list(),
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
    clientChains: () => rt.peerChains.held(),
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
