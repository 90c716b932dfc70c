// Health score, 0–100, per server and for the workspace. Documented in the README ("Health score").
import type { Threshold } from '../settings';
import type { Server } from '../types';

export interface ScoreInputs {
  readonly state: Server['state'];
  readonly uptimeMs: number | null;
  readonly crashesLastHour: number;
  /** Memory in use as a share of what it may use (the smallest of heap limit, cgroup limit, RSS + available); null unknown. */
  readonly memoryUsedFraction: number | null;
  readonly latencyMs: number | null;
  readonly lastCheckOk: boolean | null;
  readonly errorRatePercent: number;
  readonly latencyThreshold: Threshold;
  readonly errorRateThreshold: Threshold;
}

export interface ScoreParts {
  readonly uptime: number;
  readonly crashes: number;
  readonly memory: number;
  readonly latency: number;
  readonly errors: number;
}

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

/**
 * 100 minus penalties (down: null; unresponsive: 0):
 * - uptime: 5 while it has been up less than a minute (it just (re)started);
 * - crashes: 15 per crash in the last hour, at most 45;
 * - memory: 0 up to 60 % of its limit, rising linearly to 30 at 100 %;
 * - latency: 0 up to 200 ms, rising linearly to 20 at the latency error threshold; 10 more when the last check failed;
 * - errors: the failed share of the last 5 minutes' checks, 0 at 0 % rising linearly to 20 at the error-rate error threshold.
 */
export function scoreServer(i: ScoreInputs): { score: number | null; parts: ScoreParts } {
  const parts: ScoreParts = {
    uptime: i.uptimeMs !== null && i.uptimeMs < 60_000 ? 5 : 0,
    crashes: Math.min(45, 15 * Math.max(0, i.crashesLastHour)),
    memory: i.memoryUsedFraction === null ? 0 : Math.round(30 * clamp01((i.memoryUsedFraction - 0.6) / 0.4)),
    latency: (i.latencyMs === null ? 0 : Math.round(20 * clamp01((i.latencyMs - 200) / Math.max(1, i.latencyThreshold.error - 200))))
      + (i.lastCheckOk === false ? 10 : 0),
    errors: Math.round(20 * clamp01(i.errorRatePercent / Math.max(0.1, i.errorRateThreshold.error))),
  };
  if (i.state === 'down') return { score: null, parts };
  if (i.state === 'unresponsive') return { score: 0, parts };
  const total = parts.uptime + parts.crashes + parts.memory + parts.latency + parts.errors;
  return { score: Math.max(0, 100 - total), parts };
}

/** The workspace's score: the mean of its running servers' scores and the worst one, halved (one sick server shows). */
export function workspaceScore(scores: readonly (number | null | undefined)[]): number | null {
  const known = scores.filter((s): s is number => typeof s === 'number');
  if (known.length === 0) return null;
  const mean = known.reduce((a, b) => a + b, 0) / known.length;
  return Math.round((mean + Math.min(...known)) / 2);
}

/** Memory in use over what the server may use: its heap limit, its cgroup's limit, or its RSS plus what the machine has free. */
export function memoryUsedFraction(s: Server, availableBytes: number): number | null {
  if (s.state === 'down' || s.rssBytes <= 0) return null;
  const limits = [s.rssBytes + availableBytes];
  if (s.heapLimitBytes) limits.push(s.heapLimitBytes);
  if (s.cgroup?.limitBytes) limits.push(s.cgroup.limitBytes);
  const limit = Math.min(...limits);
  const used = s.cgroup?.limitBytes === limit ? s.cgroup.usageBytes : s.rssBytes;
  return limit > 0 ? used / limit : null;
}
