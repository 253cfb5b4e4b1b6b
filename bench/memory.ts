/**
 * Samples the peak resident memory (`VmHWM`) of the dynamic-provider plugin processes the Pulumi CLI
 * starts (`node .../@pulumi/pulumi/cmd/dynamic-provider`). Linux only (`/proc`); elsewhere it reports 0.
 *
 * @packageDocumentation
 */
import * as fs from "fs";

/** Reads `VmHWM` (peak RSS) of a process in bytes, or undefined when it is gone. */
function peakRss(pid: string): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The parent pid of a process, or undefined when it is gone. */
function parentOf(pid: string): string | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces; the ppid follows the state.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1];
  } catch {
    return undefined;
  }
}

/** Whether `pid` descends from `ancestor` (other users' plugins on the same machine are left out). */
function descendsFrom(pid: string, ancestor: string): boolean {
  for (let p: string | undefined = pid, hops = 0; p && p !== "0" && hops < 64; hops++) {
    if (p === ancestor) return true;
    p = parentOf(p);
  }
  return false;
}

/** The pids of running dynamic-provider plugins started (through the CLI) by this process. */
function providerPids(): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: string[] = [];
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmd.includes("cmd/dynamic-provider") && descendsFrom(pid, String(process.pid))) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
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
