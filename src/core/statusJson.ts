// The `status --json` shape. Field names are a contract (scripts depend on them): add, never rename.
// Command lines and names are redacted: a server started with --password=… must not show it.
import { redactText } from './redact';
import type { Alert, HeapLimitSource, ServerState, Snapshot } from './types';
import type { StatusContainerJson } from './containers/status';

export interface StatusServerJson {
  name: string;
  workspaceFolder: string;
  cwd: string;
  script: string | null;
  command: string;
  framework: string;
  state: ServerState;
  pid: number | null;
  pids: number[];
  ports: number[];
  expectedPort: number | null;
  rssBytes: number;
  heapLimitBytes: number | null;
  heapLimitSource: HeapLimitSource | null;
  // additions beyond the contract
  id: string;
  source: string;
  startTimeMs: number | null;
  zombiePids: number[];
  orphanReason: string | null;
  /** Set when state is 'crashed': why ("waiting for file changes — Error: connect ECONNREFUSED 127.0.0.1:5432"). */
  crashReason?: string | null;
  crashedAt?: string | null;
  /** Set while it has been 'starting' far longer than it usually takes to listen. */
  stuckStarting?: string | null;
  processes: { pid: number; ppid: number; state: string; command: string; rssBytes: number; ports: number[] }[];
  /** CPU of the whole tree since the previous poll, percent of one core; null when unknown (down, first poll). */
  cpuPercent?: number | null;
  /** The last health check; null when none ran. */
  health?: { ok: boolean; latencyMs: number | null; status: number | null; checkedAt: string; target: string; mode: 'http' | 'tcp'; error: string | null; errorRatePercent: number } | null;
  /** Set when state is "unresponsive": the CPU reading and what it means. */
  unresponsive?: { since: string; cpuPercent: number | null; reading: string; message: string } | null;
  healthScore?: number | null;
}

export interface StatusJson {
  generatedAt: string;
  workspaceFolders: string[];
  servers: StatusServerJson[];
  system: {
    memory: { totalBytes: number; availableBytes: number; usedPercent: number; swapTotalBytes: number; swapUsedBytes: number };
    cgroup: { limitBytes: number | null; usageBytes: number; oomKills: number; version: 1 | 2; path: string } | null;
    disks: { mount: string; totalBytes: number; freeBytes: number; usedPercent: number; paths: string[] }[];
    inotify: { maxUserWatches: number | null; maxUserInstances: number | null };
    pressure: { someAvg10: number; fullAvg10: number } | null;
  };
  alerts: Alert[];
  warnings: string[];
  /** 0–100 over the running servers; null when none runs or health checks did not run. */
  healthScore?: number | null;
  /** The workspace's containers (empty without a container engine). */
  containers?: StatusContainerJson[];
  /** Whether a container engine answered, and which: 'Docker 20.10.24 at unix:///var/run/docker.sock' or why not. */
  containerEngine?: { available: boolean; message: string };
}

export function toStatusJson(s: Snapshot, containers: StatusContainerJson[] = [], containerEngine: { available: boolean; message: string } = { available: false, message: 'Containers were not read.' }): StatusJson {
  const { memory, cgroup, disks, inotify, pressure } = s.system;
  return {
    generatedAt: new Date(s.takenAt).toISOString(),
    workspaceFolders: [...s.workspaceFolders],
    servers: s.servers.map((v) => ({
      name: redactText(v.name),
      workspaceFolder: v.workspaceFolder,
      cwd: v.cwd,
      script: v.script,
      command: redactText(v.command),
      framework: v.framework,
      state: v.state,
      pid: v.pid,
      pids: [...v.pids],
      ports: [...v.ports],
      expectedPort: v.expectedPort,
      rssBytes: v.rssBytes,
      heapLimitBytes: v.heapLimitBytes,
      heapLimitSource: v.heapLimitSource,
      id: v.id,
      source: v.source,
      startTimeMs: v.startTimeMs,
      zombiePids: [...v.zombiePids],
      orphanReason: v.orphanReason ? redactText(v.orphanReason) : null,
      crashReason: v.crashReason ? redactText(v.crashReason) : null,
      crashedAt: v.crashedAt ? new Date(v.crashedAt).toISOString() : null,
      stuckStarting: v.stuckStarting ? redactText(v.stuckStarting) : null,
      processes: v.processes.map((p) => ({ pid: p.pid, ppid: p.ppid, state: p.state, command: redactText(p.command), rssBytes: p.rssBytes, ports: [...p.ports] })),
      cpuPercent: v.cpuPercent ?? null,
      health: v.health
        ? { ...v.health, checkedAt: new Date(v.health.checkedAt).toISOString(), target: redactText(v.health.target), error: v.health.error === null ? null : redactText(v.health.error) }
        : null,
      unresponsive: v.unresponsive
        ? { since: new Date(v.unresponsive.since).toISOString(), cpuPercent: v.unresponsive.cpuPercent, reading: v.unresponsive.reading, message: redactText(v.unresponsive.message) }
        : null,
      healthScore: v.healthScore ?? null,
    })),
    system: {
      memory: {
        totalBytes: memory.totalBytes,
        availableBytes: memory.availableBytes,
        usedPercent: memory.usedPercent,
        swapTotalBytes: memory.swapTotalBytes,
        swapUsedBytes: memory.swapUsedBytes,
      },
      cgroup: cgroup
        ? { limitBytes: cgroup.limitBytes, usageBytes: cgroup.usageBytes, oomKills: cgroup.oomKills, version: cgroup.version, path: cgroup.path }
        : null,
      disks: disks.map((d) => ({ mount: d.mount, totalBytes: d.totalBytes, freeBytes: d.freeBytes, usedPercent: d.usedPercent, paths: [...d.forPaths] })),
      inotify: { maxUserWatches: inotify.maxUserWatches, maxUserInstances: inotify.maxUserInstances },
      pressure: pressure ? { someAvg10: pressure.someAvg10, fullAvg10: pressure.fullAvg10 } : null,
    },
    alerts: s.alerts.map((a) => ({ ...a, message: redactText(a.message), server: a.server === null ? null : redactText(a.server) })),
    warnings: s.warnings.map(redactText),
    healthScore: s.healthScore ?? null,
    containers,
    containerEngine: { available: containerEngine.available, message: redactText(containerEngine.message) },
  };
}
