/**
 * The fleet-scale curve: `pulumi up` creating N enrollments and then changing all of them Set-style,
 * for N up to 10,000, with and without `PULUMI_SKIP_CHECKPOINTS`, next to the no-op floor (the same
 * engine, a dynamic resource that does nothing) and the quota floor (N / 1,000 ops per minute, with
 * the emulator limited to that rate). A run the measured curve projects past the time limit is not
 * run but projected, and marked so in the JSON, the table and the chart.
 *
 * @packageDocumentation
 */
import * as fs from "fs";
import * as os from "os";
import { EngineStack } from "../test/support/engine";
import { startAzuriteBackend, type AzuriteBackend } from "./azurite";
import { emulatorConnection, emulatorStackConfig } from "../test/support/service";
import { curveSvg, type CurveLine, type CurvePoint } from "./chart";
import {
  BENCH_ATTESTATIONS,
  cliDefaultParallel,
  enrollments,
  log,
  noops,
  parallelLabel,
  ProgramMemorySampler,
  ServiceSpan,
  table,
  timed,
  type BenchAttestation,
  type Parallel,
} from "./common";
import { RemoteEmulator } from "./remoteEmulator";

/** One configuration: a line pair (create, Set-style change) of the chart. */
export interface CurveConfig {
  /** Short id (`--curve-configs`). */
  id: string;
  /** Legend text. */
  label: string;
  /** Enrollments, or no-op resources (the engine floor). */
  noop: boolean;
  /** `PULUMI_SKIP_CHECKPOINTS=true`. */
  skipCheckpoints: boolean;
  /** The emulator's rate limit, operations per minute (none when undefined). */
  opsPerMinute?: number;
}

/** The DPS quota the quota configuration runs at. */
export const QUOTA_OPS_PER_MINUTE = 1000;

/** Every configuration, in the order they run (the fast ones first). */
export const CURVE_CONFIGS: readonly CurveConfig[] = [
  { id: "skip", label: "enrollments, skip checkpoints", noop: false, skipCheckpoints: true },
  {
    id: "quota-skip",
    label: `enrollments at ${QUOTA_OPS_PER_MINUTE}/min, skip checkpoints`,
    noop: false,
    skipCheckpoints: true,
    opsPerMinute: QUOTA_OPS_PER_MINUTE,
  },
  { id: "noop-skip", label: "no-op floor, skip checkpoints", noop: true, skipCheckpoints: true },
  { id: "checkpoints", label: "enrollments", noop: false, skipCheckpoints: false },
  {
    id: "quota",
    label: `enrollments at ${QUOTA_OPS_PER_MINUTE}/min`,
    noop: false,
    skipCheckpoints: false,
    opsPerMinute: QUOTA_OPS_PER_MINUTE,
  },
  { id: "noop", label: "no-op floor", noop: true, skipCheckpoints: false },
];

/** One figure of the curve. */
export interface CurveResult extends CurvePoint {
  /** {@link CurveConfig.id}. */
  config: string;
  /** `create` or `update` (Set-style change of every enrollment). */
  op: "create" | "update";
  /** Failed resources (measured runs). */
  failed?: number;
  /** Peak RSS of the provider plugin, MB (measured runs). */
  providerPeakRssMB?: number;
  /** Peak RSS of the process that runs the program (the bench itself, inline program), MB. */
  programPeakRssMB?: number;
  /** The enrollments' attestation (measured enrollment runs). */
  attestation?: BenchAttestation;
  /** Service calls (measured runs). */
  calls?: number;
  /** The calls by operation, and how many of them were answered 429 (measured enrollment runs). */
  callKinds?: Record<string, number>;
  /** 1-minute load average before and after the run (the machine is shared). */
  load?: [number, number];
  /** Seconds from the first to the last service request (measured enrollment runs). */
  serviceSeconds?: number;
  /** Where the enrollments' connection was given (measured enrollment runs). */
  connection?: "stack" | "resource";
  /** {@link CurveOptions.yieldEvery} of the run (measured enrollment runs). */
  yieldEvery?: number;
  /** The state backend (measured runs; runs from before it was recorded used `file`). */
  backend?: CurveBackend;
  /** Bulk `updateIfMatchETag` refused as recorded for `update` (see {@link CurveOptions}). */
  bulkUpdateRefused?: boolean;
  /**
   * `--parallel` of the run: a number, or `default` (none given) with the CLI's default here in
   * `cliDefault` (measured runs; runs from before it was recorded give it in their command).
   */
  parallel?: number | "default";
  /** What the CLI's default `--parallel` was on the machine (runs at `default`). */
  cliDefault?: number;
  /** Bytes Azurite held on disk after the run, old checkpoints not yet collected included (`azblob`). */
  backendStoreBytes?: number;
}

