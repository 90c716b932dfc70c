// Static charts as SVG for reports that are saved and read later (a crash's memory curve, a load test's
// latency and memory per stage): self-contained text, no script, readable in light and dark viewers
// (a white card). The live dashboard draws with uPlot in its webview; these are the printed pictures.
import { formatBytes } from '../format';

export interface SvgLine {
  readonly label: string;
  /** Epoch ms (time charts) or any ascending x (stage charts). */
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
  readonly color: string;
  readonly dashed?: boolean;
}

export interface SvgHLine {
  readonly label: string;
  readonly y: number;
  readonly color: string;
}

export interface SvgMarker {
  readonly x: number;
  readonly label: string;
  readonly color: string;
}

export interface SvgChartOptions {
  readonly title: string;
  readonly width?: number;
  readonly height?: number;
  readonly lines: readonly SvgLine[];
  readonly hLines?: readonly SvgHLine[];
  readonly markers?: readonly SvgMarker[];
  /** How y values read on the axis (default bytes). */
  readonly yFormat?: (v: number) => string;
  /** How x values read on the axis (default clock time). */
  readonly xFormat?: (v: number) => string;
  /** Start the y axis at zero (default true). */
  readonly yFromZero?: boolean;
}

export const CHART_COLORS = {
  rss: '#1f77b4', heap: '#2ca02c', heapLimit: '#d62728', cgroupLimit: '#9467bd', available: '#8c564b',
  crash: '#d62728', warning: '#ff7f0e', start: '#7f7f7f', latency: '#1f77b4', p99: '#ff7f0e',
} as const;

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const clock = (ms: number): string => {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
};

