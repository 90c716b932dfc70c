// What the dashboard webview receives with each snapshot: the series, the crash table and its statistics.
// Plain data (structured-cloneable, redacted), so the webview only draws.
import { verdictCategory, verdictSeverity, type VerdictCategory, type VerdictSeverity } from '../crash/types';
import type { CrashEntry } from '../history/crashHistory';
import { redactText } from '../redact';
import type { DashboardSeries } from './series';

export interface CrashRow {
  readonly id: string;
  readonly time: number;
  readonly server: string;
  readonly cause: string;
  readonly severity: VerdictSeverity;
  readonly category: VerdictCategory;
  readonly summary: string;
  readonly resolved: boolean;
}

export interface CrashStats {
  readonly total: number;
  readonly unresolved: number;
  readonly byCause: Readonly<Record<string, number>>;
  readonly byServer: Readonly<Record<string, number>>;
  readonly bySeverity: Readonly<Record<string, number>>;
  readonly byCategory: Readonly<Record<string, number>>;
}

export interface DashboardModel {
  readonly now: number;
  readonly windowMs: number;
  readonly series: DashboardSeries;
  readonly crashes: readonly CrashRow[];
  readonly stats: { readonly day: CrashStats; readonly week: CrashStats };
}

const DAY = 86_400_000;

export function crashRows(entries: readonly CrashEntry[]): CrashRow[] {
  return entries.map((e) => ({
    id: e.id, time: e.time, server: redactText(e.server ?? 'unknown server'), cause: e.cause,
    severity: verdictSeverity(e.cause), category: verdictCategory(e.cause),
    summary: redactText(e.verdict.summary), resolved: e.resolvedAt !== null,
  })).sort((a, b) => b.time - a.time);
}

/** Counts per cause, server, severity and category of the crashes since `from`. */
export function crashStats(rows: readonly CrashRow[], from: number): CrashStats {
  const inc = (o: Record<string, number>, k: string): void => { o[k] = (o[k] ?? 0) + 1; };
  const byCause: Record<string, number> = {};
  const byServer: Record<string, number> = {};
  const bySeverity: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  let total = 0;
  let unresolved = 0;
  for (const r of rows) {
    if (r.time < from) continue;
    total++;
    if (!r.resolved) unresolved++;
    inc(byCause, r.cause);
    inc(byServer, r.server);
    inc(bySeverity, r.severity);
    inc(byCategory, r.category);
  }
  return { total, unresolved, byCause, byServer, bySeverity, byCategory };
}

export function dashboardModel(series: DashboardSeries, entries: readonly CrashEntry[], now: number, windowMs: number): DashboardModel {
  const crashes = crashRows(entries);
  return { now, windowMs, series, crashes, stats: { day: crashStats(crashes, now - DAY), week: crashStats(crashes, now - 7 * DAY) } };
}
