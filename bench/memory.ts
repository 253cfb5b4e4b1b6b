/**
 * Samples the peak resident memory (`VmHWM`) of the dynamic-provider plugin processes the Pulumi CLI
 * starts (`node .../@pulumi/pulumi/cmd/dynamic-provider`). Linux only (`/proc`); elsewhere it reports 0.
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

/** The pids of running dynamic-provider plugins started (through the CLI) by this process. */
function providerPids(): number[] {
  // Descendants only: other users' plugins on the same machine are left out.
  return descendantsOf(process.pid)
    .filter((p) => p.args.includes("cmd/dynamic-provider"))
    .map((p) => p.pid);
}

/** A running sampler; {@link ProviderMemorySampler.stop} returns the highest peak seen. */
export class ProviderMemorySampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  /** @param intervalMs - How often to look for provider processes. */
  constructor(intervalMs = 200) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    for (const pid of providerPids()) {
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
