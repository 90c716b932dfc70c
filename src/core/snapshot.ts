// Joins one SystemSample with the workspace scan into an immutable Snapshot.
import { computeAlerts } from './alerts';
import { treeCpuPercent } from './health/cpu';
import type { HealthAnnotator } from './health/checker';
import { workspaceScore } from './health/score';
import { envFileNodeOptions, heapLimitFromArgs, isNodeProcess } from './heapLimit';
import { buildServers, isInteractiveShell, isShell, launcherOf, launchEvidenceInEnv } from './servers';
import type { Thresholds } from './settings';
import type { CgroupInfo, HeapLimit, ProcessInfo, Snapshot, SystemProbe, SystemSample, WorkspaceScan } from './types';

/**
 * Per-process facts that never change during a process's life (its NODE_OPTIONS), read once per
 * pid and start time rather than every poll; entries of dead processes are dropped.
 */
export class ProcessFactsCache {
  private heap = new Map<string, HeapLimit | null>();
  /** The dev-session launcher each process was last seen under (a shell, npm, a watcher), by pid and start time. */
  private launchers = new Map<string, string>();
  private envEvidence = new Map<string, string | null>();
  /** Session and process-group leaders that are launchers, by pid; kept while their session or group has members. */
  private leaders = new Map<number, { startTimeMs: number; launcher: string; seenAt: number }>();

  constructor(private readonly probe: SystemProbe) {}

  /** `memoryBytes` is asked only on a cache miss: V8 sizes its default heap from it at start. */
  heapLimitOf(p: ProcessInfo, memoryBytes: () => number): HeapLimit | null {
    if (p.state === 'Z' || !isNodeProcess(p.cmdline, p.comm)) return null;
    const key = `${p.pid}:${p.startTimeMs}`;
    if (!this.heap.has(key)) {
      const env = this.probe.readEnviron(p.pid);
      this.heap.set(key, heapLimitFromArgs(p.cmdline, env, memoryBytes(), env?.NODE_OPTIONS === undefined ? envFileNodeOptions(p.cmdline, p.cwd) : null));
    }
    return this.heap.get(key) ?? null;
  }

  /** Remembers which processes run under a dev-session launcher now, so they are known orphans once it is gone. */
  noteLaunchers(processes: readonly ProcessInfo[], now = Date.now()): void {
    const byPid = new Map(processes.map((p) => [p.pid, p]));
    for (const p of processes) {
      const parent = byPid.get(p.ppid);
      const launcher = parent ? launcherOf(parent) : null;
      if (launcher) this.launchers.set(`${p.pid}:${p.startTimeMs}`, launcher);
      // Leaders of a session or process group (a terminal's shell, `npm run dev` as a job): what their members came from.
      if (p.sid === p.pid || p.pgid === p.pid) {
        const leader = leadingLauncher(p);
        if (leader) this.leaders.set(p.pid, { startTimeMs: p.startTimeMs, launcher: leader, seenAt: now });
        // Another process on that pid now; the same one turned zombie (it is dying) keeps what it was.
        else if (this.leaders.get(p.pid)?.startTimeMs !== p.startTimeMs) this.leaders.delete(p.pid);
      }
    }
  }

  /**
   * The launcher leading `p`'s session or process group, alive now or seen alive when `p` had already started. A
   * process only inherits its session and group at fork, and a pid is not reused while a session or group has it as
   * its id: so a leader seen alive after `p` started is the one `p` came from (never a later process on its pid).
   */
  private leaderOf(p: ProcessInfo): string | null {
    for (const [id, what] of [[p.sid, 'session'], [p.pgid, 'process group']] as const) {
      if (id === undefined || id <= 1 || id === p.pid) continue;
      const leader = this.leaders.get(id);
      if (leader && p.startTimeMs > 0 && leader.startTimeMs <= p.startTimeMs && p.startTimeMs <= leader.seenAt) return `${leader.launcher}, leader of its ${what}`;
    }
    return null;
  }

  /**
   * What shows `p` came from a dev session: the launcher it was seen under, else its environment (npm's variables,
   * a terminal's, a shell's). Readable for our own processes (all, as root); null when nothing says so.
   */
  launchedFrom(p: ProcessInfo): string | null {
    const key = `${p.pid}:${p.startTimeMs}`;
    const seen = this.launchers.get(key);
    if (seen) return `${seen}, seen earlier`;
    const leader = this.leaderOf(p);
    if (leader) return leader;
    if (!this.envEvidence.has(key)) {
      const env = this.probe.readEnviron(p.pid);
      this.envEvidence.set(key, env ? launchEvidenceInEnv(env) : null);
    }
    return this.envEvidence.get(key) ?? null;
  }

