// Which kind of out-of-memory a death was, and whether raising the V8 heap limit would help:
//   undersized    the heap filled during start-up or in one big step: a larger limit fixes it;
//   leak          memory kept rising across minutes (our samples, or heap after each Mark-Compact):
//                 a larger limit only delays the next crash;
//   native-growth the kernel killed a process whose RSS was far above its V8 heap (Buffers, external
//                 memory, native addons): the heap limit plays no part, the memory ceiling does.
// Pure: the GC trace, the samples and the figures of the death come in; numbers and words go out.

import { formatBytes, formatDuration } from '../../format';
import { growthSlope, type Point } from '../../early/rssTrend';
import type { Confidence } from '../types';
import { isFullGc, type GcEvent } from './gcTrace';
import type { MemoryCeiling } from '../../system/memoryCeiling';

export type MemoryKindId = 'undersized' | 'leak' | 'native-growth' | 'unknown';
/** yes = a larger heap limit fixes it; stopgap = it only delays the next crash; no = it changes nothing. */
export type RaiseHeapHelps = 'yes' | 'stopgap' | 'no' | 'unknown';

/** The `memoryKind` field of a verdict (heap-oom, oom-kill, oomd-kill). */
export interface MemoryKind {
  readonly kind: MemoryKindId;
  readonly confidence: Confidence;
  readonly raiseHeapHelps: RaiseHeapHelps;
  /** Plain words with the numbers: why this kind. */
  readonly why: string;
  /** How long the process ran. */
  readonly uptimeMs?: number;
  readonly heapUsedBytes?: number;
  readonly heapLimitBytes?: number;
  readonly rssBytes?: number;
  /** RSS above the V8 heap: Buffers, external memory, native addons, code. */
  readonly outsideHeapBytes?: number;
  /** Sustained growth over the samples (RSS of the node process, else of the tree). */
  readonly growthBytesPerMin?: number;
  /** How long the samples cover. */
  readonly observedMs?: number;
  /** Heap after each full GC (Mark-Compact) the output shows, oldest first. */
  readonly heapAfterFullGcMB?: readonly number[];
  /** The memory ceiling that applied (cgroup limit, else the machine's memory). */
  readonly ceilingBytes?: number;
  /** Whether a heap snapshot near the limit can be written on the next run, and why not. */
  readonly snapshot?: { readonly possible: boolean; readonly reason: string };
  /** Where the servers run and the memory ceiling that applies there (WSL 2, a dev container…), with its remedy. */
  readonly ceiling?: MemoryCeiling;
}

export interface MemoryPoint {
  readonly time: number;
  /** RSS of the node process holding the heap when known, else of the whole tree. */
  readonly bytes: number;
}

export interface MemoryInputs {
  readonly cause: 'heap-oom' | 'oom-kill' | 'oomd-kill';
  /** GC events of the dead run (parseGcTrace → lastRunEvents). */
  readonly gc: readonly GcEvent[];
  /** Samples of the dead run, oldest first. */
  readonly samples: readonly MemoryPoint[];
  readonly uptimeMs: number | null;
  readonly heapUsedBytes: number | null;
  readonly heapLimitBytes: number | null;
  /** RSS at death (the kernel's anon+shmem RSS of the victim, else the last sample). */
  readonly rssBytes: number | null;
  readonly ceilingBytes: number | null;
  /** Free memory and disk now, to tell whether a heap snapshot fits; null = unknown. */
  readonly availableBytes?: number | null;
  readonly diskFreeBytes?: number | null;
}

const MB = 1024 * 1024;
/** A heap that fills within this time of the start was too small for start-up. */
export const STARTUP_MS = 60_000;
/** Samples must span this long to call growth a leak ("across minutes"). */
export const LEAK_MIN_SPAN_MS = 60_000;
const LEAK_HIGH_SPAN_MS = 120_000;
const LEAK_MIN_POINTS = 6;
const LEAK_MIN_SLOPE = MB; // per minute
/** Growth counts when the series rose by this share of where it started. */
const LEAK_MIN_RISE = 0.25;
/** Flat: the series rose less than this share before the end. */
const FLAT_MAX_RISE = 0.1;
/** Beyond the old space, a node process holds young generation, code and stacks: about this much. */
const HEAP_OVERHEAD_BYTES = 64 * MB;
/** Writing a heap snapshot needs about twice the heap in memory, and about the heap's size on disk. */
const SNAPSHOT_MEMORY_FACTOR = 2;
const SNAPSHOT_DISK_FACTOR = 1.5;

function rise(points: readonly MemoryPoint[]): number {
  const first = points[0]?.bytes ?? 0;
  const last = points[points.length - 1]?.bytes ?? 0;
  return first > 0 ? (last - first) / first : 0;
}

interface Growth {
  readonly slope: number;
  readonly span: number;
  readonly rise: number;
  /** Quarters of the window in which memory grew: a leak grows in most, a one-off step in one. */
  readonly growingQuarters: number;
}

