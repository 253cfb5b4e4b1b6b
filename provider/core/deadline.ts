/**
 * Bounded waits on the DPS: a deadline per request (default {@link DEFAULT_REQUEST_TIMEOUT_S} s, set
 * by the connection's `requestTimeout` or {@link REQUEST_TIMEOUT_ENV}), the engine's timeout of the
 * operation, and the engine's `Cancel`. The operation's signal travels with the async calls
 * (AsyncLocalStorage), so the transport sees it without every layer passing it on.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The per-request deadline when nothing sets one, in seconds. */
export const DEFAULT_REQUEST_TIMEOUT_S = 60;

/** The environment variable that sets the per-request deadline, in seconds. */
export const REQUEST_TIMEOUT_ENV = "DPS_ENROLLMENTS_REQUEST_TIMEOUT";

/** Longest per-request deadline accepted, in seconds (an hour). */
export const MAX_REQUEST_TIMEOUT_S = 3600;

/** Why a wait on the DPS stopped: its own deadline, the operation's, or a cancel. */
export class DpsWaitError extends Error {
  /** `request`: the request's deadline; `operation`: the engine's timeout; `cancelled`: the engine's Cancel. */
  readonly reason: "request" | "operation" | "cancelled";

  constructor(reason: DpsWaitError["reason"], seconds?: number) {
    super(waitMessage(reason, seconds));
    this.name = "DpsWaitError";
    this.reason = reason;
  }
}

function waitMessage(reason: DpsWaitError["reason"], seconds?: number): string {
  if (reason === "request") {
    return (
      `the DPS did not answer in time (no answer within ${seconds} s; the request was abandoned). ` +
      `Check that the DPS is reachable and healthy; to wait longer, set the connection's requestTimeout ` +
      `(seconds) or ${REQUEST_TIMEOUT_ENV}`
    );
  }
  if (reason === "operation") {
    return (
      `the DPS did not answer in time: the operation's timeout of ${seconds} s (customTimeouts) ran out, ` +
      "and the request was abandoned"
    );
  }
  return "the operation was cancelled (pulumi cancel or an interrupted update), and the request was abandoned";
}

/** Whether `value` is a usable deadline in seconds. */
export function isRequestTimeout(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 && value <= MAX_REQUEST_TIMEOUT_S;
}

/**
 * The per-request deadline in seconds: the connection's when given, else {@link REQUEST_TIMEOUT_ENV}
 * when it holds a usable number, else {@link DEFAULT_REQUEST_TIMEOUT_S}.
 */
export function requestTimeoutSeconds(given?: number, env: NodeJS.ProcessEnv = process.env): number {
  if (isRequestTimeout(given)) return given;
  const fromEnv = Number(env[REQUEST_TIMEOUT_ENV]);
  return isRequestTimeout(fromEnv) ? fromEnv : DEFAULT_REQUEST_TIMEOUT_S;
}

const operations = new AsyncLocalStorage<AbortSignal>();
let cancel = new AbortController();

/** Aborts every operation in flight (the engine's `Cancel`); operations started later run normally. */
export function cancelOperations(): void {
  cancel.abort(new DpsWaitError("cancelled"));
  cancel = new AbortController();
}

/**
 * Runs `fn` as one operation of the engine: its DPS requests stop when `timeoutSeconds` (the
 * engine's `timeout`; 0 or absent: none) runs out or the engine cancels.
 */
export async function withOperation<T>(timeoutSeconds: number | undefined, fn: () => Promise<T>): Promise<T> {
  const signals = [cancel.signal];
  let timer: NodeJS.Timeout | undefined;
  if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
    const expiry = new AbortController();
    timer = setTimeout(
      () => expiry.abort(new DpsWaitError("operation", timeoutSeconds)),
      timeoutSeconds * 1000,
    );
    signals.push(expiry.signal);
  }
  try {
    return await operations.run(AbortSignal.any(signals), fn);
  } finally {
    clearTimeout(timer);
  }
}

/** The signal of the operation this code runs in (the engine's Cancel alone outside any). */
export function operationSignal(): AbortSignal {
  return operations.getStore() ?? cancel.signal;
}

/** One request's signal: aborted at its deadline or with its operation. Call `done` when it settles. */
export function requestDeadline(timeoutSeconds: number): { signal: AbortSignal; done: () => void } {
  const expiry = new AbortController();
  const timer = setTimeout(
    () => expiry.abort(new DpsWaitError("request", timeoutSeconds)),
    timeoutSeconds * 1000,
  );
  return { signal: AbortSignal.any([operationSignal(), expiry.signal]), done: () => clearTimeout(timer) };
}

/** Waits `ms`, or less when the operation is aborted (then throws its reason). */
export function abortableSleep(ms: number): Promise<void> {
  const signal = operationSignal();
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
