// Polls the system at an interval (never two polls at once), keeps the latest Snapshot and emits
// typed events when servers change.
import * as os from 'node:os';
import { cpuPercents, cpuTimesOf, type CpuTimes } from './health/cpu';
import type { HealthAnnotator } from './health/checker';
import { MonitorEvents } from './monitorEvents';
import { resolveWorkspaceFolder } from './paths';
import { DEFAULT_SETTINGS, type CoreSettings } from './settings';
import { buildSnapshot, ProcessFactsCache } from './snapshot';
import type { Server, ServerState, Snapshot, SystemProbe, WorkspaceScan } from './types';
import { InotifyWatchCounter } from './system/inotify';
import { scanWorkspace } from './workspace/scan';

interface ServerEventBase {
  readonly at: number;
  readonly serverId: string;
  readonly server: string;
}

export type MonitorEvent =
  | (ServerEventBase & { readonly type: 'server-up'; readonly pid: number | null; readonly ports: readonly number[] })
  | (ServerEventBase & { readonly type: 'server-starting'; readonly pid: number | null })
  | (ServerEventBase & { readonly type: 'server-orphaned'; readonly pid: number | null; readonly ports: readonly number[]; readonly reason: string })
  | (ServerEventBase & {
      readonly type: 'server-down';
      /** The state it left. */
      readonly from: ServerState;
      readonly pid: number | null;
      readonly ports: readonly number[];
    })
  | (ServerEventBase & { readonly type: 'port-changed'; readonly from: readonly number[]; readonly to: readonly number[] })
  | (ServerEventBase & {
      readonly type: 'server-unresponsive';
      readonly pid: number | null;
      readonly ports: readonly number[];
      readonly cpuPercent: number | null;
      /** 'blocked' (≈100 % of a core), 'waiting' (≈0 %), 'busy', 'unknown'. */
      readonly reading: string;
      readonly message: string;
    })
  | (ServerEventBase & {
      readonly type: 'process-exited';
      readonly pid: number;
      readonly command: string;
      readonly lastRssBytes: number;
      readonly uptimeMs: number | null;
      readonly ports: readonly number[];
      /** True when this was the server's root process. */
      readonly root: boolean;
    });

const sameList = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Events between two snapshots. `alive` is every pid alive at the newer one. Pure. */
export function diffSnapshots(prev: Snapshot, next: Snapshot, alive: ReadonlySet<number>): MonitorEvent[] {
  const events: MonitorEvent[] = [];
  const at = next.takenAt;
  const nextById = new Map(next.servers.map((s) => [s.id, s]));
  const base = (s: Server) => ({ at, serverId: s.id, server: s.name });

  for (const before of prev.servers) {
    const after = nextById.get(before.id);
    for (const p of before.processes) {
      if (alive.has(p.pid)) continue;
      events.push({
        ...base(before), type: 'process-exited', pid: p.pid, command: p.command, lastRssBytes: p.rssBytes,
        uptimeMs: p.startTimeMs > 0 ? Math.max(0, at - p.startTimeMs) : null, ports: p.ports, root: p.pid === before.pid,
      });
    }
    const afterState: ServerState = after?.state ?? 'down';
    if (before.state !== 'down' && afterState === 'down') {
      events.push({ ...base(before), type: 'server-down', from: before.state, pid: before.pid, ports: before.ports });
    } else if (after && before.state !== 'down' && afterState !== 'down' && !sameList(before.ports, after.ports) && before.state === afterState) {
      events.push({ ...base(after), type: 'port-changed', from: before.ports, to: after.ports });
    }
  }
  const prevById = new Map(prev.servers.map((s) => [s.id, s]));
  for (const after of next.servers) {
    const beforeState: ServerState = prevById.get(after.id)?.state ?? 'down';
    if (beforeState === after.state) continue;
    if (after.state === 'up') events.push({ ...base(after), type: 'server-up', pid: after.pid, ports: after.ports });
    else if (after.state === 'starting') events.push({ ...base(after), type: 'server-starting', pid: after.pid });
    else if (after.state === 'unresponsive') {
      events.push({
        ...base(after), type: 'server-unresponsive', pid: after.pid, ports: after.ports, cpuPercent: after.unresponsive?.cpuPercent ?? null,
        reading: after.unresponsive?.reading ?? 'unknown', message: after.unresponsive?.message ?? `${after.name} does not answer.`,
      });
    } else if (after.state === 'orphaned') {
      events.push({ ...base(after), type: 'server-orphaned', pid: after.pid, ports: after.ports, reason: after.orphanReason ?? '' });
    }
  }
  return events;
}

export interface MonitorOptions {
  readonly probe: SystemProbe;
  readonly workspaceFolders: readonly string[];
  readonly settings?: CoreSettings;
  /** The process that must never count as a server (with its ancestors and descendants). */
  readonly selfPid?: number;
  /** Health checks per server (core/health/checker.ts); absent: no health, unresponsive state or score. */
  readonly health?: HealthAnnotator;
  /**
   * The last snapshot another monitor took (a poll worker restarted after a crash): the first poll is compared
   * with it, so processes that died in between still produce their process-exited events.
   */
  readonly previous?: Snapshot;
  /**
   * Count the inotify watches in use into each snapshot (system.inotify.usage, refreshed at most every 30 s): a walk
   * of every process's fds, so it belongs off the extension host's thread. Off by default (the CLI does not need it).
   */
  readonly countInotifyWatches?: boolean;
}

