/**
 * `npm run bench`: how many service calls each operation makes, how long `pulumi up` takes next to the
 * engine floor (a no-op dynamic resource) and next to the DPS quota floor, how big the state is and
 * how much memory the provider plugin uses. Prints a table and writes JSON to `bench/results/`.
 *
 * ```
 * npm run bench -- --n 100,1000 --parallel 8 --ops-per-minute 600 --quota-n 100
 * npm run bench -- --only curve --curve-n 1000,2000,5000,10000 --curve-limit 1800
 * npm run bench -- --only plugin-startup --startup-runs 21   (after `npm run dist`)
 * npm run bench -- --only fleet --fleet-n 10000 --fleet-backend file|azblob --fleet-face dynamic|plugin|noop
 * ```
 *
 * `--parallel default` (the default) passes no `--parallel` to the CLI, which then uses its own
 * default, as `pulumi up` does for a user who gives none (see `cliDefaultParallel` in common.ts).
 *
 * The `curve` section (see `curve.ts`) times creates and a Set-style change of N up to 10,000 with and
 * without `PULUMI_SKIP_CHECKPOINTS` and draws `bench/fleet-curve.svg` (`--chart`); runs projected past
 * `--curve-limit` seconds are projected from the measured ones instead of run. Its enrollments take
 * their connection from stack config (`--curve-connection stack`, or `resource`), its program yields to
 * the event loop every 100 declarations (`--curve-yield 100`, 0: never), and its emulator runs in a
 * process of its own. `--backend azblob` keeps the curve's state in Azure Blob Storage (Azurite, see
 * `azurite.ts`) instead of a file backend, and draws `bench/fleet-curve-azblob.svg`.
 * `--curve-bulk-update-refused` makes the emulator refuse bulk `updateIfMatchETag` of existing records
 * as the real DPS refuses bulk `update` (issue 27), to measure the provider's fallback to single PUTs.
 *
 * The `fleet` section (see `fleet.ts`) runs one `EnrollmentFleet` of `--fleet-n` TPM items through
 * create, a Set-style change of all, refresh and destroy (`--fleet-phases`), checkpoints on unless
 * `--fleet-skip-checkpoints`, at `--fleet-ops-per-minute` (1,000), its state in a file backend or
 * `azblob://` on Azurite (`--fleet-backend`), declared by the dynamic class, the plugin's type or the
 * no-op floor (`--fleet-face`).
 *
 * Everything runs on this machine: the real Pulumi CLI (file backend but for `--backend`, inline programs through the
 * Automation API, see `test/support/engine.ts`) and the DPS emulator (in this process but for the curve). See
 * `BENCHMARKS.md` for how to read the figures.
 *
 * @packageDocumentation
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import type { PulumiFn } from "@pulumi/pulumi/automation";
import { startEmulator, type EmulatorHandle } from "../emulator";
import { BURST_SECONDS } from "../emulator/ratelimit";
import { createServiceClient } from "../provider/core/transport";
import { EngineStack, REPO_ROOT } from "../test/support/engine";
import { cmdletSetTags, startArmStub } from "./cmdlet";
import { pluginStartupSection } from "./pluginStartup";
import { CURVE_CONFIGS, curveSection, type CurveBackend, type CurveOptions } from "./curve";
import { FLEET_PHASES, fleetSection, type FleetBenchOptions } from "./fleet";
import type { FleetFace } from "./fleetProgram";
import { emulatorConnection } from "../test/support/service";
import {
  BENCH_ATTESTATIONS,
  enrollments,
  log,
  noops,
  perOp,
  table,
  timed,
  type BenchAttestation,
  parallelLabel,
  type Op,
  type Parallel,
  type Timed,
} from "./common";

/** Command-line options. */
export interface BenchOptions {
  /** Fleet sizes for the wall-time section. */
  ns: number[];
  /** `--parallel` of every engine operation; `--parallel default`: none given, the CLI's default. */
  parallel: Parallel;
  /** Enrollments in the calls-per-operation section. */
  callsN: number;
  /** Rate limits of the quota section (operations per minute), one run each. */
  opsPerMinute: number[];
  /** Enrollments in the quota section. */
  quotaN: number;
  /** Operations of the wall-time section (create always runs). */
  ops: Set<string>;
  /** Sections to run. */
  sections: Set<string>;
  /** Where to write the JSON. */
  json: string;
  /** The fleet curve (section `curve`). */
  curve: CurveOptions;
  /** The plugin's start-up (section `plugin-startup`): launches per form, entry point on Node. */
  startup: { runs: number; entry?: string };
  /** One `EnrollmentFleet` through every phase (section `fleet`). */
  fleet: FleetBenchOptions;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      n: { type: "string", default: "100,1000" },
      parallel: { type: "string", default: "default" },
      "calls-n": { type: "string", default: "20" },
      "ops-per-minute": { type: "string", default: "600,120" },
      "quota-n": { type: "string", default: "100" },
      only: { type: "string", default: "calls,time,quota,curve" },
      ops: { type: "string", default: "create,update" },
      json: { type: "string" },
      "curve-n": { type: "string", default: "1000,2000,5000,10000" },
      "curve-configs": { type: "string", default: CURVE_CONFIGS.map((c) => c.id).join(",") },
      "curve-limit": { type: "string", default: "1800" },
      chart: { type: "string" },
      "curve-connection": { type: "string", default: "stack" },
      "curve-yield": { type: "string", default: "100" },
      "curve-attestation": { type: "string", default: "symmetricKey" },
      "curve-bulk-update-refused": { type: "boolean", default: false },
      backend: { type: "string", default: "file" },
      "startup-runs": { type: "string", default: "21" },
      "startup-entry": { type: "string" },
      "fleet-n": { type: "string", default: "10000" },
      "fleet-backend": { type: "string", default: "file" },
      "fleet-face": { type: "string", default: "dynamic" },
      "fleet-ops-per-minute": { type: "string", default: "1000" },
      "fleet-phases": { type: "string", default: FLEET_PHASES.join(",") },
      "fleet-skip-checkpoints": { type: "boolean", default: false },
    },
  });
  const positive = (text: string, flag: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} expects positive integers, got '${text}'`);
    return n;
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const backend = curveBackend(values.backend);
  return {
    ns: values.n.split(",").map((x) => positive(x.trim(), "--n")),
    parallel: parallelOption(values.parallel),
    callsN: positive(values["calls-n"], "--calls-n"),
    opsPerMinute: values["ops-per-minute"].split(",").map((x) => positive(x.trim(), "--ops-per-minute")),
    quotaN: positive(values["quota-n"], "--quota-n"),
    ops: new Set(values.ops.split(",").map((x) => x.trim())),
    sections: new Set(values.only.split(",").map((x) => x.trim())),
    json: values.json ?? path.join(REPO_ROOT, "bench", "results", `bench-${stamp}.json`),
    startup: {
      runs: positive(values["startup-runs"], "--startup-runs"),
      entry: values["startup-entry"] && path.resolve(values["startup-entry"]),
    },
    curve: {
      ns: values["curve-n"].split(",").map((x) => positive(x.trim(), "--curve-n")),
      configs: new Set(values["curve-configs"].split(",").map((x) => x.trim())),
      limitSeconds: positive(values["curve-limit"], "--curve-limit"),
      parallel: parallelOption(values.parallel),
      chart:
        values.chart ??
        path.join(REPO_ROOT, "bench", backend === "file" ? "fleet-curve.svg" : `fleet-curve-${backend}.svg`),
      connection: curveConnection(values["curve-connection"]),
      yieldEvery: values["curve-yield"] === "0" ? 0 : positive(values["curve-yield"], "--curve-yield"),
      attestation: curveAttestation(values["curve-attestation"]),
      backend,
      bulkUpdateRefused: values["curve-bulk-update-refused"],
    },
    fleet: {
      n: positive(values["fleet-n"], "--fleet-n"),
      backend: curveBackend(values["fleet-backend"]),
      face: fleetFace(values["fleet-face"]),
      opsPerMinute: positive(values["fleet-ops-per-minute"], "--fleet-ops-per-minute"),
      parallel: parallelOption(values.parallel),
      phases: new Set(values["fleet-phases"].split(",").map((x) => x.trim())),
      skipCheckpoints: values["fleet-skip-checkpoints"],
    },
  };
}

/** `--fleet-face`: `dynamic`, `plugin` or `noop`. */
function fleetFace(text: string): FleetFace {
  if (text === "dynamic" || text === "plugin" || text === "noop") return text;
  throw new Error(`--fleet-face expects 'dynamic', 'plugin' or 'noop', got '${text}'`);
}

/** `--parallel`: a positive integer, or `default` for none (the CLI's default). */
function parallelOption(text: string): Parallel {
  if (text === "default") return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--parallel expects a positive integer or 'default', got '${text}'`);
  return n;
}

