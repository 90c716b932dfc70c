// Stops Dev Server Doctor performs itself — Restart Server, a supervised stop or restart, a kill the user
// confirmed, the supervisor's own restarts, a Ctrl-C the editor saw — recorded *before* the signal is sent.
// The crash judgement and the outage warnings consult the same registry: a process whose end was expected
// gets no verdict, no history entry, no badge, no toast, no "is down" warning.
//
// The editor and the CLI share it through one small append-only file beside runs.jsonl (the CLI may stop a
// server the editor watches, and the other way round). Each record names a process by pid and start time,
// so a recycled pid never matches; a record is good for a minute. Bad lines are skipped, never thrown.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonLinesTail } from './jsonLinesTail';
import { systemClock, type Clock } from '../clock';
import { defaultLookup } from '../remedies/processes';
import { sharedRunsFile } from './sharedRuns';

export type StopReason = 'restart' | 'kill' | 'supervised-stop' | 'supervised-restart' | 'rss-limit' | 'user-interrupt' | 'run-stop';

export interface StopRecord {
  readonly v: 1;
  /** When the stop was decided, before any signal (ms since the epoch). */
  readonly at: number;
  readonly pid: number;
  /** The process's start time (ms since the epoch); null when unknown (the pid alone then matches, within the window). */
  readonly startTimeMs: number | null;
  /** True: the stop ends this pid's children (a terminal's shell whose command the user interrupted), not the pid. */
  readonly children?: boolean;
  readonly reason: StopReason;
  /** Who stopped it: 'vscode', 'cli', 'supervisor', 'agent'… */
  readonly by: string;
}

/** A process as the monitor saw it. */
export interface StoppedProcess {
  readonly pid: number;
  readonly startTimeMs?: number | null;
  readonly ppid?: number | null;
}

/** What the crash watcher and the outage detector need from the registry. */
export interface ExpectedStopsLike {
  /** The record that explains this process's end observed at `at`; null when nobody here stopped it. */
  explains(proc: StoppedProcess, at: number): StopRecord | null;
}

export interface ExpectedStopsOptions {
  /** The shared file; null keeps the records in this process only. */
  readonly file?: string | null;
  /** A record explains ends observed up to this long after it (default 60 s: SIGKILL follows SIGTERM after 3–5 s). */
  readonly windowMs?: number;
  readonly clock?: Clock;
}

const WINDOW_MS = 60_000;
/** Ends seen slightly before the record (another process's clock read a moment later) still match. */
const EARLY_SLACK_MS = 2000;
/** Start times from /proc are in clock ticks; two readers may round them differently. */
const START_TOLERANCE_MS = 1000;
const MAX_KEPT = 2000;
const MAX_FILE_BYTES = 256 * 1024;

/** The shared file: beside runs.jsonl in the user's temp state (DEV_SERVER_DOCTOR_STATE overrides it). */
export function expectedStopsFile(): string {
  return path.join(path.dirname(sharedRunsFile()), 'expected-stops.jsonl');
}

function isStopRecord(x: unknown): x is StopRecord {
  if (!x || typeof x !== 'object') return false;
  const r = x as Partial<StopRecord>;
  return r.v === 1 && typeof r.at === 'number' && typeof r.pid === 'number' && Number.isInteger(r.pid) && r.pid > 0
    && (r.startTimeMs === null || typeof r.startTimeMs === 'number') && typeof r.reason === 'string' && typeof r.by === 'string';
}

export class ExpectedStops implements ExpectedStopsLike {
  private readonly file: string | null;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private records: StopRecord[] = [];
  private readonly tail: JsonLinesTail<StopRecord> | null;
  /** Why the shared file could not be written or read (said once by whoever shows problems); null when fine. */
  problem: string | null = null;