/**
 * The state backend of the curve's stacks: `file` (a directory per stack) or `azblob` (Azure Blob
 * Storage, here Azurite, one container for every stack; each checkpoint uploads the whole state).
 */
export type CurveBackend = "file" | "azblob";

/**
 * The time of N from measured points: checkpoints cost about N² (the whole state is rewritten after
 * every step), so `a·N + b·N²` through the last two points; without them, linear. One point scales.
 */
export function project(points: { n: number; seconds: number }[], n: number, quadratic: boolean): number {
  const sorted = [...points].sort((a, b) => a.n - b.n);
  const last = sorted[sorted.length - 1];
  if (sorted.length === 1) return last.seconds * (quadratic ? (n / last.n) ** 2 : n / last.n);
  const prev = sorted[sorted.length - 2];
  if (!quadratic) {
    const slope = Math.max((last.seconds - prev.seconds) / (last.n - prev.n), 0);
    return last.seconds + slope * (n - last.n);
  }
  // t = a·n + b·n², solved through both points; b ≥ 0.
  const [n1, t1, n2, t2] = [prev.n, prev.seconds, last.n, last.seconds];
  let b = (t2 / n2 - t1 / n1) / (n2 - n1);
  b = Math.max(b, 0);
  const a = t2 / n2 - b * n2;
  return a * n + b * n * n;
}

/** Options of the curve section. */
export interface CurveOptions {
  /** Fleet sizes. */
  ns: number[];
  /** Configuration ids to run. */
  configs: Set<string>;
  /** A run projected longer than this many seconds is projected, not run. */
  limitSeconds: number;
  /** `--parallel`; undefined: none given, the CLI's default. */
  parallel: Parallel;
  /** Where to write the SVG. */
  chart: string;
  /**
   * `stack`: the connection once in stack config, as docs/fleet-scale.md recommends for fleets;
   * `resource`: given to every enrollment.
   */
  connection: "stack" | "resource";
  /** The enrollment program yields to the event loop after every so many declarations (0: never). */
  yieldEvery: number;
  /** The enrollments' attestation (see {@link BenchAttestation}). */
  attestation: BenchAttestation;
  /** The state backend. */
  backend: CurveBackend;
  /**
   * The emulator refuses bulk `updateIfMatchETag` of existing records as the real DPS refuses bulk
   * `update` (issue 27): what the provider's fallback to single PUTs costs.
   */
  bulkUpdateRefused?: boolean;
}

/** Most records a bulk call carries: the quota floor of coalesced writes is ceil(N / 10) calls. */
const BULK_ITEMS = 10;

/** Seconds the quota allows for N enrollments written in bulk calls of 10. */
export function bulkFloorSeconds(n: number): number {
  return (Math.ceil(n / BULK_ITEMS) / QUOTA_OPS_PER_MINUTE) * 60;
}

/**
 * The issue-22 target of a run at the quota: 1.3 × max(the no-op floor of the same N, operation and
 * checkpoint setting, measured in the same run; the bulk quota floor). Undefined without the floor.
 */
export function bulkTarget(results: CurveResult[], r: CurveResult): number | undefined {
  const config = CURVE_CONFIGS.find((c) => c.id === r.config);
  if (!config?.opsPerMinute) return undefined;
  const floor = results.find(
    (f) =>
      f.n === r.n &&
      f.op === r.op &&
      !f.projected &&
      CURVE_CONFIGS.find((c) => c.id === f.config)?.noop &&
      CURVE_CONFIGS.find((c) => c.id === f.config)?.skipCheckpoints === config.skipCheckpoints,
  );
  return floor ? 1.3 * Math.max(floor.seconds, bulkFloorSeconds(r.n)) : undefined;
}

