// The last minutes of memory samples, on disk, so that after the editor itself was killed the next
// start can say what happened: did the OOM killer take the editor, or a server?
import * as path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { formatBytes } from '../format';
import { descendants, readProcTable } from '../system/procTree';
import type { Snapshot } from '../types';
import { appendJsonl, openJsonl, rewriteJsonl } from './jsonl';

export interface JournalServer {
  readonly id: string;
  readonly name: string;
  readonly pids: readonly number[];
  readonly rssBytes: number;
}

export interface JournalSample {
  readonly at: number;
  readonly totalBytes: number;
  readonly availableBytes: number;
  readonly swapUsedBytes: number;
  /** PSI memory "full" avg10; null without PSI. */
  readonly pressureFull: number | null;
  /** RSS of the process keeping the journal (the extension host). */
  readonly selfRssBytes: number | null;
  readonly servers: readonly JournalServer[];
}

export interface JournalSession {
  readonly pid: number;
  /** Processes of the editor (the extension host, its ancestors up to the editor's main process, their other children). */
  readonly editorPids: readonly number[];
  readonly startedAt: number;
  /** When it closed cleanly; null when it never said goodbye (killed, crashed, power loss). */
  readonly endedAt: number | null;
  readonly samples: readonly JournalSample[];
}

type FileRecord =
  | { readonly t: 'session'; readonly at: number; readonly pid: number; readonly editorPids: readonly number[] }
  | ({ readonly t: 'sample' } & JournalSample)
  | { readonly t: 'end'; readonly at: number; readonly pid: number };

export interface SampleJournalOptions {
  readonly dir: string;
  readonly clock?: Clock;
  /** Samples kept (default 10 min). */
  readonly keepMs?: number;
  /** At most one sample this often (default 5 s). */
  readonly minIntervalMs?: number;
  /** Beyond this size the file is compacted to the kept samples (default 256 KB). */
  readonly maxBytes?: number;
}

export const JOURNAL_FILE = 'samples.jsonl';

/** Turns the file's records into sessions, oldest first. */
function sessionsOf(records: readonly unknown[]): JournalSession[] {
  const sessions: { pid: number; editorPids: number[]; startedAt: number; endedAt: number | null; samples: JournalSample[] }[] = [];
  for (const x of records) {
    const r = x as Partial<FileRecord> | null;
    if (!r || typeof r !== 'object' || typeof r.at !== 'number') continue;
    const cur = sessions[sessions.length - 1];
    if (r.t === 'session' && typeof r.pid === 'number') {
      sessions.push({ pid: r.pid, editorPids: Array.isArray(r.editorPids) ? r.editorPids.filter((p) => typeof p === 'number') : [], startedAt: r.at, endedAt: null, samples: [] });
    } else if (r.t === 'end' && cur) {
      cur.endedAt = r.at;
    } else if (r.t === 'sample' && cur && Array.isArray(r.servers)) {
      const { t: _t, ...sample } = r as { t: 'sample' } & JournalSample;
      cur.samples.push(sample);
    }
  }
  return sessions;
}

/** Appends a sample every few seconds (about 200 bytes); keeps the file small by compacting it to the last minutes. */
export class SampleJournal {
  readonly file: string;
  /** The session found in the file when it was opened: the editor's previous run. */
  readonly previous: JournalSession | null;
  readonly problems: string[] = [];
  private readonly clock: Clock;
  private readonly keepMs: number;
  private readonly minIntervalMs: number;
  private readonly maxBytes: number;
  private session: Extract<FileRecord, { t: 'session' }> | null = null;
  private samples: JournalSample[] = [];
  private bytes = 0;

  constructor(opts: SampleJournalOptions) {
    this.file = path.join(opts.dir, JOURNAL_FILE);
    this.clock = opts.clock ?? systemClock;
    this.keepMs = opts.keepMs ?? 600_000;
    this.minIntervalMs = opts.minIntervalMs ?? 5000;
    this.maxBytes = opts.maxBytes ?? 256 * 1024;
    const read = openJsonl(this.file);
    this.problems.push(...read.problems);
    this.previous = sessionsOf(read.records).pop() ?? null;
  }

  /** Begins this run's session; the file then holds this session only (the previous one stays in `previous`). */
  startSession(pid = process.pid, editorPids: readonly number[] = [pid]): void {
    this.session = { t: 'session', at: this.clock.now(), pid, editorPids };
    this.samples = [];
    this.write(() => rewriteJsonl(this.file, [this.session]), true);
  }

