// In-memory enrollments with the service's optimistic concurrency, optionally persisted to a JSON file.
import { randomUUID } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { DpsError, ErrorCodes } from "./errors";
import { registrationKey } from "./validation";
import { RecordTable, type PutResult, type RecordKind } from "./table";
import { isObject, type JsonObject } from "./types";

/** Shape of the state file (`--state FILE`). */
interface StateFile {
  version: 1;
  /** The default policy's key, kept so a connection string stays valid across restarts. */
  sharedAccessKey?: string;
  /** The ID scope, kept so devices keep their configuration across restarts. */
  idScope?: string;
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
  /** Bumped by every change; compare before and after an operation to see whether it changed anything. */
  generation = 0;
  /** The generation last written to the state file. */
  private savedGeneration = 0;
  /** The running save loop, if any: concurrent writers share it (group commit). */
  private saving: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** The default policy key read from the state file, if any. */
  sharedAccessKey: string | undefined;
  /** The ID scope read from the state file, if any. */
  idScope: string | undefined;

  /**
   * @param file - JSON file to load from and save to; omitted: memory only.
   * @param report - Where save failures (and the recovery after them) are reported; default stderr.
   */
  constructor(
    private readonly file?: string,
    private readonly report: (message: string) => void = (m) => process.stderr.write(`dps-emulator: ${m}\n`),
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
    this.idScope = state.idScope;
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

  /** Stores the registration result of a device that registered (individually or through a group). */
  putDeviceRegistration(state: JsonObject): void {
    this.registrations.set(registrationKey(String(state.registrationId)), state);
    this.changed();
  }

  /** The stored registrations of devices admitted by the enrollment group `groupId`, by registration id. */
  registrationsOfGroup(groupId: string): JsonObject[] {
    const key = registrationKey(groupId);
    return [...this.registrations.entries()]
      .filter(([, r]) => {
        const via = isObject(r.symmetricKey) ? r.symmetricKey : isObject(r.x509) ? r.x509 : {};
        return typeof via.enrollmentGroupId === "string" && registrationKey(via.enrollmentGroupId) === key;
      })
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, r]) => r);
  }

  /** Removes a registration state; false when there was none. */
  deleteRegistration(id: string): boolean {
    const had = this.registrations.delete(registrationKey(id));
    if (had) this.changed();
    return had;
  }

  /** Remembers the ID scope so it is persisted. */
  setIdScope(idScope: string): void {
    if (this.idScope === idScope) return;
    this.idScope = idScope;
    this.changed();
  }

  /** Remembers the default policy key so it is persisted. */
  setSharedAccessKey(key: string): void {
    if (this.sharedAccessKey === key) return;
    this.sharedAccessKey = key;
    this.changed();
  }

  private changed(): void {
    this.generation += 1;
    // Save at once; failures are reported and retried by kick, and surface to writers in persisted().
    if (this.file) this.kick().catch(() => undefined);
  }

  /**
   * Resolves once every change made so far is in the state file (written, fsynced and renamed into
   * place); at once without a state file. Writers await it before answering, so an acknowledged
   * write survives a crash.
   *
   * @throws DpsError 500 when the save failed (the change stays in memory and the save is retried).
   */
  async persisted(): Promise<void> {
    const target = this.generation;
    while (this.file && this.savedGeneration < target) {
      try {
        await this.kick();
      } catch (err) {
        throw new DpsError(
          500,
          ErrorCodes.internal,
          `The change is applied in memory but could not be saved to the state file: ${errorText(err)}. ` +
            "The emulator keeps retrying the save.",
        );
      }
    }
  }

  /** Starts the save loop unless one runs; returns it. */
  private kick(): Promise<void> {
    this.saving ??= this.saveAll().then(
      () => {
        this.saving = undefined;
        if (this.failures > 0) this.report(`the state file ${this.file} is saved again.`);
        this.failures = 0;
      },
      (err: unknown) => {
        this.saving = undefined;
        this.failures += 1;
        this.report(`could not save the state file ${this.file}: ${errorText(err)} (retrying).`);
        this.scheduleRetry();
        throw err;
      },
    );
    return this.saving;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = Math.min(30_000, 250 * 2 ** Math.min(this.failures, 7));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick().catch(() => undefined);
    }, delay);
    this.retryTimer.unref();
  }

  /** Saves snapshots until the file holds the latest generation; changes made meanwhile join the next one. */
  private async saveAll(): Promise<void> {
    const file = this.file;
    if (!file) return;
    while (this.savedGeneration < this.generation) {
      const generation = this.generation;
      const state: StateFile = {
        version: 1,
        sharedAccessKey: this.sharedAccessKey,
        idScope: this.idScope,
        enrollments: this.enrollments.values(),
        registrations: [...this.registrations.values()],
        enrollmentGroups: this.groups.values(),
      };
      await writeDurably(file, JSON.stringify(state, null, 2));
      this.savedGeneration = generation;
    }
  }

  /** Saves pending changes (called on stop); rejects when the save fails. */
  async flush(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    while (this.file && this.savedGeneration < this.generation) await this.kick();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Replaces `file` with `text` so that a crash at any point leaves either the old or the new file:
 * write a temp file, fsync it, rename it over `file`, fsync the folder. A missing folder (deleted
 * while the emulator runs) is created again.
 */
async function writeDurably(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeAndSync(tmp, text);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    await fs.mkdir(dir, { recursive: true });
    await writeAndSync(tmp, text);
  }
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncFolder(dir);
}

async function writeAndSync(path: string, text: string): Promise<void> {
  const handle = await fs.open(path, "w", 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs a folder so a rename in it is durable; platforms that cannot open folders (Windows) skip it. */
async function syncFolder(dir: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(dir, "r");
  } catch (err) {
    if (process.platform === "win32") return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM") throw err;
  } finally {
    await handle.close();
  }
}
