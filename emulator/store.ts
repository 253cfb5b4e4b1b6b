// In-memory enrollments with the service's optimistic concurrency, optionally persisted to a JSON file.
import { randomBytes, randomUUID } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { DpsError, ErrorCodes } from "./errors";
import { registrationKey } from "./validation";
import { isObject, type JsonObject } from "./types";

/** Shape of the state file (`--state FILE`). */
interface StateFile {
  version: 1;
  /** The default policy's key, kept so a connection string stays valid across restarts. */
  sharedAccessKey?: string;
  enrollments: JsonObject[];
  registrations: JsonObject[];
}

/** Result of a successful PUT. */
export interface PutResult {
  /** The stored enrollment, symmetric keys included. */
  enrollment: JsonObject;
  /** True when the enrollment did not exist before. */
  created: boolean;
}

/** Strips quotes and a weak marker so `"abc"`, `abc` and `W/"abc"` compare equal. */
function bareEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
}

/** A new etag: a quoted UUID, the form the service's Cosmos-backed etags take. */
function newEtag(): string {
  return `"${randomUUID()}"`;
}

/** 64 random bytes, base64: what the emulator generates for a symmetric key left empty. */
export function generateSymmetricKey(): string {
  return randomBytes(64).toString("base64");
}

function notFound(id: string): DpsError {
  return new DpsError(
    404,
    ErrorCodes.enrollmentNotFound,
    `Enrollment with registration id '${id}' was not found.`,
  );
}

/**
 * Checks `If-Match` against the current record following RFC 7232 where the service is silent:
 * `*` matches any existing record and fails on a missing one; any etag fails on a missing record.
 */
function checkIfMatch(existing: JsonObject | undefined, ifMatch: string | undefined, id: string): void {
  if (ifMatch === undefined) return;
  if (existing === undefined) {
    throw new DpsError(
      412,
      ErrorCodes.preconditionFailed,
      `Precondition failed: enrollment '${id}' does not exist, so If-Match '${ifMatch}' cannot match.`,
    );
  }
  if (ifMatch.trim() === "*") return;
  if (bareEtag(ifMatch) !== bareEtag(String(existing.etag))) {
    throw new DpsError(
      412,
      ErrorCodes.preconditionFailed,
      `Precondition failed: the etag '${ifMatch}' does not match the current etag of enrollment '${id}'.`,
    );
  }
}

/** The enrollments and device registration states of one emulated DPS. */
export class EnrollmentStore {
  private readonly enrollments = new Map<string, JsonObject>();
  private readonly registrations = new Map<string, JsonObject>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** The default policy key read from the state file, if any. */
  sharedAccessKey: string | undefined;

  /**
   * @param file - JSON file to load from and save to; omitted: memory only.
   * @param debounceMs - Delay that coalesces a burst of writes into one save.
   */
  constructor(
    private readonly file?: string,
    private readonly debounceMs = 50,
  ) {
    if (file) this.load(file);
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    const state = JSON.parse(text) as StateFile;
    if (!isObject(state) || state.version !== 1) throw new Error(`${file} is not a DPS emulator state file`);
    this.sharedAccessKey = state.sharedAccessKey;
    for (const e of state.enrollments) this.enrollments.set(registrationKey(String(e.registrationId)), e);
    for (const r of state.registrations) this.registrations.set(registrationKey(String(r.registrationId)), r);
  }

  /** The enrollment, keys included, or undefined. */
  get(id: string): JsonObject | undefined {
    return this.enrollments.get(registrationKey(id));
  }

  /** Like {@link get} but throws the service's 404. */
  require(id: string): JsonObject {
    const found = this.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  /**
   * Creates or replaces an enrollment already validated by `validateEnrollment`.
   * Without `If-Match`, an existing enrollment is a 409; with it, see `checkIfMatch`. Read-only fields
   * (etag, timestamps) are set here, and empty symmetric keys are generated.
   */
  put(id: string, enrollment: JsonObject, ifMatch: string | undefined, now = new Date()): PutResult {
    const key = registrationKey(id);
    const existing = this.enrollments.get(key);
    if (existing && ifMatch === undefined) {
      throw new DpsError(
        409,
        ErrorCodes.enrollmentExists,
        `Enrollment with registration id '${id}' already exists; send If-Match with its etag (or '*') to update it.`,
      );
    }
    checkIfMatch(existing, ifMatch, id);
    const stored: JsonObject = { ...enrollment };
    // The first spelling of a case-insensitive id is kept.
    if (existing) stored.registrationId = existing.registrationId;
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
    stored.etag = newEtag();
    stored.createdDateTimeUtc = existing ? existing.createdDateTimeUtc : now.toISOString();
    stored.lastUpdatedDateTimeUtc = now.toISOString();
    this.enrollments.set(key, stored);
    this.changed();
    return { enrollment: stored, created: !existing };
  }

  /** Deletes an enrollment (and its registration state); 404 when missing, 412 on an etag mismatch. */
  delete(id: string, ifMatch: string | undefined): void {
    const key = registrationKey(id);
    const existing = this.enrollments.get(key);
    if (!existing) throw notFound(id);
    checkIfMatch(existing, ifMatch, id);
    this.enrollments.delete(key);
    this.registrations.delete(key);
    this.changed();
  }

  /** All enrollments ordered by store key, for stable paging. */
  list(): JsonObject[] {
    return [...this.enrollments.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }

  /** The store key of an enrollment (its lowercased id); continuation tokens refer to it. */
  keyOf(enrollment: JsonObject): string {
    return registrationKey(String(enrollment.registrationId));
  }

  /** The device registration state, if a device "registered". */
  getRegistration(id: string): JsonObject | undefined {
    return this.registrations.get(registrationKey(id));
  }

  /** Sets (simulates) the registration state of an existing enrollment. */
  setRegistration(id: string, state: JsonObject): void {
    this.require(id);
    this.registrations.set(registrationKey(id), state);
    this.changed();
  }

  /** Removes a registration state; false when there was none. */
  deleteRegistration(id: string): boolean {
    const had = this.registrations.delete(registrationKey(id));
    if (had) this.changed();
    return had;
  }

  /** Remembers the default policy key so it is persisted. */
  setSharedAccessKey(key: string): void {
    if (this.sharedAccessKey === key) return;
    this.sharedAccessKey = key;
    this.changed();
  }

  private changed(): void {
    if (!this.file || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.save();
    }, this.debounceMs);
  }

  /** Writes the state file now: temp file then rename, so a crash never leaves a torn file. */
  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const state: StateFile = {
      version: 1,
      sharedAccessKey: this.sharedAccessKey,
      enrollments: [...this.enrollments.values()],
      registrations: [...this.registrations.values()],
    };
    const text = JSON.stringify(state, null, 2);
    // Serialize saves so an older snapshot never renames over a newer one.
    this.writing = this.writing.then(async () => {
      const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
      await fs.writeFile(tmp, text, { mode: 0o600 });
      await fs.rename(tmp, file);
    });
    return this.writing;
  }

  /** Saves pending changes (called on stop). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      await this.save();
    }
    await this.writing;
  }
}
