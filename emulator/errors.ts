import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";

/**
 * An error the emulator answers with, shaped like the DPS service's error body
 * (`{errorCode, trackingId, message, timestampUtc}`, as recorded) plus the `x-ms-error-code` header.
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
  /** PUT without If-Match on an existing enrollment; a bulk `update` of one (as recorded). */
  enrollmentExists: 409201,
  /** A bulk `update` of an existing enrollment group (as recorded). */
  enrollmentGroupExists: 409202,
  /** If-Match did not match. */
  preconditionFailed: 412002,
  /** Body over the size limit. */
  payloadTooLarge: 413001,
  /** A body sent with a Content-Type other than JSON. */
  unsupportedMediaType: 415001,
  /** Rate limit exceeded. */
  throttled: 429001,
  /** Injected or unexpected server error. */
  internal: 500001,
  /** Injected unavailability. */
  unavailable: 503001,
} as const;

/** Most characters of caller input an error message repeats (ids, paths, token fields). */
export const MAX_ECHOED_CHARACTERS = 128;

/**
 * `text` as an error message repeats it: cut after {@link MAX_ECHOED_CHARACTERS} characters, with its
 * full length, so hostile input does not come back whole in answers, logs and stored states.
 */
export function clip(text: string): string {
  if (text.length <= MAX_ECHOED_CHARACTERS) return text;
  return `${text.slice(0, MAX_ECHOED_CHARACTERS)}... (${text.length} characters)`;
}

/** Longest error message answered; longer ones (which can only come from echoed input) are cut. */
export const MAX_MESSAGE_CHARACTERS = 1024;

/** Writes `err` as a DPS error response. */
export function sendError(res: ServerResponse, err: DpsError): void {
  const message =
    err.message.length <= MAX_MESSAGE_CHARACTERS
      ? err.message
      : `${err.message.slice(0, MAX_MESSAGE_CHARACTERS)}... (cut at ${MAX_MESSAGE_CHARACTERS} characters)`;
  // The service repeats the tracking id in x-ms-request-id (device API answers pasted in
  // Azure/azure-iot-sdk-python#177 and microsoft/vscode-iot-workbench#534).
  const trackingId = randomUUID();
  const body = JSON.stringify({
    errorCode: err.errorCode,
    trackingId,
    message,
    timestampUtc: new Date().toISOString(),
  });
  res.writeHead(err.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "x-ms-error-code": String(err.errorCode),
    "x-ms-request-id": trackingId,
    ...err.headers,
  });
  res.end(body);
}
