/**
 * When a queue of writes (batch.ts) sends what waits: a pure function of what the queue and the
 * provider's write steps look like now.
 *
 * The engine runs at most `--parallel` steps at once and says nothing of that number to a
 * provider, so the provider counts its own write steps (Create, Update, Delete; writeSteps.ts) and
 * learns the engine's parallelism as the most it has seen in flight at once (the peak). A write is
 * sent:
 * - at once when the call is full;
 * - at once when every write step in flight waits in a queue or in a call on its way and as many
 *   are in flight as ever were: no other write can join it until one of those calls returns (at
 *   `--parallel 1`, every write after the first goes at once);
 * - when fewer are in flight than the peak (the engine may be refilling its slots, or other
 *   providers' steps hold them: this the provider cannot know), or before any step has ended (the
 *   engine may still be filling its slots: the peak is not known yet), once no step began or ended
 *   for a quiet window: twice the usual gap between step begins, at least the short window, at most
 *   the stream hold. Steps that come one at a time (with checkpoints, the engine writes the state
 *   before each) then still share calls, and steps that come together do not wait long;
 * - in any case once the oldest write waited the stream hold.
 * While a step in flight has not reached a queue yet (reading first, a single call), the writes
 * wait for it, as long as the stream hold allows; its end re-decides.
 *
 * Writes that come from no counted step (a service used outside the faces) fall back on time
 * alone: a lone write after the short window, a stream after the stream hold.
 */

/** What a queue's writes are sent for (see the module's rules). */
export type SendReason = "full" | "every-step-waits" | "idle" | "held" | "window";

/** The provider's write steps, as counted across every queue of the process. */
export interface StepCounts {
  /** Write steps in flight. */
  active: number;
  /** Writes waiting in a queue or in a call on its way, over every queue. */
  parked: number;
  /** The most write steps ever in flight at once: the engine's parallelism as far as seen. */
  peak: number;
  /** A step has ended: until then the engine may still be filling its slots, the peak unknown. */
  peakKnown: boolean;
  /** Milliseconds since a step began or ended, or a write joined a queue. */
  idleMs: number;
  /** The usual gap between step begins, milliseconds (0 until two steps began). */
  gapMs: number;
}

/** What {@link flushDecision} decides from. */
export interface FlushInputs {
  /** Writes waiting in this queue (at least one). */
  waiting: number;
  /** Most items a call carries. */
  maxItems: number;
  /** Milliseconds the oldest waiting write has waited. */
  oldestWaitMs: number;
  /** The step counts; undefined when some waiting write comes from no counted step. */
  steps?: StepCounts;
  /** The last write came within the stream gap of the one before (uncounted writes only). */
  stream: boolean;
  /** The short window, milliseconds. */
  windowMs: number;
  /** The stream hold: the longest any write waits for company, milliseconds. */
  streamHoldMs: number;
}

/** Send now (and why), or decide again after `recheckInMs` at the latest. */
export type FlushDecision = { send: true; reason: SendReason } | { send: false; recheckInMs: number };

/** Whether the waiting writes of a queue go now (see the module's rules). */
export function flushDecision(i: FlushInputs): FlushDecision {
  if (i.waiting >= i.maxItems) return { send: true, reason: "full" };
  const holdLeft = i.streamHoldMs - i.oldestWaitMs;
  if (i.steps) {
    const { active, parked, peak, peakKnown, idleMs, gapMs } = i.steps;
    const allParked = parked >= active;
    if (allParked && peakKnown && active >= peak) return { send: true, reason: "every-step-waits" };
    if (holdLeft <= 0) return { send: true, reason: "held" };
    if (!allParked) return { send: false, recheckInMs: holdLeft };
    const quietMs = Math.min(Math.max(i.windowMs, 2 * gapMs), i.streamHoldMs);
    if (idleMs >= quietMs) return { send: true, reason: "idle" };
    return { send: false, recheckInMs: Math.min(quietMs - idleMs, holdLeft) };
  }
  const limit = i.stream ? i.streamHoldMs : i.windowMs;
  if (i.oldestWaitMs >= limit) return { send: true, reason: i.stream ? "held" : "window" };
  return { send: false, recheckInMs: limit - i.oldestWaitMs };
}
