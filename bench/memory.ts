/**
 * Samples the peak resident memory (`VmHWM`) of the provider plugin processes the Pulumi CLI starts:
 * the dynamic-provider plugin (`node .../@pulumi/pulumi/cmd/dynamic-provider`) by default, or those
 * another matcher picks (this package's plugin, `dist/provider/plugin/main.js`). Linux only (`/proc`);
 * elsewhere it reports 0.
 *
 * @packageDocumentation
 */
import * as fs from "fs";
import { descendantsOf } from "../test/support/processes";

/** Reads `VmHWM` (peak RSS) of a process in bytes, or undefined when it is gone. */
function peakRss(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Picks provider processes by their command line. */
export type ProcessMatcher = (args: string) => boolean;

/** The dynamic-provider plugin of `@pulumi/pulumi` (the dynamic face's resources run in it). */
export const DYNAMIC_PROVIDER: ProcessMatcher = (args) => args.includes("cmd/dynamic-provider");

/** This package's provider plugin, `pulumi-resource-dps-enrollments` run from the repository. */
export const DPS_PLUGIN: ProcessMatcher = (args) => args.includes("provider/plugin/main.js");

/** The pids of running processes that `match` picks, started (through the CLI) by this process. */
function providerPids(match: ProcessMatcher): number[] {
  // Descendants only: other users' plugins on the same machine are left out.
  return descendantsOf(process.pid)
    .filter((p) => match(p.args))
    .map((p) => p.pid);
}

/** A running sampler; {@link ProviderMemorySampler.stop} returns the highest peak seen. */
export class ProviderMemorySampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param intervalMs - How often to look for provider processes.
   * @param match - Which processes are the provider's (default: the dynamic-provider plugin).
   */
  constructor(
    intervalMs = 200,
    private readonly match: ProcessMatcher = DYNAMIC_PROVIDER,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const pid of providerPids(this.match)) {
      const rss = peakRss(pid);
      if (rss !== undefined && rss > this.peak) this.peak = rss;
    }
  }

  /** Stops sampling (after a last sample) and returns the peak RSS in bytes (0 when never seen). */
  stop(): number {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}