  /** Records the snapshot's memory figures, unless the last sample is too recent. True when written. */
  record(snapshot: Snapshot, selfRssBytes: number | null = process.memoryUsage.rss()): boolean {
    const m = snapshot.system.memory;
    return this.add({
      at: snapshot.takenAt,
      totalBytes: m.totalBytes,
      availableBytes: m.availableBytes,
      swapUsedBytes: m.swapUsedBytes,
      pressureFull: snapshot.system.pressure?.fullAvg10 ?? null,
      selfRssBytes,
      servers: snapshot.servers.filter((s) => s.pid !== null).map((s) => ({ id: s.id, name: s.name, pids: s.pids, rssBytes: s.rssBytes })),
    });
  }

  add(sample: JournalSample): boolean {
    if (!this.session) return false;
    const last = this.samples[this.samples.length - 1];
    if (last && sample.at - last.at < this.minIntervalMs) return false;
    this.samples.push(sample);
    this.samples = this.samples.filter((s) => sample.at - s.at <= this.keepMs);
    if (this.bytes > this.maxBytes) {
      const session = this.session;
      this.write(() => rewriteJsonl(this.file, [session, ...this.samples.map((s) => ({ t: 'sample', ...s }))]), true);
    } else {
      this.write(() => appendJsonl(this.file, { t: 'sample', ...sample }), false);
    }
    return true;
  }

  /** The editor closes cleanly: the next start has nothing to explain. */
  end(): void {
    if (!this.session) return;
    this.write(() => appendJsonl(this.file, { t: 'end', at: this.clock.now(), pid: this.session!.pid }), false);
    this.session = null;
  }

  private write(op: () => { bytes: number } | { problem: string }, replaces: boolean): void {
    const res = op();
    if ('problem' in res) this.problems.push(res.problem);
    else this.bytes = replaces ? res.bytes : this.bytes + res.bytes;
  }
}

const SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'fish', 'ksh', 'tcsh', 'csh', 'pwsh', 'nu']);
/** Ancestors that are not the editor: where the walk up from the extension host stops. */
const NOT_EDITOR = new Set([...SHELLS, 'init', 'systemd', 'sshd', 'login', 'su', 'sudo', 'tmux: server', 'screen', 'containerd-shim', 'docker-init', 'tini', 'dumb-init', 'runc']);

/**
 * The editor's processes seen from the extension host: itself, its ancestors up to the editor's main process
 * (stopping at a shell, an init or sshd), and the descendants of that main process that are not under a
 * shell (terminals, and the servers started in them, are not the editor). Linux; [selfPid] elsewhere.
 */
export function editorProcessIds(selfPid = process.pid, procRoot = '/proc'): number[] {
  const table = readProcTable(procRoot);
  let top = table.get(selfPid);
  if (!top) return [selfPid];
  for (let parent = table.get(top.ppid); parent && parent.pid > 1 && !NOT_EDITOR.has(parent.comm); parent = table.get(parent.ppid)) top = parent;
  const pids = descendants(table, [top.pid], (e) => !SHELLS.has(e.comm));
  for (let e = table.get(selfPid); e && e.pid !== top.pid; e = table.get(e.ppid)) if (!pids.includes(e.pid)) pids.push(e.pid);
  return pids;
}

/** A kill record of the kernel OOM killer, a memory cgroup's limit, or systemd-oomd (crash/kernelLog's OomRecord fits). */
export interface KillRecord {
  readonly kind: 'global' | 'memcg' | 'oomd';
  readonly pid: number | null;
  readonly comm: string | null;
  readonly time: number | null;
  /** For systemd-oomd: the killed unit's cgroup. */
  readonly memcg?: string;
}

export type VictimRole = 'editor' | 'server' | 'other';

export interface Victim {
  readonly pid: number | null;
  readonly comm: string | null;
  readonly time: number | null;
  readonly role: VictimRole;
  readonly server: string | null;
  readonly killer: string;
}

export interface ShutdownExplanation {
  readonly kind: 'editor-killed' | 'server-killed' | 'other-killed' | 'unknown';
  readonly message: string;
  /** The last sample (or the session's start). */
  readonly lastSeenAt: number;
  readonly victims: readonly Victim[];
}

export interface ExplainOptions {
  /** Kills this long after the last sample still belong to the session's end (default 5 min: a thrashing machine freezes the editor first). */
  readonly afterMs?: number;
  /** Kills of processes the session did not know count from this long before the last sample (default 1 min). */
  readonly beforeMs?: number;
  /** Formats clock times (default the local time, "14:02:11"). */
  readonly timeOf?: (ms: number) => string;
}

const KILLERS: Record<KillRecord['kind'], string> = { global: 'the kernel OOM killer', memcg: 'the kernel OOM killer (memory cgroup limit)', oomd: 'systemd-oomd' };
const EDITOR_UNIT = /(^|[/-])(code|code-insiders|code-server|vscodium|cursor)([-.]|$)/i;
const LOW_MEMORY_SHARE = 0.05;

/**
 * What ended the previous session: null when it closed cleanly or there was none. Kills are matched by pid to
 * the servers and editor processes the session recorded, and by time to its last sample.
 */
