/**
 * The cost of durable writes: PUT latency and throughput of the emulator in memory and with
 * `--state` (each acknowledged write fsynced), through the official client over HTTPS on loopback.
 *
 *   node dist/bench/durability.js [--n 300] [--concurrency 16] [--emulator PATH]
 *
 * `--emulator` loads another build's `emulator/index.js` (e.g. the main checkout's, to compare).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { EmulatorHandle, EmulatorOptions } from "../emulator";
import { createServiceClient } from "../provider/core/transport";

type Start = (options: EmulatorOptions) => Promise<EmulatorHandle>;

interface Row {
  mode: string;
  kind: string;
  n: number;
  p50: number;
  p95: number;
  perSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(
  start: Start,
  stateFile: string | undefined,
  n: number,
  concurrency: number,
): Promise<Row[]> {
  const emu = await start({ stateFile });
  const client = createServiceClient(emu);
  const mode = stateFile ? "--state" : "memory";
  const rows: Row[] = [];
  try {
    for (const [kind, width] of [
      ["sequential", 1],
      [`${concurrency} in flight`, concurrency],
    ] as const) {
      // Open the connections first: TLS handshakes are not what is measured.
      await Promise.all(
        Array.from({ length: width }, () => client.getIndividualEnrollment("warm-up").catch(() => undefined)),
      );
      const times: number[] = [];
      let next = 0;
      const t0 = performance.now();
      const worker = async (): Promise<void> => {
        while (next < n) {
          const id = `${kind.replace(/\W/g, "")}-${next++}`;
          const t = performance.now();
          await client.createOrUpdateIndividualEnrollment({
            registrationId: id,
            attestation: { type: "symmetricKey" },
          } as never);
          times.push(performance.now() - t);
        }
      };
      await Promise.all(Array.from({ length: width }, worker));
      const seconds = (performance.now() - t0) / 1000;
      times.sort((a, b) => a - b);
      rows.push({
        mode,
        kind,
        n,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        perSecond: n / seconds,
      });
    }
  } finally {
    await emu.stop();
  }
  return rows;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      n: { type: "string", default: "300" },
      concurrency: { type: "string", default: "16" },
      emulator: { type: "string" },
    },
  });
  const modulePath = values.emulator ? resolve(values.emulator) : "../emulator";
  const { startEmulator } = (await import(modulePath)) as { startEmulator: Start };
  const n = Number(values.n);
  const concurrency = Number(values.concurrency);
  const dir = mkdtempSync(join(tmpdir(), "dps-bench-durability-"));
  try {
    const rows = [
      ...(await measure(startEmulator, undefined, n, concurrency)),
      ...(await measure(startEmulator, join(dir, "state.json"), n, concurrency)),
    ];
    console.log("| mode    | PUTs                | n   | p50 ms | p95 ms | PUTs/s |");
    console.log("| ------- | ------------------- | --- | ------ | ------ | ------ |");
    for (const r of rows) {
      console.log(
        `| ${r.mode.padEnd(7)} | ${r.kind.padEnd(19)} | ${r.n} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.perSecond.toFixed(0)} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
