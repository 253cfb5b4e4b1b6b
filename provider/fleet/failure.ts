/**
 * A fleet write in which some items did not land: the error the faces turn into the engine's
 * partial-failure outputs, and its message. Pure.
 */
import type { FleetOutputs } from "./types";

export const LISTED_FAILURES = 20;

/** An item that did not land, with the service's reason. */
export interface FleetItemFailure {
  /** Its registration id. */
  id: string;
  /** Why, as the service answered (or the fix, for a refused takeover). */
  reason: string;
}

/**
 * Some items did not land: `outs` records exactly what did (the faces hand it to the engine as
 * partial-failure outputs); the next `up` writes only what is missing.
 */
export class FleetPartialFailure extends Error {
  /**
   * @param id - The fleet's resource id.
   * @param outs - The state: what landed.
   * @param failures - The items that did not, with reasons.
   */
  constructor(
    readonly id: string,
    readonly outs: FleetOutputs,
    readonly failures: FleetItemFailure[],
  ) {
    super(partialFailureMessage(failures, outs.enrollmentCount));
    this.name = "FleetPartialFailure";
  }
}

/** The message of a partial failure: the failed ids with their reasons, the first 20 then a count. */
export function partialFailureMessage(failures: readonly FleetItemFailure[], landed: number): string {
  const lines = failures.slice(0, LISTED_FAILURES).map((f) => `  ${f.id}: ${f.reason}`);
  if (failures.length > LISTED_FAILURES) lines.push(`  and ${failures.length - LISTED_FAILURES} more`);
  return (
    `${failures.length} enrollment(s) of the fleet did not land (${landed} are in the DPS as declared; ` +
    "the state records them, and the next `pulumi up` writes only what is missing):\n" +
    lines.join("\n")
  );
}

/** The service of a fleet's connection. */