export class Monitor extends MonitorEvents {
  private readonly facts: ProcessFactsCache;
  private folders: readonly string[];
  private settings: CoreSettings;
  private scan: WorkspaceScan | null = null;
  /** Bumped whenever package.json, .env files, folders or scan settings may have changed. */
  private scanGeneration = 0;
  private scannedGeneration = -1;
  private inFlightGeneration = -1;
  private current: Snapshot | undefined;
  private inFlight: Promise<Snapshot> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private disposed = false;
  private cpuTimes: CpuTimes | null = null;
  private readonly unsubscribeHealth: (() => void) | undefined;
  private readonly inotify: InotifyWatchCounter | null;

  constructor(private readonly opts: MonitorOptions) {
    super();
    this.folders = opts.workspaceFolders.map((f) => resolveWorkspaceFolder(f));
    this.settings = opts.settings ?? DEFAULT_SETTINGS;
    this.facts = new ProcessFactsCache(opts.probe);
    // A server that stopped (or started again) answering shows at once, not at the next tick.
    this.unsubscribeHealth = opts.health?.onChange(() => { if (this.running) void this.pollOnce().catch(() => undefined); });
    this.current = opts.previous;
    this.inotify = opts.countInotifyWatches ? new InotifyWatchCounter() : null;
  }

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  get workspaceScan(): WorkspaceScan | null {
    return this.scan;
  }

  get intervalMs(): number {
    return this.settings.pollIntervalMs;
  }

  /** Changes folders or settings; the next poll uses them. */
  update(change: { workspaceFolders?: readonly string[]; settings?: CoreSettings }): void {
    const same = (a: readonly unknown[], b: readonly unknown[]) => JSON.stringify(a) === JSON.stringify(b);
    const rescan = change.workspaceFolders !== undefined
      || (change.settings !== undefined && (!same(change.settings.excludeFolders, this.settings.excludeFolders)
        || !same(change.settings.configuredServers, this.settings.configuredServers)));
    if (change.workspaceFolders) this.folders = change.workspaceFolders.map((f) => resolveWorkspaceFolder(f));
    if (change.settings) this.settings = change.settings;
    if (rescan) this.rescan();
  }

  /** The next poll reads package.json and .env files again (the last scan stays readable meanwhile). */
  rescan(): void {
    this.scanGeneration++;
  }

  /**
   * One poll now. While a poll is running, returns that one — unless a rescan was asked for after it
   * started: then a fresh poll follows it, so a caller never gets a snapshot older than its request.
   */
  pollOnce(): Promise<Snapshot> {
    if (this.inFlight && this.inFlightGeneration === this.scanGeneration) return this.inFlight;
    const before = this.inFlight ?? Promise.resolve();
    const tracked: Promise<Snapshot> = before.catch(() => undefined).then(() => this.poll())
      .finally(() => { if (this.inFlight === tracked) this.inFlight = null; });
    this.inFlight = tracked;
    this.inFlightGeneration = this.scanGeneration;
    return tracked;
  }

  start(): void {
    if (this.running || this.disposed) return;
    this.running = true;
    this.loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.stop();
    this.disposed = true;
    this.unsubscribeHealth?.();
    this.clearListeners();
  }

  private loop(): void {
    if (!this.running) return;
    this.pollOnce()
      // A poll that failed as a whole (the probe threw): onError says so and the loop goes on.
      .catch((err: unknown) => { this.publishError(err); })
      .finally(() => {
        if (this.running) this.timer = setTimeout(() => this.loop(), this.settings.pollIntervalMs);
      });
  }

  private async poll(): Promise<Snapshot> {
    const generation = this.scanGeneration;
    const scan = this.scan && this.scannedGeneration === generation ? this.scan : scanWorkspace([...this.folders], {
      exclude: [...this.settings.excludeFolders],
      configured: [...this.settings.configuredServers],
    });
    this.scan = scan;
    this.scannedGeneration = generation;
    // Before the sample: the count's occasional long walk is not part of the scan time the interval is paced by.
    const inotifyUsage = this.inotify?.read();
    const sampled = await this.opts.probe.sample({
      diskPaths: [...this.folders, os.tmpdir()],
      // Ports can only change where a workspace process opens or closes a socket (see NetTableGate).
      watchFolders: this.folders,
      watchPids: this.current?.servers.flatMap((s) => s.pids) ?? [],
    });
    const sample = inotifyUsage !== undefined ? { ...sampled, inotify: { ...sampled.inotify, usage: inotifyUsage } } : sampled;
    const times = cpuTimesOf(sample.processes, sample.takenAt);
    const cpuByPid = this.cpuTimes ? cpuPercents(this.cpuTimes, times) : undefined;
    this.cpuTimes = times;
    const next = buildSnapshot(sample, scan, {
      cpuByPid,
      health: this.opts.health,
      workspaceFolders: this.folders,
      selfPid: this.opts.selfPid ?? process.pid,
      thresholds: this.settings.thresholds,
      probe: this.opts.probe,
      facts: this.facts,
    });
    // The first poll is compared with an empty picture, so listeners learn what is already running.
    const prev = this.current ?? { ...next, servers: [] };
    this.current = next;
    if (this.disposed) return next;
    this.opts.health?.observe(next);
    const alive = new Set(sample.processes.map((p) => p.pid));
    this.publish(diffSnapshots(prev, next, alive), next);
    return next;
  }
}
