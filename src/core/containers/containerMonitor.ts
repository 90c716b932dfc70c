// The workspace's containers, kept current by the engine's event stream: list and inspect run only when
// an event says something changed; memory comes from each container's cgroup files. Crashes (die, oom,
// health_status) become verdicts. No engine: `status().available` is false with one sentence why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter } from '../emitter';
import { redactText } from '../redact';
import type { Verdict } from '../crash/types';
import { readContainerMemory } from './cgroupMemory';
import type { ContainerEngine, EngineEvent } from './dockerEngine';
import { findEngine, type EngineAddress } from './engine';
import { toContainerInfo, workspaceOwner, type ContainerInfo, type InspectLike } from './model';
import { DEFAULT_LOG_TAIL, exitVerdict, oomVerdict, unhealthyVerdict } from './verdicts';

export interface EngineStatus {
  readonly available: boolean;
  /** 'Docker 20.10.24 at unix:///var/run/docker.sock', or why there is none. */
  readonly message: string;
}

export interface ContainerMonitorOptions {
  readonly workspaceFolders: () => readonly string[];
  /** Where the engine is (default: DOCKER_HOST, then the usual sockets). */
  readonly address?: EngineAddress | null;
  /** How often running containers' memory is read from their cgroup files; 0 = only on refresh. */
  readonly memoryRefreshMs?: number;
  /** Log lines quoted in an exit-nonzero verdict. */
  readonly logTail?: number;
}

/**
 * dockerode and its dependencies (≈ 1 MB minified) are a bundle of their own (dist/docker.js beside
 * dist/extension.js and dist/cli.js), loaded only when an engine's socket exists; run from the compiled
 * sources, the module itself.
 */