/** A "nice" step for about `n` ticks over `span`. */
function niceStep(span: number, n: number): number {
  const raw = span / Math.max(1, n);
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** A line chart as a standalone SVG document. Empty data gives a chart saying so. */
export function svgLineChart(o: SvgChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 280;
  const pad = { l: 70, r: 150, t: 30, b: 34 };
  const yFmt = o.yFormat ?? ((v: number) => formatBytes(v));
  const xFmt = o.xFormat ?? clock;
  const xs = o.lines.flatMap((l) => l.x);
  const ys = [...o.lines.flatMap((l) => l.y.filter((v): v is number => v !== null)), ...(o.hLines ?? []).map((h) => h.y)];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff" stroke="#d0d0d0"/>`,
    `<text x="${pad.l}" y="18" font-size="13" font-weight="600" fill="#222">${esc(o.title)}</text>`,
  ];
  if (xs.length === 0 || ys.length === 0) {
    out.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#666">No samples recorded.</text></svg>`);
    return out.join('\n');
  }
  const x0 = Math.min(...xs, ...(o.markers ?? []).map((m) => m.x));
  const x1 = Math.max(...xs, ...(o.markers ?? []).map((m) => m.x), x0 + 1);
  const y0 = o.yFromZero === false ? Math.min(...ys) : 0;
  const y1 = Math.max(...ys, y0 + 1) * 1.05;
  const px = (x: number): number => pad.l + ((x - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const py = (y: number): number => H - pad.b - ((y - y0) / (y1 - y0)) * (H - pad.t - pad.b);
  // grid and axes
  const yStep = niceStep(y1 - y0, 4);
  for (let v = Math.ceil(y0 / yStep) * yStep; v <= y1; v += yStep) {
    out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#eeeeee"/>`);
    out.push(`<text x="${pad.l - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end" fill="#555">${esc(yFmt(v))}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const x = x0 + ((x1 - x0) * i) / 4;
    out.push(`<text x="${px(x).toFixed(1)}" y="${H - pad.b + 16}" text-anchor="middle" fill="#555">${esc(xFmt(x))}</text>`);
  }
  out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${H - pad.b}" y2="${H - pad.b}" stroke="#999"/>`);
  let legendY = pad.t + 4;
  const legend = (label: string, color: string, dashed: boolean): void => {
    out.push(`<line x1="${W - pad.r + 10}" x2="${W - pad.r + 28}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="4 3"' : ''}/>`);
    out.push(`<text x="${W - pad.r + 32}" y="${legendY + 4}" fill="#222">${esc(label)}</text>`);
    legendY += 16;
  };
  for (const h of o.hLines ?? []) {
    out.push(`<line x1="${pad.l}" x2="${W - pad.r}" y1="${py(h.y).toFixed(1)}" y2="${py(h.y).toFixed(1)}" stroke="${h.color}" stroke-dasharray="6 4"/>`);
    legend(`${h.label} ${yFmt(h.y)}`, h.color, true);
  }
  for (const l of o.lines) {
    let d = '';
    let pen = false;
    l.x.forEach((x, i) => {
      const y = l.y[i];
      if (y === null || y === undefined) { pen = false; return; }
      d += `${pen ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`;
      pen = true;
    });
    if (d) out.push(`<path d="${d}" fill="none" stroke="${l.color}" stroke-width="2"${l.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    legend(l.label, l.color, !!l.dashed);
  }
  for (const m of o.markers ?? []) {
    out.push(`<line x1="${px(m.x).toFixed(1)}" x2="${px(m.x).toFixed(1)}" y1="${pad.t}" y2="${H - pad.b}" stroke="${m.color}" stroke-width="1.5"/>`);
    out.push(`<text x="${(px(m.x) - 4).toFixed(1)}" y="${pad.t + 10}" text-anchor="end" fill="${m.color}">${esc(m.label)}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

/** "▁▂▃▅▇" — a terminal sparkline of the last values (nulls as spaces). */
export function sparkline(values: readonly (number | null)[], width = 30): string {
  const ticks = '▁▂▃▄▅▆▇█';
  const v = values.slice(-width);
  const nums = v.filter((x): x is number => x !== null);
  if (nums.length === 0) return '';
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return v.map((x) => (x === null ? ' ' : ticks[hi === lo ? 3 : Math.round(((x - lo) / (hi - lo)) * (ticks.length - 1))])).join('');
}

/** What a crash chart is drawn from: the server's RSS samples (and heap where measured) before it died. */
export interface CrashCurveInput {
  readonly server: string;
  readonly crashAt: number;
  readonly samples: readonly { t: number; rss: number | null; heapUsed?: number | null }[];
  readonly heapLimitBytes?: number | null;
  readonly cgroupLimitBytes?: number | null;
  readonly availableBytes?: number | null;
}

/** The memory curve of the last minutes before a crash with the limits that applied; null without samples. */
export function crashMemorySvg(c: CrashCurveInput): string | null {
  const pts = c.samples.filter((s) => s.t <= c.crashAt);
  if (pts.filter((s) => s.rss !== null).length < 2) return null;
  const hLines: SvgHLine[] = [];
  if (c.heapLimitBytes) hLines.push({ label: 'heap limit', y: c.heapLimitBytes, color: CHART_COLORS.heapLimit });
  if (c.cgroupLimitBytes) hLines.push({ label: 'cgroup limit', y: c.cgroupLimitBytes, color: CHART_COLORS.cgroupLimit });
  if (c.availableBytes) hLines.push({ label: 'available', y: c.availableBytes, color: CHART_COLORS.available });
  const lines: SvgLine[] = [{ label: 'RSS', x: pts.map((p) => p.t), y: pts.map((p) => p.rss), color: CHART_COLORS.rss }];
  if (pts.some((p) => p.heapUsed)) lines.push({ label: 'heap used', x: pts.map((p) => p.t), y: pts.map((p) => p.heapUsed ?? null), color: CHART_COLORS.heap });
  return svgLineChart({ title: `${c.server}: memory before the crash`, lines, hLines, markers: [{ x: c.crashAt, label: 'crash', color: CHART_COLORS.crash }] });
}
