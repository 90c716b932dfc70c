// Which early warnings become a notification now: quiet by design.
import * as path from 'node:path';
import type { Verdict } from '../crash/types';
import { formatBytes } from '../format';
import { verdictKey } from '../crash/types';
import type { Threshold } from '../settings';
import type { AlertSeverity, Snapshot, SystemState } from '../types';
import { systemClock, type Clock } from '../clock';
import { lineageKey, type DownAlarm } from './downDetector';
import { PersistedSet } from './persistedSet';
import type { RemedyId } from '../remedies/catalogue';
import type { OomRisk } from './rssTrend';

export type WarningKind = 'oom-risk' | 'down' | 'disk' | 'inotify' | 'crash' | HealthWarningKind;

/** Warnings the health checks raise (core/health/checker.ts), already sustained or confirmed there. */
export type HealthWarningKind = 'unresponsive' | 'cpu' | 'latency' | 'errors';
const HEALTH_KINDS: readonly string[] = ['unresponsive', 'cpu', 'latency', 'errors'] satisfies HealthWarningKind[];

/** The remedies a warning of each kind offers, best first (buttons in the editor). */
export const WARNING_REMEDIES: Readonly<Record<WarningKind, readonly RemedyId[]>> = {
  'oom-risk': ['raise-heap-limit', 'restart-server', 'investigate'],
  down: ['restart-server', 'investigate'],
  disk: ['free-disk'],
  inotify: ['raise-inotify-limit'],
  crash: ['investigate'],
  unresponsive: ['find-where-stuck', 'restart-server', 'investigate'],
  cpu: ['find-where-stuck', 'restart-server'],
  latency: ['find-where-stuck', 'restart-server'],
  errors: ['restart-server', 'investigate'],
};

/** Kinds whose subject is a server id (their remedies act on that server). */
export function isServerWarning(kind: WarningKind): boolean {
  return kind === 'oom-risk' || kind === 'down' || HEALTH_KINDS.includes(kind);
}

/** The snapshot's health alerts (unresponsive, sustained CPU, latency, error rate) as warnings about their server. */
export function healthWarnings(s: Snapshot): EarlyWarning[] {
  const out: EarlyWarning[] = [];
  for (const a of s.alerts) {
    if (!HEALTH_KINDS.includes(a.kind) || a.server === null) continue;
    const server = s.servers.find((v) => v.name === a.server);
    if (!server) continue;
    out.push({ kind: a.kind as HealthWarningKind, subject: server.id, severity: a.severity, message: a.message, server: a.server });
  }
  return out;
}

/** A condition that holds now and may deserve a notification. */
export interface EarlyWarning {
  readonly kind: WarningKind;
  /** What it is about: a server id, a mount point, 'inotify watches'… One notification per kind and subject. */
  readonly subject: string;
  readonly severity: AlertSeverity;
  readonly message: string;
  readonly server: string | null;
  /** For OOM risk: a projection that halves is worse and may notify again. */
  readonly minutesToLimit?: number;
}

export function oomRiskWarning(r: OomRisk & { readonly serverId: string }): EarlyWarning {
  return { kind: 'oom-risk', subject: r.serverId, severity: r.severity, message: r.message, server: r.server, minutesToLimit: r.minutesToLimit };
}

export function downWarning(a: DownAlarm): EarlyWarning {
  return { kind: 'down', subject: a.serverId, severity: 'warning', message: a.message, server: a.server };
}

/** Filesystems holding a workspace folder at or above the thresholds (percent used, like df). */
export function diskWarnings(system: SystemState, workspaceFolders: readonly string[], t: Threshold): EarlyWarning[] {
  const out: EarlyWarning[] = [];
  for (const d of system.disks) {
    const folders = d.forPaths.filter((p) => workspaceFolders.some((f) => path.relative(f, p) === ''));
    if (folders.length === 0) continue;
    const severity = d.usedPercent >= t.error ? 'critical' : d.usedPercent >= t.warn ? 'warning' : null;
    if (!severity) continue;
    out.push({
      kind: 'disk', subject: d.mount, severity, server: null,
      message: `Disk ${d.mount} (holding ${folders.map((f) => path.basename(f)).join(', ')}) is ${d.usedPercent}% full, ${formatBytes(d.freeBytes)} free: builds, caches and logs fail with ENOSPC when it fills.`,
    });
  }
  return out;
}

export interface WarningPolicyOptions {
  readonly clock?: Clock;
  /** Folder for the "don't show again" choices (the workspace's storage); null keeps them in memory. */
  readonly storageDir?: string | null;
  /** At most this many warning notifications per minute, all kinds together (default 3); crashes always get through. */
  readonly maxPerMinute?: number;
  /** A warning that stopped must stay away this long before it counts as cleared (default 60 s). */
  readonly clearAfterMs?: number;
}

interface Shown {
  readonly severity: AlertSeverity;
  readonly minutesToLimit: number | undefined;
  lastActive: number;
}

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };
export const MUTED_FILE = 'muted-warnings.json';
const CRASH_KEYS_KEPT = 500;
/** After a crash's toast, that server's "down" warning stays in the tree and status bar only, this long. */
const CRASH_COVERS_DOWN_MS = 10 * 60_000;

const keyOf = (kind: string, subject: string) => `${kind}\u0000${subject}`;

export class WarningPolicy {
  private readonly clock: Clock;
  private maxPerMinute: number;
  private readonly clearAfterMs: number;
  private readonly muted: PersistedSet;
  private readonly shown = new Map<string, Shown>();
  private readonly crashKeys = new Set<string>();
  private toastTimes: number[] = [];
  /** Servers that crashed (by lineage id and by name): their "down" warning would say it a second time. */
  private readonly crashed = new Map<string, number>();

