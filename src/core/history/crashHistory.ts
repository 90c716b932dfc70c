// Every crash verdict, kept in an append-only JSON Lines file in the extension's storage.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { verdictKey, type CauseId, type RemedyRef, type Verdict } from '../crash/types';
import { readRemedy } from '../remedies/catalogue';
import { systemClock, type Clock } from '../clock';
import { appendJsonl, openJsonl, rewriteJsonl } from './jsonl';

export type CrashSeverity = 'warning' | 'critical';

export interface CrashEntry {
  readonly id: string;
  readonly time: number;
  readonly server: string | null;
  readonly serverId: string | null;
  readonly pid: number | null;
  readonly cause: CauseId;
  readonly severity: CrashSeverity;
  /** One crash, whatever number of verdicts it produced (see verdictKey). */
  readonly key: string;
  /** When it was stored. */
  readonly recordedAt: number;
  readonly resolvedAt: number | null;
  readonly verdict: Verdict;
  /** The same crash again (same server, cause and place in the code) while unresolved: one entry, counted. */
  readonly count: number;
  /** When it last happened (the first time is `time`). */
  readonly lastTime: number;
}

type FileRecord =
  | { readonly t: 'crash'; readonly id: string; readonly at: number; readonly key: string; readonly severity: CrashSeverity; readonly verdict: Verdict; readonly resolvedAt?: number; readonly count?: number; readonly lastTime?: number }
  | { readonly t: 'resolved'; readonly id: string; readonly at: number }
  | { readonly t: 'repeat'; readonly id: string; readonly at: number; readonly time: number; readonly verdict: Verdict };

export interface Counts {
  readonly total: number;
  readonly unresolved: number;
  readonly byServer: Readonly<Record<string, number>>;
  readonly byCause: Readonly<Partial<Record<CauseId, number>>>;
}

export interface CrashHistoryOptions {
  /** Folder of the history file (the extension's workspace storage). */
  readonly dir: string;
  readonly clock?: Clock;
  /** Crashes kept (default 500). */
  readonly maxEntries?: number;
  /** The file is compacted beyond this size (default 2 MB). */
  readonly maxBytes?: number;
}

export const HISTORY_FILE = 'crashes.jsonl';
const DAY_MS = 86_400_000;
/** Evidence quotes are cut to this length in the file; the verdict's summary keeps the facts. */
const MAX_EVIDENCE_CHARS = 2000;
const MAX_EVIDENCE = 10;
/** Verdicts of one server without a pid this close together are one crash. */

const CRITICAL_CAUSES = new Set<CauseId>(['oom-kill', 'oomd-kill', 'heap-oom', 'native-crash', 'disk-full']);

export function crashSeverity(cause: CauseId): CrashSeverity {
  return CRITICAL_CAUSES.has(cause) ? 'critical' : 'warning';
}

function trimmed(v: Verdict): Verdict {
  return {
    ...v,
    evidence: v.evidence.slice(0, MAX_EVIDENCE).map((e) =>
      e.text.length > MAX_EVIDENCE_CHARS ? { ...e, text: `${e.text.slice(0, MAX_EVIDENCE_CHARS)}…` } : e),
  };
}

/** Repeats further apart than this are separate crashes. */
const REPEAT_WINDOW_MS = 3_600_000;

/** The same problem: same server, same cause, same first frame of the user's code (or the same summary). */
function sameProblem(a: Verdict, b: Verdict): boolean {
  const who = (v: Verdict) => v.detail?.serverId ?? v.server;
  const where = (v: Verdict) => v.topFrame ?? v.summary.replace(/\b(pid|PID) \d+/g, '');
  return who(a) === who(b) && a.cause === b.cause && where(a) === where(b);
}

