// `node dist/cli.js status|watch|investigate …` — the same core as the extension, from a terminal.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { investigate } from './core/crash/investigate';
import { cliRemedy } from './cli/remedyLines';
import { sparkline } from './core/charts/svgChart';
import { crashCharts } from './core/dashboard/crashCharts';
import { SampleJournal } from './core/history/sampleJournal';
import { workspaceStateDir } from './core/paths';
import { parseAllowRemedies, serveMcp } from './cli/mcp';
import { redactText } from './core/redact';
import { renderMarkdown, saveReport, toReportJson, verdictJson } from './core/crash/report';
import type { Verdict } from './core/crash/types';
import { CrashWatcher } from './core/crash/watcher';
import { DAY_MS, formatBytes, formatDuration, parseDuration } from './core/format';
import { Monitor, type MonitorEvent } from './core/monitor';
import { createProbe } from './core/system/probe';
import { DEFAULT_SETTINGS } from './core/settings';
import { toStatusJson } from './core/statusJson';
import type { Server, Snapshot } from './core/types';
import { REMEDIES_USAGE, runDisk, runZombies } from './cliRemedies';
import { RUN_USAGE, runCli } from './cli/run';
import { LogFollower } from './core/crash/logFollower';
import { SharedRunsReader, type RunRecord } from './core/crash/sharedRuns';
import { MemoryOutputFeed } from './core/crash/watcher';
import { folderOf } from './core/paths';
import { ServerStates } from './core/serverStates';

const USAGE = `Dev Server Doctor — why did my dev server die?

Usage:
  node dist/cli.js status [--json] [--workspace DIR ...]
  node dist/cli.js watch [--interval SECONDS] [--json] [--workspace DIR ...]
  node dist/cli.js investigate [--json] [--workspace DIR ...] [--since DURATION] [--save DIR ...]
  node dist/cli.js mcp [--workspace DIR ...] [--allow-remedies ID,ID]

  status       one look at the workspace's dev servers, memory, disks and watcher limit
  watch        keep watching; prints a line per event (server up/down, port changed, process exited)
               and a verdict line for each crash it sees
  investigate  why servers crashed recently (kernel log, log files, Node reports) and the current state
               (watch also reads crashes of commands run through \`run\`, and follows the logGlobs log files
               of each server's folder and of the workspace folder as they are written)
  mcp          a Model Context Protocol server on stdio for coding agents (tools: status, investigate,
               watch_for_crash, list_remedies, apply_remedy); --allow-remedies lets agents apply
               destructive remedies too (e.g. free-disk,kill-process-tree)
  --workspace DIR   a workspace folder (repeatable; default: the current directory)
  --json     machine-readable output (status, investigate: one object; watch: one JSON object per line)
  --interval seconds between polls for watch (default ${DEFAULT_SETTINGS.pollIntervalMs / 1000})
  --since    how far back investigate looks: 30m, 24h, 7d (default 24h)
  --save DIR also write the report as dev-server-doctor-YYYYMMDD-HHMMSS.md and .json into DIR

${RUN_USAGE}

Remedies (dry runs: they only list what they would do unless --yes):
${REMEDIES_USAGE}`;

export class UsageError extends Error {}

export interface CliArgs {
  command: 'status' | 'watch' | 'investigate' | 'help';
  json: boolean;
  workspaces: string[];
  intervalMs: number;
  /** How far back investigate looks. */
  sinceMs: number;
  saveDirs: string[];
}

