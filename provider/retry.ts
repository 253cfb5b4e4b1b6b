/**
 * The throttling and transient-failure retry policy for DPS calls: 429 and 5xx answers and dropped
 * connections are retried with exponential backoff and full jitter, honouring `Retry-After`. A 429
 * also pauses every other call to the same DPS until its `Retry-After` passes (adaptive pacing), so a
 * stack of many enrollments backs off together instead of each resource hammering the quota.
 */

/** Options of {@link withRetries}. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 8. */
  maxAttempts?: number;
  /** First backoff in milliseconds. Default 500. */
  baseDelayMs?: number;
  /** Longest single wait in milliseconds. Default 30,000. */
  maxDelayMs?: number;
  /** Key of the shared pause (the DPS host name); calls with the same key pause together. */
  pacingKey?: string;
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

const pausedUntil = new Map<string, number>();

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

/** Reads status, `Retry-After` and network failure from an error thrown by the official client. */
export function failureInfo(error: unknown): FailureInfo {
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

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `operation`, retrying transient failures; the last failure is rethrown. */
export async function withRetries<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 8;
  const sleep = options.sleep ?? defaultSleep;
  for (let attempt = 1; ; attempt++) {
    if (options.pacingKey) {
      const wait = (pausedUntil.get(options.pacingKey) ?? 0) - Date.now();
      if (wait > 0) await sleep(wait);
    }
    try {
      return await operation();
    } catch (error) {
      const info = failureInfo(error);
      if (!isTransient(info) || attempt >= maxAttempts) throw error;
      const delay = backoffDelay(attempt, info, options);
      if (info.status === 429 && options.pacingKey) {
        const until = Date.now() + (info.retryAfterMs ?? delay);
        pausedUntil.set(options.pacingKey, Math.max(pausedUntil.get(options.pacingKey) ?? 0, until));
      }
      await sleep(delay);
    }
  }
}
