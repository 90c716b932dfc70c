// Memory growth per server and when, at that rate, it meets the limit that will kill it.
import { formatBytes } from '../format';
import type { AlertSeverity, PressureInfo, Server, Snapshot, SystemState } from '../types';

/** One reading of a server's memory and of the limits that apply to it. */
export interface MemorySample {
  readonly time: number;
  /** Root pid and the node process the heap limit belongs to: when either changes, the server restarted. */
  readonly pid: number | null;
  readonly heapPid: number | null;
  /** RSS of the whole process tree. */
  readonly rssBytes: number;
  /** RSS of the node process the heap limit belongs to; null when there is none. */
  readonly heapRssBytes: number | null;
  readonly heapLimitBytes: number | null;
  readonly cgroupLimitBytes: number | null;
  readonly cgroupUsageBytes: number | null;
  readonly availableBytes: number;
  readonly swapTotalBytes: number;
  readonly swapUsedBytes: number;
  readonly pressure: PressureInfo | null;
}

export function sampleOf(server: Server, system: SystemState, time: number): MemorySample {
  const heapProc = server.heapPid === null ? undefined : server.processes.find((p) => p.pid === server.heapPid);
  const cg = server.cgroup;
  return {
    time,
    pid: server.pid,
    heapPid: server.heapPid,
    rssBytes: server.rssBytes,
    heapRssBytes: heapProc?.rssBytes ?? null,
    heapLimitBytes: server.heapLimitBytes,
    cgroupLimitBytes: cg?.limitBytes ?? null,
    cgroupUsageBytes: cg ? cg.usageBytes : null,
    availableBytes: system.memory.availableBytes,
    swapTotalBytes: system.memory.swapTotalBytes,
    swapUsedBytes: system.memory.swapUsedBytes,
    pressure: system.pressure,
  };
}

export interface Point {
  readonly time: number;
  readonly value: number;
}

export interface Slope {
  readonly bytesPerMin: number;
  /** Sudden falls (a garbage collection returning memory) found in the series. */
  readonly drops: number;
}

const MINUTE_MS = 60_000;
const MB = 1024 * 1024;
/** A fall counts as a GC drop when it gives back at least this share of the previous reading and this many bytes. */
const DROP_SHARE = 0.1;
const DROP_MIN_BYTES = 8 * MB;

interface Sums { n: number; st: number; sv: number; stt: number; stv: number }

function sums(points: readonly Point[]): Sums {
  const s: Sums = { n: 0, st: 0, sv: 0, stt: 0, stv: 0 };
  const t0 = points[0]?.time ?? 0;
  for (const p of points) {
    const t = p.time - t0;
    s.n++; s.st += t; s.sv += p.value; s.stt += t * t; s.stv += t * p.value;
  }
  return s;
}

/** Σ(t - t̄)² and Σ(t - t̄)(v - v̄) of one segment. */
function centred(points: readonly Point[]): { tt: number; tv: number } {
  const s = sums(points);
  if (s.n < 2) return { tt: 0, tv: 0 };
  return { tt: s.stt - (s.st * s.st) / s.n, tv: s.stv - (s.st * s.sv) / s.n };
}

/**
 * Least-squares growth in bytes per minute; null with fewer than two distinct times.
 * One GC drop would drag an ordinary fit down (or negative) while the leak goes on, so with exactly one
 * drop the two segments share a slope and keep their own levels. With several drops the series is a
 * sawtooth and only its net trend over the whole window is honest, so the ordinary fit is used.
 */
export function growthSlope(points: readonly Point[]): Slope | null {
  const cuts: number[] = [];
  for (let i = 1; i < points.length; i++) {
    const fall = points[i - 1]!.value - points[i]!.value;
    if (fall >= DROP_MIN_BYTES && fall >= points[i - 1]!.value * DROP_SHARE) cuts.push(i);
  }
  const segments = cuts.length === 1 ? [points.slice(0, cuts[0]), points.slice(cuts[0])] : [points];
  let tt = 0;
  let tv = 0;
  for (const seg of segments) {
    const c = centred(seg);
    tt += c.tt;
    tv += c.tv;
  }
  if (tt <= 0) return null;
  return { bytesPerMin: (tv / tt) * MINUTE_MS, drops: cuts.length };
}

export type LimitKind = 'heap' | 'cgroup' | 'available';