/** Verdicts stored before the remedy catalogue named remedies by VS Code command; read them as catalogue ids. */
function withCurrentRemedies(v: Verdict): Verdict {
  const stored: unknown = (v as { remedies?: unknown }).remedies;
  const remedies = Array.isArray(stored) ? stored.map(readRemedy).filter((r): r is RemedyRef => r !== null) : [];
  return { ...v, remedies };
}

function isRecord(x: unknown): x is FileRecord {
  if (!x || typeof x !== 'object') return false;
  const r = x as Record<string, unknown>;
  if (typeof r.id !== 'string' || typeof r.at !== 'number') return false;
  if (r.t === 'resolved') return true;
  if (r.t === 'repeat') return typeof r.time === 'number' && !!r.verdict && typeof r.verdict === 'object';
  const v = r.verdict as Record<string, unknown> | undefined;
  return r.t === 'crash' && typeof r.key === 'string' && !!v && typeof v.cause === 'string' && typeof v.time === 'number';
}

function countOf(entries: readonly CrashEntry[]): Counts {
  const byServer: Record<string, number> = {};
  const byCause: Partial<Record<CauseId, number>> = {};
  let unresolved = 0;
  for (const e of entries) {
    const name = e.server ?? 'unknown server';
    byServer[name] = (byServer[name] ?? 0) + 1;
    byCause[e.cause] = (byCause[e.cause] ?? 0) + 1;
    if (e.resolvedAt === null) unresolved++;
  }
  return { total: entries.length, unresolved, byServer, byCause };
}

/** Crash history of one workspace. Never throws: what goes wrong with the file is in `problems`. */
export class CrashHistory {
  readonly file: string;
  /** Problems met reading or writing the file, as sentences for the user. */
  readonly problems: string[] = [];
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  /** Oldest first. */
  private list: CrashEntry[] = [];
  /** Keys of the verdicts counted as repeats (the same death judged twice is still one). */
  private readonly repeatKeys = new Set<string>();
  private lines = 0;
  private bytes = 0;

  constructor(opts: CrashHistoryOptions) {
    this.file = path.join(opts.dir, HISTORY_FILE);
    this.clock = opts.clock ?? systemClock;
    this.maxEntries = opts.maxEntries ?? 500;
    this.maxBytes = opts.maxBytes ?? 2 * 1024 * 1024;
    this.reload();
  }

  /** Reads the file again (another window may have written to it). */
  reload(): void {
    const read = openJsonl(this.file);
    this.problems.push(...read.problems);
    this.bytes = read.bytes;
    this.lines = read.records.length;
    const byId = new Map<string, CrashEntry>();
    for (const r of read.records) {
      if (!isRecord(r)) continue;
      if (r.t === 'crash') {
        const v = withCurrentRemedies(r.verdict);
        byId.set(r.id, {
          id: r.id, time: v.time, server: v.server, serverId: v.detail?.serverId ?? null, pid: v.pid, cause: v.cause,
          severity: r.severity, key: r.key, recordedAt: r.at, resolvedAt: r.resolvedAt ?? null, verdict: v,
          count: typeof r.count === 'number' && r.count > 1 ? r.count : 1, lastTime: typeof r.lastTime === 'number' ? r.lastTime : v.time,
        });
      } else if (r.t === 'repeat') {
        const e = byId.get(r.id);
        if (e) byId.set(r.id, { ...e, count: e.count + 1, lastTime: Math.max(e.lastTime, r.time), verdict: withCurrentRemedies(r.verdict) });
        this.repeatKeys.add(verdictKey(r.verdict));
      } else {
        const e = byId.get(r.id);
        if (e) byId.set(r.id, { ...e, resolvedAt: r.at });
      }
    }
    this.list = [...byId.values()].sort((a, b) => a.time - b.time);
  }

