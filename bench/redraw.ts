/**
 * Redraws the fleet chart from the `curve` results of several bench runs (`--json` files), so runs of
 * different sizes or days share one chart: `node dist/bench/redraw.js --chart bench/fleet-curve.svg
 * old.json new.json`. For each configuration, operation and N, a measured point of a later file
 * replaces an earlier one; the N no file measured are projected again from the merged measurements
 * (projections in the files are dropped: they came from fewer points).
 */
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { curveSvg } from "./chart";
import { chartLines, CURVE_CONFIGS, project, type CurveResult } from "./curve";

/**
 * The points of `runs` (oldest first) at every N any of them has, one per configuration and
 * operation: the latest measurement, else a projection from the measured points (as the bench projects).
 */
export function mergeCurves(runs: CurveResult[][]): CurveResult[] {
  const measured = new Map<string, CurveResult>();
  for (const point of runs.flat()) {
    if (!point.projected)
      measured.set(`${point.config}|${point.attestation ?? ""}|${point.op}|${point.n}`, point);
  }
  const ns = [...new Set(runs.flat().map((p) => p.n))];
  const merged: CurveResult[] = [...measured.values()];
  for (const config of CURVE_CONFIGS) {
    for (const op of ["create", "update"] as const) {
      const points = merged.filter((p) => p.config === config.id && p.op === op);
      if (points.length === 0) continue;
      for (const n of ns.filter((x) => !points.some((p) => p.n === x))) {
        merged.push({
          config: config.id,
          op,
          n,
          seconds: project(points, n, !config.skipCheckpoints),
          projected: true,
        });
      }
    }
  }
  return merged.sort((a, b) => a.n - b.n);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      chart: { type: "string", default: "bench/fleet-curve.svg" },
      parallel: { type: "string", default: "8" },
    },
  });
  if (positionals.length === 0) throw new Error("usage: redraw.js [--chart FILE] RUN.json [RUN.json ...]");
  const runs = positionals.map(
    (file) => (JSON.parse(fs.readFileSync(file, "utf8")) as { curve?: CurveResult[] }).curve ?? [],
  );
  const points = mergeCurves(runs);
  const ns = [...new Set(points.map((p) => p.n))].sort((a, b) => a - b);
  fs.writeFileSync(
    values.chart,
    curveSvg(`pulumi up: seconds against N (parallel ${values.parallel})`, chartLines(points, ns)),
  );
  console.log(
    `${values.chart}: ${points.length} points (${points.filter((p) => !p.projected).length} measured)`,
  );
}

if (require.main === module) main();
