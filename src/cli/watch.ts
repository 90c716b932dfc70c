// `dev-server-doctor watch`: keeps watching; a line per event and a verdict line per crash, until Ctrl-C.
import { verdictJson } from '../core/crash/report';
import type { Verdict } from '../core/crash/types';
import { CrashWatcher, MemoryOutputFeed } from '../core/crash/watcher';
import { ContainerMonitor } from '../core/containers/containerMonitor';
import { LogFollower } from '../core/crash/logFollower';
import { SharedRunsReader, type RunRecord } from '../core/crash/sharedRuns';
import { folderOf } from '../core/paths';
import { ServerStates } from '../core/serverStates';
import { sparkline } from '../core/charts/svgChart';
import { formatBytes, formatDuration } from '../core/format';
import { SampleJournal } from '../core/history/sampleJournal';
import { workspaceStateDir } from '../core/paths';
import type { MonitorEvent } from '../core/monitor';
import { redactText } from '../core/redact';
import { DEFAULT_POLL_INTERVAL_MS } from '../core/settings';
import { monitorFor } from './probe';
import { HealthChecker } from '../core/health/checker';
import { DEFAULT_HEALTH } from '../core/settings';
import type { Verb } from './verb';

/** Picks up new or edited package.json files. */
const RESCAN_MS = 30_000;
/** How often the text mode prints each server's memory sparkline: a minute (DSD_SPARK_MS shortens it in tests). */
const SPARK_MS = Number(process.env.DSD_SPARK_MS) || 60_000;
/** Verdicts of one folder this close together, from this watch and from a `run`, are one crash. */
const SAME_CRASH_MS = 10_000;
/** How often the runs `run` shares are read. */
const SHARED_MS = 250;
/** Samples per sparkline. */
const SPARK_SAMPLES = 60;

export function formatEvent(e: MonitorEvent): string {
  return redactText(eventLine(e));
}

/** An event with its names and commands redacted, for `watch --json`. */
export function redactEvent(e: MonitorEvent): MonitorEvent {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'string' ? redactText(v) : v])) as MonitorEvent;
}

export function formatVerdict(v: Verdict): string {
  return `${new Date(v.time).toISOString().slice(11, 19)} verdict   ${v.cause} (${v.confidence})${v.pid !== null ? ` pid ${v.pid}` : ''}: ${redactText(v.summary)}`;
}

