/**
 * The provider's write steps in flight (the engine's Create, Update and Delete calls), counted for
 * the write queues (batch.ts) of the whole process: how many are in flight, the most ever in flight
 * at once, how many of them wait in a queue or in a call on its way, and the usual gap between
 * step begins. See flushRule.ts for what
 * the queues decide from it.
 */
import type { StepCounts } from "./flushRule";

/** The longest gap between two step begins that counts in the usual gap, milliseconds. */
const MAX_GAP_SAMPLE_MS = 1000;
/** The weight of the newest gap in the usual gap (an exponential moving average). */
const GAP_WEIGHT = 0.2;

/** A write queue as the counter sees it. */
export interface ParkingQueue {
  /** Writes waiting in the queue or in a call of it on its way. */
  parked(): number;
  /** Decides again whether to send (a step ended: the engine may send no other). */
  recheck(): void;
}

/** Counts write steps; one per process ({@link writeSteps}), or one per test. */
export class WriteSteps {
  private active = 0;
  private peak = 0;
  private ended = false;
  private last = -Infinity;
  private lastBegin = -Infinity;
  private gap = 0;
  private readonly queues = new Set<ParkingQueue>();

  /** @param now - the clock (tests replace it) */
  constructor(private readonly now: () => number = Date.now) {}

  /** Runs one write step, counted while it runs. */
  async run<T>(step: () => Promise<T>): Promise<T> {
    this.active += 1;
    this.peak = Math.max(this.peak, this.active);
    this.last = this.now();
    if (this.lastBegin > -Infinity) {
      // A moving average; one long pause (the engine waiting for the program) counts as a bounded gap.
      const sample = Math.min(this.last - this.lastBegin, MAX_GAP_SAMPLE_MS);
      this.gap = this.gap === 0 ? sample : this.gap + GAP_WEIGHT * (sample - this.gap);
    }
    this.lastBegin = this.last;
    try {
      return await step();
    } finally {
      this.active -= 1;
      this.ended = true;
      this.last = this.now();
      for (const queue of this.queues) queue.recheck();
    }
  }

  /** A write joined a queue. */
  touch(): void {
    this.last = this.now();
  }

  /** Counts `queue`'s parked writes from now on (queues live as long as the process). */
  attach(queue: ParkingQueue): void {
    this.queues.add(queue);
  }

  /** The counts now. */
  counts(): StepCounts {
    let parked = 0;
    for (const queue of this.queues) parked += queue.parked();
    return {
      active: this.active,
      parked,
      peak: this.peak,
      peakKnown: this.ended,
      idleMs: this.now() - this.last,
      gapMs: this.gap,
    };
  }
}

/** The write steps of this process, shared by both faces and every DPS. */
export const writeSteps = new WriteSteps();

/** Runs `step` (a face's Create, Update or Delete) as a counted write step of this process. */
export function countedWrite<T>(step: () => Promise<T>): Promise<T> {
  return writeSteps.run(step);
}
