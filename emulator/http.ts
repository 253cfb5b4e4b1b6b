import type { IncomingMessage, ServerResponse } from "node:http";
import { clip, DpsError, ErrorCodes } from "./errors";
import { checkJsonDepth } from "./limits";
import type { Json } from "./types";

/** Largest request body accepted (the service's documented limit for a request is 256 KB). */
export const MAX_BODY_BYTES = 256 * 1024;

/** What a route handler answers; the dispatcher serializes it. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** JSON body; omitted for 204. */
  body?: Json;
  /** Extra headers. */
  headers?: Record<string, string>;
}

/**
 * Reads the whole body as text. An oversized body is drained (so the client sees an answer rather
 * than a reset) and then rejected with 413.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers["content-length"] ?? 0) > limit;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) {
        reject(
          new DpsError(
            413,
            ErrorCodes.payloadTooLarge,
            `The request body exceeds the limit of ${limit} bytes.`,
          ),
        );
      } else {
        resolve(Buffer.concat(chunks).toString("utf8"));
      }
    });
    req.on("error", reject);
  });
}

/**
 * Throws a 415 when a request body is labelled as something other than JSON (`application/json` or
 * `application/*+json`); a body without a Content-Type is read as JSON.
 */
export function checkContentType(contentType: string | undefined): void {
  if (contentType === undefined || contentType.trim() === "") return;
  const media = contentType.split(";")[0].trim().toLowerCase();
  if (media === "application/json" || /^application\/[^/]*\+json$/.test(media)) return;
  throw new DpsError(
    415,
    ErrorCodes.unsupportedMediaType,
    `The Content-Type '${clip(media)}' is not supported; send the body as application/json.`,
  );
}

/** Parses a request body as JSON; empty, malformed or too deeply nested text is a 400 like the service's. */
export function parseJson(text: string): Json {
  if (text.trim() === "") {
    throw new DpsError(400, ErrorCodes.malformedBody, "The request body is required.");
  }
  checkJsonDepth(text);
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new DpsError(400, ErrorCodes.malformedBody, "The request body is not valid JSON.");
  }
}

/** Writes a reply as JSON (or an empty 204). */
export function sendReply(res: ServerResponse, reply: Reply): void {
  if (reply.body === undefined) {
    res.writeHead(reply.status, { "content-length": 0, ...reply.headers });
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}