function eventLine(e: MonitorEvent): string {
  const t = new Date(e.at).toISOString().slice(11, 19);
  switch (e.type) {
    case 'server-up': return `${t} up        ${e.server} pid ${e.pid} ${e.ports.map((p) => `:${p}`).join(' ')}`;
    case 'server-starting': return `${t} starting  ${e.server} pid ${e.pid}`;
    case 'server-unresponsive': return `${t} unresponsive ${e.server} pid ${e.pid}: ${e.message}`;
    case 'server-orphaned': return `${t} orphaned  ${e.server} pid ${e.pid}: ${e.reason}`;
    case 'server-down': return `${t} down      ${e.server} (was ${e.from}, pid ${e.pid})`;
    case 'port-changed': return `${t} port      ${e.server} ${e.from.join(',') || '-'} → ${e.to.join(',') || '-'}`;
    case 'process-exited': return `${t} exited    ${e.server} pid ${e.pid} after ${e.uptimeMs === null ? '?' : formatDuration(e.uptimeMs)}, last RSS ${formatBytes(e.lastRssBytes)}: ${e.command}`;
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export const watch: Verb<{ intervalMs: number }> = {
  name: 'watch',
  summary: 'keep watching: a line per event (server up/down, port changed, process exited) and a verdict line per crash',
  details: ['--json: one JSON object per line; text: also each server\'s memory as a sparkline every minute', 'its samples let a later `investigate --save` draw the memory curve before each crash'],
  flags: [{ name: '--interval', value: 'SECONDS', help: `seconds between polls (default ${DEFAULT_POLL_INTERVAL_MS / 1000})` }],
  options(flags) {
    const s = flags.number('--interval', 0.2, 3600, 'seconds between 0.2 and 3600');
    return { intervalMs: s === undefined ? DEFAULT_POLL_INTERVAL_MS : Math.round(s * 1000) };
  },
  async run(args, io, deps) {
    // Health checks of every running server (an `unresponsive` event when one stops answering).
    const health = new HealthChecker({ settings: DEFAULT_HEALTH });
    const monitor = monitorFor(args.workspaces, deps, { pollIntervalMs: args.intervalMs }, health);
    const out = (line: string) => io.stdout.write(`${line}\n`);
    // Output as a trigger: logs followed live feed the watcher, which judges crash lines at once.
    const feed = new MemoryOutputFeed();
    const crashes = new CrashWatcher(monitor, { feed, poll: () => monitor.pollOnce() });
    const states = new ServerStates();
    const printed = new Map<string, number>();
    const printVerdict = (v: Verdict, via: 'watch' | 'run') => {
      const key = v.detail?.cwd ?? v.server ?? '?';
      const at = printed.get(key);
      if (at !== undefined && Math.abs(Date.now() - at) < SAME_CRASH_MS) return;
      printed.set(key, Date.now());
      states.noteCrash(v);
      out(args.json ? JSON.stringify({ type: 'verdict', ...verdictJson(v), ...(via === 'run' ? { via: 'run' } : {}) }) : `${formatVerdict(v)}${via === 'run' ? ' (from run)' : ''}`);
    };
    crashes.onVerdict((v) => printVerdict(v, 'watch'));
    // Crashed apps under live watchers, as status shows them, said once each.
    const shownState = new Map<string, string>();
    monitor.onSnapshot((raw) => {
      for (const s of states.apply(raw).servers) {
        const was = shownState.get(s.id);
        shownState.set(s.id, s.state);
        if (s.state !== 'crashed' || was === 'crashed') continue;
        const e = { type: 'server-crashed', at: raw.takenAt, serverId: s.id, server: redactText(s.name), pid: s.pid, reason: redactText(s.crashReason ?? '') };
        out(args.json ? JSON.stringify(e) : `${new Date(e.at).toISOString().slice(11, 19)} crashed   ${e.server}: ${e.reason}`);
      }
    });
    // Log files of each server's folder and of the workspace folders, followed as they are written.
    const logs = new LogFollower(feed, { onProblem: (p) => io.stderr.write(`${redactText(p)}\n`) });
    logs.setFolders(args.workspaces);
    monitor.onSnapshot((s) => logs.setFolders([...args.workspaces, ...s.servers.map((x) => x.cwd)]));
    // Commands run through `run`: their verdicts and exits, from the shared file.
    const shared = new SharedRunsReader();
    const sharedRecord = (r: RunRecord) => {
      if (r.type === 'verdict') {
        crashes.noteExternalVerdict(r.verdict);
        printVerdict(r.verdict, 'run');
      } else if (r.type === 'run-end') {
        const how = r.exitCode !== null ? `exit ${r.exitCode}` : r.signal ?? '?';
        out(args.json ? JSON.stringify({ type: 'run-exit', at: r.at, server: redactText(r.name), cwd: r.cwd, pid: r.pid, exitCode: r.exitCode, signal: r.signal, ending: r.ending, uptimeMs: r.uptimeMs, outputTail: redactText(r.outputTail) })
          : `${new Date(r.at).toISOString().slice(11, 19)} run-exit  ${redactText(r.name)} pid ${r.pid ?? '?'} ${how} (${r.ending}) after ${formatDuration(r.uptimeMs)}`);
      } else {
        out(args.json ? JSON.stringify({ type: 'run-start', at: r.at, server: redactText(r.name), cwd: r.cwd, pid: r.pid, command: redactText(r.command) })
          : `${new Date(r.at).toISOString().slice(11, 19)} run-start ${redactText(r.name)} pid ${r.pid ?? '?'}: ${redactText(r.command)}`);
      }
    };
    const sharedTimer = setInterval(() => { for (const r of shared.read()) if (folderOf(r.cwd, args.workspaces)) sharedRecord(r); }, SHARED_MS);
    crashes.onProblem((p) => io.stderr.write(`${redactText(p)}\n`));
    // The workspace's containers: verdicts from the engine's event stream (no engine: nothing, silently).
    const containers = new ContainerMonitor({ workspaceFolders: () => args.workspaces });
    containers.onVerdict((v) => io.stdout.write(args.json ? `${JSON.stringify({ type: 'verdict', ...verdictJson(v) })}\n` : `${formatVerdict(v)}\n`));
    void containers.start();
    monitor.onEvent((e) => io.stdout.write(args.json ? `${JSON.stringify(redactEvent(e))}\n` : `${formatEvent(e)}\n`));
    monitor.onError((e) => io.stderr.write(`poll failed: ${e.message}\n`));
    const rescan = setInterval(() => monitor.rescan(), RESCAN_MS);
    // The samples behind investigate's memory curves, kept where a later `investigate` finds them.
    const journal = new SampleJournal({ dir: workspaceStateDir(args.workspaces[0]!) });
    journal.startSession(process.pid, [process.pid]);
    const sparks = new Map<string, { name: string; rss: (number | null)[] }>();
    monitor.onSnapshot((s) => {
      journal.record(s, null);
      for (const v of s.servers) {
        const e = sparks.get(v.id) ?? { name: v.name, rss: [] };
        e.rss.push(v.pid !== null ? v.rssBytes : null);
        if (e.rss.length > SPARK_SAMPLES) e.rss.shift();
        sparks.set(v.id, e);
      }
    });
    const spark = args.json ? null : setInterval(() => {
      for (const e of sparks.values()) {
        const last = e.rss[e.rss.length - 1] ?? null;
        if (e.rss.some((x) => x !== null)) io.stdout.write(`${new Date().toISOString().slice(11, 19)} memory    ${redactText(e.name)} ${sparkline(e.rss, 30)} ${last !== null ? formatBytes(last) : 'down'}\n`);
      }
    }, SPARK_MS);
    if (!args.json) io.stdout.write(`Watching ${args.workspaces.join(', ')} every ${args.intervalMs / 1000}s — Ctrl-C to stop.\n`);
    monitor.start();
    logs.start();
    try {
      await (deps.untilStopped ?? untilSignal)();
    } finally {
      clearInterval(rescan);
      clearInterval(sharedTimer);
      logs.dispose();
      if (spark) clearInterval(spark);
      journal.end();
      crashes.dispose();
      containers.dispose();
      health.dispose();
      monitor.dispose();
    }
    return 0;
  },
};