export function explainLastShutdown(session: JournalSession | null, kernelRecords: readonly KillRecord[], opts: ExplainOptions = {}): ShutdownExplanation | null {
  if (!session || session.endedAt !== null) return null;
  const timeOf = opts.timeOf ?? ((ms: number) => new Date(ms).toLocaleTimeString('en-GB', { hour12: false }));
  const last = session.samples[session.samples.length - 1];
  const lastSeenAt = last?.at ?? session.startedAt;
  const serverOf = new Map<number, string>();
  for (const s of session.samples) for (const srv of s.servers) for (const pid of srv.pids) serverOf.set(pid, srv.name);
  const editor = new Set([session.pid, ...session.editorPids]);

  const victims: Victim[] = [];
  for (const r of kernelRecords) {
    const inSession = r.time === null || (r.time >= session.startedAt && r.time <= lastSeenAt + (opts.afterMs ?? 300_000));
    if (!inSession) continue;
    const known = r.pid !== null && (editor.has(r.pid) || serverOf.has(r.pid));
    const editorUnit = r.kind === 'oomd' && r.memcg !== undefined && EDITOR_UNIT.test(r.memcg);
    // A stranger's death only matters near the end, and only when its time is known.
    const nearEnd = r.time !== null && r.time >= lastSeenAt - (opts.beforeMs ?? 60_000);
    if (!known && !editorUnit && !nearEnd) continue;
    const role: VictimRole = r.pid !== null && serverOf.has(r.pid) ? 'server' : (r.pid !== null && editor.has(r.pid)) || editorUnit ? 'editor' : 'other';
    victims.push({ pid: r.pid, comm: r.comm, time: r.time, role, server: r.pid !== null ? serverOf.get(r.pid) ?? null : null, killer: KILLERS[r.kind] });
  }

  const who = (v: Victim) => {
    const label = [v.comm, v.pid !== null ? `PID ${v.pid}` : null].filter(Boolean).join(', ');
    if (v.role === 'server') return `the server ${v.server}${label ? ` (${label})` : ''}`;
    if (v.role === 'editor') return `the editor${label ? ` (${label})` : ''}`;
    return `${v.comm ?? 'a process'}${v.pid !== null ? ` (PID ${v.pid})` : ''}`;
  };
  const when = (v: Victim) => (v.time !== null ? ` at ${timeOf(v.time)}` : '');
  const context = last ? memoryContext(last, timeOf) : '';
  const editorV = victims.filter((v) => v.role === 'editor');
  const serverV = victims.filter((v) => v.role === 'server');
  const otherV = victims.filter((v) => v.role === 'other');
  const also = (list: Victim[]) => (list.length ? ` It also killed ${list.map(who).join(', ')}.` : '');

  if (editorV.length > 0) {
    const v = editorV[0]!;
    return { kind: 'editor-killed', lastSeenAt, victims, message: `${cap(v.killer)} took ${who(v)}${when(v)}.${also([...editorV.slice(1), ...serverV, ...otherV])}${context}` };
  }
  if (serverV.length > 0) {
    const v = serverV[0]!;
    return { kind: 'server-killed', lastSeenAt, victims, message: `${cap(v.killer)} took ${who(v)}${when(v)}, not the editor; the editor then stopped without closing cleanly.${also(serverV.slice(1).concat(otherV))}${context}` };
  }
  if (otherV.length > 0) {
    const v = otherV[0]!;
    return { kind: 'other-killed', lastSeenAt, victims, message: `${cap(v.killer)} killed ${who(v)}${when(v)}, a process this session did not know, and the editor stopped without closing cleanly soon after.${also(otherV.slice(1))}${context}` };
  }
  const low = last && last.totalBytes > 0 && last.availableBytes / last.totalBytes < LOW_MEMORY_SHARE;
  return {
    kind: 'unknown', lastSeenAt, victims,
    message: `The editor stopped without closing cleanly after ${timeOf(lastSeenAt)}. No OOM kill was found in the kernel log for that time.${context}${low ? ' Memory was nearly exhausted, so an OOM kill is likely even without its record (the kernel log may be unreadable).' : ''}`,
  };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function memoryContext(s: JournalSample, timeOf: (ms: number) => string): string {
  const biggest = [...s.servers].sort((a, b) => b.rssBytes - a.rssBytes)[0];
  const parts = [`${formatBytes(s.availableBytes)} of ${formatBytes(s.totalBytes)} available`];
  if (biggest) parts.push(`${biggest.name} used ${formatBytes(biggest.rssBytes)}`);
  if (s.selfRssBytes !== null) parts.push(`the extension host ${formatBytes(s.selfRssBytes)}`);
  return ` Last sample at ${timeOf(s.at)}: ${parts.join(', ')}.`;
}
