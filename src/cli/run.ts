// `dev-server-doctor run [--name N] [--json] [--restart] … -- <command…>`: runs a dev command as a
// transparent wrapper — its output passed through as it comes (colours kept), input forwarded, signals
// forwarded, its exit code returned, Ctrl-C never a crash — and prints the verdict the moment it crashes.
// It reuses the core: the Supervisor runs and (with --restart) restarts it, the CrashWatcher judges its
// streamed output and exact exit against the process tree, and each run's start, verdict and end go
// to the shared runs file, where a separately started `watch` sees them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchEnv } from '../core/remedies/launch';
import { verdictJson } from '../core/crash/report';
import { appendRunRecord, TAIL_CHARS } from '../core/crash/sharedRuns';
import { sharedExpectedStops } from '../core/crash/expectedStops';
import { liveGroupMembers } from '../core/system/procTree';
import type { Verdict } from '../core/crash/types';
import { CrashWatcher, MemoryOutputFeed } from '../core/crash/watcher';
import { Monitor } from '../core/monitor';
import { redactText } from '../core/redact';
import { DEFAULT_SETTINGS } from '../core/settings';
import { Supervisor, type RunReport } from '../core/supervisor/supervisor';
import { createProbe } from '../core/system/probe';
import { UsageError, type CliIo, type Flags } from './args';
import { cliRemedy } from './remedyLines';
import type { Verb } from './verb';

const RUN_DETAILS = [
  'runs COMMAND as a transparent wrapper (output, input, colours, signals and exit code pass through;',
  'Ctrl-C stops it and is never a crash) and prints the crash verdict the moment it crashes;',
  'a `watch` running elsewhere sees its crashes and exits',
  '--json: verdicts as JSON lines on stderr (--json-file FILE appends them to FILE instead)',
  "exit: the command's own exit code (128 + signal number when a signal ended it; 127 when it could not start); 2 on bad usage",
];

export interface RunOptions {
  readonly command: readonly string[];
  readonly name: string | null;
  readonly json: boolean;
  readonly jsonFile: string | null;
  readonly restart: boolean;
  readonly maxRestarts: number | null;
  readonly rssLimitMb: number | null;
  readonly healthUrl: string | null;
  readonly logDir: string | null;
  /** Where the command runs. */
  readonly cwd: string;
  /** The workspace folder whose declared servers name it (default: cwd). */
  readonly workspace: string;
  readonly intervalMs: number;
}

type RunFlags = Omit<RunOptions, 'json' | 'workspace'>;

function realOrSame(dir: string): string {
  try {
    return fs.realpathSync.native(dir);
  } catch {
    return dir;
  }
}

function runOptions(flags: Flags, cwd: string): RunFlags {
  if (flags.rest.length === 0) throw new UsageError('run needs a command after --, e.g. `run -- npm run dev`.');
  const healthUrl = flags.value('--health-url') ?? null;
  if (healthUrl !== null && !/^https?:\/\//.test(healthUrl)) throw new UsageError('--health-url takes an http:// or https:// URL.');
  const count = (name: string) => {
    const n = flags.number(name, 1, Number.MAX_SAFE_INTEGER, 'a whole number of at least 1');
    if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`${name} takes a whole number of at least 1.`);
    return n ?? null;
  };
  const maxRestarts = count('--max-restarts');
  const rssLimitMb = count('--rss-limit');
  const jsonFile = flags.value('--json-file');
  const logDir = flags.value('--log');
  return {
    command: [...flags.rest],
    name: flags.value('--name') ?? null,
    jsonFile: jsonFile === undefined ? null : path.resolve(cwd, jsonFile),
    // --max-restarts and --rss-limit only mean something when it restarts.
    restart: flags.has('--restart') || maxRestarts !== null || rssLimitMb !== null,
    maxRestarts,
    rssLimitMb,
    healthUrl,
    logDir: logDir === undefined ? null : path.resolve(cwd, logDir),
    // Resolved like the --workspace folders, so the walk up to the workspace for node_modules/.bin meets it.
    cwd: realOrSame(cwd),
    intervalMs: DEFAULT_SETTINGS.pollIntervalMs,
  };
}

