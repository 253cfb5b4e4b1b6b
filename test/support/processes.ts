/**
 * Processes on this machine, seen through `/proc` (Linux; elsewhere every list is empty): which descend
 * from a process, which work in a directory, and ending them. The Pulumi CLI starts each plugin in a
 * process group of its own (`setpgid`), so killing an engine's group leaves its plugins running, and
 * once their parent is gone they no longer descend from anything of ours: a harness stack finds them
 * by their working directory (the engine starts plugins in the stack's workspace).
 *
 * @packageDocumentation
 */
import * as fs from "fs";
import * as path from "path";

/** A running process. */
export interface ProcessInfo {
  /** Its pid. */
  pid: number;
  /** Its command line, arguments joined by spaces. */
  args: string;
}

/** The pids in `/proc` (empty when there is none). */
function allPids(): number[] {
  try {
    return fs
      .readdirSync("/proc")
      .filter((name) => /^\d+$/.test(name))
      .map(Number);
  } catch {
    return [];
  }
}

/** The parent pid of `pid`, or undefined when it is gone. */
export function parentOf(pid: number): number | undefined {
  try {
    // The command name (field 2) is in parentheses and may hold spaces; the ppid follows the state.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** The command line of `pid`, or undefined when it is gone (or a zombie, which has none). */
export function commandOf(pid: number): string | undefined {
  try {
    const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return args || undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` descends from `ancestor` (or is it). */
export function descendsFrom(pid: number, ancestor: number): boolean {
  for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 0 && hops < 64; hops++) {
    if (p === ancestor) return true;
    p = parentOf(p);
  }
  return false;
}

/** The processes descending from `ancestor`, without it. */
export function descendantsOf(ancestor: number): ProcessInfo[] {
  return live(allPids().filter((pid) => pid !== ancestor && descendsFrom(pid, ancestor)));
}

/** The processes whose working directory is `dir` or below it. */
export function processesWorkingIn(dir: string): ProcessInfo[] {
  const root = path.resolve(dir);
  return live(
    allPids().filter((pid) => {
      try {
        const cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
        return cwd === root || cwd.startsWith(root + path.sep);
      } catch {
        return false;
      }
    }),
  );
}

/** The pids that still run, with their command lines (zombies left out). */
function live(pids: number[]): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const pid of pids) {
    const args = commandOf(pid);
    if (args !== undefined) out.push({ pid, args });
  }
  return out;
}

/** SIGKILLs each process and its process group (a group that is not its own is left alone). */
export function killProcesses(processes: ProcessInfo[]): void {
  for (const { pid } of processes) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, "SIGKILL");
      } catch {
        // not a group leader, or gone already
      }
    }
  }
}

/**
 * How long a killed process may take to be gone from the process table: SIGKILL is delivered at
 * once, but on a loaded machine the exit (closing files, reaping) takes a moment. An assertion
 * that processes are gone waits this long before it fails.
 */
export const EXIT_BOUND_MS = 15_000;

/** Waits up to `ms` for `list()` to come back empty; returns what is left. */
export async function waitUntilGone(list: () => ProcessInfo[], ms: number): Promise<ProcessInfo[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = list();
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
