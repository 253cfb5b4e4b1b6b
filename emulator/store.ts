// In-memory enrollments with the service's optimistic concurrency, optionally persisted to a JSON file.
import { randomUUID } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { ErrorCodes } from "./errors";
import { registrationKey } from "./validation";
import { RecordTable, type PutResult, type RecordKind } from "./table";
import { isObject, type JsonObject } from "./types";

/** Shape of the state file (`--state FILE`). */
interface StateFile {
  version: 1;
  /** The default policy's key, kept so a connection string stays valid across restarts. */
  sharedAccessKey?: string;
  enrollments: JsonObject[];
  registrations: JsonObject[];
  /** Absent in files written before enrollment groups. */
  enrollmentGroups?: JsonObject[];
}

export type { PutResult } from "./table";
export { generateSymmetricKey } from "./table";

/** Individual enrollments, as the store's table knows them. */
export const ENROLLMENTS: RecordKind = {
  idField: "registrationId",
  noun: "Enrollment with registration id",
  notFoundCode: ErrorCodes.enrollmentNotFound,
};

/** Enrollment groups, as the store's table knows them. */
export const ENROLLMENT_GROUPS: RecordKind = {
  idField: "enrollmentGroupId",
  noun: "Enrollment group",
  notFoundCode: ErrorCodes.enrollmentGroupNotFound,
};

/** The enrollments, enrollment groups and device registration states of one emulated DPS. */
export class EnrollmentStore {
  private readonly enrollments = new RecordTable(ENROLLMENTS, () => this.changed());
  /** The enrollment groups. */
  readonly groups = new RecordTable(ENROLLMENT_GROUPS, () => this.changed());
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
    this.enrollments.load(state.enrollments);
    this.groups.load(state.enrollmentGroups ?? []);
    for (const r of state.registrations) this.registrations.set(registrationKey(String(r.registrationId)), r);
  }

  /** The enrollment, keys included, or undefined. */
  get(id: string): JsonObject | undefined {
    return this.enrollments.get(id);
  }

  /** Like {@link get} but throws the service's 404. */
  require(id: string): JsonObject {
    return this.enrollments.require(id);
  }

  /** Creates or replaces an enrollment already validated by `validateEnrollment` (see `RecordTable.put`). */
  put(id: string, enrollment: JsonObject, ifMatch: string | undefined, now = new Date()): PutResult {
    return this.enrollments.put(id, enrollment, ifMatch, now);
  }

  /** Deletes an enrollment (and its registration state); 404 when missing, 412 on an etag mismatch. */
  delete(id: string, ifMatch: string | undefined): void {
    this.enrollments.delete(id, ifMatch);
    this.registrations.delete(registrationKey(id));
  }

  /** All enrollments ordered by store key, for stable paging. */
  list(): JsonObject[] {
    return this.enrollments.list();
  }

  /** The store key of an enrollment (its lowercased id); continuation tokens refer to it. */
  keyOf(enrollment: JsonObject): string {
    return this.enrollments.keyOf(enrollment);
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
      enrollments: this.enrollments.values(),
      registrations: [...this.registrations.values()],
      enrollmentGroups: this.groups.values(),
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