/** Single-quotes a word for the shell when it needs it. */
export function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`;
}

/** One word is taken as a command line (`run -- "npm run dev"`); several are quoted word by word. */
function commandLineOf(words: readonly string[]): string {
  return words.length === 1 ? words[0] : words.map(shellWord).join(' ');
}

function exitCodeOf(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const n = signal ? (os.constants.signals as Record<string, number>)[signal] : undefined;
  return n ? 128 + n : 1;
}

export interface RunIo extends CliIo {
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean; unref?: () => void };
  /** Where signals arrive (process); tests may pass their own emitter. */
  readonly signals?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** The verdict as a person reads it in the terminal the command runs in. */
export function formatRunVerdict(v: Verdict, color: boolean): string {
  const red = (s: string) => (color ? `\x1b[1;31m${s}\x1b[0m` : s);
  const d = v.detail;
  const facts = [
    `${v.cause} (${v.confidence})`,
    v.pid !== null ? `pid ${v.pid}` : null,
    d?.workerPid !== undefined ? `worker ${d.workerPid}${d.workerCommand ? ` (${d.workerCommand})` : ''}` : null,
    d?.exitCode !== undefined ? `exit ${d.exitCode}` : d?.signal ? d.signal : null,
    d?.lineAt !== undefined && d.detectedAt !== undefined ? `judged ${((d.detectedAt - d.lineAt) / 1000).toFixed(2)} s after the crash line` : null,
  ].filter(Boolean);
  const lines = [`\n${red('[dev-server-doctor] ✖')} ${redactText(v.summary)}`, `  ${facts.join(' · ')}`];
  for (const r of v.remedies.slice(0, 2)) lines.push(`  fix: ${cliRemedy(r)}`);
  return `${lines.join('\n')}\n`;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Runs the command until it ends (or, with --restart, until it is stopped or given up on); returns its exit code. */
export async function runCommand(o: RunOptions, io: RunIo): Promise<number> {
  const command = commandLineOf(o.command);
  const env: NodeJS.ProcessEnv = launchEnv(o.cwd, o.workspace);
  // Its output goes through a pipe: tell it a terminal reads it, so colours stay as they would be.
  if (io.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = '1';
  const sup = new Supervisor({
    name: o.name ?? command,
    command,
    cwd: o.cwd,
    env,
    logDir: o.logDir,
    restartOnCrash: o.restart,
    restart: o.maxRestarts ? { maxRestarts: o.maxRestarts } : {},
    rssLimitBytes: o.rssLimitMb ? o.rssLimitMb * 1024 * 1024 : null,
    healthUrl: o.healthUrl,
    stoppedBy: 'cli',
  });
  const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [o.workspace], settings: { ...DEFAULT_SETTINGS, pollIntervalMs: o.intervalMs } });
  const feed = new MemoryOutputFeed();
  const watcher = new CrashWatcher(monitor, { feed, poll: () => monitor.pollOnce() });
  const problems = new Set<string>();
  const problem = (p: string | null) => {
    if (p && !problems.has(p)) { problems.add(p); io.stderr.write(`[dev-server-doctor] ${redactText(p)}\n`); }
  };
  watcher.onProblem(problem);
  watcher.onVerdict((v) => {
    if (o.jsonFile) {
      try { fs.appendFileSync(o.jsonFile, `${JSON.stringify({ type: 'verdict', ...verdictJson(v) })}\n`); } catch (err) { problem(`Could not write ${o.jsonFile}: ${(err as Error).message}`); }
    } else if (o.json) io.stderr.write(`${JSON.stringify({ type: 'verdict', ...verdictJson(v) })}\n`);
    else io.stderr.write(formatRunVerdict(v, !!io.stderr.isTTY));
    problem(appendRunRecord({ v: 1, type: 'verdict', id: feedId ?? 'run', at: Date.now(), cwd: v.detail?.cwd ?? o.cwd, verdict: v }));
  });

  let feedId: string | null = null;
  let lastRun = 0;
  let last: RunReport | null = null;
  let stopSignal: string | null = null;
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const name = () => o.name ?? command;
  sup.onOutput((c) => {
    if (c.stream === 'stdout') io.stdout.write(c.text);
    else if (c.stream === 'stderr') io.stderr.write(c.text);
    // The supervisor's own lines only when it supervises (restarts, limits, health).
    else if (o.restart || o.healthUrl) io.stderr.write(io.stderr.isTTY ? `\x1b[2m${c.text}\x1b[0m` : c.text);
    if (feedId && c.stream !== 'supervisor') feed.append(feedId, c.text);
  });
  sup.onState((st) => {
    if (st.status !== 'running' || st.run === lastRun || st.pid === null) return;
    lastRun = st.run;
    feedId = `${runId}:${st.run}`;
    feed.start(feedId, { label: `run: ${name()}${st.run > 1 ? ` (run ${st.run})` : ''}`, pid: st.pid, cwd: o.cwd, command, kind: 'run', name: o.name });
    problem(appendRunRecord({ v: 1, type: 'run-start', id: feedId, at: Date.now(), pid: st.pid, cwd: o.cwd, name: name(), command }));
  });
  sup.onRunEnd((r) => {
    last = r;
    const stopped = r.ending === 'stopped';
    if (feedId) feed.end(feedId, stopped ? undefined : exitCodeOf(r.exitCode, r.signal), r.endedAt, stopped ? null : r.signal);
    problem(appendRunRecord({
      v: 1, type: 'run-end', id: feedId ?? runId, at: r.endedAt, pid: r.pid, cwd: o.cwd, name: name(), command,
      exitCode: r.exitCode, signal: r.signal, ending: r.ending, uptimeMs: r.uptimeMs, outputTail: r.outputTail.slice(-TAIL_CHARS),
    }));
  });
  sup.onGiveUp((g) => io.stderr.write(`[dev-server-doctor] ${g.message}\n`));

  const done = new Promise<void>((resolve) => {
    sup.onState((st) => { if (st.status === 'exited' || st.status === 'stopped' || st.status === 'gave-up') resolve(); });
  });
  const signals = io.signals ?? process;
  const onSignal = (sig: NodeJS.Signals) => {
    const pid = sup.state.pid;
    if (stopSignal) {
      // A second Ctrl-C: no more waiting.
      if (pid !== null) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      return;
    }
    stopSignal = sig;
    // Known before the signal: another watcher (the editor's) takes this end for a stop, not a crash.
    if (pid !== null) sharedExpectedStops().expect([pid, ...(liveGroupMembers(pid) ?? [])].map((p) => ({ pid: p })), 'run-stop', 'cli');
    // The command runs in its own process group (so its whole tree can be stopped): pass the signal on, then stop it.
    if (pid !== null) try { process.kill(-pid, sig); } catch { /* gone */ }
    void sup.stop();
  };
  for (const s of STOP_SIGNALS) signals.on(s, onSignal);
  const onInput = (d: Buffer | string) => sup.write(d.toString());
  io.stdin?.on('data', onInput);

  monitor.onError(() => undefined);
  monitor.start();
  sup.start();
  await done;
  // The exit's verdict (if any) comes within a moment; never wait long for it.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([watcher.idle(), new Promise((r) => { timer = setTimeout(r, 5000); })]);
  clearTimeout(timer);
  for (const s of STOP_SIGNALS) signals.off(s, onSignal);
  io.stdin?.off('data', onInput);
  io.stdin?.pause();
  io.stdin?.unref?.();
  watcher.dispose();
  monitor.dispose();
  await sup.dispose();
  const end = last as RunReport | null;
  if (stopSignal) return exitCodeOf(null, stopSignal);
  if (!end) return 1;
  return end.ending === 'spawn-error' ? 127 : exitCodeOf(end.exitCode, end.signal);
}

/** `run -- COMMAND`: the command's output passes through untouched, so the verb writes to the real streams. */
export const run: Verb<RunFlags> = {
  name: 'run',
  summary: 'runs a dev command as before and says why the moment it crashes (optionally supervised)',
  details: RUN_DETAILS,
  takesCommand: 'COMMAND [ARGS…]',
  rawOutput: true,
  flags: [
    { name: '--name', value: 'NAME', help: "the server's name in verdicts (default: the server the workspace declares, else the command)" },
    { name: '--json-file', value: 'FILE', help: 'append verdicts as JSON lines to FILE (implies --json)' },
    { name: '--restart', help: 'restart it after a crash (1 s, ×1.5 up to 15 s)' },
    { name: '--max-restarts', value: 'N', help: 'give up after N restarts within 3 min (default 5; implies --restart)' },
    { name: '--rss-limit', value: 'MB', help: 'restart it when its process tree uses more than MB megabytes (implies --restart)' },
    { name: '--health-url', value: 'URL', help: 'poll this URL while it runs (its failures are reported)' },
    { name: '--log', value: 'DIR', help: 'also keep its output in rotating log files in DIR' },
  ],
  options: runOptions,
  run(args, io, deps) {
    return runCommand(
      { ...args, json: args.json || args.jsonFile !== null, workspace: args.workspaces[0] ?? args.cwd },
      { stdout: io.stdout, stderr: io.stderr, ...(deps.stdin ? { stdin: deps.stdin } : {}), ...(deps.signals ? { signals: deps.signals } : {}) },
    );
  },
};
