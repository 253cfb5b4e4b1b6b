/** Errors the provider reports to users: service errors with the DPS's own code, message and tracking id. */
import { failureInfo, RetriesExhaustedError, rootFailure } from "./retry";

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
   * @param hostName - The DPS, named in the advice.
   */
  constructor(
    operation: string,
    error: unknown,
    secrets: readonly (string | undefined)[] = [],
    hostName?: string,
  ) {
    const info = failureInfo(error);
    const cause = rootFailure(error);
    const body = parseBody(cause);
    const parts = [
      `DPS ${operation} failed`,
      error instanceof RetriesExhaustedError ? ` after ${retriesText(error)}` : "",
      info.status ? `: HTTP ${info.status}` : "",
      body.errorCode ? ` error ${body.errorCode}` : "",
      `: ${body.message ?? (cause instanceof Error ? cause.message : String(cause))}`,
      body.trackingId ? ` (trackingId ${body.trackingId})` : "",
      advice(
        info.status,
        info.network === true || (info.status === undefined && error instanceof RetriesExhaustedError),
        hostName,
      ),
    ];
    super(redactSecrets(parts.join(""), secrets));
    this.name = "DpsServiceError";
    this.status = info.status;
    this.errorCode = body.errorCode === undefined ? undefined : String(body.errorCode);
    this.trackingId = body.trackingId;
  }
}

function retriesText(error: RetriesExhaustedError): string {
  return `${error.attempts} attempts over ${(error.elapsedMs / 1000).toFixed(1)} s (retried with backoff)`;
}

/** What to check, for the failures whose cause is on the user's side of the call. */
function advice(status: number | undefined, unreachable: boolean, hostName: string | undefined): string {
  const dps = hostName ? `the DPS ${hostName}` : "the DPS";
  if (status === 401 || status === 403) {
    return (
      `. ${dps} refused the credentials: check the connection's SharedAccessKeyName and SharedAccessKey ` +
      "(a shared access policy of this DPS with EnrollmentRead and EnrollmentWrite rights), or, with " +
      '`credential: "default"`, that the identity has a DPS data-plane role (e.g. "Device Provisioning Service ' +
      'Data Contributor").'
    );
  }
  if (unreachable) {
    return (
      `. ${dps} could not be reached: check the host name (and \`endpoint\`, when set) in the connection, ` +
      "that the DPS exists, and that this machine can reach it (DNS, firewall, proxy, private endpoint)."
    );
  }
  return "";
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

/** Programming errors keep their stack: they are bugs to report, not messages for the user. */
const BUGS = [TypeError, RangeError, ReferenceError, SyntaxError];

/**
 * Wraps a provider method whose errors the dynamic-provider plugin prints itself (`check`, `diff`,
 * `read`, `delete`: it logs `${error}: ${error.stack}`, then the engine prints the message again).
 * A user-facing error then shows as one short line from the plugin, `pulumi-dps-enrollments: <message>`,
 * instead of the message twice and a stack trace.
 */
export function reportedOnce<A extends unknown[], R>(
  method: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await method(...args);
    } catch (error) {
      if (error instanceof Error && !BUGS.some((kind) => error instanceof kind)) {
        Object.defineProperty(error, "stack", { value: error.message, configurable: true, writable: true });
        Object.defineProperty(error, "toString", {
          value: () => "pulumi-dps-enrollments",
          configurable: true,
        });
      }
      throw error;
    }
  };
}
