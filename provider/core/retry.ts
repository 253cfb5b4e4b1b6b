/**
 * The throttling and transient-failure retry policy for DPS calls: 429 and 5xx answers and dropped
 * connections are retried with exponential backoff and full jitter, honouring `Retry-After`.
 *
 * Throttling is back-pressure, not failure: a 429 is retried for as long as
 * {@link RetryOptions.maxThrottledMs} allows, whatever the attempt count, so a large stack under the
 * DPS quota slows down instead of failing resources. Calls to the same DPS share an adaptive pacer
 * (AIMD on the spacing between request starts): a 429 widens the spacing, each success narrows
 * it, so the calls of many resources settle just under the quota instead of each resource
 * hammering it and sleeping in lock step. The spacing widens once per throttling event, not once
 * per 429: the calls on their way when the quota ran out (up to `--parallel` of them) are all
 * refused together, and widening for each would space calls up to 1.25^32 times wider than the
 * quota needs, which is what made a Set that reads each enrollment's keys far slower than its
 * calls (issue 27).
 */

import { abortableSleep } from "./deadline";

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 8. */
  maxAttempts?: number;
  /** First backoff in milliseconds. Default 500. */
  baseDelayMs?: number;
  /** Longest single wait in milliseconds. Default 30,000. */
  maxDelayMs?: number;
  /** Key of the shared pacer (the DPS host name); calls with the same key are paced together. */
  pacingKey?: string;
  /** How long 429s are retried, from the first attempt, in milliseconds. Default 900,000 (15 minutes). */
  maxThrottledMs?: number;
  /** Waits; replaceable in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Random in [0, 1); replaceable in tests. */
  random?: () => number;
}

/** What the policy needs to know of a failure. */
export interface FailureInfo {
  /** HTTP status, when the service answered. */
  status?: number;
  /** `Retry-After` in milliseconds, when the service sent one. */
  retryAfterMs?: number;
  /** A network failure (reset, refused, timeout) with no answer. */
  network?: boolean;
}

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ESOCKETTIMEDOUT",
  "ECONNABORTED",
]);

/** Spacing below which pacing is switched off again, in milliseconds. */
const MIN_INTERVAL_MS = 5;
/** Spacing a first 429 sets, in milliseconds. */
const FIRST_INTERVAL_MS = 20;
/** Widest spacing, in milliseconds (one call every 10 seconds). */
const MAX_INTERVAL_MS = 10_000;
/** Spacing factor on a 429 (multiplicative decrease of the rate). */
const THROTTLE_FACTOR = 1.25;
/** Spacing factor on a success (a slow increase of the rate). */
const SUCCESS_FACTOR = 0.985;

/** The shared pacer of one DPS: spacing between request starts, learned from 429s and successes. */
export class Pacer {
  /** Milliseconds between request starts; 0: unpaced. */
  intervalMs = 0;
  private nextSlot = 0;
  /** How many times the spacing was widened: a call started before the last widening has its answer. */
  private widenings = 0;

  /**
   * Waits for this call's slot. Returns the call's ticket for {@link Pacer.throttled}: the number
   * of widenings its start saw.
   */
  async acquire(sleep: (ms: number) => Promise<void>, now: () => number = Date.now): Promise<number> {
    const ticket = this.widenings;
    if (this.intervalMs === 0) return ticket;
    const t = now();
    const start = Math.max(t, this.nextSlot);
    this.nextSlot = start + this.intervalMs;
    if (start > t) await sleep(start - t);
    return ticket;
  }

  /**
   * A call was throttled: space calls wider, unless the call (its `ticket` from
   * {@link Pacer.acquire}) started before the last widening, which already answered its 429.
   */
  throttled(ticket?: number, now: () => number = Date.now): void {
    if (ticket === undefined || ticket === this.widenings) {
      this.widenings += 1;
      this.intervalMs = Math.min(
        MAX_INTERVAL_MS,
        this.intervalMs === 0 ? FIRST_INTERVAL_MS : this.intervalMs * THROTTLE_FACTOR,
      );
    }
    this.nextSlot = Math.max(this.nextSlot, now() + this.intervalMs);
  }

