// POST /enrollments/query and /enrollmentGroups/query with x-ms-max-item-count / x-ms-continuation paging.
import { DpsError, ErrorCodes } from "../errors";
import type { Route } from "../router";
import type { Runtime } from "../runtime";
import { isObject } from "../types";
import { type RouteKind, viewRecord } from "./kinds";

/** Page size when `x-ms-max-item-count` is absent. */
export const DEFAULT_PAGE_SIZE = 100;

function bad(message: string): DpsError {
  return new DpsError(400, ErrorCodes.invalidQuery, message);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Continuation tokens are opaque to clients: base64url of the last store key returned. */
function encodeToken(lastKey: string): string {
  return Buffer.from(JSON.stringify({ after: lastKey })).toString("base64url");
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (isObject(parsed) && typeof parsed.after === "string") return parsed.after;
  } catch {
    // fall through
  }
  throw bad("The continuation token is invalid.");
}

/**
 * The query route of `kind`. Only "select everything" queries are supported (`*`, `SELECT *`, or
 * `SELECT * FROM enrollments` / `enrollmentGroups`), in any letter case.
 */
export function queryRoutes(rt: Runtime, kind: RouteKind): Route[] {
  return [
    {
      method: "POST",
      pattern: new RegExp(`^/${kind.segment}/query$`, "i"),
      operation: "query",
      right: "EnrollmentRead",
      handler: async ({ json, headers, query }) => {
        const body = await json();
        if (!isObject(body) || typeof body.query !== "string") throw bad("'query' is required.");
        if (!kind.selectAll.test(body.query)) {
          throw bad(
            `The emulator supports only the queries '*', 'SELECT *' and 'SELECT * FROM ${kind.segment}'.`,
          );
        }
        const sizeText = header(headers["x-ms-max-item-count"]);
        const size = sizeText === undefined ? DEFAULT_PAGE_SIZE : Number(sizeText);
        if (!Number.isInteger(size) || size < 1)
          throw bad("'x-ms-max-item-count' must be a positive integer.");
        const token = header(headers["x-ms-continuation"]);
        const after = token ? decodeToken(token) : undefined;
        const records = kind.records(rt);
        const all = records.list();
        const start = after === undefined ? 0 : all.findIndex((e) => records.keyOf(e) > after);
        const page = start < 0 ? [] : all.slice(start, start + size);
        const more = start >= 0 && start + size < all.length;
        const responseHeaders: Record<string, string> = { "x-ms-item-type": kind.itemType };
        if (more) responseHeaders["x-ms-continuation"] = encodeToken(records.keyOf(page[page.length - 1]));
        return {
          status: 200,
          headers: responseHeaders,
          body: page.map((e) => viewRecord(rt, kind, e, query.get("api-version"), "query")),
        };
      },
    },
  ];
}