  /** Forgets processes that are gone. */
  prune(alive: readonly ProcessInfo[]): void {
    const keep = new Set(alive.map((p) => `${p.pid}:${p.startTimeMs}`));
    for (const map of [this.heap, this.launchers, this.envEvidence]) for (const k of map.keys()) if (!keep.has(k)) map.delete(k);
    const groups = new Set(alive.flatMap((p) => [p.sid, p.pgid]));
    for (const id of this.leaders.keys()) if (!groups.has(id)) this.leaders.delete(id);
  }
}

/**
 * A leader whose session or group members came from a dev session: npm/pnpm/yarn, a watcher, or an interactive shell
 * (a terminal's). A `sh -c` wrapper leads services too (systemd's ExecStart, init scripts), and a zombie tells nothing.
 */
function leadingLauncher(p: ProcessInfo): string | null {
  if (p.state === 'Z' || (isShell(p) && !isInteractiveShell(p))) return null;
  return launcherOf(p);
}

export interface SnapshotContext {
  readonly workspaceFolders: readonly string[];
  readonly selfPid: number;
  readonly thresholds: Thresholds;
  readonly probe: SystemProbe;
  readonly facts: ProcessFactsCache;
  /** CPU % per pid since the previous poll (core/health/cpu.ts); absent on the first poll. */
  readonly cpuByPid?: ReadonlyMap<number, number>;
  /** Health checks, unresponsive state, scores and sustained alerts. */
  readonly health?: HealthAnnotator;
}

function freeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) freeze(v);
  }
  return o;
}

export function buildSnapshot(sample: SystemSample, scan: WorkspaceScan, ctx: SnapshotContext): Snapshot {
  const cgroupCache = new Map<number, CgroupInfo | null>();
  const cgroupOf = (pid: number): CgroupInfo | null => {
    if (!cgroupCache.has(pid)) cgroupCache.set(pid, ctx.probe.readCgroup(pid));
    return cgroupCache.get(pid) ?? null;
  };
  ctx.facts.noteLaunchers(sample.processes);
  const servers = buildServers(
    {
      processes: sample.processes,
      sockets: sample.sockets,
      expected: scan.servers,
      workspaceFolders: ctx.workspaceFolders,
      selfPid: ctx.selfPid,
    },
    {
      // Node sizes its default heap from the smaller of physical memory and its cgroup's limit.
      heapLimitOf: (p) => ctx.facts.heapLimitOf(p, () => Math.min(sample.memory.totalBytes, cgroupOf(p.pid)?.limitBytes ?? Infinity)),
      cgroupOf,
      launchedFrom: (p) => ctx.facts.launchedFrom(p),
    },
  );
  ctx.facts.prune(sample.processes);
  const cpu = ctx.cpuByPid;
  const withCpu = cpu ? servers.map((s) => (s.state === 'down' ? { ...s, cpuPercent: null } : { ...s, cpuPercent: treeCpuPercent(s.pids, cpu) })) : servers;
  const annotated = ctx.health ? withCpu.map((s) => ctx.health!.annotate(s, sample.memory.availableBytes, sample.takenAt)) : withCpu;
  const firstRunning = annotated.find((s) => s.cgroup !== null);
  const system = {
    memory: sample.memory,
    pressure: sample.pressure,
    cgroup: firstRunning ? firstRunning.cgroup : cgroupOf(ctx.selfPid),
    disks: sample.disks,
    inotify: sample.inotify,
  };
  return freeze({
    takenAt: sample.takenAt,
    platform: sample.platform,
    workspaceFolders: [...ctx.workspaceFolders],
    servers: annotated,
    system,
    alerts: [...(ctx.health?.alerts(annotated, sample.takenAt) ?? []), ...computeAlerts(annotated, system, scan.problems, ctx.thresholds)],
    sockets: sample.sockets,
    warnings: sample.warnings,
    ...(ctx.health ? { healthScore: workspaceScore(annotated.map((s) => s.healthScore)) } : {}),
  });
}