/** Runs the curve; returns the table and fills `out.curve`. */
export async function curveSection(o: CurveOptions, out: Record<string, unknown>): Promise<string> {
  const results: CurveResult[] = [];
  const emu = await RemoteEmulator.start();
  const azurite = o.backend === "azblob" ? await startAzuriteBackend() : undefined;
  try {
    if (azurite) log(`curve: state in Azurite, ${azurite.url}`);
    for (const config of CURVE_CONFIGS.filter((c) => o.configs.has(c.id)))
      for (const n of [...o.ns].sort((a, b) => a - b)) await curveRun(emu, azurite, o, config, n, results);
  } finally {
    await azurite?.stop();
    await emu.stop();
  }
  out.curve = results;
  const backend = o.backend === "azblob" ? "azblob backend (Azurite)" : "file backend";
  fs.writeFileSync(
    o.chart,
    curveSvg(
      `pulumi up: seconds against N (parallel ${parallelLabel(o.parallel)}, ${backend})`,
      chartLines(results, o.ns),
    ),
  );
  log(`curve: chart ${o.chart}`);
  return table(
    `Fleet curve: pulumi up (parallel ${parallelLabel(o.parallel)}, ${backend}); projected rows are not measured`,
    [
      "config",
      "op",
      "N",
      "s",
      "service s",
      "projected",
      "calls/enr",
      "target s (1.3x)",
      "provider peak RSS MB",
      "program peak RSS MB",
      "failed",
      "load 1m",
      "backend",
    ],
    results.map((r) => [
      r.config,
      r.op === "update" ? "Set-style update" : r.op,
      r.n,
      r.seconds,
      r.serviceSeconds ?? "-",
      r.projected ? "projected" : "measured",
      r.calls === undefined ? "-" : r.calls / r.n,
      bulkTarget(results, r) ?? "-",
      r.providerPeakRssMB ?? "-",
      r.programPeakRssMB ?? "-",
      r.failed ?? "-",
      r.load ? r.load.map((l) => l.toFixed(1)).join("→") : "-",
      r.backend ?? "-",
    ]),
  );
}

