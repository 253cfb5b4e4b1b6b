// One kind of record (individual enrollments, enrollment groups) with the service's optimistic
// concurrency: etags, If-Match, 409 on a create over an existing record. Shared by every kind so the
// rules exist once.
import { randomBytes } from "node:crypto";
import { newEtag } from "./etag";
import { DpsError, ErrorCodes } from "./errors";
import { isObject, type JsonObject } from "./types";

/** What differs between record kinds: the id field, the words in messages, the 404 code. */
export interface RecordKind {
  /** The id field of the body (`registrationId`, `enrollmentGroupId`). */
  idField: string;
  /** How messages name a record: `Enrollment with registration id`, `Enrollment group`. */
  noun: string;
  /** The error code of a 404. */
  notFoundCode: number;
}

/** Result of a successful PUT. */
export interface PutResult {
  /** The stored record, symmetric keys included. */
  enrollment: JsonObject;
  /** True when the record did not exist before. */
  created: boolean;
}

/** Strips quotes and a weak marker so `"abc"`, `abc` and `W/"abc"` compare equal. */
function bareEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
}

/** 64 random bytes, base64: what the emulator generates for a symmetric key left empty. */
export function generateSymmetricKey(): string {
  return randomBytes(64).toString("base64");
}

/** The store key for an id: registration and group ids are case-insensitive. */
export function recordKey(id: string): string {
  return id.toLowerCase();
}

/** The records of one kind, keyed by lowercased id. */
export class RecordTable {
  private readonly records = new Map<string, JsonObject>();

  /**
   * @param kind - What the records are.
   * @param changed - Called after every change (persistence).
   */
  constructor(
    readonly kind: RecordKind,
    private readonly changed: () => void = () => undefined,
  ) {}

  private notFound(id: string): DpsError {
    return new DpsError(404, this.kind.notFoundCode, `${this.kind.noun} '${id}' was not found.`);
  }

  /**
   * Checks `If-Match` against the current record following RFC 7232 where the service is silent:
   * `*` matches any existing record and fails on a missing one; any etag fails on a missing record.
   */
  private checkIfMatch(existing: JsonObject | undefined, ifMatch: string | undefined, id: string): void {
    if (ifMatch === undefined) return;
    if (existing === undefined) {
      throw new DpsError(
        412,
        ErrorCodes.preconditionFailed,
        `Precondition failed: ${this.kind.noun} '${id}' does not exist, so If-Match '${ifMatch}' cannot match.`,
      );
    }
    if (ifMatch.trim() === "*") return;
    if (bareEtag(ifMatch) !== bareEtag(String(existing.etag))) {
      throw new DpsError(
        412,
        ErrorCodes.preconditionFailed,
        `Precondition failed: the etag '${ifMatch}' does not match the current etag of ${this.kind.noun} '${id}'.`,
      );
    }
  }

  /** Replaces the contents with loaded records (no change notification). */
  load(records: readonly JsonObject[]): void {
    for (const r of records) this.records.set(recordKey(String(r[this.kind.idField])), r);
  }

  /** The record, keys included, or undefined. */
  get(id: string): JsonObject | undefined {
    return this.records.get(recordKey(id));
  }

  /** Like {@link get} but throws the service's 404. */
  require(id: string): JsonObject {
    const found = this.get(id);
    if (!found) throw this.notFound(id);
    return found;
  }

  /**
   * Creates or replaces a validated record. Without `If-Match`, an existing record is a 409; with it,
   * see `checkIfMatch`. Read-only fields (etag, timestamps) are set here, and empty symmetric keys
   * are generated.
   */
  put(id: string, record: JsonObject, ifMatch: string | undefined, now = new Date()): PutResult {
    const key = recordKey(id);
    const existing = this.records.get(key);
    if (existing && ifMatch === undefined) {
      throw new DpsError(
        409,
        ErrorCodes.enrollmentExists,
        `${this.kind.noun} '${id}' already exists; send If-Match with its etag (or '*') to update it.`,
      );
    }
    this.checkIfMatch(existing, ifMatch, id);
    const stored: JsonObject = { ...record };
    // The first spelling of a case-insensitive id is kept.
    if (existing) stored[this.kind.idField] = existing[this.kind.idField];
    const att = stored.attestation as JsonObject;
    if (
      att.type === "symmetricKey" &&
      isObject(att.symmetricKey) &&
      att.symmetricKey.primaryKey === undefined
    ) {
      stored.attestation = {
        ...att,
        symmetricKey: { primaryKey: generateSymmetricKey(), secondaryKey: generateSymmetricKey() },
      };
    }
    stored.etag = newEtag(now);
    stored.createdDateTimeUtc = existing ? existing.createdDateTimeUtc : now.toISOString();
    stored.lastUpdatedDateTimeUtc = now.toISOString();
    this.records.set(key, stored);
    this.changed();
    return { enrollment: stored, created: !existing };
  }

  /** Deletes a record; 404 when missing, 412 on an etag mismatch. */
  delete(id: string, ifMatch: string | undefined): void {
    const key = recordKey(id);
    const existing = this.records.get(key);
    if (!existing) throw this.notFound(id);
    this.checkIfMatch(existing, ifMatch, id);
    this.records.delete(key);
    this.changed();
  }

  /** All records ordered by store key, for stable paging. */
  list(): JsonObject[] {
    return [...this.records.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }

  /** Every record, in insertion order (for saving). */
  values(): JsonObject[] {
    return [...this.records.values()];
  }

  /** The store key of a record (its lowercased id); continuation tokens refer to it. */
  keyOf(record: JsonObject): string {
    return recordKey(String(record[this.kind.idField]));
  }
}
