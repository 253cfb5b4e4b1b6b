// A tiny method + regular-expression router.
import type { X509Certificate } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Reply } from "./http";
import type { AccessRight, Json, Operation } from "./types";

/** What a handler receives. */
export interface RouteRequest {
  /** Decoded path parameters, in pattern order. */
  params: string[];
  /** Request headers (lowercase names). */
  headers: IncomingHttpHeaders;
  /** Query parameters. */
  query: URLSearchParams;
  /** Reads and parses the JSON body (400 on malformed JSON, 413 when too large). */
  json(): Promise<Json>;
  /** The TLS client certificate chain the caller presented, leaf first; empty when none. */
  peerCertificates(): X509Certificate[];
}

/** One route. */
export interface Route {
  /** HTTP method. */
  method: string;
  /** Path pattern, anchored; capture groups become `params` (URI-decoded). */
  pattern: RegExp;
  /** DPS operation, for stats; absent on admin routes. */
  operation?: Operation;
  /** Right the caller's policy needs; absent on admin routes and device routes. */
  right?: AccessRight;
  /** A device route: the handler authenticates the device itself (no service credentials). */
  device?: true;
  /** The api-versions accepted; default the service API's (`SERVICE_API_VERSIONS`). */
  apiVersions?: readonly string[];
  /** Produces the answer; throws DpsError for error answers. */
  handler(req: RouteRequest): Promise<Reply>;
}

/** Result of matching a path. */
export type Match = { route: Route; params: string[] } | { methodNotAllowed: true } | undefined;

/** Finds the route for `method` and `path`; reports 405 when only the path matches. */
export function match(routes: readonly Route[], method: string, path: string): Match {
  let pathMatched = false;
  for (const route of routes) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: m.slice(1) };
  }
  return pathMatched ? { methodNotAllowed: true } : undefined;
}
