// The time series the dashboard draws, built from snapshots (and the sample journal of earlier runs):
// per server its RSS, the V8 heap where it was measured, CPU where known, its limits, and markers for
// starts, restarts, crashes and warnings; for the machine its memory, swap, PSI and disks. Pure apart
// from the clock the caller passes: unit-tested without a webview.
import type { Verdict } from '../crash/types';
import type { Snapshot } from '../types';
import { HEAP_FROM } from '../serverRow';

/** Points closer than this are one run; a larger gap (a reload, the editor closed) draws as a gap. */
export const GAP_MS = 30_000;
/** What the dashboard shows by default. */
export const DEFAULT_WINDOW_MS = 30 * 60_000;
/** How long the store keeps samples (the zoom-out limit). */
export const KEEP_MS = 2 * 60 * 60_000;
/** Points per line after down-sampling: enough for a wide panel, cheap to draw. */
export const MAX_POINTS = 600;

export type MarkerKind = 'start' | 'restart' | 'crash' | 'warning';

export interface Marker {
  readonly t: number;
  readonly kind: MarkerKind;
  readonly label: string;
  /** A crash's history entry id (its report opens on click). */
  readonly crashId?: string;
}

export interface ServerSample {
  readonly t: number;
  readonly rss: number | null;
  readonly heapUsed: number | null;
  readonly cpu: number | null;
}

export interface ServerSeries {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  /** Columns for uPlot: time (s), RSS bytes, heap used bytes, CPU %; null = a gap or unknown. */
  readonly t: readonly number[];
  readonly rss: readonly (number | null)[];
  readonly heap: readonly (number | null)[];
  readonly cpu: readonly (number | null)[];
  readonly heapLimit: number | null;
  /** Where the heap limit comes from, in words ("--max-old-space-size", "NODE_OPTIONS", "V8's default"). */
  readonly heapLimitFrom: string | null;
  readonly cgroupLimit: number | null;
  readonly markers: readonly Marker[];
  /** The early-warning trend drawn ahead: from now to when RSS reaches the limit. */
  readonly projection: { readonly t: readonly number[]; readonly rss: readonly number[] } | null;
}

export interface MachineSeries {
  readonly t: readonly number[];
  readonly memUsed: readonly (number | null)[];
  readonly available: readonly (number | null)[];
  readonly swapUsed: readonly (number | null)[];
  readonly psiFull: readonly (number | null)[];
  readonly total: number | null;
  readonly disks: readonly { readonly mount: string; readonly usedPercent: readonly (number | null)[] }[];
}

export interface DashboardSeries {
  readonly from: number;
  readonly to: number;
  readonly servers: readonly ServerSeries[];
  readonly machine: MachineSeries;
}

interface MachinePoint {
  readonly t: number;
  readonly memUsed: number;
  readonly available: number;
  readonly swapUsed: number;
  readonly psiFull: number | null;
  readonly disks: ReadonlyMap<string, number>;
}

interface ServerTrack {
  name: string;
  state: string;
  heapLimit: number | null;
  heapLimitFrom: string | null;
  cgroupLimit: number | null;
  lastPid: number | null;
  points: ServerSample[];
  markers: Marker[];
}

/** A projection to draw: now, the current RSS, and when the trend reaches the limit. */
export interface Projection {
  readonly serverId: string;
  readonly currentBytes: number;
  readonly limitBytes: number;
  readonly minutesToLimit: number;
}

/**
 * Min/max down-sampling: each bucket of time keeps its lowest and highest value in time order, so a spike
 * before a crash is never averaged away. Gaps (nulls) survive. Returns the indexes to keep.
 */
export function downsampleIndexes(t: readonly number[], y: readonly (number | null)[], maxPoints: number): number[] {
  if (t.length <= maxPoints) return t.map((_, i) => i);
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const t0 = t[0];
  const span = Math.max(1, t[t.length - 1] - t0);
  const keep = new Set<number>([0, t.length - 1]);
  let b = -1;
  let lo = -1;
  let hi = -1;
  const flush = (): void => {
    if (lo >= 0) keep.add(lo);
    if (hi >= 0) keep.add(hi);
  };
  for (let i = 0; i < t.length; i++) {
    const bucket = Math.min(buckets - 1, Math.floor(((t[i] - t0) / span) * buckets));
    if (bucket !== b) {
      flush();
      b = bucket;
      lo = hi = -1;
    }
    const v = y[i];
    if (v === null) {
      keep.add(i);
      continue;
    }
    if (lo < 0 || v < (y[lo] as number)) lo = i;
    if (hi < 0 || v > (y[hi] as number)) hi = i;
  }
  flush();
  return [...keep].sort((a, c) => a - c);
}

