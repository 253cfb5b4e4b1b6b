// Fault injection for tests of retry logic: server errors, dropped connections and latency.
import type { FaultOptions, InjectedFault } from "./types";

/** What to do with one request. */
export type FaultDecision = "none" | InjectedFault;

const INJECTED: readonly InjectedFault[] = ["drop", "500", "503"];

/** Longest `next` sequence: enough for any test, small enough that settings stay a short answer. */
export const MAX_NEXT_FAULTS = 1000;

function sequence(value: readonly unknown[] | undefined): InjectedFault[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_NEXT_FAULTS) {
    throw new RangeError(`next must be a list of at most ${MAX_NEXT_FAULTS} faults`);
  }
  return value.map((f, i) => {
    if (!INJECTED.includes(f as InjectedFault)) {
      throw new RangeError(`next[${i}] must be one of ${INJECTED.join(", ")}`);
    }
    return f as InjectedFault;
  });
}

function rate(value: number | undefined, name: string): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) throw new RangeError(`${name} must be between 0 and 1`);
  return v;
}

/** Longest injectable latency: longer would only hold connections (and hit the socket timeouts). */
export const MAX_LATENCY_MS = 30_000;

/** Validates fault settings and fills defaults (all off). Throws RangeError on a bad value. */
export function normalizeFaults(options: FaultOptions = {}): Required<FaultOptions> {
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
    throw new RangeError(`latencyMs must be between 0 and ${MAX_LATENCY_MS}`);
  }
  return {
    rate500: rate(options.rate500, "rate500"),
    rate503: rate(options.rate503, "rate503"),
    dropRate: rate(options.dropRate, "dropRate"),
    latencyMs,
    next: sequence(options.next),
  };
}

/**
 * Draws the fault for a request from the rates (`next` is the runtime's to take first). One draw
 * decides among drop, 500 and 503, so their rates add up (a total over 1 means every request faults).
 */
export function decideFault(
  faults: Required<FaultOptions>,
  random: () => number = Math.random,
): FaultDecision {
  const r = random();
  if (r < faults.dropRate) return "drop";
  if (r < faults.dropRate + faults.rate500) return "500";
  if (r < faults.dropRate + faults.rate500 + faults.rate503) return "503";
  return "none";
}
