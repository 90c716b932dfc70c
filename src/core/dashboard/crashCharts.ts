// The memory curve before each crash of an investigation, as SVG charts for the report (shown in the
// editor, saved beside the .md/.json). Samples come from whoever kept them: the extension's series store,
// or the CLI's `watch` journal.
import type { ReportChart } from '../crash/report';
import type { Verdict } from '../crash/types';
import { crashMemorySvg } from '../charts/svgChart';

/** How far back before a crash the curve goes. */
export const CURVE_MS = 10 * 60_000;

export type SamplesOf = (v: Verdict, from: number, to: number) => readonly { t: number; rss: number | null; heapUsed?: number | null }[];

/** One chart per verdict that has at least two samples before it (newest verdicts first, at most `max`). */
export function crashCharts(verdicts: readonly Verdict[], samplesOf: SamplesOf, opts: { availableBytes?: number | null; max?: number } = {}): ReportChart[] {
  const charts: ReportChart[] = [];
  verdicts.slice(0, opts.max ?? 10).forEach((v, i) => {
    const samples = samplesOf(v, v.time - CURVE_MS, v.time);
    const svg = crashMemorySvg({
      server: v.server ?? 'unknown server', crashAt: v.time, samples: [...samples, ...(v.detail?.heapUsedBytes ? [{ t: v.time, rss: null, heapUsed: v.detail.heapUsedBytes }] : [])],
      heapLimitBytes: v.detail?.heapLimitBytes ?? null, cgroupLimitBytes: v.detail?.cgroupLimitBytes ?? null, availableBytes: opts.availableBytes ?? null,
    });
    if (svg) charts.push({ name: `memory-${i + 1}`, title: `${i + 1}. ${v.server ?? 'unknown server'}: memory before the crash (${v.cause})`, svg });
  });
  return charts;
}