  /** A call succeeded: space calls a little closer. */
  succeeded(): void {
    if (this.intervalMs === 0) return;
    this.intervalMs *= SUCCESS_FACTOR;
    if (this.intervalMs < MIN_INTERVAL_MS) this.intervalMs = 0;
  }
}

const pacers = new Map<string, Pacer>();

/** The shared pacer for `key` (created on first use). */
export function pacerFor(key: string): Pacer {
  let pacer = pacers.get(key);
  if (!pacer) {
    pacer = new Pacer();
    pacers.set(key, pacer);
  }
  return pacer;
}

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds from now. */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The last failure of a call whose retries ran out, with how long they took: what a user needs to
 * tell a DPS that is down or unreachable from one that refused the request.
 */
export class RetriesExhaustedError extends Error {
  /**
   * @param cause the last failure (the official client's error)
   * @param attempts attempts made, the first included
   * @param elapsedMs milliseconds from the first attempt to the last failure
   */
  constructor(
    override readonly cause: unknown,
    readonly attempts: number,
    readonly elapsedMs: number,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "RetriesExhaustedError";
  }
}

/** The client's own error, under a {@link RetriesExhaustedError} if there is one. */
export function rootFailure(error: unknown): unknown {
  return error instanceof RetriesExhaustedError ? error.cause : error;
}

/** Reads status, `Retry-After` and network failure from an error thrown by the official client. */
export function failureInfo(failure: unknown): FailureInfo {
  const error = rootFailure(failure);
  if (error === null || typeof error !== "object") return {};
  const e = error as {
    response?: { statusCode?: number; headers?: Record<string, string | string[] | undefined> };
    code?: string;
    message?: string;
  };
  if (e.response?.statusCode) {
    return {
      status: e.response.statusCode,
      retryAfterMs: parseRetryAfter(e.response.headers?.["retry-after"]),
    };
  }
  const network =
    (e.code !== undefined && NETWORK_CODES.has(e.code)) ||
    /socket hang up|ECONNRESET|network/i.test(e.message ?? "");
  return { network };
}

/** True for failures worth retrying: throttling, server errors, dropped connections. */
export function isTransient(info: FailureInfo): boolean {
  return info.network === true || info.status === 429 || (info.status !== undefined && info.status >= 500);
}

/** The wait before retry number `attempt` (1-based): `Retry-After` when given, else full-jitter exponential. */
export function backoffDelay(attempt: number, info: FailureInfo, options: RetryOptions = {}): number {
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  if (info.retryAfterMs !== undefined) {
    // A little jitter on top so that resources paused together do not all return in the same instant.
    return Math.min(max, info.retryAfterMs) + Math.floor(random() * 250);
  }
  return Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
}

// A wait stops early when the operation is cancelled or its deadline passes (see deadline.ts).
const defaultSleep = abortableSleep;

/**
 * Runs `operation`, retrying transient failures; a failure that is not transient is rethrown as is,
 * the last transient one in a {@link RetriesExhaustedError}. 5xx answers and
 * dropped connections count against {@link RetryOptions.maxAttempts}; 429s are retried until
 * {@link RetryOptions.maxThrottledMs} has passed.
 */
export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const maxThrottledMs = options.maxThrottledMs ?? 900_000;
  const sleep = options.sleep ?? defaultSleep;
  const pacer = options.pacingKey ? pacerFor(options.pacingKey) : undefined;
  const started = Date.now();
  let failures = 0;
  for (let attempt = 1; ; attempt++) {
    const ticket = pacer ? await pacer.acquire(sleep) : undefined;
    try {
      const result = await operation();
      pacer?.succeeded();
      return result;
    } catch (error) {
      const info = failureInfo(error);
      if (!isTransient(info)) throw error;
      if (info.status === 429) {
        pacer?.throttled(ticket);
        if (Date.now() - started >= maxThrottledMs)
          throw new RetriesExhaustedError(error, attempt, Date.now() - started);
      } else if (++failures >= maxAttempts) {
        throw new RetriesExhaustedError(error, attempt, Date.now() - started);
      }
      // Throttled calls back off by Retry-After (the service says when); the exponent counts failures.
      await sleep(backoffDelay(info.status === 429 ? attempt : failures, info, options));
    }
  }
}
