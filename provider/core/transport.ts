// Builds the official DPS service client, routed to a local endpoint and trusting an extra CA when asked,
// over pooled keep-alive connections.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, type AgentOptions, type RequestOptions } from "node:https";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import { rootCertificates } from "node:tls";
import type { TokenCredential } from "@azure/core-auth";
// The REST layer under the official client: direct dependencies pinned to the versions the client
// is built against (the overrides in package.json keep one copy).
import * as common from "azure-iot-common";
import * as httpBase from "azure-iot-http-base";
import { ProvisioningServiceClient } from "azure-iot-provisioning-service";
import type { DpsConnection } from "./connection";
import { DataPlaneClient } from "./dataPlane";
import { requestTimeoutSeconds } from "./deadline";

/** Scope of DPS data-plane tokens. */
export const DPS_TOKEN_SCOPE = "https://azure-devices-provisioning.net/.default";

/** Options of {@link createServiceClient}. */
export interface ServiceClientOptions {
  /** A credential to use instead of the connection string or `credential: "default"`. */
  credential?: TokenCredential;
}

// The client's own name and version, for the user agent of its REST layer.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const clientPackage = require("azure-iot-provisioning-service/package.json") as {
  name: string;
  version: string;
};

/**
 * An `https.Agent` that sends every connection to a fixed host and port, whatever host the request
 * names. The client keeps addressing `https://{hostName}:443` (so the `Host` header and the SAS `sr`
 * stay the DPS host name); only the TCP/TLS connection goes to the endpoint. The server certificate is
 * verified against the endpoint's host (an IP SAN for `127.0.0.1`), and SNI is only sent for DNS names.
 */
class EndpointAgent extends Agent {
  /** Present on every agent at run time; missing from @types/node. */
  declare defaultPort: number;

  constructor(
    private readonly target: { host: string; port: number },
    options: AgentOptions,
  ) {
    super(options);
    // ClientRequest takes its port from the agent when the request names none (the client never does).
    this.defaultPort = target.port;
  }

  override createConnection(
    options: RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const host = this.target.host;
    const routed: RequestOptions = {
      ...options,
      host,
      hostname: host,
      port: this.target.port,
      servername: isIP(host) ? undefined : host,
    };
    return super.createConnection(routed, callback);
  }
}

const agents = new Map<string, Agent>();

/** How long a pooled connection may stay idle when the server announces no keep-alive timeout. */
export const IDLE_SOCKET_MS = 30_000;

/**
 * Certificates from `NODE_EXTRA_CA_CERTS`: Node adds them to its default trust, but an explicit `ca`
 * replaces that default, so they are added back (corporate proxies rely on them).
 */
function extraCaCertificates(): string[] {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    return [readFileSync(file, "utf8")];
  } catch {
    return []; // Node itself only warns about an unreadable file
  }
}

/** PEM text as given, or read from the path given. */
function pemText(caCertificate: string): string {
  return caCertificate.includes("-----BEGIN") ? caCertificate : readFileSync(caCertificate, "utf8");
}

/**
 * The keep-alive agent for an (endpoint, CA) pair, created once per process and then reused so that
 * many operations share connections.
 *
 * @param endpoint - `https://host:port` to connect to instead of the host name; omitted: the host name on 443.
 * @param caCertificate - PEM text or path of a CA trusted in addition to Node's bundled root CAs (and
 *   `NODE_EXTRA_CA_CERTS`).
 */
export function agentFor(endpoint?: string, caCertificate?: string): Agent {
  const pem = caCertificate ? pemText(caCertificate) : undefined;
  const key = `${endpoint ?? ""}|${pem ? createHash("sha256").update(pem).digest("hex") : ""}`;
  let agent = agents.get(key);
  if (agent) return agent;
  // An idle pooled socket is closed by the agent before the server closes it: a request written as the
  // server's keep-alive timer fires is reset (ECONNRESET) and would cost a retry. With a timeout set,
  // Node honours the server's `Keep-Alive: timeout=N` hint (closing a second earlier); without a hint
  // (Azure's front ends keep idle connections for minutes), IDLE_SOCKET_MS applies.
  const options: AgentOptions = { keepAlive: true, timeout: IDLE_SOCKET_MS };
  if (pem) options.ca = [...rootCertificates, ...extraCaCertificates(), pem];
  if (endpoint) {
    const url = new URL(endpoint);
    if (url.protocol !== "https:") throw new Error(`endpoint must be an https URL, got ${endpoint}`);
    // URL keeps IPv6 brackets in hostname; sockets want them off.
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    agent = new EndpointAgent({ host, port: url.port ? Number(url.port) : 443 }, options);
  } else {
    agent = new Agent(options);
  }
  agents.set(key, agent);
  return agent;
}