/** One configuration at one N: create, then a Set-style change; or their projection past the limit. */
async function curveRun(
  emu: RemoteEmulator,
  azurite: AzuriteBackend | undefined,
  o: CurveOptions,
  config: CurveConfig,
  n: number,
  results: CurveResult[],
): Promise<void> {
  const measured = (op: string) =>
    results.filter((r) => r.config === config.id && r.op === op && !r.projected);
  const guess = (op: "create" | "update") => {
    const points = measured(op);
    return points.length ? project(points, n, !config.skipCheckpoints) : 0;
  };
  if (guess("create") > o.limitSeconds || guess("update") > o.limitSeconds) {
    for (const op of ["create", "update"] as const) {
      const points = measured(op);
      if (points.length) results.push({ config: config.id, op, n, seconds: guess(op), projected: true });
    }
    return;
  }
  const prefix = `c-${config.id}-${o.attestation}-${n}`;
  const fromStack = o.connection === "stack";
  const program = (v: string) =>
    config.noop
      ? noops(n, v)
      : enrollments(
          fromStack ? undefined : emulatorConnection(emu),
          prefix,
          n,
          v,
          o.yieldEvery,
          o.attestation,
        );
  const s = await EngineStack.create({
    projectName: `bench-curve-${config.id}-${o.attestation}-${n}`,
    program: program("v1"),
    config: fromStack && !config.noop ? emulatorStackConfig(emu) : undefined,
    env: {
      ...azurite?.env,
      ...(config.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}),
    },
    backendUrl: azurite?.url,
  });
  try {
    for (const [op, version] of [
      ["create", "v1"],
      ["update", "v2"],
    ] as const) {
      s.setProgram(program(version));
      await emu.setFaults({
        opsPerMinute: config.opsPerMinute ?? 0, // a full bucket for each run
        updateIfMatchETagRefusesExisting: o.bulkUpdateRefused === true,
      });
      await emu.resetStats();
      log(`curve: ${config.label}, ${op} of ${n}`);
      const before = os.loadavg()[0];
      const span = config.noop ? undefined : new ServiceSpan(() => emu.stats().then((st) => st.total), 250);
      const programMemory = new ProgramMemorySampler();
      const t = await timed(s, "up", o.parallel);
      const programPeak = programMemory.stop();
      const serviceSeconds = span ? (await span.stop()) / 1000 : undefined;
      const stats = config.noop ? undefined : await emu.stats();
      results.push({
        config: config.id,
        op,
        n,
        seconds: t.ms / 1000,
        projected: false,
        failed: t.failed,
        providerPeakRssMB: t.providerPeakRss / 2 ** 20,
        programPeakRssMB: programPeak / 2 ** 20,
        attestation: config.noop ? undefined : o.attestation,
        calls: stats?.total,
        callKinds: stats && { ...stats.operations, throttled: stats.responses["429"] },
        load: [before, os.loadavg()[0]],
        serviceSeconds,
        connection: config.noop ? undefined : o.connection,
        yieldEvery: config.noop ? undefined : o.yieldEvery,
        backend: o.backend,
        parallel: o.parallel ?? "default",
        cliDefault: o.parallel === undefined ? cliDefaultParallel() : undefined,
        backendStoreBytes: azurite?.storeBytes(),
        bulkUpdateRefused: config.noop || !o.bulkUpdateRefused ? undefined : true,
      });
      // Old checkpoints stay in Azurite's store until its garbage collection (every 10 minutes).
      if (azurite) log(`curve: Azurite store ${(azurite.storeBytes() / 2 ** 20).toFixed(0)} MB`);
    }
  } finally {
    await emu.setFaults({ opsPerMinute: 0 });
    // The enrollments stay in the emulator (unique ids per run): a destroy with checkpoints
    // would cost as much again.
    // A shared backend keeps the stack after the directory goes: remove it, so that the next run's
    // store size is its own.
    if (azurite) await s.cli(["stack", "rm", "--yes", "--force", "--stack", s.name]);
    await s.dispose();
  }
}

/** The attestation of a result: runs from before it was recorded were symmetric-key ones. */
function attestationOf(r: CurveResult): BenchAttestation | undefined {
  if (CURVE_CONFIGS.find((c) => c.id === r.config)?.noop) return undefined;
  return r.attestation ?? "symmetricKey";
}

/** What a chart label adds for an attestation (none for generated keys, as before the others came). */
const KIND_LABELS: Record<BenchAttestation, string> = {
  symmetricKey: "",
  symmetricKeyGiven: "keys given",
  tpm: "TPM",
  x509: "X.509",
};

/** The chart's lines: one per configuration, attestation and operation, and the quota floors. */
export function chartLines(results: CurveResult[], ns: number[]): CurveLine[] {
  const lines: CurveLine[] = [];
  for (const config of CURVE_CONFIGS) {
    for (const attestation of [undefined, ...BENCH_ATTESTATIONS]) {
      for (const op of ["create", "update"] as const) {
        const points = results.filter(
          (r) => r.config === config.id && r.op === op && attestationOf(r) === attestation,
        );
        const label = attestation && KIND_LABELS[attestation];
        const kind = label ? ` (${label})` : "";
        const what = op === "create" ? "create" : "Set-style change";
        if (points.length) lines.push({ label: `${config.label}${kind}: ${what}`, points });
      }
    }
  }
  lines.push({
    label: `quota floor: N / ${QUOTA_OPS_PER_MINUTE} per minute`,
    floor: true,
    points: ns.map((n) => ({ n, seconds: (n / QUOTA_OPS_PER_MINUTE) * 60, projected: false })),
  });
  lines.push({
    label: `bulk quota floor: ceil(N / ${BULK_ITEMS}) / ${QUOTA_OPS_PER_MINUTE} per minute`,
    floor: true,
    points: ns.map((n) => ({ n, seconds: bulkFloorSeconds(n), projected: false })),
  });
  return lines;
}