/** How many quarters of the window end higher than they start (by more than 1% of the first value). */
function growingQuarters(points: readonly MemoryPoint[]): number {
  const t0 = points[0].time;
  const span = points[points.length - 1].time - t0;
  const eps = points[0].bytes * 0.01;
  let n = 0;
  for (let q = 0; q < 4; q++) {
    const inQ = points.filter((p) => p.time >= t0 + (span * q) / 4 && p.time <= t0 + (span * (q + 1)) / 4);
    if (inQ.length >= 2 && inQ[inQ.length - 1].bytes - inQ[0].bytes > eps) n++;
  }
  return n;
}

function growthOf(samples: readonly MemoryPoint[]): Growth | null {
  if (samples.length < LEAK_MIN_POINTS) return null;
  const span = samples[samples.length - 1].time - samples[0].time;
  const pts: Point[] = samples.map((p) => ({ time: p.time, value: p.bytes }));
  const slope = growthSlope(pts)?.bytesPerMin ?? null;
  if (slope === null) return null;
  return { slope, span, rise: rise(samples), growingQuarters: growingQuarters(samples) };
}

/**
 * Growth across the window, not one step: V8 near its limit collects again and again and the growth flattens
 * at the end, so three growing quarters of four are enough; a start-up or one big request grows in one.
 */
function isLeak(g: Growth): boolean {
  return g.span >= LEAK_MIN_SPAN_MS && g.slope >= LEAK_MIN_SLOPE && g.rise >= LEAK_MIN_RISE && g.growingQuarters >= 3;
}

/** Heap after full GCs keeps rising across at least three of them, over half a minute or more. */
function gcLeak(gc: readonly GcEvent[], limitBytes: number | null): { rising: boolean; after: number[] } {
  const full = gc.filter(isFullGc);
  const after = full.map((e) => e.afterMB);
  if (full.length < 3) return { rising: false, after };
  const span = full[full.length - 1].ms - full[0].ms;
  let ups = 0;
  for (let i = 1; i < after.length; i++) if (after[i] >= after[i - 1]) ups++;
  const total = after[after.length - 1] - after[0];
  const enough = limitBytes ? total * MB >= limitBytes * 0.1 : total >= after[0] * LEAK_MIN_RISE;
  return { rising: span >= 30_000 && ups >= (after.length - 1) * 0.75 && enough, after };
}

function snapshotFit(i: MemoryInputs, heapBytes: number | null): MemoryKind['snapshot'] {
  if (heapBytes === null) return { possible: false, reason: 'the heap size is unknown' };
  const needMem = heapBytes * SNAPSHOT_MEMORY_FACTOR;
  const needDisk = heapBytes * SNAPSHOT_DISK_FACTOR;
  if (i.availableBytes === null || i.availableBytes === undefined) return { possible: false, reason: 'free memory is unknown' };
  if (i.availableBytes < needMem) {
    return { possible: false, reason: `writing a snapshot of a ${formatBytes(heapBytes)} heap needs about ${formatBytes(needMem)} of free memory; ${formatBytes(i.availableBytes)} is available` };
  }
  if (i.diskFreeBytes === null || i.diskFreeBytes === undefined) return { possible: false, reason: 'free disk space in the server\'s folder is unknown' };
  if (i.diskFreeBytes < needDisk) {
    return { possible: false, reason: `a snapshot of a ${formatBytes(heapBytes)} heap needs about ${formatBytes(needDisk)} of disk; ${formatBytes(i.diskFreeBytes)} is free` };
  }
  return { possible: true, reason: `${formatBytes(i.availableBytes)} of memory and ${formatBytes(i.diskFreeBytes)} of disk are free for a snapshot of up to ${formatBytes(heapBytes)}` };
}

