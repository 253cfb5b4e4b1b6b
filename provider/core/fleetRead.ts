/**
 * Refresh of a large fleet: when many records of one DPS are read in one plugin process, they are
 * served from the pages of one query (`POST .../query`, {@link QUERY_PAGE_SIZE} records a call)
 * instead of one GET each. A page is fetched only once it is paid for: by the reads seen so far (one
 * page per {@link READS_PER_PAGE} reads), or by the pages before it (each held a record the run
 * reads, served from it or read before it came, so a read they miss fetches the next page rather
 * than GET). A small stack in a large DPS thus keeps
 * paying about one GET per record, while a fleet whose reads come in another order than the pages
 * (the engine's order is the program's, the pages' the service's) is read from pages, not by GETs
 * until the listing is complete. The engine sends few reads at a time (`--parallel`), so the pages
 * are kept for the rest of the run (at most {@link SNAPSHOT_MAX_AGE_MS}) rather than batched over a
 * window.
 */
import type { QueryPage, WireEnrollment } from "./wire";

export type { QueryPage } from "./wire";

/** Records asked for per query page (the service may answer fewer; the continuation token goes on). */
export const QUERY_PAGE_SIZE = 100;
/** A query page is fetched only after this many reads per page already fetched. */
export const READS_PER_PAGE = 5;
/** Pages older than this are dropped: a refresh sees the service as it is, not as it was long ago. */
export const SNAPSHOT_MAX_AGE_MS = 5 * 60_000;

/** The two ways to read a DPS that a {@link FleetReader} chooses between. */
export interface ReadSource {
  /** One query page, from the start when `token` is undefined. */
  page(token: string | undefined): Promise<QueryPage>;
  /** One GET; `undefined` when the record does not exist. */
  get(id: string): Promise<WireEnrollment | undefined>;
}

/** Reads of one kind of record in one DPS, from query pages when enough of them come, else by GET. */
export class FleetReader {
  private records = new Map<string, WireEnrollment>();
  /** Written by this process since the pages were read: the pages are stale for them. */
  private written = new Set<string>();
  private reads = 0;
  /** Ids read so far (lowercased). */
  private readIds = new Set<string>();
  /** Records of the pages fetched that this run reads: served from a page, or read before it came. */
  private useful = 0;
  private pages = 0;
  private token: string | undefined;
  private complete = false;
  private failed = false;
  private startedAt: number | undefined;
  private inflight: Promise<void> | undefined;

  /**
   * @param source - the DPS calls
   * @param idOf - the id of a record
   * @param now - the clock (tests)
   */
  constructor(
    private readonly source: ReadSource,
    private readonly idOf: (record: WireEnrollment) => string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** The record as the service holds it (from a page or a GET); `undefined` when it does not exist. */
  async read(id: string): Promise<WireEnrollment | undefined> {
    this.expire();
    this.reads += 1;
    const key = id.toLowerCase();
    const first = !this.readIds.has(key);
    this.readIds.add(key);
    while (!this.written.has(key)) {
      const record = this.records.get(key);
      if (record) {
        if (first) this.useful += 1;
        // A copy: callers add the keys to what they are given.
        return structuredClone(record);
      }
      // Not in a complete listing: deleted, or created since; a GET tells which.
      if (this.complete || this.failed || !this.pagePaidFor()) break;
      await this.nextPage();
    }
    return this.source.get(id);
  }

  /** A next page costs no more calls than the GETs it may save (see the module). */
  private pagePaidFor(): boolean {
    return (this.pages + 1) * READS_PER_PAGE <= this.reads || (this.pages > 0 && this.useful >= this.pages);
  }

  /** Marks `id` as written by this process: later reads of it GET it. */
  wrote(id: string): void {
    this.written.add(id.toLowerCase());
  }

  private expire(): void {
    if (this.startedAt === undefined || this.now() - this.startedAt <= SNAPSHOT_MAX_AGE_MS) return;
    if (this.inflight) return;
    this.records = new Map();
    this.written = new Set();
    this.reads = 0;
    this.readIds = new Set();
    this.useful = 0;
    this.pages = 0;
    this.token = undefined;
    this.complete = false;
    this.startedAt = undefined;
  }

  /** Fetches the next page, or waits for the one being fetched. */
  private nextPage(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        this.startedAt ??= this.now();
        const page = await this.source.page(this.token);
        this.pages += 1;
        for (const record of page.items) {
          const id = this.idOf(record);
          if (id === undefined) continue;
          const key = id.toLowerCase();
          this.records.set(key, record);
          if (this.readIds.has(key)) this.useful += 1;
        }
        this.token = page.token;
        this.complete = page.token === undefined;
      } catch {
        // The query is an optimization: when it fails (after its retries), reads fall back to GETs.
        this.failed = true;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}
