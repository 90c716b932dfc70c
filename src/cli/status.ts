// `dev-server-doctor status`: one look at the workspace's dev servers, memory, disks and watcher limit.
import { formatBytes, formatDuration } from '../core/format';
import { redactText } from '../core/redact';
import { toStatusJson } from '../core/statusJson';
import { SharedRunsReader } from '../core/crash/sharedRuns';
import { folderOf } from '../core/paths';
import { ServerStates } from '../core/serverStates';
import type { Server, Snapshot } from '../core/types';
import { probeOf } from './probe';
import { HealthChecker } from '../core/health/checker';
import { Monitor } from '../core/monitor';
import { DEFAULT_HEALTH, DEFAULT_SETTINGS } from '../core/settings';
import type { CliDeps } from './args';
import { formatContainers } from './containers';
import { readContainersOnce, toStatusContainers } from '../core/containers/status';
import type { Verb } from './verb';

const STATE_MARK: Record<Server['state'], string> = { up: '●', starting: '◐', orphaned: '▲', down: '○', crashed: '✖', unresponsive: '◉' };
/** status waits this long between its two polls: CPU use is a difference of two readings. */
const STATUS_CPU_SPAN_MS = 1000;

/** One server in `status`: state, name, ports, pid, RSS (whole tree), heap limit and its source, uptime, CPU, health. */
export function serverLine(s: Server, now: number): string {
  const bits = [
    `${STATE_MARK[s.state]} ${s.state.padEnd(8)}`,
    s.name,
    s.ports.length ? s.ports.map((p) => `:${p}`).join(' ') : s.expectedPort ? `(expects :${s.expectedPort})` : '',
    s.pid !== null ? `pid ${s.pid}` : '',
    s.state !== 'down' ? `RSS ${formatBytes(s.rssBytes)}` : '',
    s.heapLimitBytes !== null ? `heap limit ${formatBytes(s.heapLimitBytes)} (${s.heapLimitSource})` : '',
    s.startTimeMs ? `up ${formatDuration(now - s.startTimeMs)}` : '',
    typeof s.cpuPercent === 'number' ? `cpu ${Math.round(s.cpuPercent)}%` : '',
    s.health ? (s.health.ok ? `health ${s.health.status ?? 'tcp'} ${s.health.latencyMs} ms` : `health failing (${s.health.error})`) : '',
    typeof s.healthScore === 'number' ? `score ${s.healthScore}` : '',
    s.framework !== 'unknown' ? s.framework : '',
  ];
  return `  ${bits.filter(Boolean).join('  ')}`;
}

export function formatStatus(s: Snapshot): string {
  const out: string[] = [`Dev Server Doctor — ${s.workspaceFolders.join(', ')}`, '', 'Servers'];
  if (s.servers.length === 0) out.push('  none found (no dev scripts in package.json, nothing running in the workspace)');
  for (const v of s.servers) {
    out.push(serverLine(v, s.takenAt));
    if (v.orphanReason) out.push(`      orphaned: ${v.orphanReason}`);
    if (v.crashReason) out.push(`      crashed: ${v.crashReason}`);
    if (v.stuckStarting) out.push(`      ${v.stuckStarting}`);
    if (v.zombiePids.length) out.push(`      zombies: ${v.zombiePids.join(', ')}`);
    if (v.unresponsive) out.push(`      unresponsive: ${v.unresponsive.message}`);
  }
  const { memory: m, cgroup, disks, inotify } = s.system;
  if (typeof s.healthScore === 'number') out.push('', `Health score ${s.healthScore}/100`);
  out.push('', 'System');
  out.push(`  memory  ${m.usedPercent}% used, ${formatBytes(m.availableBytes)} available of ${formatBytes(m.totalBytes)}`);
  out.push(`  swap    ${m.swapTotalBytes ? `${formatBytes(m.swapUsedBytes)} used of ${formatBytes(m.swapTotalBytes)}` : 'none'}`);
  if (cgroup) {
    out.push(`  cgroup  v${cgroup.version} ${cgroup.path}: ${formatBytes(cgroup.usageBytes)} used, limit ${cgroup.limitBytes === null ? 'none' : formatBytes(cgroup.limitBytes)}, OOM kills ${cgroup.oomKills}`);
  }
  for (const d of disks) out.push(`  disk    ${d.mount} ${d.usedPercent}% used, ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)}`);
  out.push(`  inotify max_user_watches ${inotify.maxUserWatches ?? 'unknown'}`);
  if (s.alerts.length) {
    out.push('', 'Alerts');
    for (const a of s.alerts) out.push(`  ${a.severity === 'critical' ? '✖' : a.severity === 'warning' ? '!' : 'i'} ${a.message}`);
  }
  if (s.warnings.length) {
    out.push('', 'Could not read');
    for (const w of s.warnings) out.push(`  - ${w}`);
  }
  return redactText(out.join('\n'));
}

/**
 * Two polls with health checks in between when a server runs: CPU use is a difference of two readings, and
 * the checks (close together, so a silent server is judged twice within the timeouts) have answered.
 */
async function pollWithHealth(folders: readonly string[], deps: CliDeps): Promise<Snapshot> {
  const health = new HealthChecker({ settings: { ...DEFAULT_HEALTH, intervalMs: 200 } });
  const monitor = new Monitor({ probe: probeOf(deps), workspaceFolders: [...folders], settings: DEFAULT_SETTINGS, health });
  try {
    let snap = await monitor.pollOnce();
    if (snap.servers.some((v) => v.state !== 'down')) {
      const started = Date.now();
      await health.settled();
      await new Promise((r) => setTimeout(r, Math.max(0, STATUS_CPU_SPAN_MS - (Date.now() - started))));
      snap = await monitor.pollOnce();
    }
    return snap;
  } finally {
    health.dispose();
    monitor.dispose();
  }
}

export const status: Verb = {
  name: 'status',
  summary: "one look at the workspace's dev servers, memory, disks and watcher limit",
  details: ['--json: one object (its field names are a contract, see the README)'],
  flags: [],
  options: () => ({}),
  async run(args, io, deps) {
    const states = new ServerStates();
    // Crashes of commands run through `run` in the last half hour tell which watchers wait after a crash.
    for (const r of new SharedRunsReader(undefined, true).read()) {
      if (r.type === 'verdict' && Date.now() - r.at < 30 * 60_000 && folderOf(r.cwd, args.workspaces)) states.noteCrash(r.verdict);
    }
    const [polled, docker] = await Promise.all([pollWithHealth(args.workspaces, deps), readContainersOnce(args.workspaces)]);
    const snap = states.apply(polled);
    io.stdout.write(args.json
      ? `${JSON.stringify(toStatusJson(snap, toStatusContainers(docker.containers), docker.engine), null, 2)}\n`
      : `${formatStatus(snap)}\n${formatContainers(docker.containers, docker.engine)}\n`);
    return 0;
  },
};
