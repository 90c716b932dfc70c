import { count, formatBytes } from './format';
import { inotifyRaiseLines, runningAsRoot } from './remedies/catalogue';
import type { Thresholds } from './settings';
import type { Alert, AlertSeverity, ScanProblem, Server, SystemState } from './types';

/** Below this many inotify watches a large project's watchers run out (Linux default used to be 8192). */
export const LOW_INOTIFY_WATCHES = 65_536;
/** Share of a cgroup's limit at which the kernel OOM killer is close. */
const CGROUP_WARN = 85;
const CGROUP_CRITICAL = 95;

function level(value: number, t: { warn: number; error: number }): AlertSeverity | null {
  if (value >= t.error) return 'critical';
  if (value >= t.warn) return 'warning';
  return null;
}

/** What in a snapshot deserves the user's attention, most severe first. Pure. */
export function computeAlerts(
  servers: readonly Server[],
  system: SystemState,
  problems: readonly ScanProblem[],
  thresholds: Thresholds,
): Alert[] {
  const alerts: Alert[] = [];
  const add = (severity: AlertSeverity, kind: string, message: string, server: string | null = null) =>
    alerts.push({ severity, kind, message, server });

  const mem = system.memory;
  const memLevel = level(mem.usedPercent, thresholds.memory);
  if (memLevel) {
    add(memLevel, 'memory', `System memory is ${mem.usedPercent}% used: ${formatBytes(mem.availableBytes)} of ${formatBytes(mem.totalBytes)} available.`);
  }
  if (mem.swapTotalBytes > 0 && mem.swapUsedBytes / mem.swapTotalBytes >= 0.5 && memLevel) {
    add('warning', 'swap', `Swap is ${Math.round((mem.swapUsedBytes / mem.swapTotalBytes) * 100)}% used (${formatBytes(mem.swapUsedBytes)}): the machine is short of memory.`);
  }
  const cg = system.cgroup;
  if (cg && cg.limitBytes !== null && cg.limitBytes > 0) {
    const pct = Math.round((cg.usageBytes / cg.limitBytes) * 1000) / 10;
    const sev = pct >= CGROUP_CRITICAL ? 'critical' : pct >= CGROUP_WARN ? 'warning' : null;
    if (sev) add(sev, 'cgroup-memory', `The memory cgroup is at ${pct}% of its ${formatBytes(cg.limitBytes)} limit: the kernel OOM killer acts at 100%.`);
  }
  for (const d of system.disks) {
    const sev = level(d.usedPercent, thresholds.disk);
    if (sev) add(sev, 'disk', `Disk ${d.mount} is ${d.usedPercent}% full (${formatBytes(d.freeBytes)} free).`);
  }
  const watches = system.inotify.maxUserWatches;
  if (watches !== null && watches < LOW_INOTIFY_WATCHES) {
    add('info', 'inotify', `fs.inotify.max_user_watches is ${watches}: file watchers of large projects fail with ENOSPC. Raise it with: ${inotifyRaiseLines({ asRoot: runningAsRoot() })[0]}`);
  }
  for (const s of servers) {
    if (s.state === 'orphaned') {
      add('warning', 'orphan', `${s.name} (PID ${s.pid}${s.ports.length ? `, port ${s.ports.join(', ')}` : ''}) is orphaned: ${s.orphanReason ?? 'its launcher is gone'}.`, s.name);
    }
    if (s.zombiePids.length > 0) {
      add('info', 'zombie', `${s.name} has ${count(s.zombiePids.length, 'zombie process', 'zombie processes')} (PID ${s.zombiePids.join(', ')}) its parent never reaped.`, s.name);
    }
  }
  for (const p of problems) add('warning', 'scan', `${p.path}: ${p.message}`);

  const rank: Record<AlertSeverity, number> = { critical: 0, warning: 1, info: 2 };
  return alerts.sort((a, b) => rank[a.severity] - rank[b.severity]);
}
