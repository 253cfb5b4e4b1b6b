/**
 * Coalescing of concurrent writes into bulk operations. The engine sends up to `--parallel` steps at
 * once; the writes of one mode to one DPS and kind that are waiting together go out as bulk calls of
 * up to {@link MAX_BULK_ITEMS} (one operation of the DPS quota each), and each caller waits only for
 * the call that carries its own item. A write that finds nobody to share with goes out alone, as a
 * single call.
 *
 * When to send is flushRule.ts's decision: as soon as 10 are waiting, or every write step of the
 * process waits (no other write can join: a lone write is never held), else after a short window
 * or at most {@link STREAM_HOLD_MS}. While {@link MAX_IN_FLIGHT} calls of the same queue are on
 * their way (e.g. waiting for their quota slot), new writes wait for one of them to return, as a
 * group commit does.
 *
 * The rules (chunking, reading a bulk answer item by item) are pure functions; {@link Coalescer} is
 * the only stateful part, with its clock injectable for tests.
 */
import { flushDecision } from "./flushRule";
import type { BulkItemError, BulkResult } from "./wire";
import { writeSteps, type WriteSteps } from "./writeSteps";
import { traceWrite, type WriteTraceLine } from "./writeTrace";

/** Most records one bulk operation may carry (the service's limit). */
export const MAX_BULK_ITEMS = 10;
/** Longest a lone write waits for others to share its call, in milliseconds. */
export const BATCH_WINDOW_MS = 25;
/**
 * Longest a write waits for a full call while writes keep coming (the previous one came less than
 * {@link STREAM_GAP_MS} before it), in milliseconds: a fleet's writes then share calls of 10
 * instead of spending the quota on calls of one or two.
 */
export const STREAM_HOLD_MS = 400;
/** Writes closer together than this are a stream (see {@link STREAM_HOLD_MS}), in milliseconds. */
export const STREAM_GAP_MS = 250;
/** Calls of one queue on their way at once; further writes gather for the next call meanwhile. */
export const MAX_IN_FLIGHT = 2;

/** What one item's call ended with: its value, or the error its resource reports. */
export type ItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Takes the next chunk from `queue`: up to `max` items, never two with the same key (the service
 * would apply both in one call, in an order no caller chose), leaving the rest queued in order.
 */
export function takeChunk<T>(queue: T[], keyOf: (item: T) => string, max = MAX_BULK_ITEMS): T[] {
  const chunk: T[] = [];
  const keys = new Set<string>();
  for (let i = 0; i < queue.length && chunk.length < max;) {
    const key = keyOf(queue[i]).toLowerCase();
    if (keys.has(key)) {
      i++;
      continue;
    }
    keys.add(key);
    chunk.push(queue.splice(i, 1)[0]);
  }
  return chunk;
}

/**
 * An item's failure as the official client reports a failed single call (`response.statusCode`,
 * `responseBody` with the DPS code and message), so that it is retried and worded exactly as one.
 * The HTTP status is the code's first three digits (409201: 409).
 */
export function itemFailure(error: BulkItemError): Error & {
  response: { statusCode: number; headers: Record<string, string> };
  responseBody: string;
} {
  const code = Number(error.errorCode);
  const status = Number.isFinite(code) && code >= 100_000 ? Math.floor(code / 1000) : 400;
  return Object.assign(new Error(error.errorStatus), {
    response: { statusCode: status, headers: {} },
    responseBody: JSON.stringify({ errorCode: error.errorCode, message: error.errorStatus }),
  });
}

/**
 * The outcome of each of `ids` (in order) from a bulk answer: the ones the answer names failed with
 * their own error; the others landed. Ids compare case-insensitively, as the service's do.
 */
export function itemOutcomes(
  ids: readonly string[],
  result: BulkResult,
  idOf: (error: BulkItemError) => string | undefined,
): ItemOutcome<undefined>[] {
  const failed = new Map<string, BulkItemError>();
  for (const error of result.errors ?? []) {
    const id = idOf(error);
    if (id !== undefined) failed.set(id.toLowerCase(), error);
  }
  const unnamed = !result.isSuccessful && failed.size === 0;
  return ids.map((id) => {
    const error = failed.get(id.toLowerCase());
    if (error) return { ok: false, error: itemFailure(error) };
    // A failed answer that names no item cannot say which landed: none is taken as written.
    if (unnamed) return { ok: false, error: new Error("The bulk operation failed without naming an item.") };
    return { ok: true, value: undefined };
  });
}

interface Pending<T, R> {
  item: T;
  /** When it joined the queue. */
  at: number;
  resolve(value: R): void;
  reject(error: unknown): void;
}