export interface OomRisk {
  readonly server: string;
  readonly limitKind: LimitKind;
  /** The heap limit, the cgroup limit, or what the server holds now plus what the machine has available. */
  readonly effectiveLimitBytes: number;
  /** The figure compared with it: the heap process's RSS, the cgroup's usage, or the tree's RSS. */
  readonly currentBytes: number;
  readonly slopeBytesPerMin: number;
  readonly minutesToLimit: number;
  readonly severity: Exclude<AlertSeverity, 'info'>;
  /** "api grows 40 MB/min; at this rate it reaches its 2.0 GB heap limit in about 6 min". */
  readonly message: string;
  /** Caveats and context (memory pressure, swap, why a heap figure is an early estimate). */
  readonly notes: readonly string[];
}

export interface ProjectionOptions {
  /** Growth must be seen over at least this long (default 30 s). */
  readonly minSpanMs?: number;
  readonly minPoints?: number;
  /** Slower growth is not a trend worth telling (default 1 MB/min). */
  readonly minSlopeBytesPerMin?: number;
  /** Limits further away than this are no risk yet (default 30 min). */
  readonly horizonMinutes?: number;
  /** At or under this many minutes the risk is critical (default 5). */
  readonly criticalMinutes?: number;
  /** PSI "full" avg10 at or above which the machine is already stalling on memory (default 10 %). */
  readonly criticalPressure?: number;
}

const DEFAULT_PROJECTION: Required<ProjectionOptions> = {
  minSpanMs: 30_000,
  minPoints: 6,
  minSlopeBytesPerMin: MB,
  horizonMinutes: 30,
  criticalMinutes: 5,
  criticalPressure: 10,
};

/**
 * Growth that holds over the window: the smaller of the slope over the whole window and over its newer
 * half. A one-off step (a first page compiled, a cache filled) gives a steep overall slope but a flat
 * newer half, and must not read as a leak.
 */
function sustainedSlope(points: readonly Point[]): number | null {
  const whole = growthSlope(points);
  if (!whole) return null;
  const mid = (points[0]!.time + points[points.length - 1]!.time) / 2;
  const recent = growthSlope(points.filter((p) => p.time >= mid));
  return recent ? Math.min(whole.bytesPerMin, recent.bytesPerMin) : whole.bytesPerMin;
}

function inMinutes(m: number): string {
  if (m < 1) return 'in less than a minute';
  if (m < 90) return `in about ${Math.round(m)} min`;
  return `in about ${Math.round(m / 60)} h`;
}

interface Candidate {
  readonly kind: LimitKind;
  readonly limit: number;
  readonly current: number;
  readonly slope: number;
}

function limitWords(c: Candidate): string {
  if (c.kind === 'heap') return `reaches its ${formatBytes(c.limit)} heap limit`;
  if (c.kind === 'cgroup') return `reaches its memory cgroup's ${formatBytes(c.limit)} limit`;
  return `uses up the ${formatBytes(c.limit - c.current)} of memory the machine has available`;
}

/**
 * When, at the rate it grows, a server meets the first limit that would kill it; null when it does not grow,
 * there are too few samples, or the limit is beyond the horizon. Samples must belong to one run (one pid).
 *
 * RSS is not the JS heap: it also counts code, stacks and Buffers outside the heap. RSS is an upper bound
 * of the heap used, so heap limit − RSS is a lower bound of the heap's headroom and the projection errs
 * early, never late, while the growth is in the heap. Growth outside the heap (Buffers) never meets the
 * heap limit; the cgroup or machine limit that does is projected as well and the nearest one wins.
 */