  constructor(opts: ExpectedStopsOptions = {}) {
    this.file = opts.file === undefined ? expectedStopsFile() : opts.file;
    this.windowMs = opts.windowMs ?? WINDOW_MS;
    this.clock = opts.clock ?? systemClock;
    // Only stops from now on matter: skip what the file holds already; a huge backlog only to its end.
    this.tail = this.file ? new JsonLinesTail(this.file, isStopRecord, { keepEnd: true }) : null;
  }

  /**
   * Records that these processes are about to be stopped on purpose. Call it before signalling. A start time
   * left out is read from /proc now (null where it cannot be read). `children`: the stop ends `pid`'s children.
   */
  expect(procs: readonly StoppedProcess[], reason: StopReason, by: string, opts: { children?: boolean; at?: number } = {}): void {
    if (procs.length === 0) return;
    const at = opts.at ?? this.clock.now();
    const lookup = procs.some((p) => p.startTimeMs === undefined) && !opts.children ? defaultLookup() : null;
    const fresh: StopRecord[] = procs.map((p) => ({
      v: 1, at, pid: p.pid,
      startTimeMs: opts.children ? null : p.startTimeMs !== undefined && p.startTimeMs !== null && p.startTimeMs > 0 ? p.startTimeMs : lookup?.get(p.pid)?.startTimeMs || null,
      ...(opts.children ? { children: true } : {}), reason, by,
    }));
    this.keep(fresh);
    if (!this.file) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      try {
        if (fs.statSync(this.file).size > MAX_FILE_BYTES) fs.renameSync(this.file, `${this.file}.1`);
      } catch { /* not there yet */ }
      fs.appendFileSync(this.file, fresh.map((r) => `${JSON.stringify(r)}\n`).join(''), { mode: 0o600 });
      // Our own lines are already kept: read past them.
      this.readShared();
      this.problem = null;
    } catch (err) {
      this.problem = `Could not share a planned stop with other dev-server-doctor processes through ${this.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}. Only this process knows it was on purpose.`;
    }
  }

  explains(proc: StoppedProcess, at: number): StopRecord | null {
    this.readShared();
    const fits = (r: StopRecord) => at >= r.at - EARLY_SLACK_MS && at - r.at <= this.windowMs;
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i]!;
      if (!fits(r)) continue;
      if (r.children) {
        // Only the command that was interrupted: a later command in the same shell is not covered.
        const start = proc.startTimeMs ?? 0;
        if (proc.ppid !== undefined && proc.ppid !== null && proc.ppid === r.pid && start > 0 && start <= r.at + START_TOLERANCE_MS) return r;
        continue;
      }
      if (r.pid !== proc.pid) continue;
      const start = proc.startTimeMs ?? null;
      if (r.startTimeMs === null || start === null || start <= 0 || Math.abs(r.startTimeMs - start) <= START_TOLERANCE_MS) return r;
    }
    return null;
  }

  /** The first of `procs` whose end a record explains. */
  explainsAny(procs: readonly StoppedProcess[], at: number): StopRecord | null {
    for (const p of procs) {
      const r = this.explains(p, at);
      if (r) return r;
    }
    return null;
  }

  private keep(fresh: readonly StopRecord[]): void {
    if (fresh.length === 0) return;
    // Relative to the newest record, not the clock: a caller may pass its own times (a snapshot's).
    const newest = Math.max(...fresh.map((r) => r.at));
    this.records = [...this.records.filter((r) => newest - r.at <= this.windowMs * 5), ...fresh].slice(-MAX_KEPT);
  }

  /** Records other processes appended since the last read. */
  private readShared(): void {
    const fresh = (this.tail?.read() ?? []).filter((x) => !this.records.some((r) => r.at === x.at && r.pid === x.pid && r.reason === x.reason));
    this.keep(fresh);
  }
}

const shared = new Map<string, ExpectedStops>();

/** The registry every part of this process shares (one per file), backed by the file other processes read. */
export function sharedExpectedStops(file = expectedStopsFile()): ExpectedStops {
  let s = shared.get(file);
  if (!s) shared.set(file, (s = new ExpectedStops({ file })));
  return s;
}
