// Health probes for every running server, off the poll: one check per server at a time, every intervalMs, only
// against loopback ports the server itself listens on. Decides `unresponsive` (hung), keeps the recent error rate,
// raises sustained CPU / latency / error-rate alerts and scores each server. The Monitor asks it to annotate
// each snapshot's servers.
import { systemClock, type Clock } from '../clock';
import { Emitter } from '../emitter';
import { redactText } from '../redact';
import { DEFAULT_HEALTH, type HealthSettings, type Threshold } from '../settings';
import type { Alert, AlertSeverity, ListeningSocket, Server, ServerHealth, Snapshot, Unresponsive } from '../types';
import { checkHealth, checkTcp, isLoopbackHost, type HealthResult } from './check';
import { memoryUsedFraction, scoreServer, workspaceScore } from './score';

/** Failed checks this far back count towards the error rate. */
const ERROR_WINDOW_MS = 5 * 60_000;
/** Checks without an answer in a row (connect accepted) that make a server unresponsive. */
export const HUNG_AFTER_SILENT_CHECKS = 2;
/** CPU readings (percent of one core) that tell a blocked event loop from a wait. */
const BLOCKED_CPU = 70;
const WAITING_CPU = 15;

type Target = { readonly url: string } | { readonly refused: string };

interface Track {
  readonly key: string;
  server: Server;
  target: Target;
  mode: 'http' | 'tcp' | 'unknown';
  timer: NodeJS.Timeout | null;
  inFlight: boolean;
  history: { at: number; ok: boolean }[];
  silent: number;
  last: HealthResult | null;
  unresponsiveSince: number | null;
}

export interface HealthCheckerOptions {
  readonly settings?: HealthSettings;
  readonly clock?: Clock;
  /** Crashes of a server in the last hour (the crash history), for its score; 0 when unknown. */
  readonly crashesLastHour?: (server: Server) => number;
}

/** What the Monitor needs from the health checker. */
export interface HealthAnnotator {
  /** The server with its health, unresponsive state and score. */
  annotate(server: Server, availableBytes: number, now: number): Server;
  /** Sustained alerts over the annotated servers. */
  alerts(servers: readonly Server[], now: number): Alert[];
  observe(snapshot: Snapshot): void;
  /** Fires when a server becomes unresponsive or answers again (a fresh poll shows it at once). */
  onChange(listener: () => void): () => void;
}

/**
 * The CPU reading of a hung server, in plain words. `runState` is the listening process's /proc state letter: a busy
 * loop is always R (running or waiting for a CPU), so on a loaded machine, where it may get far less than a whole
 * core, R still tells a blocked loop from a wait (S, D).
 */
export function interpretHang(
  name: string, port: number | null, cpuPercent: number | null, timeoutMs: number, since: number, runState: string | null = null,
): Unresponsive {
  const where = port !== null ? ` on :${port}` : '';
  const head = `${name} is listening${where} but did not answer ${HUNG_AFTER_SILENT_CHECKS} health checks in a row (nothing within ${timeoutMs / 1000} s).`;
  const blocked = ' its event loop is blocked (a busy loop or a long synchronous task).';
  if (cpuPercent === null) {
    if (runState === 'R') return { since, cpuPercent, reading: 'blocked', message: `${head} It is always running:${blocked}` };
    return { since, cpuPercent, reading: 'unknown', message: `${head} Its CPU use is unknown.` };
  }
  const cpu = `${Math.round(cpuPercent)} %`;
  if (cpuPercent >= BLOCKED_CPU) {
    return { since, cpuPercent, reading: 'blocked', message: `${head} It uses ${cpu} of a core:${blocked}` };
  }
  if (runState === 'R' && cpuPercent > WAITING_CPU / 3) {
    return { since, cpuPercent, reading: 'blocked', message: `${head} It uses ${cpu} of a core and never sleeps (the machine is busy and shares its CPUs):${blocked}` };
  }
  if (cpuPercent <= WAITING_CPU) {
    return { since, cpuPercent, reading: 'waiting', message: `${head} It uses ${cpu} CPU: it is waiting on something (a lock, a dependency, a request that never completes).` };
  }
  return { since, cpuPercent, reading: 'busy', message: `${head} It uses ${cpu} of a core: busy, but not all of one core.` };
}

