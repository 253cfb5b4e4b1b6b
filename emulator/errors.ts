import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

/**
 * An error the emulator answers with, shaped like the DPS service's error body
 * (`{errorCode, message, trackingId, timestampUtc, info}`) plus the `x-ms-error-code` header.
 */
export class DpsError extends Error {
  /**
   * @param status - HTTP status code.
   * @param errorCode - Six-digit DPS error code; its first three digits are the status.
   * @param message - Human-readable text, returned as `message`.
   * @param headers - Extra response headers (e.g. `Retry-After`).
   */
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "DpsError";
  }
}

/** The error codes the emulator uses. The service documents few of them; these follow its `{status}{3 digits}` scheme. */
export const ErrorCodes = {
  /** `api-version` missing or not one the route speaks. */
  invalidApiVersion: 400001,
  /** The request body is not JSON or not an object. */
  malformedBody: 400002,
  /** A field of the enrollment is invalid (validation rules). */
  invalidEnrollment: 400004,
  /** The registration id breaks the naming rules or does not match the path. */
  invalidRegistrationId: 400005,
  /** Bulk operation with a bad mode or too many items. */
  invalidBulkOperation: 400006,
  /** Query specification not supported. */
  invalidQuery: 400007,
  /** A device's `csr` is malformed, badly signed, names another CN, or its enrollment names no policy. */
  invalidCsr: 400008,
  /** A TPM device's `tpm` is malformed, or its keys cannot receive the service's secrets (the emulator's code). */
  invalidTpmAttestation: 400009,
  /** Missing, malformed, expired or wrongly signed credentials. */
  unauthorized: 401002,
  /** Valid credentials whose policy lacks the right the operation needs. */
  forbiddenRights: 401003,
  /** Enrollment not found. */
  enrollmentNotFound: 404201,
  /** Enrollment group not found. */
  enrollmentGroupNotFound: 404203,
  /** Device registration state not found. */
  registrationNotFound: 404202,
  /** Unknown route. */
  routeNotFound: 404001,
  /** Method not allowed on an existing route. */
  methodNotAllowed: 405001,
  /** PUT without If-Match on an existing enrollment. */
  enrollmentExists: 409201,
  /** If-Match did not match. */
  preconditionFailed: 412002,
  /** Body over the size limit. */
  payloadTooLarge: 413001,
  /** Rate limit exceeded. */
  throttled: 429001,
  /** Injected or unexpected server error. */
  internal: 500001,
  /** Injected unavailability. */
  unavailable: 503001,
} as const;

/** Writes `err` as a DPS error response. */
export function sendError(res: ServerResponse, err: DpsError): void {
  const body = JSON.stringify({
    errorCode: err.errorCode,
    message: err.message,
    trackingId: randomUUID(),
    timestampUtc: new Date().toISOString(),
    info: {},
  });
  res.writeHead(err.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "x-ms-error-code": String(err.errorCode),
    ...err.headers,
  });
  res.end(body);
}
