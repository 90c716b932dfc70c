// Servers that were up and went down: gone altogether, or their watcher alive with nothing listening.
// A watcher restarts its app in a second or two; only an outage that lasts the grace period counts.
import { Emitter } from '../emitter';
import type { Server, Snapshot } from '../types';
import { ExpectedStops, type StoppedProcess } from '../crash/expectedStops';

export type DownReason = 'gone' | 'not-listening';

export interface DownAlarm {
  readonly serverId: string;
  readonly server: string;
  readonly reason: DownReason;
  /** The watcher still running ('nodemon', 'tsx watch', 'node --watch'), for 'not-listening'. */
  readonly watcher: string | null;
  /** Ports it listened on while up. */
  readonly ports: readonly number[];
  /** Root pid while it was up. */
  readonly pid: number | null;
  /** When the outage was first seen (snapshot time). */
  readonly since: number;
  /** When it was confirmed (since + the grace period or later). */
  readonly at: number;
  readonly message: string;
}

export interface DownDetectorOptions {
  /** How long an outage must last before it counts (default 5 s). */
  readonly graceMs?: number;
  /** A stop announced this long ago or less is not an outage (default 30 s). */
  readonly expectedStopMs?: number;
  /** An outage of a server no longer in the snapshots leaves active() after this long (default 10 min). */
  readonly forgetAfterMs?: number;
  /**
   * The stops made on purpose, shared with the crash watcher (default: a registry of this detector's own, fed
   * through expectExit).
   */
  readonly expectedStops?: ExpectedStops;
}

interface Track {
  name: string;
  ports: readonly number[];
  pid: number | null;
  pids: readonly number[];
  procs: readonly StoppedProcess[];
  ppid: number | null;
  /** First snapshot time of the current outage; null while up. */
  since: number | null;
  alarmed: boolean;
}

const WATCHERS: readonly [RegExp, string][] = [
  [/nodemon/, 'nodemon'],
  [/\btsx\b.*\bwatch\b/, 'tsx watch'],
  [/ts-node-dev/, 'ts-node-dev'],
  [/\bnode\b.*\s--watch\b/, 'node --watch'],
  [/\bbun\b.*\s--watch\b/, 'bun --watch'],
];

/** The watcher among a server's processes, by name; null when none. */
export function watcherOf(server: Server): string | null {
  for (const p of server.processes) {
    if (p.zombie) continue;
    for (const [re, name] of WATCHERS) if (re.test(p.command)) return name;
  }
  return null;
}

