// RSS of every process of the watched servers over the last minutes, per pid: the memory kind of an OOM
// death reads the series of the very process that died (a server-level series follows whichever node
// process is biggest at the moment: npm's own node early in a run, the app later).

import type { Snapshot } from '../../types';
import type { MemoryPoint } from './memoryKind';

interface Series {
  readonly startTimeMs: number;
  readonly points: MemoryPoint[];
  lastSeen: number;
}

export interface ProcessMemoryOptions {
  /** Samples kept per process (default 10 min). */
  readonly windowMs?: number;
  /** A process gone from the snapshots is forgotten after this long (default 60 s): its crash is judged by then. */
  readonly keepGoneMs?: number;
  readonly maxPoints?: number;
}

export class ProcessMemory {
  private readonly series = new Map<number, Series>();
  private readonly windowMs: number;
  private readonly keepGoneMs: number;
  private readonly maxPoints: number;

  constructor(opts: ProcessMemoryOptions = {}) {
    this.windowMs = opts.windowMs ?? 10 * 60_000;
    this.keepGoneMs = opts.keepGoneMs ?? 60_000;
    this.maxPoints = opts.maxPoints ?? 600;
  }

  observe(s: Snapshot): void {
    const now = s.takenAt;
    for (const server of s.servers) {
      for (const p of server.processes) {
        if (p.zombie || p.rssBytes <= 0) continue;
        let cur = this.series.get(p.pid);
        // The same pid with another start time is another process.
        if (!cur || cur.startTimeMs !== p.startTimeMs) { cur = { startTimeMs: p.startTimeMs, points: [], lastSeen: now }; this.series.set(p.pid, cur); }
        const last = cur.points[cur.points.length - 1];
        if (!last || now > last.time) cur.points.push({ time: now, bytes: p.rssBytes });
        cur.lastSeen = now;
        let drop = 0;
        while (drop < cur.points.length && (cur.points[drop].time < now - this.windowMs || cur.points.length - drop > this.maxPoints)) drop++;
        if (drop) cur.points.splice(0, drop);
      }
    }
    for (const [pid, cur] of this.series) if (now - cur.lastSeen > this.keepGoneMs) this.series.delete(pid);
  }

  /** The samples of a process, oldest first; empty when it was never seen. */
  samples(pid: number): readonly MemoryPoint[] {
    return this.series.get(pid)?.points ?? [];
  }
}
