// Dispatches HTTPS requests: admin routes directly; DPS routes through stats, latency, faults,
// api-version, authentication and the rate limit, in that order.
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { SERVICE_API_VERSIONS } from "./adr";
import { authenticate, authenticateAdmin, requireRight } from "./auth";
import { clip, DpsError, ErrorCodes, sendError } from "./errors";
import type { PeerChains } from "./device/peer";
import { checkContentType, parseJson, readBody, sendReply, type Reply } from "./http";
import { match, type Route, type RouteRequest } from "./router";
import { adminRoutes } from "./routes/admin";
import { bulkRoutes } from "./routes/bulk";
import { deviceRoutes } from "./routes/devices";
import { enrollmentRoutes } from "./routes/enrollments";
import { groupRoutes } from "./routes/groups";
import { queryRoutes } from "./routes/query";
import { ENROLLMENT_ROUTES } from "./routes/kinds";
import type { Runtime } from "./runtime";
import { countStatus } from "./stats";

/** The api-version of the official Node service client (the service API also accepts {@link SERVICE_API_VERSIONS}). */
export const API_VERSION = "2021-10-01";

function decodeParams(params: string[]): string[] {
  try {
    return params.map((p) => decodeURIComponent(p));
  } catch {
    throw new DpsError(400, ErrorCodes.invalidRegistrationId, "The path is not correctly URI-encoded.");
  }
}

/** The decoded URL path, which SAS scopes are compared with. */
function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    throw new DpsError(400, ErrorCodes.invalidRegistrationId, "The path is not correctly URI-encoded.");
  }
}

function routeRequest(req: IncomingMessage, url: URL, params: string[], chains: PeerChains): RouteRequest {
  return {
    params: decodeParams(params),
    headers: req.headers,
    query: url.searchParams,
    json: async () => {
      checkContentType(req.headers["content-type"]);
      return parseJson(await readBody(req));
    },
    peerCertificates: () => chains.of(req.socket),
  };
}

/** Runs a route; a route that changed the store answers only once the change is saved (with `--state`). */
async function run(
  rt: Runtime,
  route: Route,
  req: IncomingMessage,
  url: URL,
  params: string[],
): Promise<Reply> {
  const before = rt.store.generation;
  const reply = await route.handler(routeRequest(req, url, params, rt.peerChains));
  if (rt.store.generation !== before) await rt.store.persisted();
  return reply;
}

function send(res: ServerResponse, outcome: Reply | DpsError): number {
  if (outcome instanceof DpsError) sendError(res, outcome);
  else sendReply(res, outcome);
  return outcome.status;
}

function asDpsError(err: unknown): DpsError {
  if (err instanceof DpsError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new DpsError(500, ErrorCodes.internal, `Internal error in the emulator: ${message}`);
}

/** Creates the request listener for the emulator's HTTPS server. */
export function createDispatcher(rt: Runtime): (req: IncomingMessage, res: ServerResponse) => void {
  const admin = adminRoutes(rt);
  const dps = [
    ...queryRoutes(rt, ENROLLMENT_ROUTES),
    ...bulkRoutes(rt, ENROLLMENT_ROUTES),
    ...enrollmentRoutes(rt),
    ...groupRoutes(rt),
  ];
  const devices = deviceRoutes(rt);

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    try {
      // Credentials first: an anonymous caller learns nothing, not even which routes exist.
      await authenticateAdmin(req.headers.authorization, rt.auth, decodedPath(url));
      const found = match(admin, req.method ?? "GET", url.pathname);
      if (!found) throw new DpsError(404, ErrorCodes.routeNotFound, `No route ${clip(url.pathname)}.`);
      if ("methodNotAllowed" in found)
        throw new DpsError(405, ErrorCodes.methodNotAllowed, `${req.method} is not allowed here.`);
      send(res, await run(rt, found.route, req, url, found.params));
    } catch (err) {
      send(res, asDpsError(err));
    }
  };

  const handleDps = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const stats = rt.stats;
    stats.total += 1;
    const found =
      match(dps, req.method ?? "GET", url.pathname) ?? match(devices, req.method ?? "GET", url.pathname);
    if (found && "route" in found && found.route.operation) stats.operations[found.route.operation] += 1;
    if (rt.faults.latencyMs > 0) await sleep(rt.faults.latencyMs);
    const fault = rt.takeFault();
    if (fault === "drop") {
      stats.dropped += 1;
      req.socket.destroy();
      return;
    }
    let outcome: Reply | DpsError;
    try {
      if (fault === "500")
        throw new DpsError(500, ErrorCodes.internal, "Injected fault: internal server error.");
      if (fault === "503") {
        throw new DpsError(503, ErrorCodes.unavailable, "Injected fault: service unavailable.", {
          "retry-after": "1",
        });
      }
      if (!found)
        throw new DpsError(404, ErrorCodes.routeNotFound, `No route ${req.method} ${clip(url.pathname)}.`);
      if ("methodNotAllowed" in found) {
        throw new DpsError(
          405,
          ErrorCodes.methodNotAllowed,
          `${req.method} is not allowed on ${url.pathname}.`,
        );
      }
      const version = url.searchParams.get("api-version");
      const versions = found.route.apiVersions ?? SERVICE_API_VERSIONS;
      if (version === null || !versions.includes(version)) {
        throw new DpsError(
          400,
          ErrorCodes.invalidApiVersion,
          version === null
            ? `The api-version query parameter is required; use ${versions.join(" or ")}.`
            : `The api-version '${clip(version)}' is not supported; use ${versions.join(" or ")}.`,
        );
      }
      if (!found.route.device) {
        const principal = await authenticate(req.headers.authorization, rt.auth, decodedPath(url));
        if (found.route.right) requireRight(principal, found.route.right);
      }
      const wait = rt.limiter?.take() ?? 0;
      if (wait > 0) {
        throw new DpsError(
          429,
          ErrorCodes.throttled,
          "Too many requests: the operations-per-minute limit is exceeded.",
          {
            "retry-after": String(wait),
          },
        );
      }
      outcome = await run(rt, found.route, req, url, found.params);
    } catch (err) {
      outcome = asDpsError(err);
    }
    countStatus(rt.stats, send(res, outcome));
  };

  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "https://emulator.invalid");
    } catch {
      send(res, new DpsError(400, ErrorCodes.malformedBody, "Malformed request URL."));
      return;
    }
    const handler = url.pathname.startsWith("/_emulator/") ? handleAdmin : handleDps;
    handler(req, res, url).catch((err: unknown) => {
      // Last resort: answer rather than leave the client hanging or crash the process.
      if (!res.headersSent) send(res, asDpsError(err));
      else res.destroy();
    });
  };
}
