// The bench's projection and chart (pure): what BENCHMARKS.md reports as projected comes from here.
import { strict as assert } from "assert";
import { curveSvg } from "../../bench/chart";
import { chartLines, project, type CurveResult } from "../../bench/curve";
import { mergeCurves } from "../../bench/redraw";

describe("bench: fleet curve projection and chart (pure)", () => {
  it("projects runs without checkpoints linearly and with them through a·N + b·N²", () => {
    assert.equal(project([{ n: 1000, seconds: 10 }], 5000, false), 50);
    assert.equal(project([{ n: 1000, seconds: 10 }], 2000, true), 40);
    const linear = [
      { n: 1000, seconds: 12 },
      { n: 2000, seconds: 22 },
    ];
    assert.equal(project(linear, 10_000, false), 102);
    // 0.1·N + 0.00001·N² through both points.
    const quadratic = [
      { n: 1000, seconds: 110 },
      { n: 2000, seconds: 240 },
    ];
    assert.ok(Math.abs(project(quadratic, 10_000, true) - 2000) < 1e-6);
  });

  it("draws measured points filled, projected ones hollow on dashed segments, and both quota floors", () => {
    const lines = chartLines(
      [
        { config: "skip", op: "create", n: 1000, seconds: 12, projected: false },
        { config: "skip", op: "create", n: 10_000, seconds: 102, projected: true },
      ],
      [1000, 10_000],
    );
    assert.deepEqual(
      lines.map((l) => l.label),
      [
        "enrollments, skip checkpoints: create",
        "quota floor: N / 1000 per minute",
        "bulk quota floor: ceil(N / 10) / 1000 per minute",
      ],
    );
    assert.deepEqual(
      lines[1].points.map((p) => p.seconds),
      [60, 600],
    );
    assert.deepEqual(
      lines[2].points.map((p) => p.seconds),
      [6, 60],
    );
    const svg = curveSvg("t", lines);
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<circle [^>]*fill="white"/g) ?? []).length, 1, "one projected point");
    assert.equal((svg.match(/stroke-dasharray="6 4"/g) ?? []).length, 1, "one projected segment");
    assert.match(svg, /quota floor/);
  });

  it("merges runs: the latest measurement wins; N nobody measured are projected from the merged points", () => {
    const old: CurveResult[] = [
      { config: "quota-skip", op: "create", n: 1000, seconds: 93, projected: false },
      { config: "quota-skip", op: "create", n: 10_000, seconds: 932, projected: true },
      { config: "noop", op: "create", n: 1000, seconds: 199, projected: false },
    ];
    const later: CurveResult[] = [
      { config: "quota-skip", op: "create", n: 10_000, seconds: 695, projected: false },
      { config: "noop", op: "create", n: 1000, seconds: 120, projected: false },
    ];
    const merged = mergeCurves([old, later]);
    const at = (config: string, n: number) => merged.find((p) => p.config === config && p.n === n);
    assert.equal(merged.length, 4);
    assert.deepEqual(at("quota-skip", 10_000), later[0]);
    assert.equal(at("quota-skip", 1000)?.seconds, 93);
    assert.equal(at("noop", 1000)?.seconds, 120);
    // The no-op floor with checkpoints, projected to 10,000 from its latest measurement (N²).
    assert.deepEqual(at("noop", 10_000), {
      config: "noop",
      op: "create",
      n: 10_000,
      seconds: 12_000,
      projected: true,
    });
  });
});
