/**
 * The fleet-scale chart: seconds against N, one line per configuration and operation, measured
 * points filled and projected ones hollow on dashed segments, the quota floor drawn in. Pure: data
 * in, SVG text out.
 *
 * @packageDocumentation
 */

/** One point of a line. */
export interface CurvePoint {
  /** Enrollments (or no-op resources). */
  n: number;
  /** Wall time, seconds. */
  seconds: number;
  /** Projected from the measured points rather than measured. */
  projected: boolean;
}

/** One line of the chart. */
export interface CurveLine {
  /** Legend text. */
  label: string;
  /** Points, any order. */
  points: CurvePoint[];
  /** Drawn dashed throughout (the floors). */
  floor?: boolean;
}

const W = 760;
/** Where the plot ends; the axis labels and the legend (two entries a row) come below. */
const PLOT_BOTTOM = 310;
const M = { left: 64, right: 16, top: 36 };
// Distinct colours for up to 16 lines (the floors are grey).
const COLORS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#aec7e8",
  "#ff9896",
  "#98df8a",
  "#c5b0d5",
  "#ffbb78",
  "#c49c94",
  "#f7b6d2",
];

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The SVG of `lines` (log-scaled seconds against N), titled `title`. */
export function curveSvg(title: string, lines: CurveLine[]): string {
  const all = lines.flatMap((l) => l.points);
  const legendEnd = PLOT_BOTTOM + 48 + Math.ceil(lines.length / 2) * 15;
  const H = legendEnd + 16;
  const maxN = Math.max(...all.map((p) => p.n), 1);
  const lo = Math.floor(Math.log10(Math.max(Math.min(...all.map((p) => p.seconds)), 0.1)));
  const hi = Math.ceil(Math.log10(Math.max(...all.map((p) => p.seconds), 1)));
  const x = (n: number) => M.left + (n / maxN) * (W - M.left - M.right);
  const y = (s: number) =>
    M.top + (1 - (Math.log10(Math.max(s, 10 ** lo)) - lo) / Math.max(hi - lo, 1)) * (PLOT_BOTTOM - M.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="13">${escape(title)}</text>`,
  ];
  for (let e = lo; e <= hi; e++) {
    const yy = y(10 ** e).toFixed(1);
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${yy}" text-anchor="end" dy="4">${10 ** e} s</text>`);
  }
  const ns = [...new Set(all.map((p) => p.n))].sort((a, b) => a - b);
  for (const n of ns) {
    const xx = x(n).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${PLOT_BOTTOM}" stroke="#eee"/>`);
    out.push(`<text x="${xx}" y="${PLOT_BOTTOM + 14}" text-anchor="middle">${n.toLocaleString("en")}</text>`);
  }
  out.push(
    `<text x="${(M.left + W - M.right) / 2}" y="${PLOT_BOTTOM + 30}" text-anchor="middle">N (enrollments)</text>`,
  );
  lines.forEach((line, i) => {
    const color = line.floor ? "#555" : COLORS[i % COLORS.length];
    const points = [...line.points].sort((a, b) => a.n - b.n);
    for (let j = 1; j < points.length; j++) {
      const [a, b] = [points[j - 1], points[j]];
      const dash = line.floor || b.projected ? ` stroke-dasharray="${line.floor ? "2 3" : "6 4"}"` : "";
      out.push(
        `<line x1="${x(a.n).toFixed(1)}" y1="${y(a.seconds).toFixed(1)}" x2="${x(b.n).toFixed(1)}" y2="${y(b.seconds).toFixed(1)}" stroke="${color}" stroke-width="2"${dash}/>`,
      );
    }
    if (!line.floor) {
      for (const p of points) {
        const fill = p.projected ? "white" : color;
        out.push(
          `<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.seconds).toFixed(1)}" r="3.5" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`,
        );
      }
    }
    const ly = PLOT_BOTTOM + 48 + Math.floor(i / 2) * 15;
    const lx = i % 2 === 0 ? M.left : W / 2 + 8;
    const dash = line.floor ? ` stroke-dasharray="2 3"` : "";
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly}">${escape(line.label)}</text>`);
  });
  const noteY = legendEnd + 4;
  out.push(
    `<text x="${M.left}" y="${noteY}" fill="#555">Filled: measured. Hollow on a dashed segment: projected from the measured points.</text>`,
  );
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