/** `--curve-attestation`: one of {@link BENCH_ATTESTATIONS}. */
function curveAttestation(text: string): BenchAttestation {
  const found = BENCH_ATTESTATIONS.find((a) => a === text);
  if (found) return found;
  throw new Error(`--curve-attestation expects one of ${BENCH_ATTESTATIONS.join(", ")}, got '${text}'`);
}

/** `--backend`, `--fleet-backend`: where the stacks keep their state, `file` or `azblob` (Azurite). */
function curveBackend(text: string): CurveBackend {
  if (text === "file" || text === "azblob") return text;
  throw new Error(`--backend expects 'file' or 'azblob', got '${text}'`);
}

/** `--curve-connection`: `stack` or `resource`. */
function curveConnection(text: string): "stack" | "resource" {
  if (text === "stack" || text === "resource") return text;
  throw new Error(`--curve-connection expects 'stack' or 'resource', got '${text}'`);
}

/** The operations the wall-time section can time, in the order it runs them. */
const TIMED_OPS = ["create", "update", "refresh", "destroy"] as const;
type TimedOp = (typeof TIMED_OPS)[number];

/** Section 1: service calls per operation, the provider's and the cmdlet's. */
async function callsSection(
  emu: EmulatorHandle,
  o: BenchOptions,
  out: Record<string, unknown>,
): Promise<string> {
  const n = o.callsN;
  const connection = emulatorConnection(emu);
  const s = await EngineStack.create({
    projectName: "bench-calls",
    program: enrollments(connection, "calls", n, "v1"),
  });
  const rows: (string | number)[][] = [];
  const record: Record<string, unknown> = {};
  try {
    const steps: [string, Op, PulumiFn | undefined][] = [
      ["create (up)", "up", undefined],
      ["no-change preview", "preview", undefined],
      ["Set-style update (up, tags)", "up", enrollments(connection, "calls", n, "v2")],
      ["refresh", "refresh", undefined],
      ["delete (destroy)", "destroy", undefined],
    ];
    for (const [label, op, program] of steps) {
      if (program) s.setProgram(program);
      log(`calls: ${label} of ${n}`);
      const t = await timed(s, op, o.parallel, emu);
      const calls = perOp(t.stats, n);
      record[label] = { ...calls, failed: t.failed };
      rows.push([label, calls.total, JSON.stringify(calls).replace(/"/g, ""), "-", t.failed]);
    }
  } finally {
    await s.dispose();
  }

  // The cmdlet's way, for the same Set-style change.
  const client = createServiceClient(connection);
  const ids = Array.from({ length: n }, (_, i) => `cmdlet-${i}`);
  for (const id of ids) {
    await client.createOrUpdateIndividualEnrollment({
      registrationId: id,
      attestation: { type: "symmetricKey" },
      initialTwin: { tags: { env: "v1" } },
    } as never);
  }
  const arm = await startArmStub(emu);
  emu.resetStats();
  const started = Date.now();
  for (const id of ids) await cmdletSetTags(arm, emu, id, { env: "v2", fleet: "bench" });
  const ms = Date.now() - started;
  const dps = perOp(emu.stats(), n);
  const armPer = (arm.calls.getDps + arm.calls.listKeys) / n;
  await arm.close();
  for (const id of ids) await client.deleteIndividualEnrollment(id);
  record["cmdlet Set (ARM + GET + PUT)"] = { ...dps, arm: armPer, msPerSet: ms / n };
  rows.push([
    "cmdlet Set loop: DPS calls + ARM calls (stub)",
    dps.total + armPer,
    JSON.stringify(dps).replace(/"/g, ""),
    `${armPer} (GET DPS + POST listKeys)`,
    0,
  ]);
  out.calls = { n, parallel: o.parallel ?? "default", perOperation: record };
  return table(
    `Service calls per enrollment (N = ${n}, counted by the emulator)`,
    ["operation", "calls", "DPS calls by kind", "ARM calls", "failed"],
    rows,
  );
}

/** Section 2: wall time next to the engine floor, state size, provider memory. */
async function timeSection(
  emu: EmulatorHandle,
  o: BenchOptions,
  out: Record<string, unknown>,
): Promise<string> {
  const rows: (string | number)[][] = [];
  const results: Record<string, unknown>[] = [];
  const connection = emulatorConnection(emu);
  for (const n of o.ns) {
    // The engine floor: the same engine, the same parallelism, a dynamic resource that does nothing.
    // Each operation runs on the floor stack and then on the enrollment stack, back to back, so that
    // both see the same load on the machine.
    const floor: Partial<Record<TimedOp, Timed>> = {};
    const real: Partial<Record<TimedOp, Timed>> = {};
    let stateBytes = 0;
    // The export is pretty-printed; the backend stores the same JSON without indentation.
    let compactStateBytes = 0;
    const noop = await EngineStack.create({ projectName: `bench-noop-${n}`, program: noops(n, "v1") });
    const s = await EngineStack.create({
      projectName: `bench-dps-${n}`,
      program: enrollments(connection, `t${n}`, n, "v1"),
    });
    try {
      for (const op of TIMED_OPS) {
        if (!o.ops.has(op) && op !== "create") continue;
        if (op === "update") {
          noop.setProgram(noops(n, "v2"));
          s.setProgram(enrollments(connection, `t${n}`, n, "v2"));
        }
        const engineOp: Op = op === "create" || op === "update" ? "up" : op;
        log(`time: no-op ${op} of ${n}`);
        floor[op] = await timed(noop, engineOp, o.parallel);
        log(`time: enrollment ${op} of ${n}`);
        real[op] = await timed(s, engineOp, o.parallel, emu);
        if (op === "create") {
          const text = await s.exportStackText();
          stateBytes = Buffer.byteLength(text);
          compactStateBytes = Buffer.byteLength(JSON.stringify(JSON.parse(text)));
        }
      }
    } finally {
      await noop.dispose();
      await s.dispose();
    }

    // The cmdlet loop for the same Set-style change, sequential as a script runs it.
    const client = createServiceClient(connection);
    const ids = Array.from({ length: n }, (_, i) => `cmdlet-${n}-${i}`);
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(
        ids.slice(i, i + 16).map((id) =>
          client.createOrUpdateIndividualEnrollment({
            registrationId: id,
            attestation: { type: "symmetricKey" },
            initialTwin: { tags: { env: "v1" } },
          } as never),
        ),
      );
    }
    const arm = await startArmStub(emu);
    log(`time: cmdlet Set loop over ${n}`);
    const started = Date.now();
    for (const id of ids) await cmdletSetTags(arm, emu, id, { env: "v2", fleet: "bench" });
    const cmdletMs = Date.now() - started;
    await arm.close();
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(ids.slice(i, i + 16).map((id) => client.deleteIndividualEnrollment(id)));
    }

    const result: Record<string, unknown> = {
      n,
      parallel: o.parallel ?? "default",
      stateBytes,
      stateBytesPerEnrollment: stateBytes / n,
      compactStateBytesPerEnrollment: compactStateBytes / n,
      cmdletSetLoopMs: cmdletMs,
    };
    for (const op of TIMED_OPS) {
      const r = real[op];
      const f = floor[op];
      if (!r || !f) continue;
      const ratio = r.ms / f.ms;
      result[op] = {
        ms: r.ms,
        floorMs: f.ms,
        ratio,
        callsPerEnrollment: r.stats.total / n,
        providerPeakRssMB: r.providerPeakRss / 2 ** 20,
        floorProviderPeakRssMB: f.providerPeakRss / 2 ** 20,
        failed: r.failed,
      };
      rows.push([
        n,
        op === "update" ? "Set-style update" : op,
        r.ms / 1000,
        f.ms / 1000,
        ratio,
        r.stats.total / n,
        r.providerPeakRss / 2 ** 20,
        r.failed,
      ]);
    }
    rows.push([n, "cmdlet Set loop (sequential)", cmdletMs / 1000, "-", "-", "4 (2 ARM)", "-", 0]);
    rows.push([
      n,
      `state: ${(stateBytes / n).toFixed(0)} B/enrollment (export), ${(compactStateBytes / n).toFixed(0)} B compact`,
      "-",
      "-",
      "-",
      "-",
      "-",
      "-",
    ]);
    results.push(result);
  }
  out.time = results;
  return table(
    `pulumi wall time vs the no-op engine floor (parallel ${parallelLabel(o.parallel)})`,
    ["N", "operation", "s", "no-op s", "ratio", "calls/enr", "provider peak RSS MB", "failed"],
    rows,
  );
}

/** Section 3: under the emulator's rate limit, time next to the quota floor. */
async function quotaSection(
  emu: EmulatorHandle,
  o: BenchOptions,
  rate: number,
  out: Record<string, unknown[]>,
): Promise<string> {
  const n = o.quotaN;
  const burst = Math.max(1, Math.ceil((rate / 60) * BURST_SECONDS));
  const floorMs = (n / rate) * 60_000;
  const burstFloorMs = (Math.max(0, n - burst) / rate) * 60_000;
  const connection = emulatorConnection(emu);
  const rows: (string | number)[][] = [];
  const record: Record<string, unknown> = {
    n,
    opsPerMinute: rate,
    burst,
    floorMs,
    burstFloorMs,
    parallel: o.parallel ?? "default",
  };
  const s = await EngineStack.create({
    projectName: "bench-quota",
    program: enrollments(connection, "q", n, "v1"),
  });
  const client = createServiceClient(connection);
  try {
    for (const [label, version] of [
      ["create", "v1"],
      ["Set-style update", "v2"],
    ] as const) {
      s.setProgram(enrollments(connection, "q", n, version));
      emu.setFaults({ opsPerMinute: rate }); // a full bucket for each run
      log(`quota: ${label} of ${n} at ${rate}/min`);
      const t = await timed(s, "up", o.parallel, emu);
      emu.setFaults({ opsPerMinute: 0 });
      let wrong = 0;
      for (let i = 0; i < n; i++) {
        try {
          const e = (await client.getIndividualEnrollment(`q-${i}`)).responseBody as unknown as {
            initialTwin?: { tags?: { env?: string } };
          };
          if (e.initialTwin?.tags?.env !== version) wrong += 1;
        } catch {
          wrong += 1;
        }
      }
      const failed = Math.max(t.failed, wrong);
      record[label] = {
        ms: t.ms,
        ratio: t.ms / floorMs,
        burstRatio: t.ms / burstFloorMs,
        throttled: t.stats.responses["429"],
        serviceSpanMs: t.serviceSpanMs,
        spanRatio: t.serviceSpanMs / burstFloorMs,
        calls: t.stats.total,
        failed,
      };
      rows.push([
        label,
        t.ms / 1000,
        floorMs / 1000,
        t.ms / floorMs,
        burstFloorMs / 1000,
        t.ms / burstFloorMs,
        t.stats.total,
        t.stats.responses["429"],
        failed,
      ]);
    }
    emu.setFaults({ opsPerMinute: 0 });
    await timed(s, "destroy", o.parallel);
  } finally {
    emu.setFaults({ opsPerMinute: 0 });
    await s.dispose();
  }
  out.quota.push(record);
  return table(
    `Under the rate limit: N = ${n}, ${rate} ops/min, bucket of ${burst} (parallel ${parallelLabel(o.parallel)})`,
    [
      "operation",
      "s",
      "floor N/rate s",
      "ratio",
      "floor (N-burst)/rate s",
      "ratio",
      "calls",
      "429s",
      "failed",
    ],
    rows,
  );
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  // The in-process emulator serves the first three sections; the others start their own process, and
  // leave this one (where inline programs run, and whose memory they measure) without it.
  const emu = ["calls", "time", "quota"].some((s) => o.sections.has(s)) ? await startEmulator() : undefined;
  const out: Record<string, unknown> = {
    when: new Date().toISOString(),
    machine: { cpus: os.cpus().length, memoryGB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    options: {
      ...o,
      ops: [...o.ops],
      sections: [...o.sections],
      curve: { ...o.curve, configs: [...o.curve.configs] },
      fleet: { ...o.fleet, phases: [...o.fleet.phases] },
    },
  };
  const tables: string[] = [];
  try {
    if (emu && o.sections.has("calls")) tables.push(await callsSection(emu, o, out));
    if (emu && o.sections.has("time")) tables.push(await timeSection(emu, o, out));
    if (emu && o.sections.has("quota")) {
      const quota: Record<string, unknown[]> = { quota: [] };
      for (const rate of o.opsPerMinute) tables.push(await quotaSection(emu, o, rate, quota));
      out.quota = quota.quota;
    }
    if (o.sections.has("curve")) tables.push(await curveSection(o.curve, out));
    if (o.sections.has("plugin-startup")) tables.push(await pluginStartupSection(o.startup, out));
    if (o.sections.has("fleet")) tables.push(await fleetSection(o.fleet, out));
  } finally {
    await emu?.stop();
  }
  console.log(tables.join("\n"));
  fs.mkdirSync(path.dirname(o.json), { recursive: true });
  fs.writeFileSync(o.json, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nJSON: ${path.relative(process.cwd(), o.json)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