/** The address to reach a socket on loopback: 127.0.0.1 for IPv4 any/loopback, ::1 for IPv6; null for other addresses. */
export function loopbackFor(s: ListeningSocket): string | null {
  if (s.family === 4) return s.address === '0.0.0.0' || s.address.startsWith('127.') ? '127.0.0.1' : null;
  if (s.address === '::' || s.address === '::1') return '::1';
  if (s.address.startsWith('::ffff:127.') || s.address === '::ffff:0.0.0.0') return '127.0.0.1';
  return null;
}

/** What to check for a server: its configured URL (refused unless loopback and one of its ports), else its first port's `/`. */
export function healthTarget(server: Server, sockets: readonly ListeningSocket[], configured: string | undefined): Target | null {
  if (configured) {
    let u: URL;
    try {
      u = new URL(configured);
    } catch {
      return { refused: `its health URL "${configured}" is not a URL` };
    }
    const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    if (!isLoopbackHost(u.hostname)) return { refused: `its health URL ${u.origin} is not on loopback: only loopback ports are checked` };
    if (!server.ports.includes(port)) return { refused: `its health URL's port ${port} is not one it listens on (${server.ports.join(', ') || 'none'})` };
    return { url: u.href };
  }
  const own = new Set(server.pids);
  for (const port of server.ports) {
    for (const s of sockets) {
      if (s.port !== port || s.pid === null || !own.has(s.pid)) continue;
      const host = loopbackFor(s);
      if (host) return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/` };
    }
  }
  return server.ports.length ? { refused: `it listens only on addresses other than loopback (${server.ports.join(', ')})` } : null;
}

function level(value: number | null | undefined, t: Threshold): AlertSeverity | null {
  if (value === null || value === undefined) return null;
  return value >= t.error ? 'critical' : value >= t.warn ? 'warning' : null;
}

export class HealthChecker implements HealthAnnotator {
  private settings: HealthSettings;
  private readonly clock: Clock;
  private readonly tracks = new Map<string, Track>();
  private readonly since = new Map<string, number>();
  private readonly changed = new Emitter<void>();
  private disposed = false;

  constructor(private readonly opts: HealthCheckerOptions = {}) {
    this.settings = opts.settings ?? DEFAULT_HEALTH;
    this.clock = opts.clock ?? systemClock;
  }

  update(settings: HealthSettings): void {
    const restart = settings.intervalMs !== this.settings.intervalMs || JSON.stringify(settings.urls) !== JSON.stringify(this.settings.urls);
    this.settings = settings;
    if (restart) for (const id of [...this.tracks.keys()]) this.drop(id);
  }

  onChange(listener: () => void): () => void {
    return this.changed.on(listener);
  }

  /** Starts probing servers that came up, stops those that went away or restarted. */
  observe(snapshot: Snapshot): void {
    if (this.disposed) return;
    const seen = new Set<string>();
    for (const server of snapshot.servers) {
      const running = (server.state === 'up' || server.state === 'unresponsive' || server.state === 'orphaned') && server.pid !== null;
      if (!running || this.settings.intervalMs <= 0) continue;
      const key = `${server.id}#${server.pid}#${server.startTimeMs}`;
      const target = healthTarget(server, snapshot.sockets, this.settings.urls[server.name]);
      if (!target) continue;
      seen.add(server.id);
      let t = this.tracks.get(server.id);
      if (t && (t.key !== key || JSON.stringify(t.target) !== JSON.stringify(target))) {
        this.drop(server.id);
        t = undefined;
      }
      if (!t) {
        t = { key, server, target, mode: 'url' in target && target.url.startsWith('tcp:') ? 'tcp' : 'unknown', timer: null, inFlight: false, history: [], silent: 0, last: null, unresponsiveSince: null };
        this.tracks.set(server.id, t);
        this.schedule(t, 0);
      }
      t.server = server;
    }
    for (const id of [...this.tracks.keys()]) if (!seen.has(id)) this.drop(id);
  }

  /**
   * Resolves once every probed server has an answer, and a silent one as many checks as make it unresponsive
   * (for one-shot callers such as `status`); bounded by the timeouts.
   */
  async settled(): Promise<void> {
    const deadline = this.clock.now() + (HUNG_AFTER_SILENT_CHECKS + 1) * (this.settings.timeoutMs + this.settings.intervalMs) + 1000;
    const pending = () => [...this.tracks.values()].some((t) => 'url' in t.target && (t.last === null || (t.last.timedOut && t.silent < HUNG_AFTER_SILENT_CHECKS)));
    while (pending() && this.clock.now() < deadline && !this.disposed) await new Promise((r) => setTimeout(r, 50));
  }

  /** The last result for a server id (tests, the load test). */
  result(serverId: string): HealthResult | null {
    return this.tracks.get(serverId)?.last ?? null;
  }

  annotate(server: Server, availableBytes: number, now: number): Server {
    const t = this.tracks.get(server.id);
    const health = t ? this.healthOf(t) : null;
    let state = server.state;
    let unresponsive: Unresponsive | undefined;
    if (t && t.unresponsiveSince !== null && server.state === 'up') {
      state = 'unresponsive';
      const port = portOf(t);
      const listener = server.processes.find((p) => port !== null && p.ports.includes(port)) ?? server.processes[0];
      unresponsive = interpretHang(server.name, port, server.cpuPercent ?? null, this.settings.timeoutMs, t.unresponsiveSince, listener?.state ?? null);
    }
    const { score } = scoreServer({
      state,
      uptimeMs: server.startTimeMs ? now - server.startTimeMs : null,
      crashesLastHour: this.opts.crashesLastHour?.(server) ?? 0,
      memoryUsedFraction: memoryUsedFraction(server, availableBytes),
      latencyMs: health?.latencyMs ?? null,
      lastCheckOk: health ? health.ok : null,
      errorRatePercent: health?.errorRatePercent ?? 0,
      latencyThreshold: this.settings.latencyMs,
      errorRateThreshold: this.settings.errorRate,
    });
    return { ...server, state, health, healthScore: score, ...(unresponsive ? { unresponsive } : {}) };
  }

  alerts(servers: readonly Server[], now: number): Alert[] {
    const out: Alert[] = [];
    const held = new Set<string>();
    const sustained = (key: string, sev: AlertSeverity | null): AlertSeverity | null => {
      if (!sev) return null;
      held.add(key);
      const from = this.since.get(key) ?? now;
      this.since.set(key, from);
      return now - from >= this.settings.sustainMs ? sev : null;
    };
    for (const s of servers) {
      if (s.state === 'unresponsive' && s.unresponsive) out.push({ severity: 'critical', kind: 'unresponsive', message: s.unresponsive.message, server: s.name });
      if (s.state === 'down') continue;
      const cpu = sustained(`cpu:${s.id}`, level(s.cpuPercent, this.settings.cpu));
      if (cpu) out.push({ severity: cpu, kind: 'cpu', server: s.name, message: `${s.name} has used ${Math.round(s.cpuPercent ?? 0)} % of a core for over ${Math.round(this.settings.sustainMs / 1000)} s (threshold ${this.settings.cpu.warn} %).` });
      const h = s.health;
      if (!h || s.state === 'unresponsive') continue;
      const lat = sustained(`latency:${s.id}`, level(h.latencyMs, this.settings.latencyMs));
      if (lat) out.push({ severity: lat, kind: 'latency', server: s.name, message: `${s.name} has taken ${h.latencyMs} ms to answer its health check for over ${Math.round(this.settings.sustainMs / 1000)} s (threshold ${this.settings.latencyMs.warn} ms).` });
      const err = sustained(`errors:${s.id}`, level(h.errorRatePercent, this.settings.errorRate));
      if (err) out.push({ severity: err, kind: 'errors', server: s.name, message: `${h.errorRatePercent} % of ${s.name}'s health checks failed in the last 5 minutes (threshold ${this.settings.errorRate.warn} %); last: ${h.error ?? 'ok'}.` });
    }
    for (const k of [...this.since.keys()]) if (!held.has(k)) this.since.delete(k);
    return out;
  }

  dispose(): void {
    this.disposed = true;
    for (const id of [...this.tracks.keys()]) this.drop(id);
    this.changed.clear();
  }

  private healthOf(t: Track): ServerHealth | null {
    if ('refused' in t.target) {
      return { ok: false, latencyMs: null, status: null, checkedAt: this.clock.now(), target: '', mode: 'http', error: redactText(`not checked: ${t.target.refused}`), errorRatePercent: 0 };
    }
    const r = t.last;
    if (!r) return null;
    const now = this.clock.now();
    const recent = t.history.filter((h) => now - h.at <= ERROR_WINDOW_MS);
    const failed = recent.filter((h) => !h.ok).length;
    return {
      // A configured URL may carry credentials: nothing shown or saved keeps them.
      ok: r.ok, latencyMs: r.latencyMs, status: r.status, checkedAt: r.at, target: redactText(r.url),
      mode: t.mode === 'tcp' ? 'tcp' : 'http', error: r.error === null ? null : redactText(r.error),
      errorRatePercent: recent.length ? Math.round((failed / recent.length) * 1000) / 10 : 0,
    };
  }

  private drop(id: string): void {
    const t = this.tracks.get(id);
    if (t?.timer) clearTimeout(t.timer);
    this.tracks.delete(id);
    if (t?.unresponsiveSince != null) this.changed.fire();
  }

  private schedule(t: Track, delayMs: number): void {
    if (this.disposed || 'refused' in t.target) return;
    t.timer = setTimeout(() => void this.run(t), delayMs);
    t.timer.unref?.();
  }

  private async run(t: Track): Promise<void> {
    t.timer = null;
    if (this.disposed || this.tracks.get(t.server.id) !== t || t.inFlight || !('url' in t.target)) return;
    t.inFlight = true;
    const url = t.target.url;
    const opts = { timeoutMs: this.settings.timeoutMs, now: () => this.clock.now() };
    let r: HealthResult;
    if (t.mode === 'tcp') {
      const u = new URL(url.replace(/^tcp:/, 'http:'));
      r = await checkTcp(u.hostname.replace(/^\[|\]$/g, ''), Number(u.port), opts);
    } else {
      r = await checkHealth(url, opts);
    }
    t.inFlight = false;
    if (this.disposed || this.tracks.get(t.server.id) !== t) return;
    if (r.notHttp && t.mode !== 'http') t.mode = 'tcp';
    else if (r.status !== null) t.mode = 'http';
    t.last = r;
    const now = this.clock.now();
    t.history.push({ at: r.at, ok: r.ok });
    t.history = t.history.filter((h) => now - h.at <= ERROR_WINDOW_MS);
    // Hung: the connection was accepted (the kernel does that even when the process is stuck) and nothing came back.
    t.silent = r.timedOut ? t.silent + 1 : 0;
    const wasHung = t.unresponsiveSince !== null;
    if (t.silent >= HUNG_AFTER_SILENT_CHECKS && !wasHung) t.unresponsiveSince = now;
    if (t.silent === 0) t.unresponsiveSince = null;
    if (wasHung !== (t.unresponsiveSince !== null)) this.changed.fire();
    this.schedule(t, this.settings.intervalMs);
  }
}

function portOf(t: Track): number | null {
  if (!('url' in t.target)) return null;
  try {
    return Number(new URL(t.target.url.replace(/^tcp:/, 'http:')).port) || null;
  } catch {
    return null;
  }
}

/**
 * A snapshot with health applied (each server's last check, the unresponsive state, health alerts, the score):
 * for a snapshot built where no checker runs (the editor's poll worker), applied where the checker lives.
 */
export function applyHealth(snapshot: Snapshot, health: HealthAnnotator): Snapshot {
  const servers = snapshot.servers.map((s) => health.annotate(s, snapshot.system.memory.availableBytes, snapshot.takenAt));
  return {
    ...snapshot,
    servers,
    alerts: [...health.alerts(servers, snapshot.takenAt), ...snapshot.alerts],
    healthScore: workspaceScore(servers.map((s) => s.healthScore)),
  };
}
