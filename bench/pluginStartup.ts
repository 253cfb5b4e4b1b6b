/**
 * The plugin's start-up (`npm run bench -- --only plugin-startup`): from launch to its port printed
 * (what the engine waits for before its first call), and its resident memory at that moment, for each
 * form a user runs: the compiled JavaScript on Node (`node dist/provider/plugin/main.js`, what the
 * npm package's bin/ runs) and the standalone executable of `npm run dist` (unpacked from this
 * machine's tarball, run with an empty environment). Each form runs `runs` times in turn; the median
 * is the figure, as the machine is shared. Linux only (RSS from `/proc`).
 *
 * @packageDocumentation
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../test/support/engine";
import { pluginTarball } from "../test/support/pluginDist";
import { log, table } from "./common";

/** One way of starting the plugin. */
interface StartupForm {
  /** What the table calls it. */
  name: string;
  /** The executable. */
  file: string;
  /** Its arguments. */
  args: string[];
}

/** One launch: milliseconds to the port line, and resident memory then (bytes). */
interface Launch {
  ms: number;
  rss: number;
}

/** Options of {@link pluginStartupSection}. */
export interface StartupOptions {
  /** Launches per form. */
  runs: number;
  /** The compiled entry point to run on Node (default: this repository's). */
  entry?: string;
}

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Starts the plugin with an empty environment, waits for its port, reads its RSS and ends it. */
function launch(form: StartupForm): Promise<Launch> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(form.file, form.args, { env: {}, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("error", reject);
    child.stdout.once("data", (d: Buffer) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (!/^\d+\s*$/.test(d.toString())) reject(new Error(`${form.name} printed ${d.toString()}`));
      const rss = rssOf(child.pid!);
      child.once("exit", () => resolve({ ms, rss }));
      child.kill("SIGKILL");
    });
    child.once("exit", (code) => {
      if (code !== null) reject(new Error(`${form.name} exited ${code} before printing its port: ${err}`));
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The standalone executable, unpacked from this machine's tarball into a temporary folder. */
function unpackStandalone(): { file: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dps-startup-"));
  execFileSync("tar", ["-xzf", pluginTarball(), "-C", dir]);
  return {
    file: path.join(dir, "pulumi-resource-dps-enrollments"),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Measures the forms, interleaved (a burst of load on the shared machine hits every form alike).
 * @param o - launches per form, entry point
 * @param out - the bench's JSON; gets `pluginStartup`
 * @returns the table to print
 */
export async function pluginStartupSection(o: StartupOptions, out: Record<string, unknown>): Promise<string> {
  const standalone = unpackStandalone();
  const entry = o.entry ?? path.join(REPO_ROOT, "dist", "provider", "plugin", "main.js");
  const forms: StartupForm[] = [
    { name: `node ${path.relative(process.cwd(), entry)}`, file: process.execPath, args: [entry] },
    { name: "standalone (SEA, env -i)", file: standalone.file, args: [] },
  ];
  const results = new Map<string, Launch[]>(forms.map((f) => [f.name, []]));
  const loadBefore = os.loadavg()[0];
  try {
    for (const form of forms) await launch(form); // warm the page cache
    for (let i = 0; i < o.runs; i++) {
      for (const form of forms) results.get(form.name)!.push(await launch(form));
    }
  } finally {
    standalone.cleanup();
  }
  const loadAfter = os.loadavg()[0];
  log(
    `plugin start-up: ${o.runs} launches per form, load average ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
  );
  const rows = forms.map((f) => {
    const runs = results.get(f.name)!;
    const ms = runs.map((r) => r.ms);
    return [
      f.name,
      median(ms).toFixed(0),
      Math.min(...ms).toFixed(0),
      (median(runs.map((r) => r.rss)) / 2 ** 20).toFixed(1),
    ];
  });
  out.pluginStartup = {
    runs: o.runs,
    loadAverage: [loadBefore, loadAfter],
    node: process.version,
    forms: forms.map((f) => ({ name: f.name, launches: results.get(f.name) })),
  };
  return table(
    `Plugin start-up: launch to port printed (median of ${o.runs}; load ${loadBefore.toFixed(1)}/${loadAfter.toFixed(1)} on ${os.cpus().length} cores)`,
    ["form", "median ms", "min ms", "RSS MiB (median)"],
    rows,
  );
}
