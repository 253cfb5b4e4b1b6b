/**
 * The `fleet` section: one `EnrollmentFleet` of N TPM enrollments through the real engine, with the
 * CLI's defaults (checkpoints on, `--parallel` not given unless `--parallel`), the DPS emulator in a
 * process of its own at 1,000 operations a minute, and the state in a file backend or in
 * `azblob://` on Azurite. Per phase (create, a Set-style change of every item through `defaults`,
 * refresh, destroy) it measures the wall time, the DPS calls (the emulator's counters), the peak RSS
 * of the program's process (each `up` runs the program in a Node process of its own, as `pulumi up`
 * does: `fleetProgram.ts`) and of the provider plugin's (each separately), the state's size per item and the bytes the CLI wrote to the backend; then it
 * reads the DPS back (not counted) to find items that did not land. Issue 30's targets sit beside
 * each figure.
 *
 * ```
 * node dist/bench/run.js --only fleet --fleet-n 10000 --fleet-backend file|azblob --fleet-face dynamic|plugin|noop
 * ```
 *
 * `--fleet-face noop` is the engine floor of the same shape: one no-op dynamic resource whose input
 * is the fleet's whole manifest as one string (no DPS call).
 *
 * @packageDocumentation
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BlobServiceClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { createServiceClient } from "../provider/core/transport";
import { EngineStack } from "../test/support/engine";
import { PLUGIN_DIR } from "../test/support/pluginResource";
import { emulatorConnection, emulatorStackConfig } from "../test/support/service";
import { AZURITE_ACCOUNT, AZURITE_KEY, azblobUrl, startAzuriteBackend, type AzuriteBackend } from "./azurite";
import {
  startCountingProxy,
  traceFileBackendWrites,
  type BackendWriteCounter,
  type WriteCount,
} from "./backendWrites";
import { cliDefaultParallel, log, parallelLabel, table, timed, type Op, type Parallel } from "./common";
import type { CurveBackend } from "./curve";
import { runFleetProgram, type FleetFace } from "./fleetProgram";
import { DPS_PLUGIN, DYNAMIC_PROVIDER, ProviderMemorySampler } from "./memory";
import { RemoteEmulator } from "./remoteEmulator";

/** The phases, in the order they run. */
export const FLEET_PHASES = ["create", "update", "refresh", "destroy"] as const;

/** One phase: `update` is a Set-style change of every item (the `defaults` tags). */
export type FleetPhase = (typeof FLEET_PHASES)[number];

/** Options of the fleet section. */
export interface FleetBenchOptions {
  /** Items in the fleet. */
  n: number;
  /** Where the stack keeps its state. */
  backend: CurveBackend;
  /** Which face declares it. */
  face: FleetFace;
  /** The emulator's rate limit, operations per minute (a full bucket at each phase). */
  opsPerMinute: number;
  /** `--parallel`; undefined: none given, the CLI's default. */
  parallel: Parallel;
  /** Phases to run (create always runs). */
  phases: Set<string>;
  /** `PULUMI_SKIP_CHECKPOINTS=true` (off by default: the CLI's default is checkpoints on). */
  skipCheckpoints: boolean;
}

/** Most items a bulk call writes. */
const BULK_ITEMS = 10;

/** Issue 30's targets for a fleet of `n` at `opsPerMinute`. */
export function fleetTargets(
  n: number,
  opsPerMinute: number,
): { writeSeconds: number; refreshCalls: number; peakRssMB: number; stateBytesPerItem: number } {
  return {
    // 1.3 × ceil(N / 10) / rate: the bulk quota floor of a create or of a Set of every item.
    writeSeconds: (1.3 * Math.ceil(n / BULK_ITEMS) * 60) / opsPerMinute,
    refreshCalls: n / 100 + 10,
    peakRssMB: 300,
    stateBytesPerItem: 700,
  };
}

/** One measured phase. */
export interface FleetPhaseResult {
  /** The phase. */
  phase: FleetPhase;
  /** Wall time of the engine operation, seconds. */
  seconds: number;
  /** DPS calls the emulator counted during the phase. */
  calls: number;
  /** The calls by operation, and how many were answered 429. */
  callKinds: Record<string, number>;
  /** Peak RSS of the program's process (create and update; refresh and destroy run no program), MB. */
  programPeakRssMB?: number;
  /** Peak RSS of the provider plugin's process, MB. */
  pluginPeakRssMB: number;
  /** Size of the stack's state after the phase, bytes (the file backend's file, or the blob). */
  stateBytes: number;
  /** {@link stateBytes} / N. */
  stateBytesPerItem: number;
  /** What the CLI wrote to the backend during the phase (undefined: not measured). */
  backendWritten?: WriteCount;
  /** Resources the engine reported failed. */
  engineFailed: number;
  /** Items the DPS does not hold as the phase should leave them (read back afterwards). */
  itemsWrong: number;
  /** 1-minute load average before and after. */
  load: [number, number];
}

