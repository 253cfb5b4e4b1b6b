/**
 * The DPS's answers checked before use: a body of the wrong shape (an array, `null`, an HTML page)
 * fails with a message that says the DPS answered wrongly, instead of a TypeError deep in the
 * provider. Pure; never repeats the body (it may hold keys).
 */
import type { BulkResult, IdKey, WireAttestation, WireEnrollment } from "./wire";

/** An answer of the DPS that is not what the API defines. */
export class DpsAnswerError extends Error {
  constructor(what: string, body: unknown) {
    super(
      `the DPS answered with ${describe(body)} where the API defines ${what}; the DPS (or a proxy in ` +
        "front of it) answered wrongly. Nothing was taken from this answer; check the connection's host " +
        "name and endpoint.",
    );
    this.name = "DpsAnswerError";
  }
}

function describe(body: unknown): string {
  if (body === null) return "null";
  if (body === undefined || body === "") return "an empty or non-JSON body";
  if (Array.isArray(body)) return "a list";
  if (typeof body === "string") return "text that is not JSON";
  if (typeof body !== "object") return `a JSON ${typeof body}`;
  return "an object of another shape";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The attestation of an answer, checked: an object with a string `type`. */
export function attestationAnswer(body: unknown): WireAttestation {
  if (!isRecord(body) || typeof body.type !== "string")
    throw new DpsAnswerError("an attestation mechanism", body);
  return body as unknown as WireAttestation;
}

/** An enrollment record of an answer, checked: an object with a string id and an attestation. */
export function recordAnswer(body: unknown, idKey: IdKey): WireEnrollment {
  if (!isRecord(body) || typeof body[idKey] !== "string" || !isRecord(body.attestation)) {
    throw new DpsAnswerError(`an enrollment record (with ${idKey} and attestation)`, body);
  }
  attestationAnswer(body.attestation);
  return body as unknown as WireEnrollment;
}

/** A page of a query, checked: a list of records. */
export function recordsAnswer(body: unknown, idKey: IdKey): WireEnrollment[] {
  if (!Array.isArray(body)) throw new DpsAnswerError("a list of enrollment records", body);
  return body.map((item) => recordAnswer(item, idKey));
}

/** A bulk operation's result, checked: an object with a boolean `isSuccessful`. */
export function bulkAnswer(body: unknown): BulkResult {
  if (!isRecord(body) || typeof body.isSuccessful !== "boolean") {
    throw new DpsAnswerError("a bulk operation result", body);
  }
  if (body.errors !== undefined && !Array.isArray(body.errors)) {
    throw new DpsAnswerError("a bulk operation result", body);
  }
  return body as unknown as BulkResult;
}
