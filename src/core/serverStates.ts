// States that tell the truth: a server whose watcher is alive but whose app crashed is `crashed`, not
// `starting`; a server `starting` far longer than it usually takes to listen is flagged. Applied to each
// snapshot by the editor and the CLI alike (the snapshot itself stays what the poll saw).

import { causeWords, isWatcherCommand, watcherName } from './crash/verdict';
import type { Verdict } from './crash/types';
import { formatDuration } from './format';
import { lineageKey } from './early/downDetector';
import type { Alert, Server, Snapshot } from './types';

export interface CrashMark {
  readonly serverId?: string;
  readonly cwd?: string | null;
  /** When the crash was seen, epoch ms. */
  readonly at: number;
  readonly reason: string;
}

/** A watcher with no app under it this long after it started is waiting, not starting. */
const WATCHER_IDLE_MS = 5000;
/** A process of the tree started this soon after the crash was still the crashed run (clock granularity). */
const START_SLACK_MS = 1000;
/** With no history, `starting` for this long is far longer than usual. */
const DEFAULT_STUCK_MS = 120_000;
/** Never flag before this, whatever the history says. */
const MIN_STUCK_MS = 30_000;
const STUCK_FACTOR = 3;
const DURATIONS_KEPT = 10;
const MARKS_KEPT = 200;

/** "waiting for file changes — Error: connect ECONNREFUSED 127.0.0.1:5432", from a verdict. */
export function crashReason(v: Verdict): string {
  const msg = v.detail?.message;
  if (v.cause === 'watcher-waiting') {
    const why = msg ?? (v.detail?.underlying ? causeWords(v.detail.underlying) : 'the app crashed');
    return `waiting for file changes — ${why}`;
  }
  const port = v.cause === 'port-in-use' && v.detail?.port ? ` ${v.detail.port}` : '';
  return `${causeWords(v.cause)}${port}${msg && v.cause !== 'port-in-use' ? ` — ${msg}` : ''}`;
}

export function crashMark(v: Verdict): CrashMark {
  return { serverId: v.detail?.serverId, cwd: v.detail?.cwd ?? null, at: v.detail?.lineAt ?? v.time, reason: crashReason(v) };
}

/** The watcher of a tree left without any live process under it (its app is gone), or null. */
function idleWatcher(s: Server, now: number): Server['processes'][number] | null {
  const live = s.processes.filter((p) => !p.zombie);
  for (const w of live) {
    if (!isWatcherCommand(w.command)) continue;
    const hasChild = live.some((p) => p.ppid === w.pid);
    if (!hasChild && w.startTimeMs > 0 && now - w.startTimeMs >= WATCHER_IDLE_MS) return w;
  }
  return null;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export class ServerStates {
  private readonly marks = new Map<string, CrashMark>();
  /** Per server (lineage): when its current `starting` began, and with which root pid. */
  private readonly starting = new Map<string, { since: number; pid: number | null }>();
  /** Per server: how long it took to listen, last few starts. */
  private readonly durations = new Map<string, number[]>();

  noteCrash(v: Verdict): void {
    this.mark(crashMark(v));
  }

  mark(m: CrashMark): void {
    for (const key of [m.serverId, m.cwd ? `cwd:${m.cwd}` : undefined]) {
      if (!key) continue;
      const before = this.marks.get(key);
      if (!before || before.at <= m.at) this.marks.set(key, m);
    }
    while (this.marks.size > MARKS_KEPT) this.marks.delete(this.marks.keys().next().value as string);
  }

  /** The snapshot with `crashed` states, crash reasons and stuck starts applied (a new object; the input is untouched). */
  apply(snap: Snapshot): Snapshot {
    const now = snap.takenAt;
    const alerts: Alert[] = [];
    const servers = snap.servers.map((s) => {
      const judged = this.crashed(s, now);
      if (judged) return { ...s, state: 'crashed' as const, crashReason: judged.reason, crashedAt: judged.at };
      const stuck = this.stuck(s, now);
      if (stuck) {
        alerts.push({ severity: 'warning', kind: 'starting-stuck', message: stuck, server: s.name });
        return { ...s, stuckStarting: stuck };
      }
      return s;
    });
    if (servers.every((s, i) => s === snap.servers[i])) return snap;
    return { ...snap, servers, alerts: [...snap.alerts, ...alerts] };
  }

  private crashed(s: Server, now: number): { reason: string; at: number | null } | null {
    if (s.state !== 'starting') {
      // Up again, or gone: the crash is over (a mark by folder only when it was this server's or nobody's).
      if (s.state === 'down' || s.state === 'up') {
        this.marks.delete(s.id);
        const byCwd = this.marks.get(`cwd:${s.cwd}`);
        if (byCwd && (!byCwd.serverId || byCwd.serverId === s.id)) this.marks.delete(`cwd:${s.cwd}`);
      }
      return null;
    }
    const mark = this.marks.get(s.id) ?? this.marks.get(`cwd:${s.cwd}`);
    if (mark) {
      // Anything (but a watcher) started after the crash: the app is being restarted.
      const restarted = s.processes.some((p) => !p.zombie && !isWatcherCommand(p.command) && p.startTimeMs > mark.at + START_SLACK_MS);
      if (!restarted) return { reason: mark.reason, at: mark.at };
    }
    const w = idleWatcher(s, now);
    return w ? { reason: `${watcherName(w.command)} is waiting for file changes; its app is not running`, at: null } : null;
  }

  private stuck(s: Server, now: number): string | null {
    const key = lineageKey(s.id);
    const cur = this.starting.get(key);
    if (s.state === 'up' || s.state === 'orphaned') {
      if (cur && cur.pid === s.pid) {
        const list = [...(this.durations.get(key) ?? []), now - cur.since].slice(-DURATIONS_KEPT);
        this.durations.set(key, list);
      }
      this.starting.delete(key);
      return null;
    }
    if (s.state !== 'starting') {
      this.starting.delete(key);
      return null;
    }
    const since = cur && cur.pid === s.pid ? cur.since : Math.min(now, s.startTimeMs ?? now);
    if (!cur || cur.pid !== s.pid) this.starting.set(key, { since, pid: s.pid });
    const history = this.durations.get(key);
    const limit = history?.length ? Math.max(MIN_STUCK_MS, STUCK_FACTOR * median(history)) : DEFAULT_STUCK_MS;
    const waited = now - since;
    if (waited < limit) return null;
    const usual = history?.length ? `; it usually listens within ${formatDuration(median(history))}` : '';
    return `${s.name} has been starting for ${formatDuration(waited)} without listening on a port${usual}.`;
  }
}