/** Where a stack's state lives, and how to read its size. */
interface Backend {
  /** The backend URL for the stack (undefined: the stack's own file backend). */
  url?: string;
  /** Environment for the CLI. */
  env: Record<string, string>;
  /** Counts what the CLI writes (started once the stack exists); undefined when it cannot. */
  counter(stack: EngineStack): BackendWriteCounter | undefined;
  /** The size of the stack's state now, bytes. */
  stateBytes(stack: EngineStack, project: string): Promise<number>;
  /** Stops what it started. */
  stop(): Promise<void>;
}

/** The file backend: the stack's own folder, the CLI's writes to it traced when `strace` is here. */
function fileBackend(): Backend {
  const tracer = traceFileBackendWrites();
  if (!tracer) log("fleet: no strace on this machine: bytes written to the file backend not measured");
  return {
    env: {},
    counter: (stack) => {
      // findPulumi keeps the first CLI it found: when that was not the traced one, nothing is counted.
      if (tracer && stack.pulumi.binDir === tracer.binDir)
        return tracer.counter(path.join(stack.dir, "state"));
      if (tracer)
        log("fleet: the engine runs an untraced CLI: bytes written to the file backend not measured");
      return undefined;
    },
    stateBytes: (stack, project) =>
      Promise.resolve(
        fs.statSync(path.join(stack.dir, "state", ".pulumi", "stacks", project, `${stack.name}.json`)).size,
      ),
    stop: async () => {
      await tracer?.close();
    },
  };
}

/** `azblob://` on Azurite, the CLI's uploads counted by a proxy in front of it. */
async function azblobBackend(): Promise<Backend> {
  const azurite: AzuriteBackend = await startAzuriteBackend();
  const proxy = await startCountingProxy(`http://${azurite.hostPort}`).catch(async (err: unknown) => {
    await azurite.stop();
    throw err;
  });
  const blobs = new BlobServiceClient(
    azurite.endpoint,
    new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
  ).getContainerClient(azurite.container);
  log(`fleet: state in Azurite, ${azurite.url}, uploads through ${proxy.hostPort}`);
  return {
    url: azblobUrl(azurite.container, proxy.hostPort),
    env: azurite.env,
    counter: () => proxy,
    stateBytes: async (stack, project) =>
      (await blobs.getBlobClient(`.pulumi/stacks/${project}/${stack.name}.json`).getProperties())
        .contentLength ?? 0,
    stop: async () => {
      await proxy.close();
      await azurite.stop();
    },
  };
}

/** Every item of the DPS whose id starts with `prefix`, with its tags (all query pages; not counted). */
async function listItems(
  emu: RemoteEmulator,
  prefix: string,
): Promise<{ registrationId: string; initialTwin?: { tags?: Record<string, string> } }[]> {
  const client = createServiceClient(emulatorConnection(emu));
  const all: { registrationId: string; initialTwin?: { tags?: Record<string, string> } }[] = [];
  let token: string | undefined;
  do {
    const query = client.createIndividualEnrollmentQuery({ query: "*" }, 100);
    const page = token === undefined ? await query.next() : await query.next(token);
    all.push(...(page.responseBody as unknown as typeof all));
    token = query.hasMoreResults ? query.continuationToken : undefined;
  } while (token !== undefined);
  return all.filter((e) => e.registrationId.startsWith(prefix));
}

/** Items that are not as `phase` of the fleet should leave them: missing, extra or with other tags. */
async function itemsWrong(
  emu: RemoteEmulator,
  prefix: string,
  n: number,
  phase: FleetPhase,
  version: string,
): Promise<number> {
  const items = await listItems(emu, prefix);
  if (phase === "destroy") return items.length;
  const right = items.filter((e) => e.initialTwin?.tags?.env === version).length;
  return n - right + (items.length - right);
}

