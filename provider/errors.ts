/** Errors the provider reports to users: service errors with the DPS's own code, message and tracking id. */
import { failureInfo } from "./retry";

/** The body DPS sends with an error answer. */
export interface DpsErrorBody {
  /** Six-digit DPS error code, e.g. 404201. */
  errorCode?: number | string;
  /** The service's message. */
  message?: string;
  /** Id to quote to Azure support. */
  trackingId?: string;
  /** When the error happened. */
  timestampUtc?: string;
}

/** What stands in for a secret in messages. */
export const REDACTED = "***";

/** Secret-bearing fragments: connection-string keys, SAS tokens and their signatures, Bearer tokens, keys in JSON. */
const SECRET_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  [/(SharedAccessKey\s*=\s*)[^;\s"'&]+/gi, `$1${REDACTED}`],
  [/(SharedAccessSignature\s+)[^\s"',]+/gi, `$1${REDACTED}`],
  [/([?&\s"']sig=)[^&\s"',;]+/gi, `$1${REDACTED}`],
  // A JWT (dotted) or a long opaque token, not the word after "Bearer" in a sentence.
  [/(Bearer\s+)(?:[\w\-~+/]+\.[\w\-~+/.]+=*|[\w\-~+/]{20,}=*)/g, `$1${REDACTED}`],
  [/("?(?:primaryKey|secondaryKey|authorization)"?\s*[:=]\s*"?)[^"\s,}]+/gi, `$1${REDACTED}`],
];

/**
 * `text` with secrets masked: connection-string keys, SAS tokens, signatures, Bearer tokens,
 * symmetric keys in JSON, and every value in `known` (the caller's own keys) wherever it appears.
 */
export function redactSecrets(text: string, known: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of known) if (secret && secret.length >= 8) out = out.split(secret).join(REDACTED);
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** A failed DPS call, carrying what the service said. */
export class DpsServiceError extends Error {
  /** HTTP status, when the service answered. */
  readonly status?: number;
  /** The DPS error code. */
  readonly errorCode?: string;
  /** The DPS tracking id. */
  readonly trackingId?: string;

  /**
   * @param operation - What was attempted, for the message.
   * @param error - The official client's error; only status, DPS body and message are kept (its
   *   request object, which carries the live SAS token, is dropped).
   * @param secrets - Secrets of this call (policy key, symmetric keys) masked wherever they appear.
   */
  constructor(operation: string, error: unknown, secrets: readonly (string | undefined)[] = []) {
    const info = failureInfo(error);
    const body = parseBody(error);
    const parts = [
      `DPS ${operation} failed`,
      info.status ? `: HTTP ${info.status}` : "",
      body.errorCode ? ` error ${body.errorCode}` : "",
      `: ${body.message ?? (error instanceof Error ? error.message : String(error))}`,
      body.trackingId ? ` (trackingId ${body.trackingId})` : "",
    ];
    super(redactSecrets(parts.join(""), secrets));
    this.name = "DpsServiceError";
    this.status = info.status;
    this.errorCode = body.errorCode === undefined ? undefined : String(body.errorCode);
    this.trackingId = body.trackingId;
  }
}

function parseBody(error: unknown): DpsErrorBody {
  const text = (error as { responseBody?: unknown } | null)?.responseBody;
  if (typeof text !== "string" || !text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" ? (parsed as DpsErrorBody) : {};
  } catch {
    return { message: text };
  }
}

/** The HTTP status of a failed call, if the service answered. */
export function statusOf(error: unknown): number | undefined {
  if (error instanceof DpsServiceError) return error.status;
  return failureInfo(error).status;
}