/** The TokenCredential to use, if the connection (or options) names one. `@azure/identity` loads only here. */
function tokenCredential(
  connection: DpsConnection,
  options: ServiceClientOptions,
): TokenCredential | undefined {
  if (options.credential) return options.credential;
  if (connection.credential !== "default") return undefined;
  if (!connection.hostName) throw new Error("hostName is required to authenticate with a token credential");
  // Lazy: @azure/identity is heavy and unneeded with a connection string.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  return new identity.DefaultAzureCredential();
}

/**
 * The REST client (`azure-iot-http-base`'s `RestApiClient`, the layer the official
 * `azure-iot-provisioning-service` client is built on) for a DPS connection.
 *
 * - With a credential (`options.credential`, or `connection.credential: "default"` for
 *   `DefaultAzureCredential`): Bearer tokens for `https://azure-devices-provisioning.net/.default`
 *   on `connection.hostName`. Otherwise `connection.connectionString` (SAS tokens).
 * - Requests always use a cached keep-alive `https.Agent` (see {@link agentFor}). With
 *   `connection.endpoint`, connections go to the endpoint's host and port while the client still
 *   addresses and signs for the DPS host name. With `connection.caCertificate`, that CA is trusted
 *   besides Node's root CAs.
 *
 * @throws Error when neither a usable credential with `hostName` nor a connection string is given.
 */
export function createRestClient(
  connection: DpsConnection,
  options: ServiceClientOptions = {},
): { rest: httpBase.RestApiClient; config: httpBase.RestApiClient.TransportConfig } {
  const credential = tokenCredential(connection, options);
  let config: httpBase.RestApiClient.TransportConfig;
  if (credential) {
    if (!connection.hostName) throw new Error("hostName is required to authenticate with a token credential");
    config = { host: connection.hostName, tokenCredential: credential, tokenScope: DPS_TOKEN_SCOPE };
  } else if (connection.connectionString) {
    const cn = common.ConnectionString.parse(connection.connectionString, [
      "HostName",
      "SharedAccessKeyName",
      "SharedAccessKey",
    ]);
    // The client extends the expiry of this signature on every request. azure-iot-http-base types it
    // with its own nested copy of azure-iot-common; the object is the same shape.
    const sas = common.SharedAccessSignature.create(
      cn.HostName as string,
      cn.SharedAccessKeyName as string,
      cn.SharedAccessKey as string,
      Date.now(),
    );
    config = {
      host: cn.HostName as string,
      sharedAccessSignature:
        sas as unknown as httpBase.RestApiClient.TransportConfig["sharedAccessSignature"],
    };
  } else {
    throw new Error("A DPS connection needs a connectionString, or a hostName with a credential");
  }
  const rest = new httpBase.RestApiClient(config, `${clientPackage.name}/${clientPackage.version}`);
  rest.setOptions({ http: { agent: agentFor(connection.endpoint, connection.caCertificate) } });
  return { rest, config };
}

/**
 * Creates the official `azure-iot-provisioning-service` client (api-version 2021-10-01) for a DPS
 * connection, authenticated and routed as {@link createRestClient} describes.
 */
export function createServiceClient(
  connection: DpsConnection,
  options: ServiceClientOptions = {},
): ProvisioningServiceClient {
  const { rest, config } = createRestClient(connection, options);
  return new ProvisioningServiceClient(config, rest);
}

/**
 * The provider's client for a DPS connection: the data-plane calls at api-version 2026-11-01 on the
 * official client's REST layer (see dataPlane.ts), authenticated and routed as {@link createRestClient} describes.
 */
export function createDataPlaneClient(
  connection: DpsConnection,
  options: ServiceClientOptions = {},
): DataPlaneClient {
  const { rest } = createRestClient(connection, options);
  return new DataPlaneClient(rest, undefined, requestTimeoutSeconds(connection.requestTimeout));
}