/** Runs the fleet section; returns the table and fills `out.fleet`. */
export async function fleetSection(o: FleetBenchOptions, out: Record<string, unknown>): Promise<string> {
  const emu = await RemoteEmulator.start();
  const backend = o.backend === "azblob" ? await azblobBackend() : fileBackend();
  const prefix = `fleet-${o.face}`;
  const project = `bench-fleet-${o.face}-${o.n}`;
  const results: FleetPhaseResult[] = [];
  let counter: BackendWriteCounter | undefined;
  let s: EngineStack | undefined;
  try {
    s = await EngineStack.create({
      projectName: project,
      // Each `up` runs the program in a process of its own (fleetProgram.ts); refresh and destroy run none.
      program: () => Promise.reject(new Error("the fleet bench runs its program in a process of its own")),
      config: o.face === "noop" ? undefined : emulatorStackConfig(emu),
      env: { ...backend.env, ...(o.skipCheckpoints ? { PULUMI_SKIP_CHECKPOINTS: "true" } : {}) },
      backendUrl: backend.url,
      binDirs: o.face === "plugin" ? [PLUGIN_DIR] : undefined,
    });
    counter = backend.counter(s);
    let version = "v1";
    for (const phase of FLEET_PHASES) {
      if (!o.phases.has(phase) && phase !== "create") continue;
      if (phase === "update") version = "v2";
      const op: Op | undefined = phase === "refresh" || phase === "destroy" ? phase : undefined;
      await emu.setFaults({ opsPerMinute: o.opsPerMinute }); // a full bucket for each phase
      await emu.resetStats();
      counter?.reset();
      log(`fleet: ${phase} of ${o.n} (${o.face} face, ${o.backend} backend)`);
      const before = os.loadavg()[0];
      const plugin = new ProviderMemorySampler(200, o.face === "plugin" ? DPS_PLUGIN : DYNAMIC_PROVIDER);
      const t = op
        ? await timed(s, op, o.parallel)
        : await runFleetProgram(s, { face: o.face, n: o.n, prefix, version, parallel: o.parallel });
      const pluginPeak = plugin.stop();
      const programPeak = "peakRss" in t ? t.peakRss : undefined;
      const load: [number, number] = [before, os.loadavg()[0]];
      await emu.setFaults({ opsPerMinute: 0 });
      const stats = await emu.stats();
      const written = counter?.count();
      const stateBytes = await backend.stateBytes(s, project);
      const wrong = o.face === "noop" ? 0 : await itemsWrong(emu, prefix, o.n, phase, version);
      results.push({
        phase,
        seconds: t.ms / 1000,
        calls: stats.total,
        callKinds: { ...stats.operations, throttled: stats.responses["429"] ?? 0 },
        programPeakRssMB: programPeak === undefined ? undefined : programPeak / 2 ** 20,
        pluginPeakRssMB: pluginPeak / 2 ** 20,
        stateBytes,
        stateBytesPerItem: stateBytes / o.n,
        backendWritten: written,
        engineFailed: t.failed,
        itemsWrong: wrong,
        load,
      });
    }
  } finally {
    await counter?.close();
    await s?.dispose();
    await backend.stop();
    await emu.stop();
  }
  const targets = fleetTargets(o.n, o.opsPerMinute);
  out.fleet = {
    n: o.n,
    face: o.face,
    backend: o.backend,
    opsPerMinute: o.opsPerMinute,
    parallel: o.parallel ?? "default",
    cliDefault: o.parallel === undefined ? cliDefaultParallel() : undefined,
    skipCheckpoints: o.skipCheckpoints,
    targets,
    phases: results,
  };
  return fleetTable(o, results);
}

/** A figure and whether it meets its target: `12.3 (≤ 78: met)`. */
function against(value: number, limit: number | undefined, digits = 1): string {
  const text = value.toFixed(digits);
  if (limit === undefined) return text;
  return `${text} (≤ ${limit.toFixed(digits === 0 ? 0 : 1)}: ${value <= limit ? "met" : "NOT met"})`;
}

/** The section's table, each figure beside its target. */
export function fleetTable(o: FleetBenchOptions, results: FleetPhaseResult[]): string {
  const targets = fleetTargets(o.n, o.opsPerMinute);
  const checkpoints = o.skipCheckpoints ? "checkpoints skipped" : "checkpoints on";
  return table(
    `EnrollmentFleet of ${o.n} TPM items (${o.face} face, ${o.backend} backend, ${checkpoints}, ` +
      `${o.opsPerMinute} ops/min, parallel ${parallelLabel(o.parallel)})`,
    [
      "phase",
      "s",
      "calls",
      "calls by kind",
      "program peak RSS MB",
      "plugin peak RSS MB",
      "state B/item",
      "backend MB written (objects)",
      "failed",
      "load 1m",
    ],
    results.map((r) => {
      const writes = r.phase === "create" || r.phase === "update";
      return [
        r.phase === "update" ? "Set-style change" : r.phase,
        against(r.seconds, writes && o.face !== "noop" ? targets.writeSeconds : undefined),
        against(r.calls, r.phase === "refresh" && o.face !== "noop" ? targets.refreshCalls : undefined, 0),
        Object.entries(r.callKinds)
          .filter(([, v]) => v)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ") || "-",
        r.programPeakRssMB === undefined ? "-" : against(r.programPeakRssMB, targets.peakRssMB, 0),
        against(r.pluginPeakRssMB, targets.peakRssMB, 0),
        r.phase === "destroy"
          ? "-"
          : against(r.stateBytesPerItem, o.face === "noop" ? undefined : targets.stateBytesPerItem, 0),
        r.backendWritten
          ? `${(r.backendWritten.bytes / 2 ** 20).toFixed(1)} (${r.backendWritten.writes})`
          : "not measured",
        `${r.engineFailed} engine, ${r.itemsWrong} items`,
        r.load.map((l) => l.toFixed(1)).join("→"),
      ];
    }),
  );
}