/** Inserts a null point where consecutive samples are further apart than `gapMs`, so lines break there. */
export function withGaps<T extends { t: number }>(points: readonly T[], gap: (t: number) => T, gapMs = GAP_MS): T[] {
  const out: T[] = [];
  for (let i = 0; i < points.length; i++) {
    if (i > 0 && points[i].t - points[i - 1].t > gapMs) out.push(gap(points[i - 1].t + 1));
    out.push(points[i]);
  }
  return out;
}

/** Keeps what the dashboard draws; fed every snapshot, read when a view asks. */
export class SeriesStore {
  private readonly servers = new Map<string, ServerTrack>();
  private machine: MachinePoint[] = [];
  private readonly crashMarkers = new Map<string, Marker & { serverId: string | null; serverName: string | null }>();

  constructor(private readonly keepMs = KEEP_MS) {}

  /** Earlier samples (the sample journal of a previous run): RSS and memory only. */
  seed(samples: readonly { at: number; totalBytes: number; availableBytes: number; swapUsedBytes: number; pressureFull: number | null; servers: readonly { id: string; name: string; rssBytes: number }[] }[]): void {
    for (const s of samples) {
      this.machine.push({ t: s.at, memUsed: s.totalBytes - s.availableBytes, available: s.availableBytes, swapUsed: s.swapUsedBytes, psiFull: s.pressureFull, disks: new Map() });
      for (const v of s.servers) this.track(v.id, v.name).points.push({ t: s.at, rss: v.rssBytes, heapUsed: null, cpu: null });
    }
    this.machine.sort((a, b) => a.t - b.t);
    for (const tr of this.servers.values()) tr.points.sort((a, b) => a.t - b.t);
  }

  private track(id: string, name: string): ServerTrack {
    let tr = this.servers.get(id);
    if (!tr) {
      tr = { name, state: 'down', heapLimit: null, heapLimitFrom: null, cgroupLimit: null, lastPid: null, points: [], markers: [] };
      this.servers.set(id, tr);
    }
    tr.name = name;
    return tr;
  }

  add(snap: Snapshot): void {
    const t = snap.takenAt;
    const m = snap.system.memory;
    this.machine.push({
      t, memUsed: m.totalBytes - m.availableBytes, available: m.availableBytes, swapUsed: m.swapUsedBytes,
      psiFull: snap.system.pressure?.fullAvg10 ?? null,
      disks: new Map(snap.system.disks.map((d) => [d.mount, d.usedPercent])),
    });
    for (const s of snap.servers) {
      const tr = this.track(s.id, s.name);
      tr.state = s.state;
      // A server that went down keeps the limits it had (its crash is drawn against them).
      tr.heapLimit = s.heapLimitBytes ?? (s.pid === null ? tr.heapLimit : null);
      tr.heapLimitFrom = s.heapLimitSource ? HEAP_FROM[s.heapLimitSource] : s.pid === null ? tr.heapLimitFrom : null;
      tr.cgroupLimit = s.cgroup?.limitBytes ?? (s.pid === null ? tr.cgroupLimit : null);
      if (s.pid !== null && s.pid !== tr.lastPid) {
        tr.markers.push({ t, kind: tr.lastPid === null && tr.points.length === 0 ? 'start' : 'restart', label: `${tr.lastPid === null && tr.points.length === 0 ? 'started' : 'restarted'} (pid ${s.pid})` });
      }
      tr.lastPid = s.pid;
      const cpu = (s as { cpuPercent?: number | null }).cpuPercent;
      tr.points.push({ t, rss: s.pid !== null ? s.rssBytes : null, heapUsed: null, cpu: typeof cpu === 'number' ? cpu : null });
    }
    this.prune(t);
  }

  /** A crash: its marker, and the heap figure the verdict measured (a Node report, the GC trace). */
  crash(v: Verdict, crashId: string): void {
    const id = v.detail?.serverId ?? null;
    this.crashMarkers.set(crashId, { t: v.time, kind: 'crash', label: `${v.cause}: ${v.summary}`, crashId, serverId: id, serverName: v.server });
    const tr = id ? this.servers.get(id) : [...this.servers.values()].find((x) => x.name === v.server);
    if (tr && v.detail?.heapLimitBytes && v.detail.heapLimitBytes !== tr.heapLimit) {
      tr.heapLimit = v.detail.heapLimitBytes;
      tr.heapLimitFrom = v.detail.heapLimitKind === 'heap-size' ? 'all spaces, its Node report' : 'old space, at the crash';
    }
    if (tr && v.detail?.heapUsedBytes) tr.points.push({ t: v.time, rss: null, heapUsed: v.detail.heapUsedBytes, cpu: null });
    if (tr) tr.points.sort((a, b) => a.t - b.t);
  }

