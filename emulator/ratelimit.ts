// A token bucket standing in for the service's "1,000 service operations per minute" limit.

/** Seconds of refill the bucket holds: a short burst is allowed, a sustained excess is not. */
export const BURST_SECONDS = 2;

/** Token bucket: refills `opsPerMinute / 60` tokens a second, holds `max(1, ceil(opsPerMinute / 60 * BURST_SECONDS))`. */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly capacity: number;
  private readonly perMs: number;

  /**
   * @param opsPerMinute - Sustained rate; must be positive.
   * @param now - Clock in milliseconds (tests may inject one).
   */
  constructor(
    readonly opsPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, Math.ceil((opsPerMinute / 60) * BURST_SECONDS));
    this.perMs = opsPerMinute / 60_000;
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Takes a token. Returns 0 when allowed, else the whole seconds to wait (at least 1) for `Retry-After`. */
  take(): number {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + (t - this.last) * this.perMs);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    // Bounded even for a rate below the runtime's minimum: never tell a client to wait over a minute.
    return Math.min(60, Math.max(1, Math.ceil((1 - this.tokens) / this.perMs / 1000)));
  }
}
