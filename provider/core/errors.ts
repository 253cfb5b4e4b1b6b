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

/** A failed DPS call, carrying what the service said. */
export class DpsServiceError extends Error {
  /** HTTP status, when the service answered. */
  readonly status?: number;
  /** The DPS error code. */
  readonly errorCode?: string;
  /** The DPS tracking id. */
  readonly trackingId?: string;

  constructor(operation: string, error: unknown) {
    const info = failureInfo(error);
    const body = parseBody(error);
    const parts = [
      `DPS ${operation} failed`,
      info.status ? `: HTTP ${info.status}` : "",
      body.errorCode ? ` error ${body.errorCode}` : "",
      `: ${body.message ?? (error instanceof Error ? error.message : String(error))}`,
      body.trackingId ? ` (trackingId ${body.trackingId})` : "",
    ];
    super(parts.join(""));
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