  constructor(opts: WarningPolicyOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.maxPerMinute = opts.maxPerMinute ?? 3;
    this.clearAfterMs = opts.clearAfterMs ?? 60_000;
    this.muted = new PersistedSet(opts.storageDir ? path.join(opts.storageDir, MUTED_FILE) : null);
  }

  /**
   * A new rate from the settings. The policy itself stays: what was shown, which servers crashed (so their
   * "is down" is no news) and what was muted are not forgotten because a setting changed.
   */
  setMaxPerMinute(n: number): void {
    this.maxPerMinute = n;
  }

  /** Why the saved choices could not be read or written; null when fine. */
  get problem(): string | null {
    return this.muted.problem;
  }

  /**
   * Given every warning that holds now, the ones to notify now, most severe first. A warning is notified
   * once until it clears or gets meaningfully worse (higher severity, or its time to the limit crosses into a
   * nearer step: minutes → under a minute).
   */
  evaluate(active: readonly EarlyWarning[]): EarlyWarning[] {
    const now = this.clock.now();
    const present = new Set<string>();
    const out: EarlyWarning[] = [];
    for (const w of [...active].sort((a, b) => RANK[b.severity] - RANK[a.severity])) {
      const key = keyOf(w.kind, w.subject);
      present.add(key);
      const before = this.shown.get(key);
      if (before) before.lastActive = now;
      // The crash's own toast already told this outage (the tree and status bar still show the warning).
      const told = w.kind === 'down' && this.crashCovers(w, now);
      if (told || this.isMuted(w.kind, w.subject) || (before && !worse(w, before)) || !this.takeToast(now)) continue;
      this.shown.set(key, { severity: w.severity, minutesToLimit: w.minutesToLimit, lastActive: now });
      out.push(w);
    }
    for (const [key, s] of this.shown) {
      if (!present.has(key) && now - s.lastActive >= this.clearAfterMs) this.shown.delete(key);
    }
    return out;
  }

  /**
   * True when a crash notification may be shown: once per crash (verdict key). A crash always gets through:
   * the warnings' rate budget never holds it back (it still counts, so warnings right after it wait).
   */
  offerCrash(verdict: Verdict): boolean {
    const key = verdictKey(verdict);
    if (this.crashKeys.has(key)) return false;
    this.crashKeys.add(key);
    if (this.crashKeys.size > CRASH_KEYS_KEPT) this.crashKeys.delete(this.crashKeys.values().next().value!);
    // Shown or not (muted, a repeat), the crash is what the user has to know about that server now.
    this.noteCrash(verdict);
    if (this.isMuted('crash', verdict.detail?.serverId ?? verdict.server ?? '')) return false;
    const now = this.clock.now();
    this.toastTimes = this.toastTimes.filter((t) => now - t < 60_000);
    this.toastTimes.push(now);
    return true;
  }

  /** A crash of this server: its "down" warning is no news for a while (the crash toast or entry said it). */
  noteCrash(verdict: Verdict): void {
    const now = this.clock.now();
    const cwd = verdict.detail?.cwd;
    for (const key of [verdict.detail?.serverId ? lineageKey(verdict.detail.serverId) : null, verdict.server ? `name:${verdict.server}` : null, cwd ? `cwd:${cwd}` : null]) {
      if (!key) continue;
      this.crashed.set(key, now);
      if (this.crashed.size > CRASH_KEYS_KEPT) this.crashed.delete(this.crashed.keys().next().value!);
    }
  }

  /** Whether a crash of the warning's server, noted recently, already tells this outage. */
  crashCovers(w: Pick<EarlyWarning, 'subject' | 'server'>, now = this.clock.now()): boolean {
    // An unmatched tree of the same folder (`sh -c npm run dev > log` seen apart from its declared server) is that crash too.
    const procCwd = w.subject.startsWith('proc:') ? w.subject.slice(5, w.subject.indexOf('#') > 5 ? w.subject.indexOf('#') : undefined) : null;
    const at = this.crashed.get(lineageKey(w.subject)) ?? (w.server ? this.crashed.get(`name:${w.server}`) : undefined) ?? (procCwd ? this.crashed.get(`cwd:${procCwd}`) : undefined);
    return at !== undefined && now - at < CRASH_COVERS_DOWN_MS;
  }

  /** "Don't show again for this workspace": a kind altogether, or one subject of it. */
  mute(kind: WarningKind, subject?: string): void {
    this.muted.add(subject === undefined ? kind : keyOf(kind, subject));
  }

  unmuteAll(): void {
    this.muted.clear();
  }

  isMuted(kind: WarningKind, subject: string): boolean {
    return this.muted.has(kind) || this.muted.has(keyOf(kind, subject));
  }

  private takeToast(now: number): boolean {
    this.toastTimes = this.toastTimes.filter((t) => now - t < 60_000);
    if (this.toastTimes.length >= this.maxPerMinute) return false;
    this.toastTimes.push(now);
    return true;
  }
}

/**
 * Steps of "time to the limit" a person acts differently on: an hour or more, ten minutes or more, minutes,
 * under a minute. A projection moving within a step (291 → 268 MB/min, "less than a minute" again) updates
 * what the tree and status bar show; only crossing into a nearer step is worth another toast.
 */
export function minutesStep(minutes: number): number {
  return minutes >= 60 ? 3 : minutes >= 10 ? 2 : minutes >= 1 ? 1 : 0;
}

function worse(w: EarlyWarning, before: Shown): boolean {
  if (RANK[w.severity] > RANK[before.severity]) return true;
  return w.minutesToLimit !== undefined && before.minutesToLimit !== undefined && minutesStep(w.minutesToLimit) < minutesStep(before.minutesToLimit);
}