/** Unmatched servers carry their root pid in their id; a restarted copy is the same server to the user. */
export function lineageKey(serverId: string): string {
  return serverId.startsWith('proc:') ? serverId.replace(/#\d+$/, '') : serverId;
}

const portWords = (ports: readonly number[]) =>
  ports.length === 0 ? '' : ` on port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}`;

function alarmMessage(t: Track, reason: DownReason, watcher: string | null): string {
  if (reason === 'not-listening') {
    return watcher
      ? `${t.name} is down: ${watcher} is still running but nothing listens${portWords(t.ports)} any more (the app crashed; ${watcher} waits for a file change).`
      : `${t.name} is still running but nothing listens${portWords(t.ports)} any more.`;
  }
  return `${t.name} is down: it was listening${portWords(t.ports)} and its processes are gone.`;
}

/** Watches snapshots for outages; each outage is reported once, after the grace period. */
export class DownDetector {
  private readonly tracks = new Map<string, Track>();
  private readonly stops: ExpectedStops;
  private readonly emitter = new Emitter<DownAlarm>();
  private readonly open = new Map<string, DownAlarm>();
  private readonly graceMs: number;
  private readonly expectedStopMs: number;
  private readonly forgetAfterMs: number;
  private live = new Set<string>();

  constructor(opts: DownDetectorOptions = {}) {
    this.graceMs = opts.graceMs ?? 5000;
    this.expectedStopMs = opts.expectedStopMs ?? 30_000;
    this.forgetAfterMs = opts.forgetAfterMs ?? 600_000;
    this.stops = opts.expectedStops ?? new ExpectedStops({ file: null, windowMs: this.expectedStopMs });
  }

  onDown(listener: (a: DownAlarm) => void): () => void {
    return this.emitter.on(listener);
  }

  /**
   * A stop the user asked for (Stop command, Ctrl-C seen in a terminal, the supervisor's stop): `pid` is a
   * process of the server or the parent of its root (the terminal's shell). Its exit is not an outage.
   */
  expectExit(pid: number, at: number): void {
    this.stops.expect([{ pid, startTimeMs: null }], 'user-interrupt', 'editor', { at });
    this.stops.expect([{ pid }], 'user-interrupt', 'editor', { at, children: true });
  }

  /** Outages confirmed and not over yet, for a tree or status bar. */
  active(): DownAlarm[] {
    return [...this.open.values()];
  }

  /** Feeds one snapshot; returns the alarms it confirmed (also emitted). */
  observe(snapshot: Snapshot): DownAlarm[] {
    const now = snapshot.takenAt;
    const byKey = new Map<string, Server[]>();
    for (const s of snapshot.servers) {
      const key = lineageKey(s.id);
      byKey.set(key, [...(byKey.get(key) ?? []), s]);
    }
    // Every live process by pid and start time: a tree that only changed its name (an unmatched `sh -c npm run dev`
    // matched to its package.json script once it was read) is still running, under another server.
    this.live = new Set(snapshot.servers.flatMap((s) => s.processes.filter((p) => !p.zombie).map((p) => `${p.pid}:${p.startTimeMs}`)));
    const fired: DownAlarm[] = [];
    for (const [key, list] of byKey) {
      const up = list.find((s) => (s.state === 'up' || s.state === 'orphaned' || s.state === 'unresponsive') && s.ports.length > 0);
      if (up) {
        this.tracks.set(key, {
          name: up.name, ports: up.ports, pid: up.pid, pids: up.pids,
          procs: up.processes.map((p) => ({ pid: p.pid, startTimeMs: p.startTimeMs, ppid: p.ppid })),
          ppid: up.processes.find((p) => p.pid === up.pid)?.ppid ?? null, since: null, alarmed: false,
        });
        this.open.delete(key);
        continue;
      }
      const t = this.tracks.get(key);
      if (!t) continue;
      const alive = list.find((s) => s.state !== 'down');
      if (alive && alive.pid !== t.pid && !t.alarmed) {
        // A new run of it (the user started it again): starting, not down. It counts again once it listens.
        this.tracks.delete(key);
        continue;
      }
      const alarm = this.check(key, t, alive ? 'not-listening' : 'gone', alive ? watcherOf(alive) : null, now);
      if (alarm) fired.push(alarm);
    }
    for (const [key, t] of this.tracks) {
      if (byKey.has(key)) continue;
      const alarm = this.check(key, t, 'gone', null, now);
      if (alarm) fired.push(alarm);
      // Only servers still in the snapshot (declared ones) need their track after the alarm.
      if (t.alarmed) this.tracks.delete(key);
    }
    for (const [key, a] of this.open) {
      if (!byKey.has(key) && now - a.at > this.forgetAfterMs) this.open.delete(key);
    }
    for (const a of fired) this.emitter.fire(a);
    return fired;
  }

  dispose(): void {
    this.emitter.clear();
  }

  private stopWasExpected(t: Track, now: number): boolean {
    return this.stops.explainsAny(t.procs, now) !== null;
  }

  private check(key: string, t: Track, reason: DownReason, watcher: string | null, now: number): DownAlarm | null {
    if (t.alarmed) return null;
    if (reason === 'gone' && t.procs.some((p) => this.live.has(`${p.pid}:${p.startTimeMs}`))) {
      // Its processes live on under another server's name: renamed, not down.
      this.tracks.delete(key);
      return null;
    }
    if (this.stopWasExpected(t, now)) {
      // Stopped on purpose (the news may come a poll late): forget it until it is up again.
      this.tracks.delete(key);
      return null;
    }
    t.since ??= now;
    if (now - t.since < this.graceMs) return null;
    t.alarmed = true;
    const alarm: DownAlarm = {
      serverId: key, server: t.name, reason, watcher, ports: t.ports, pid: t.pid, since: t.since, at: now,
      message: alarmMessage(t, reason, watcher),
    };
    this.open.set(key, alarm);
    return alarm;
  }
}