export function parseArgs(argv: readonly string[], cwd: string): CliArgs {
  const args: CliArgs = { command: 'help', json: false, workspaces: [], intervalMs: DEFAULT_SETTINGS.pollIntervalMs, sinceMs: DAY_MS, saveDirs: [] };
  const rest = [...argv];
  const cmd = rest.shift();
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') return args;
  if (cmd !== 'status' && cmd !== 'watch' && cmd !== 'investigate') throw new UsageError(`Unknown command "${cmd}".`);
  args.command = cmd;
  while (rest.length > 0) {
    const a = rest.shift()!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? rest.shift();
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value.`);
      return v;
    };
    if (flag === '--json') args.json = true;
    else if (flag === '--workspace' || flag === '-w') args.workspaces.push(path.resolve(cwd, value()));
    else if (flag === '--interval' && cmd === 'watch') {
      const s = Number(value());
      if (!Number.isFinite(s) || s < 0.2 || s > 3600) throw new UsageError('--interval takes seconds between 0.2 and 3600.');
      args.intervalMs = Math.round(s * 1000);
    } else if (flag === '--since' && cmd === 'investigate') {
      const ms = parseDuration(value());
      if (ms === null) throw new UsageError('--since takes a duration such as 30m, 24h or 7d.');
      args.sinceMs = ms;
    } else if (flag === '--save' && cmd === 'investigate') args.saveDirs.push(path.resolve(cwd, value()));
    else if (flag === '--help' || flag === '-h') args.command = 'help';
    else throw new UsageError(`Unknown option "${a}".`);
  }
  if (args.workspaces.length === 0) args.workspaces.push(path.resolve(cwd));
  for (const w of args.workspaces) {
    if (!fs.existsSync(w) || !fs.statSync(w).isDirectory()) throw new UsageError(`Workspace folder not found: ${w}`);
  }
  return args;
}

const STATE_MARK: Record<Server['state'], string> = { up: '●', starting: '◐', orphaned: '▲', down: '○', crashed: '✖' };

function serverLine(s: Server, now: number): string {
  const bits = [
    `${STATE_MARK[s.state]} ${s.state.padEnd(8)}`,
    s.name,
    s.ports.length ? s.ports.map((p) => `:${p}`).join(' ') : s.expectedPort ? `(expects :${s.expectedPort})` : '',
    s.pid !== null ? `pid ${s.pid}` : '',
    s.state !== 'down' ? formatBytes(s.rssBytes) : '',
    s.heapLimitBytes !== null ? `heap limit ${formatBytes(s.heapLimitBytes)} (${s.heapLimitSource})` : '',
    s.startTimeMs ? `up ${formatDuration(now - s.startTimeMs)}` : '',
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
  }
  const { memory: m, cgroup, disks, inotify } = s.system;
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
    case 'server-orphaned': return `${t} orphaned  ${e.server} pid ${e.pid}: ${e.reason}`;
    case 'server-down': return `${t} down      ${e.server} (was ${e.from}, pid ${e.pid})`;
    case 'port-changed': return `${t} port      ${e.server} ${e.from.join(',') || '-'} → ${e.to.join(',') || '-'}`;
    case 'process-exited': return `${t} exited    ${e.server} pid ${e.pid} after ${e.uptimeMs === null ? '?' : formatDuration(e.uptimeMs)}, last RSS ${formatBytes(e.lastRssBytes)}: ${e.command}`;
  }
}

/** `mcp [--workspace DIR ...] [--allow-remedies ID,ID]`: the MCP server on stdio. */
async function runMcpVerb(argv: readonly string[]): Promise<number> {
  const workspaces: string[] = [];
  const allow: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? [argv[i].slice(0, argv[i].indexOf('=')), argv[i].slice(argv[i].indexOf('=') + 1)] : [argv[i], undefined];
    const value = inline ?? argv[++i];
    if ((flag === '--workspace' || flag === '-w') && value) workspaces.push(path.resolve(value));
    else if (flag === '--allow-remedies' && value) allow.push(value);
    else {
      process.stderr.write(`Unknown option "${argv[i] ?? flag}".\n\n${USAGE}`);
      return 2;
    }
  }
  let allowRemedies;
  try {
    allowRemedies = parseAllowRemedies(allow);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  const folders = (workspaces.length ? workspaces : [process.cwd()]).map((d) => fs.realpathSync.native(d));
  await serveMcp({ workspaceFolders: folders, ...(allowRemedies ? { allowRemedies } : {}) });
  return 0;
}

/** Memory curves before the crashes, from the samples a `watch` of this workspace kept (none: no charts). */
function watchCharts(verdicts: readonly Verdict[], workspace: string, availableBytes: number) {
  const journal = new SampleJournal({ dir: workspaceStateDir(workspace) });
  const samples = journal.previous?.samples ?? [];
  return crashCharts(verdicts, (v, from, to) => samples
    .filter((s) => s.at >= from && s.at <= to)
    .map((s) => ({ t: s.at, rss: s.servers.find((x) => x.id === v.detail?.serverId || x.name === v.server)?.rssBytes ?? null })), { availableBytes });
}

async function main(argv: string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr };
  if (argv[0] === 'mcp') return runMcpVerb(argv.slice(1));
  if (argv[0] === 'zombies') return runZombies(argv.slice(1), io);
  if (argv[0] === 'disk') return runDisk(argv.slice(1), io);
  if (argv[0] === 'run') return runCli(argv.slice(1), { ...io, stdin: process.stdin });
  let args: CliArgs;
  try {
    args = parseArgs(argv, process.cwd());
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const monitor = new Monitor({
    probe: createProbe(),
    workspaceFolders: args.workspaces,
    settings: { ...DEFAULT_SETTINGS, pollIntervalMs: args.intervalMs },
  });
  if (args.command === 'status') {
    const states = new ServerStates();
    // Crashes of commands run through `run` in the last half hour tell which watchers wait after a crash.
    for (const r of new SharedRunsReader(undefined, true).read()) {
      if (r.type === 'verdict' && Date.now() - r.at < 30 * 60_000 && folderOf(r.cwd, args.workspaces)) states.noteCrash(r.verdict);
    }
    const snap = states.apply(await monitor.pollOnce());
    process.stdout.write(args.json ? `${JSON.stringify(toStatusJson(snap), null, 2)}\n` : `${formatStatus(snap)}\n`);
    return 0;
  }
  if (args.command === 'investigate') {
    const snapshot = await monitor.pollOnce();
    const inv = await investigate({ workspaceFolders: args.workspaces, sinceMs: Date.now() - args.sinceMs, snapshot });
    const saved = args.saveDirs.length ? saveReport(inv, args.saveDirs, cliRemedy, watchCharts(inv.verdicts, args.workspaces[0], snapshot.system.memory.availableBytes)) : null;
    for (const p of saved?.problems ?? []) process.stderr.write(`${p}\n`);
    for (const f of saved?.files ?? []) process.stderr.write(`saved ${f}\n`);
    process.stdout.write(args.json ? `${JSON.stringify(toReportJson(inv), null, 2)}\n` : `${renderMarkdown(inv, cliRemedy)}\n`);
    return 0;
  }
  return watch(args, monitor);
}

/** Verdicts of one folder this close together, from this watch and from a `run`, are one crash. */
const SAME_CRASH_MS = 10_000;

async function watch(args: CliArgs, monitor: Monitor): Promise<number> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
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
  // The samples behind investigate's memory curves, kept where a later `investigate` finds them.
  const journal = new SampleJournal({ dir: workspaceStateDir(args.workspaces[0]) });
  journal.startSession(process.pid, [process.pid]);
  const sparks = new Map<string, { name: string; rss: (number | null)[] }>();
  monitor.onSnapshot((s) => {
    journal.record(s, null);
    for (const v of s.servers) {
      const e = sparks.get(v.id) ?? { name: v.name, rss: [] };
      e.rss.push(v.pid !== null ? v.rssBytes : null);
      if (e.rss.length > 60) e.rss.shift();
      sparks.set(v.id, e);
    }
  });
  const SPARK_MS = Number(process.env.DSD_SPARK_MS) || 60_000; // a minute; tests shorten it
  const spark = args.json ? null : setInterval(() => {
    for (const e of sparks.values()) {
      const last = e.rss[e.rss.length - 1] ?? null;
      if (e.rss.some((x) => x !== null)) process.stdout.write(`${new Date().toISOString().slice(11, 19)} memory    ${redactText(e.name)} ${sparkline(e.rss, 30)} ${last !== null ? formatBytes(last) : 'down'}\n`);
    }
  }, SPARK_MS);
  crashes.onProblem((p) => process.stderr.write(`${redactText(p)}\n`));
  monitor.onEvent((e) => out(args.json ? JSON.stringify(redactEvent(e)) : formatEvent(e)));
  monitor.onError((e) => process.stderr.write(`poll failed: ${e.message}\n`));
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
  const logs = new LogFollower(feed, { onProblem: (p) => process.stderr.write(`${redactText(p)}\n`) });
  logs.setFolders(args.workspaces);
  monitor.onSnapshot((s) => logs.setFolders([...args.workspaces, ...s.servers.map((x) => x.cwd)]));
  // Commands run through `run`: their verdicts and exits, from the shared file.
  const shared = new SharedRunsReader();
  const readShared = () => {
    for (const r of shared.read()) if (folderOf(r.cwd, args.workspaces)) sharedRecord(r);
  };
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
  const SHARED_MS = 250;
  const sharedTimer = setInterval(readShared, SHARED_MS);
  const RESCAN_MS = 30_000; // picks up new or edited package.json files
  const rescan = setInterval(() => monitor.rescan(), RESCAN_MS);
  if (!args.json) out(`Watching ${args.workspaces.join(', ')} every ${args.intervalMs / 1000}s — Ctrl-C to stop.`);
  monitor.start();
  logs.start();
  await new Promise<void>((resolve) => {
    const stop = () => { clearInterval(rescan); clearInterval(sharedTimer); if (spark) clearInterval(spark); journal.end(); logs.dispose(); crashes.dispose(); monitor.dispose(); resolve(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`dev-server-doctor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