/** Which kind of out-of-memory this was, with the numbers it rests on. */
export function classifyMemory(i: MemoryInputs): MemoryKind {
  const lastGc = i.gc[i.gc.length - 1];
  const uptime = i.uptimeMs ?? (lastGc ? lastGc.ms : null);
  const growth = growthOf(i.samples);
  const gcTrend = gcLeak(i.gc, i.heapLimitBytes);
  const gcHeap = i.gc.length ? Math.max(...i.gc.slice(-3).map((e) => Math.max(e.beforeMB, e.afterMB))) * MB : null;
  const heapUsed = i.heapUsedBytes ?? gcHeap;
  const numbers = {
    ...(uptime !== null ? { uptimeMs: uptime } : {}),
    ...(heapUsed !== null ? { heapUsedBytes: Math.round(heapUsed) } : {}),
    ...(i.heapLimitBytes !== null ? { heapLimitBytes: i.heapLimitBytes } : {}),
    ...(i.rssBytes !== null ? { rssBytes: i.rssBytes } : {}),
    ...(growth && growth.span >= LEAK_MIN_SPAN_MS / 2 ? { growthBytesPerMin: Math.round(growth.slope), observedMs: growth.span } : {}),
    ...(gcTrend.after.length ? { heapAfterFullGcMB: gcTrend.after } : {}),
    ...(i.ceilingBytes !== null ? { ceilingBytes: i.ceilingBytes } : {}),
  };
  const ran = uptime !== null ? ` after ${formatDuration(uptime)}` : '';
  const grew = (g: Growth): string => `its memory grew ${formatBytes(g.slope)}/min for ${formatDuration(g.span)} (+${Math.round(g.rise * 100)}%)`;

  if (i.cause === 'heap-oom') {
    const snapshot = snapshotFit(i, i.heapLimitBytes ?? heapUsed);
    if (growth && isLeak(growth)) {
      return { kind: 'leak', confidence: growth.span >= LEAK_HIGH_SPAN_MS || gcTrend.rising ? 'high' : 'medium', raiseHeapHelps: 'stopgap', snapshot, ...numbers,
        why: `${grew(growth)} until the heap was full${ran}: a leak; a larger heap only delays the next crash` };
    }
    if (gcTrend.rising) {
      return { kind: 'leak', confidence: 'medium', raiseHeapHelps: 'stopgap', snapshot, ...numbers,
        why: `the heap left after each full GC kept rising (${gcTrend.after.join(' → ')} MB)${ran}: a leak; a larger heap only delays the next crash` };
    }
    if (uptime !== null && uptime < STARTUP_MS) {
      return { kind: 'undersized', confidence: 'high', raiseHeapHelps: 'yes', ...numbers,
        why: `the heap was full${ran}, during start-up${i.heapLimitBytes ? `: ${formatBytes(i.heapLimitBytes)} is too small for this project` : ''}` };
    }
    if (growth && growth.span >= 30_000 && growth.rise < FLAT_MAX_RISE) {
      return { kind: 'undersized', confidence: 'medium', raiseHeapHelps: 'yes', ...numbers,
        why: `memory was flat for ${formatDuration(growth.span)} before, so one big step (a large request, a build) filled the heap${ran}` };
    }
    return { kind: 'unknown', confidence: 'low', raiseHeapHelps: 'unknown', snapshot, ...numbers,
      why: `it ran${ran || ' for an unknown time'} before the heap filled, and no samples of the run show whether memory grew steadily (a leak) or in one step` };
  }

  // Killed by the kernel or systemd-oomd: the heap limit was not what stopped it.
  const heapBound = gcHeap ?? (i.heapLimitBytes !== null ? i.heapLimitBytes + HEAP_OVERHEAD_BYTES : null);
  if (i.rssBytes !== null && heapBound !== null && i.rssBytes >= heapBound * 1.5 && i.rssBytes - heapBound >= HEAP_OVERHEAD_BYTES) {
    const outside = i.rssBytes - (gcHeap ?? i.heapLimitBytes ?? 0);
    const heapWords = gcHeap !== null ? `its V8 heap held only ${formatBytes(gcHeap)}` : `its V8 heap cannot exceed ${formatBytes(i.heapLimitBytes!)}`;
    return { kind: 'native-growth', confidence: gcHeap !== null ? 'high' : 'medium', raiseHeapHelps: 'no', ...numbers, outsideHeapBytes: outside,
      why: `it was killed at ${formatBytes(i.rssBytes)} RSS while ${heapWords}: about ${formatBytes(outside)} lived outside the heap (Buffers, external memory, native addons); raising the heap limit changes nothing${growth ? `; ${grew(growth)}` : ''}` };
  }
  const limitAbove = i.heapLimitBytes !== null && i.ceilingBytes !== null && i.heapLimitBytes >= i.ceilingBytes;
  if (growth && isLeak(growth)) {
    return { kind: 'leak', confidence: growth.span >= LEAK_HIGH_SPAN_MS ? 'high' : 'medium', raiseHeapHelps: 'no', ...numbers,
      snapshot: snapshotFit(i, i.ceilingBytes !== null ? Math.min(i.ceilingBytes, i.heapLimitBytes ?? i.ceilingBytes) : i.heapLimitBytes),
      why: `${grew(growth)} until the kernel killed it: a leak; the memory ceiling${i.ceilingBytes ? ` (${formatBytes(i.ceilingBytes)})` : ''}, not the heap limit, stopped it, so raising the heap changes nothing` };
  }
  return { kind: 'unknown', confidence: 'low', raiseHeapHelps: limitAbove || i.cause !== 'oom-kill' ? 'no' : 'unknown', ...numbers,
    why: limitAbove
      ? `its heap limit (${formatBytes(i.heapLimitBytes!)}) is already above the ${formatBytes(i.ceilingBytes!)} ceiling that killed it, so raising the heap cannot help`
      : 'the kernel killed it before V8 reached its heap limit; without samples of the run the doctor cannot tell heap growth from native growth' };
}
