// CPU use per process from two polls' /proc/PID/stat times (utime + stime), with no read of its own.
import { USER_HZ } from '../system/procParsers';
import type { ProcessInfo } from '../types';

/** What one poll knew about CPU time: per pid, its start time and ticks used so far. */
export interface CpuTimes {
  readonly takenAt: number;
  readonly byPid: ReadonlyMap<number, { readonly startTimeMs: number; readonly ticks: number }>;
}

export function cpuTimesOf(processes: readonly ProcessInfo[], takenAt: number): CpuTimes {
  const byPid = new Map<number, { startTimeMs: number; ticks: number }>();
  for (const p of processes) if (p.cpuTicks !== undefined) byPid.set(p.pid, { startTimeMs: p.startTimeMs, ticks: p.cpuTicks });
  return { takenAt, byPid };
}

/**
 * CPU % of each process between two polls, as `top` counts it: 100 = one core busy all the time.
 * A process started since the earlier poll counts all its ticks; a pid reused in between (another start time)
 * counts as new. Processes without CPU times (the fallback probe) are left out. Pure.
 */
export function cpuPercents(prev: CpuTimes | null, next: CpuTimes): Map<number, number> {
  const out = new Map<number, number>();
  if (!prev) return out;
  const seconds = (next.takenAt - prev.takenAt) / 1000;
  if (!(seconds > 0)) return out;
  for (const [pid, now] of next.byPid) {
    const before = prev.byPid.get(pid);
    let ticks: number;
    if (before && before.startTimeMs === now.startTimeMs) ticks = now.ticks - before.ticks;
    else if (now.startTimeMs >= prev.takenAt - 1000) ticks = now.ticks; // started during the interval
    else continue; // seen for the first time but older than the interval: its share is unknown
    out.set(pid, Math.max(0, ((ticks / USER_HZ) / seconds) * 100));
  }
  return out;
}

/** Sum over a process tree, one decimal; null when none of its processes has a reading yet. */
export function treeCpuPercent(pids: readonly number[], percents: ReadonlyMap<number, number>): number | null {
  let sum = 0;
  let known = false;
  for (const pid of pids) {
    const v = percents.get(pid);
    if (v === undefined) continue;
    sum += v;
    known = true;
  }
  return known ? Math.round(sum * 10) / 10 : null;
}