function loadDockerEngine(): typeof import('./dockerEngine') {
  const bundled = path.join(__dirname, 'docker.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, loaded only when Docker is there
  return require(fs.existsSync(bundled) ? bundled : path.join(__dirname, 'dockerEngine.js')) as typeof import('./dockerEngine');
}

/** Events that change what the list shows. */
const REFRESH_ACTIONS = /^(create|start|restart|die|stop|kill|destroy|pause|unpause|rename|update|oom|health_status)/;
const REFRESH_DEBOUNCE_MS = 150;
/** An engine-initiated kill (docker stop, compose down) this close before a die means the user stopped it. */
const STOP_WINDOW_MS = 30_000;
const OOM_WINDOW_MS = 10_000;
const RECONNECT_MIN_MS = 2000;
const RECONNECT_MAX_MS = 60_000;
const MB = 1024 * 1024;

export class ContainerMonitor {
  private readonly changed = new Emitter<void>();
  private readonly verdictEmitter = new Emitter<Verdict>();
  private engine: ContainerEngine | null = null;
  private engineStatus: EngineStatus = { available: false, message: 'Container engine not checked yet.' };
  private list: ContainerInfo[] = [];
  private unsubscribe: (() => void) | null = null;
  private refreshTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private memoryTimer: NodeJS.Timeout | undefined;
  private reconnectDelay = RECONNECT_MIN_MS;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private readonly stops = new Map<string, number>();
  private readonly ooms = new Map<string, number>();
  private readonly verdictList: Verdict[] = [];
  private disposed = false;
  /** How many list and inspect calls were made (tests check they follow events, not time). */
  readonly calls = { list: 0, inspect: 0 };

  constructor(private readonly opts: ContainerMonitorOptions) {}

  onDidChange(listener: () => void): () => void {
    return this.changed.on(listener);
  }

  onVerdict(listener: (v: Verdict) => void): () => void {
    return this.verdictEmitter.on(listener);
  }

  status(): EngineStatus {
    return this.engineStatus;
  }

  containers(): readonly ContainerInfo[] {
    return this.list;
  }

  verdicts(): readonly Verdict[] {
    return this.verdictList;
  }

  /** Connects, lists once and follows the event stream. Never throws: no engine is a status, not an error. */
  async start(): Promise<void> {
    const address = this.opts.address !== undefined ? this.opts.address : findEngine().address;
    if (!address) {
      this.setStatus({ available: false, message: findEngine().reason ?? 'No container engine found.' });
      return;
    }
    try {
      this.engine ??= await loadDockerEngine().dockerodeEngine(address);
      const v = await this.engine.version();
      await this.follow();
      this.reconnectDelay = RECONNECT_MIN_MS;
      this.engineStatus = { available: true, message: `${v.name} ${v.version} at ${address.label}` };
      await this.refresh();
    } catch (err) {
      this.setStatus({ available: false, message: `The container engine at ${address.label} does not answer (${describe(err)}).` });
      this.scheduleReconnect();
      return;
    }
    if (this.opts.memoryRefreshMs) this.memoryTimer = setInterval(() => this.refreshMemory(), this.opts.memoryRefreshMs);
  }

  /** Lists the containers and inspects the workspace's (only those). */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      do {
        this.refreshAgain = false;
        await this.refreshOnce();
      } while (this.refreshAgain && !this.disposed);
    })().finally(() => { this.refreshing = null; });
    return this.refreshing;
  }

  /** Start, stop or restart one of the workspace's containers (the caller confirmed). Refuses any other container. */
  async act(action: 'start' | 'stop' | 'restart', idOrName: string): Promise<{ ok: boolean; message: string }> {
    const c = this.list.find((x) => x.id === idOrName || x.name === idOrName);
    if (!c || !this.engine) return { ok: false, message: `${idOrName} is not a container of this workspace; nothing was done.` };
    // The list may be stale: check again, right before acting, that it is still the workspace's.
    try {
      this.calls.inspect++;
      const now = await this.engine.inspect(c.id);
      if (!toContainerInfo(now, this.opts.workspaceFolders(), null)) return { ok: false, message: `${c.name} no longer belongs to this workspace; nothing was done.` };
      if (action === 'stop' || action === 'restart') this.stops.set(c.id, Date.now());
      await this.engine[action](c.id);
      await this.refresh();
      return { ok: true, message: `${action === 'stop' ? 'Stopped' : action === 'start' ? 'Started' : 'Restarted'} ${c.name}.` };
    } catch (err) {
      return { ok: false, message: `Could not ${action} ${c.name}: ${describe(err)}.` };
    }
  }

  /**
   * Crashes of the workspace's containers since `sinceMs`, from `docker inspect` (and `docker logs --tail`):
   * OOM-killed, exited non-zero (not stopped by the user as far as this monitor saw), unhealthy now.
   */
  async investigate(sinceMs: number): Promise<Verdict[]> {
    if (!this.engine || !this.engineStatus.available) return [];
    await this.refresh();
    const out: Verdict[] = [];
    for (const c of this.list) {
      const inspect = await this.inspectMine(c.id);
      if (!inspect) continue;
      const info = inspect.info;
      const ended = info.finishedAt ?? 0;
      if (info.state !== 'running' && ended >= sinceMs && info.oomKilled) out.push(oomVerdict(info, inspect.inspect, ended));
      else if (info.state !== 'running' && ended >= sinceMs && info.exitCode !== null && info.exitCode !== 0 && !((this.stops.get(c.id) ?? 0) >= ended - STOP_WINDOW_MS)) {
        let logs = '';
        try {
          logs = await this.engine.logs(c.id, this.opts.logTail ?? DEFAULT_LOG_TAIL);
        } catch {
          // no logs
        }
        out.push(exitVerdict(info, inspect.inspect, info.exitCode, logs, ended, this.opts.logTail ?? DEFAULT_LOG_TAIL));
      } else if (info.health === 'unhealthy') out.push(unhealthyVerdict(info, inspect.inspect, Date.now()));
    }
    return out;
  }

  /** Reads running containers' memory from their cgroup files; fires a change when it moved by more than 1 MB. */
  refreshMemory(): void {
    let moved = false;
    this.list = this.list.map((c) => {
      if (c.state !== 'running') return c;
      const m = readContainerMemory(c.id, c.pid);
      if (!m) return c;
      if (c.memoryBytes === null || Math.abs(m.usageBytes - c.memoryBytes) > MB) moved = true;
      return { ...c, memoryBytes: m.usageBytes, memoryLimitBytes: c.memoryLimitBytes ?? m.limitBytes };
    });
    if (moved) this.changed.fire();
  }

  dispose(): void {
    this.disposed = true;
    this.unsubscribe?.();
    for (const t of [this.refreshTimer, this.reconnectTimer]) if (t) clearTimeout(t);
    if (this.memoryTimer) clearInterval(this.memoryTimer);
    this.changed.clear();
    this.verdictEmitter.clear();
  }

  private setStatus(s: EngineStatus): void {
    const was = this.engineStatus;
    this.engineStatus = s;
    if (!s.available && this.list.length) this.list = [];
    if (was.available !== s.available || was.message !== s.message) this.changed.fire();
  }

  private async refreshOnce(): Promise<void> {
    const engine = this.engine;
    if (!engine || this.disposed) return;
    const folders = this.opts.workspaceFolders();
    try {
      this.calls.list++;
      const listed = await engine.list();
      const mine = listed.filter((l) => workspaceOwner(l.Labels, l.Mounts, folders) !== null);
      const infos: ContainerInfo[] = [];
      for (const l of mine) {
        try {
          this.calls.inspect++;
          const i = await engine.inspect(l.Id);
          const info = toContainerInfo(i, folders, i.State?.Status === 'running' ? readContainerMemory(i.Id, i.State?.Pid || null) : null);
          if (info) infos.push(info);
        } catch {
          // Removed between the list and the inspect: the destroy event refreshes again.
        }
      }
      this.list = infos.sort((a, b) => (a.project ?? '').localeCompare(b.project ?? '') || a.name.localeCompare(b.name));
      this.changed.fire();
    } catch (err) {
      this.setStatus({ available: false, message: `Listing containers failed: ${describe(err)}.` });
    }
  }

  private async follow(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = await this.engine!.events((e) => this.onEvent(e), (err) => {
      if (this.disposed) return;
      this.unsubscribe = null;
      this.setStatus({ available: false, message: `The container engine's event stream ended${err ? ` (${describe(err)})` : ''}; reconnecting.` });
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.disposed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.memoryTimer) clearInterval(this.memoryTimer);
      void this.start();
    }, this.reconnectDelay);
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
  }

  private onEvent(e: EngineEvent): void {
    if (this.disposed || (e.Type && e.Type !== 'container')) return;
    const action = e.Action ?? e.status ?? '';
    const id = e.Actor?.ID ?? e.id ?? '';
    const at = e.timeNano ? Math.round(e.timeNano / 1e6) : e.time ? e.time * 1000 : Date.now();
    if (!id) return;
    if (action === 'kill' && e.Actor?.Attributes?.signal !== undefined) this.stops.set(id, at);
    if (action === 'oom') this.ooms.set(id, at);
    if (action === 'die') void this.onDie(id, at, Number(e.Actor?.Attributes?.exitCode ?? NaN));
    else if (action === 'health_status: unhealthy' || action === 'health_status:unhealthy') void this.onUnhealthy(id, at);
    if (REFRESH_ACTIONS.test(action)) this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, REFRESH_DEBOUNCE_MS);
  }

  private async inspectMine(id: string): Promise<{ inspect: InspectLike; info: ContainerInfo } | null> {
    if (!this.engine) return null;
    try {
      this.calls.inspect++;
      const inspect = await this.engine.inspect(id);
      const info = toContainerInfo(inspect, this.opts.workspaceFolders(), null);
      return info ? { inspect, info } : null;
    } catch {
      return null;
    }
  }

  private async onDie(id: string, at: number, eventExit: number): Promise<void> {
    const found = await this.inspectMine(id);
    if (!found || this.disposed) return;
    const { inspect, info } = found;
    const oomKilled = info.oomKilled || (this.ooms.get(id) ?? 0) >= at - OOM_WINDOW_MS;
    const exitCode = Number.isFinite(eventExit) ? eventExit : info.exitCode;
    const stopped = (this.stops.get(id) ?? 0) >= at - STOP_WINDOW_MS;
    let verdict: Verdict | null = null;
    if (oomKilled) verdict = oomVerdict(info, inspect, at);
    else if (!stopped && exitCode !== null && exitCode !== 0) {
      let logs = '';
      try {
        logs = await this.engine!.logs(id, this.opts.logTail ?? DEFAULT_LOG_TAIL);
      } catch {
        // Logs may be gone (removed container, a logging driver without read support).
      }
      verdict = exitVerdict(info, inspect, exitCode, logs, at, this.opts.logTail ?? DEFAULT_LOG_TAIL);
    }
    if (verdict) this.emit(verdict);
  }

  private async onUnhealthy(id: string, at: number): Promise<void> {
    const found = await this.inspectMine(id);
    if (!found || this.disposed) return;
    this.emit(unhealthyVerdict(found.info, found.inspect, at));
  }

  private emit(v: Verdict): void {
    this.verdictList.push(v);
    if (this.verdictList.length > 100) this.verdictList.shift();
    this.verdictEmitter.fire(v);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; statusCode?: number };
  return redactText(e?.code ?? (e?.statusCode ? `HTTP ${e.statusCode}` : undefined) ?? e?.message?.split('\n')[0] ?? String(err));
}