  /**
   * Stores a verdict; returns its entry, or null when this crash is already stored (same key). The same crash
   * again — same server, cause and place in the code, while its entry is unresolved and within an hour — is
   * counted on that entry (a code bug that crashes at every restart is one problem, not ten).
   */
  add(verdict: Verdict): CrashEntry | null {
    const key = verdictKey(verdict);
    if (this.list.some((e) => e.key === key) || this.repeatKeys.has(key)) return null;
    const v = trimmed(verdict);
    const same = this.list.findIndex((e) => e.resolvedAt === null && sameProblem(e.verdict, v) && v.time >= e.lastTime && v.time - e.lastTime < REPEAT_WINDOW_MS);
    if (same >= 0) {
      const at = this.clock.now();
      const e = this.list[same]!;
      const updated: CrashEntry = { ...e, count: e.count + 1, lastTime: v.time, verdict: v, pid: v.pid };
      this.list[same] = updated;
      this.repeatKeys.add(key);
      this.append({ t: 'repeat', id: e.id, at, time: v.time, verdict: v });
      return updated;
    }
    const severity = crashSeverity(v.cause);
    const at = this.clock.now();
    const id = `${at.toString(36)}-${randomBytes(3).toString('hex')}`;
    const entry: CrashEntry = {
      id, time: v.time, server: v.server, serverId: v.detail?.serverId ?? null, pid: v.pid, cause: v.cause, severity, key, recordedAt: at, resolvedAt: null, verdict: v,
      count: 1, lastTime: v.time,
    };
    this.list.push(entry);
    this.list.sort((a, b) => a.time - b.time);
    this.append({ t: 'crash', id, at, key, severity, verdict: v });
    return entry;
  }

  /** Marks a crash resolved; false when no such crash. */
  markResolved(id: string): boolean {
    const i = this.list.findIndex((e) => e.id === id);
    if (i < 0) return false;
    if (this.list[i]!.resolvedAt !== null) return true;
    const at = this.clock.now();
    this.list[i] = { ...this.list[i]!, resolvedAt: at };
    this.append({ t: 'resolved', id, at });
    return true;
  }

  /** Newest first. */
  entries(opts: { limit?: number; includeResolved?: boolean } = {}): CrashEntry[] {
    const out = [...this.list].reverse().filter((e) => opts.includeResolved !== false || e.resolvedAt === null);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  }

  /** Crashes in the last 24 hours and 7 days, per server and per cause. */
  counts(now = this.clock.now()): { readonly day: Counts; readonly week: Counts } {
    const since = (ms: number) => this.list.filter((e) => e.time > now - ms && e.time <= now);
    return { day: countOf(since(DAY_MS)), week: countOf(since(7 * DAY_MS)) };
  }

  private append(record: FileRecord): void {
    const res = appendJsonl(this.file, record);
    if ('problem' in res) {
      this.problems.push(res.problem);
      return;
    }
    this.bytes += res.bytes;
    this.lines++;
    if (this.lines > this.maxEntries * 2 || this.bytes > this.maxBytes) this.compact();
  }

  /** Rewrites the file with the newest crashes (resolutions folded in), within the count and half the size cap. */
  private compact(): void {
    const keep: FileRecord[] = [];
    let bytes = 0;
    for (const e of [...this.list].reverse()) {
      const r: FileRecord = {
        t: 'crash', id: e.id, at: e.recordedAt, key: e.key, severity: e.severity, verdict: e.verdict,
        ...(e.resolvedAt !== null ? { resolvedAt: e.resolvedAt } : {}),
        ...(e.count > 1 ? { count: e.count, lastTime: e.lastTime } : {}),
      };
      bytes += JSON.stringify(r).length + 1;
      if (keep.length >= this.maxEntries || (keep.length > 0 && bytes > this.maxBytes / 2)) break;
      keep.push(r);
    }
    keep.reverse();
    const res = rewriteJsonl(this.file, keep);
    if ('problem' in res) {
      this.problems.push(res.problem);
      return;
    }
    const kept = new Set(keep.map((r) => r.id));
    this.list = this.list.filter((e) => kept.has(e.id));
    this.bytes = res.bytes;
    this.lines = keep.length;
  }
}