  /** An early warning shown for a server (OOM risk, down…). */
  warning(serverId: string, t: number, label: string): void {
    const tr = this.servers.get(serverId);
    if (tr) tr.markers.push({ t, kind: 'warning', label });
  }

  private prune(now: number): void {
    const from = now - this.keepMs;
    this.machine = this.machine.filter((p) => p.t >= from);
    for (const [id, tr] of this.servers) {
      tr.points = tr.points.filter((p) => p.t >= from);
      tr.markers = tr.markers.filter((x) => x.t >= from);
      if (tr.points.length === 0 && tr.state === 'down') this.servers.delete(id);
    }
    for (const [id, c] of this.crashMarkers) if (c.t < from) this.crashMarkers.delete(id);
  }

  /** The series of [to − windowMs, to], down-sampled, with gaps, markers and projections. */
  series(opts: { to: number; windowMs?: number; maxPoints?: number; projections?: readonly Projection[] }): DashboardSeries {
    const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    const from = opts.to - windowMs;
    const maxPoints = opts.maxPoints ?? MAX_POINTS;
    const servers: ServerSeries[] = [];
    for (const [id, tr] of this.servers) {
      const pts = withGaps(tr.points.filter((p) => p.t >= from && p.t <= opts.to), (t) => ({ t, rss: null, heapUsed: null, cpu: null }));
      const t = pts.map((p) => p.t);
      const keep = downsampleIndexes(t, pts.map((p) => p.rss), maxPoints);
      const kept = keep.map((i) => pts[i]);
      const crashes = [...this.crashMarkers.values()].filter((c) => c.t >= from && (c.serverId === id || (!c.serverId && c.serverName === tr.name)));
      const p = opts.projections?.find((x) => x.serverId === id);
      servers.push({
        id, name: tr.name, state: tr.state,
        t: kept.map((x) => x.t / 1000),
        rss: kept.map((x) => x.rss),
        heap: kept.map((x) => x.heapUsed),
        cpu: kept.map((x) => x.cpu),
        heapLimit: tr.heapLimit,
        heapLimitFrom: tr.heapLimitFrom,
        cgroupLimit: tr.cgroupLimit,
        markers: [...tr.markers.filter((x) => x.t >= from), ...crashes.map(({ serverId: _s, serverName: _n, ...c }) => c)].sort((a, b) => a.t - b.t),
        projection: p && p.minutesToLimit > 0 && Number.isFinite(p.minutesToLimit)
          ? { t: [opts.to / 1000, (opts.to + p.minutesToLimit * 60_000) / 1000], rss: [p.currentBytes, p.limitBytes] }
          : null,
      });
    }
    const mp = withGaps(this.machine.filter((p) => p.t >= from && p.t <= opts.to),
      (t): MachinePoint => ({ t, memUsed: NaN, available: NaN, swapUsed: NaN, psiFull: null, disks: new Map() }));
    const keep = downsampleIndexes(mp.map((p) => p.t), mp.map((p) => (Number.isNaN(p.memUsed) ? null : p.memUsed)), maxPoints).map((i) => mp[i]);
    const num = (v: number): number | null => (Number.isNaN(v) ? null : v);
    const mounts = [...new Set(keep.flatMap((p) => [...p.disks.keys()]))];
    const last = this.machine[this.machine.length - 1];
    return {
      from, to: opts.to,
      servers: servers.sort((a, b) => a.name.localeCompare(b.name)),
      machine: {
        t: keep.map((p) => p.t / 1000),
        memUsed: keep.map((p) => num(p.memUsed)),
        available: keep.map((p) => num(p.available)),
        swapUsed: keep.map((p) => num(p.swapUsed)),
        psiFull: keep.map((p) => p.psiFull),
        total: last ? last.memUsed + last.available : null,
        disks: mounts.map((mount) => ({ mount, usedPercent: keep.map((p) => p.disks.get(mount) ?? null) })),
      },
    };
  }

  /** The RSS samples of a server in [from, to] (for a report's memory curve). */
  samplesOf(serverId: string | null, serverName: string | null, from: number, to: number): ServerSample[] {
    const tr = (serverId && this.servers.get(serverId)) || [...this.servers.values()].find((x) => x.name === serverName);
    return tr ? tr.points.filter((p) => p.t >= from && p.t <= to) : [];
  }
}