export function projectOomRisk(server: string, samples: readonly MemorySample[], options: ProjectionOptions = {}): OomRisk | null {
  const o = { ...DEFAULT_PROJECTION, ...options };
  const last = samples[samples.length - 1];
  if (!last || samples.length < o.minPoints || last.time - samples[0]!.time < o.minSpanMs) return null;

  const treeSlope = sustainedSlope(samples.map((s) => ({ time: s.time, value: s.rssBytes })));
  const candidates: Candidate[] = [];
  if (last.heapLimitBytes !== null && last.heapRssBytes !== null && last.heapRssBytes < last.heapLimitBytes) {
    const heapPoints = samples.filter((s) => s.heapRssBytes !== null).map((s) => ({ time: s.time, value: s.heapRssBytes! }));
    const slope = heapPoints.length >= o.minPoints ? sustainedSlope(heapPoints) : null;
    if (slope !== null) candidates.push({ kind: 'heap', limit: last.heapLimitBytes, current: last.heapRssBytes, slope });
  }
  if (treeSlope !== null) {
    if (last.cgroupLimitBytes !== null && last.cgroupUsageBytes !== null) {
      candidates.push({ kind: 'cgroup', limit: last.cgroupLimitBytes, current: last.cgroupUsageBytes, slope: treeSlope });
    }
    candidates.push({ kind: 'available', limit: last.rssBytes + last.availableBytes, current: last.rssBytes, slope: treeSlope });
  }

  let best: { c: Candidate; minutes: number } | null = null;
  for (const c of candidates) {
    if (c.slope < o.minSlopeBytesPerMin) continue;
    const minutes = Math.max(0, c.limit - c.current) / c.slope;
    if (!best || minutes < best.minutes) best = { c, minutes };
  }
  if (!best || best.minutes > o.horizonMinutes) return null;

  const { c, minutes } = best;
  const notes: string[] = [];
  if (c.kind === 'heap') {
    notes.push('RSS counts more than the JavaScript heap, and V8 slows the heap\'s growth near its limit, so this estimate errs early.');
  }
  if (c.kind === 'cgroup' && last.cgroupUsageBytes !== null && last.cgroupUsageBytes > last.rssBytes) {
    notes.push('The cgroup\'s usage includes file cache the kernel reclaims first, so the limit may be a little further away.');
  }
  const stalled = last.pressure !== null && last.pressure.fullAvg10 >= o.criticalPressure;
  if (last.pressure && last.pressure.someAvg10 >= 1) {
    notes.push(`Memory pressure: tasks waited for memory ${last.pressure.someAvg10}% of the last 10 s${last.pressure.fullAvg10 > 0 ? ` (all tasks ${last.pressure.fullAvg10}%)` : ''}.`);
  }
  if (last.swapTotalBytes > 0 && last.swapUsedBytes / last.swapTotalBytes >= 0.5) {
    notes.push(`Swap is ${Math.round((last.swapUsedBytes / last.swapTotalBytes) * 100)}% used: the machine slows down before it runs out.`);
  }
  return {
    server,
    limitKind: c.kind,
    effectiveLimitBytes: c.limit,
    currentBytes: c.current,
    slopeBytesPerMin: c.slope,
    minutesToLimit: minutes,
    severity: minutes <= o.criticalMinutes || stalled ? 'critical' : 'warning',
    message: `${server} grows ${formatBytes(c.slope)}/min; at this rate it ${limitWords(c)} ${inMinutes(minutes)}`,
    notes,
  };
}

export interface RssTrendOptions {
  /** How far back samples are kept (default 5 min). */
  readonly windowMs?: number;
  /** At most this many samples per server (default 300). */
  readonly maxSamples?: number;
}

/** Per-server memory samples over a sliding window, fed one snapshot at a time. */
export class RssTrend {
  private readonly series = new Map<string, MemorySample[]>();
  private readonly windowMs: number;
  private readonly maxSamples: number;

  constructor(opts: RssTrendOptions = {}) {
    this.windowMs = opts.windowMs ?? 5 * MINUTE_MS;
    this.maxSamples = opts.maxSamples ?? 300;
  }

  /** Adds one sample; a new pid starts the series afresh, and older or same-time samples are ignored. */
  add(serverId: string, sample: MemorySample): void {
    let list = this.series.get(serverId);
    const last = list?.[list.length - 1];
    if (!list || (last && (last.pid !== sample.pid || last.heapPid !== sample.heapPid))) {
      list = [];
      this.series.set(serverId, list);
    } else if (last && sample.time <= last.time) {
      return;
    }
    list.push(sample);
    const from = sample.time - this.windowMs;
    let drop = 0;
    while (drop < list.length && (list[drop]!.time < from || list.length - drop > this.maxSamples)) drop++;
    if (drop > 0) list.splice(0, drop);
  }

  /** Samples every running server; servers that are down or gone are forgotten. */
  observe(snapshot: Snapshot): void {
    const running = new Set<string>();
    for (const s of snapshot.servers) {
      if (s.state === 'down' || s.pid === null) continue;
      running.add(s.id);
      this.add(s.id, sampleOf(s, snapshot.system, snapshot.takenAt));
    }
    for (const id of this.series.keys()) if (!running.has(id)) this.series.delete(id);
  }

  samples(serverId: string): readonly MemorySample[] {
    return this.series.get(serverId) ?? [];
  }

  /** The OOM risk of every server of the snapshot that has one, nearest first. */
  risks(snapshot: Snapshot, options?: ProjectionOptions): (OomRisk & { readonly serverId: string })[] {
    const out: (OomRisk & { serverId: string })[] = [];
    for (const s of snapshot.servers) {
      const risk = projectOomRisk(s.name, this.samples(s.id), options);
      if (risk) out.push({ ...risk, serverId: s.id });
    }
    return out.sort((a, b) => a.minutesToLimit - b.minutesToLimit);
  }
}