/** Options of a {@link Coalescer}. */
export interface CoalescerOptions {
  /** Most items a call carries. Default {@link MAX_BULK_ITEMS}. */
  maxItems?: number;
  /** See {@link BATCH_WINDOW_MS}. */
  windowMs?: number;
  /** See {@link MAX_IN_FLIGHT}. */
  maxInFlight?: number;
  /** See {@link STREAM_HOLD_MS}. */
  streamHoldMs?: number;
  /** See {@link STREAM_GAP_MS}. */
  streamGapMs?: number;
  /** Schedules the flush after the window (tests replace it). */
  schedule?: (fn: () => void, ms: number) => void;
  /** The clock (tests replace it). */
  now?: () => number;
  /** The write steps the queue counts with (default: the process's, {@link writeSteps}). */
  steps?: WriteSteps;
  /** Told of every call (default: the trace file, writeTrace.ts). */
  onSend?: (line: WriteTraceLine) => void;
}

/**
 * One queue of writes (one mode, one DPS, one kind). `send` makes the call for a chunk: one item, the
 * single call; several, one bulk call. It answers one outcome per item, in order, or throws when the
 * whole call failed (each item then fails with that error).
 */
export class Coalescer<T, R> {
  private readonly queue: Pending<T, R>[] = [];
  private inFlight = 0;
  /** Items in calls on their way. */
  private sending = 0;
  /** When the earliest pending timer fires (Infinity: none). */
  private timerAt = Infinity;
  private timerToken = 0;
  private readonly maxItems: number;
  private readonly windowMs: number;
  private readonly maxInFlight: number;
  private readonly streamHoldMs: number;
  private readonly streamGapMs: number;
  private readonly schedule: (fn: () => void, ms: number) => void;
  private readonly now: () => number;
  private lastArrival = -Infinity;
  /** The last write came within {@link STREAM_GAP_MS} of the one before. */
  private stream = false;
  private readonly steps: WriteSteps;
  private readonly onSend: (line: WriteTraceLine) => void;

  /**
   * @param send - the call for a chunk (see the class)
   * @param keyOf - the record id of an item (two writes of one id never share a call)
   */
  constructor(
    private readonly send: (items: T[]) => Promise<ItemOutcome<R>[]>,
    private readonly keyOf: (item: T) => string,
    options: CoalescerOptions = {},
  ) {
    this.maxItems = options.maxItems ?? MAX_BULK_ITEMS;
    this.windowMs = options.windowMs ?? BATCH_WINDOW_MS;
    this.maxInFlight = options.maxInFlight ?? MAX_IN_FLIGHT;
    this.streamHoldMs = options.streamHoldMs ?? STREAM_HOLD_MS;
    this.streamGapMs = options.streamGapMs ?? STREAM_GAP_MS;
    this.schedule = options.schedule ?? ((fn, ms) => void setTimeout(fn, ms));
    this.now = options.now ?? Date.now;
    this.steps = options.steps ?? writeSteps;
    this.onSend = options.onSend ?? traceWrite;
    this.steps.attach({ parked: () => this.queue.length + this.sending, recheck: () => this.flush() });
  }

  /** Queues `item`; settles with its own outcome once the call carrying it returns. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const now = this.now();
      this.queue.push({ item, at: now, resolve, reject });
      this.stream = now - this.lastArrival < this.streamGapMs;
      this.lastArrival = now;
      this.steps.touch();
      this.flush();
    });
  }

  /**
   * Sends what flushRule.ts says may go, as far as the calls on their way allow; then makes sure a
   * timer decides again for what is left.
   */
  private flush(fromTimer = false): void {
    let recheckInMs = Infinity;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const counts = this.steps.counts();
      const decision = flushDecision({
        waiting: this.queue.length,
        maxItems: this.maxItems,
        oldestWaitMs: this.now() - this.queue[0].at,
        // More parked than counted: some waiting write comes from no counted step.
        steps: counts.parked <= counts.active ? counts : undefined,
        stream: this.stream,
        windowMs: this.windowMs,
        streamHoldMs: this.streamHoldMs,
      });
      if (!decision.send) {
        recheckInMs = decision.recheckInMs;
        break;
      }
      const chunk = takeChunk(this.queue, (p) => this.keyOf(p.item), this.maxItems);
      this.inFlight += 1;
      this.sending += chunk.length;
      this.onSend({ items: chunk.length, reason: decision.reason, timer: fromTimer });
      void this.run(chunk);
    }
    if (this.queue.length === 0 || recheckInMs === Infinity) return;
    const ms = Math.max(Math.ceil(recheckInMs), 1);
    // One timer at a time, unless an earlier decision is needed than the pending one gives.
    if (this.now() + ms >= this.timerAt) return;
    const token = ++this.timerToken;
    this.timerAt = this.now() + ms;
    this.schedule(() => {
      if (token === this.timerToken) this.timerAt = Infinity;
      this.flush(true);
    }, ms);
  }

  private async run(chunk: Pending<T, R>[]): Promise<void> {
    try {
      const outcomes = await this.send(chunk.map((p) => p.item));
      chunk.forEach((p, i) => {
        const outcome = outcomes[i];
        if (outcome?.ok) p.resolve(outcome.value);
        else p.reject(outcome ? outcome.error : new Error("The bulk operation answered no outcome."));
      });
    } catch (error) {
      for (const p of chunk) p.reject(error);
    } finally {
      this.inFlight -= 1;
      this.sending -= chunk.length;
      this.flush();
    }
  }
}
