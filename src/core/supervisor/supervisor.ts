// Runs one server command as a child process group, keeps it alive through crashes with growing
// delays, and reports exactly how each run ended (exit code or signal), which is the evidence the
// crash verdicts need. Stopping is never a crash.
// Why this file is long (~480 lines): one run's state machine (spawn, output, health, RSS limit, backoff, stop, tree
// clean-up) shares its timers and state; the tree tracking is in treeTracker.ts, the log rotation in rotatingLog.ts, the delays in backoff.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { systemClock, type Clock } from '../clock';
import { Emitter } from '../emitter';
import { formatBytes, formatDuration } from '../format';
import { RestartPolicy, type RestartOptions } from './backoff';
import { checkHealth, type HealthResult } from '../health/check';
import { liveGroupMembers, treeRssBytes } from '../system/procTree';
import { TreeTracker } from './treeTracker';
import { logBaseName, RotatingLog, type RotatingLogOptions } from './rotatingLog';
import { sharedExpectedStops, type ExpectedStops } from '../crash/expectedStops';

export interface SupervisorOptions {
  /** Display name ("api · dev"); also names the log files. */
  readonly name: string;
  /** Shell command line, as in a package.json script. */
  readonly command: string;
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Folder of the rotating log files; none when null or absent. */
  readonly logDir?: string | null;
  readonly log?: RotatingLogOptions;
  readonly restart?: RestartOptions;
  /** Restart after a crash (default true); false runs the command once, as a plain wrapper. */
  readonly restartOnCrash?: boolean;
  /** Restart the server when its whole tree's RSS passes this many bytes. */
  readonly rssLimitBytes?: number | null;
  /** How often the tree's RSS is read (default 5 s). */
  readonly rssCheckMs?: number;
  readonly healthUrl?: string | null;
  /** default 10 s */
  readonly healthIntervalMs?: number;
  /** default 5 s */
  readonly healthTimeoutMs?: number;
  /** After SIGTERM the tree gets this long before SIGKILL (default 5 s). */
  readonly stopTimeoutMs?: number;
  /**
   * Track each run's processes in a cgroup of its own where one may be created (default true); false tracks them by
   * the descendants seen while the run is alive, as happens without the privilege.
   */
  readonly cgroup?: boolean;
  /** How often the run's descendants are noted when there is no cgroup (default 2 s). */
  readonly trackMs?: number;
  readonly clock?: Clock;
  /**
   * Where its own stops and restarts are recorded before it signals, so no crash watcher takes them for a crash
   * (default: the registry shared with the editor and the CLI; null records nothing).
   */
  readonly expectedStops?: ExpectedStops | null;
  /** Who runs it, for those records ('vscode', 'cli'; default 'supervisor'). */
  readonly stoppedBy?: string;
}

export type SupervisorStatus = 'idle' | 'running' | 'waiting' | 'stopping' | 'stopped' | 'exited' | 'gave-up';

/** How a run ended: a crash (restarted), a stop the user asked for, a clean exit (code 0), the RSS limit, or a failed spawn. */
export type RunEnding = 'crashed' | 'stopped' | 'exited' | 'rss-limit' | 'spawn-error';

export interface RunReport {
  readonly name: string;
  readonly run: number;
  readonly pid: number | null;
  readonly command: string;
  readonly cwd: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly uptimeMs: number;
  /** Exactly as the operating system reported the end of the process the supervisor started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ending: RunEnding;
  readonly error: string | null;
  /** The end of the run's output (stdout and stderr interleaved), for the verdict. */
  readonly outputTail: string;
}

export interface SupervisorState {
  readonly name: string;
  readonly status: SupervisorStatus;
  readonly pid: number | null;
  /** Runs started so far (1 for the first). */
  readonly run: number;
  readonly startedAt: number | null;
  readonly restartsInWindow: number;
  readonly nextRestartAt: number | null;
  readonly lastRun: RunReport | null;
  readonly rssBytes: number | null;
  readonly health: HealthResult | null;
  readonly logFile: string | null;
  /** A problem with the log files, in plain words. */
  readonly logProblem: string | null;
}

export interface OutputChunk {
  readonly stream: 'stdout' | 'stderr' | 'supervisor';
  readonly text: string;
}

export interface RestartScheduled {
  readonly delayMs: number;
  readonly attempt: number;
  readonly at: number;
}

export interface GaveUp {
  readonly restarts: number;
  readonly windowMs: number;
  readonly message: string;
}

const TAIL_CHARS = 16 * 1024;
/** After the group leader exits, the rest of the group gets this long to follow before SIGKILL. */
const LEFTOVER_GRACE_MS = 2000;
/** Output still in the pipes when the process exits arrives this soon. */
const DRAIN_MS = 300;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function groupAlive(pgid: number): boolean {
  const members = liveGroupMembers(pgid);
  if (members) return members.length > 0;
  try {
    process.kill(process.platform === 'win32' ? pgid : -pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    // Windows has no process groups: only the process itself can be signalled.
    process.kill(process.platform === 'win32' ? pgid : -pgid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * `exec COMMAND` for a simple command (no operators, redirections or subshells outside quotes, no
 * leading VAR=value), so the shell becomes the server: its exit code and signal are then the server's own.
 * dash, /bin/sh on Debian and Ubuntu, would otherwise report a signal death as exit code 128+N.
 */
export function execForm(command: string): string {
  const trimmed = command.trim();
  if (process.platform === 'win32' || /^\w+=/.test(trimmed) || /^exec\s/.test(trimmed)) return command;
  let quote: string | null = null;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '\\') {
      i++;
    } else if (';&|<>()`\n#{}!'.includes(c)) {
      return command;
    }
  }
  return quote ? command : `exec ${trimmed}`;
}

function endingWords(r: RunReport): string {
  const how = r.signal ? `killed by ${r.signal}` : r.exitCode !== null ? `exit code ${r.exitCode}` : (r.error ?? 'ended');
  return `${how} after ${formatDuration(r.uptimeMs)}`;
}

export class Supervisor {
  private readonly clock: Clock;
  private readonly policy: RestartPolicy;
  private readonly log: RotatingLog | null;
  private readonly outputEmitter = new Emitter<OutputChunk>();
  private readonly runEmitter = new Emitter<RunReport>();
  private readonly stateEmitter = new Emitter<SupervisorState>();
  private readonly restartEmitter = new Emitter<RestartScheduled>();
  private readonly giveUpEmitter = new Emitter<GaveUp>();
  private readonly healthEmitter = new Emitter<HealthResult>();

  private status: SupervisorStatus = 'idle';
  private child: ChildProcess | null = null;
  private run = 0;
  private startedAt: number | null = null;
  private tail = '';
  private stopping = false;
  private rssKill = false;
  private stopWaiters: (() => void)[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private nextRestartAt: number | null = null;
  private watchTimers: NodeJS.Timeout[] = [];
  private killTimer: NodeJS.Timeout | null = null;
  private tracker: TreeTracker | null = null;
  private lastRun: RunReport | null = null;
  private rssBytes: number | null = null;
  private health: HealthResult | null = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.clock = opts.clock ?? systemClock;
    this.policy = new RestartPolicy(opts.restart);
    this.log = opts.logDir ? new RotatingLog(opts.logDir, logBaseName(opts.name), opts.log) : null;
  }

  get state(): SupervisorState {
    return {
      name: this.opts.name,
      status: this.status,
      pid: this.child?.pid ?? null,
      run: this.run,
      startedAt: this.child ? this.startedAt : null,
      restartsInWindow: this.policy.restartsInWindow(this.clock.now()),
      nextRestartAt: this.nextRestartAt,
      lastRun: this.lastRun,
      rssBytes: this.rssBytes,
      health: this.health,
      logFile: this.log?.file ?? null,
      logProblem: this.log?.problem ?? null,
    };
  }

  onOutput(l: (c: OutputChunk) => void): () => void { return this.outputEmitter.on(l); }
  /** Every run's end, crash or not. */
  onRunEnd(l: (r: RunReport) => void): () => void { return this.runEmitter.on(l); }
  onState(l: (s: SupervisorState) => void): () => void { return this.stateEmitter.on(l); }
  onRestartScheduled(l: (r: RestartScheduled) => void): () => void { return this.restartEmitter.on(l); }
  /** Too many restarts within the window: the supervisor stopped trying. */
  onGiveUp(l: (g: GaveUp) => void): () => void { return this.giveUpEmitter.on(l); }
  onHealth(l: (h: HealthResult) => void): () => void { return this.healthEmitter.on(l); }

  /** Starts the server (at once, also while a restart is pending). No effect while it runs or stops. */
  start(): void {
    if (this.child || this.status === 'stopping') return;
    if (this.status !== 'waiting') this.policy.reset();
    this.cancelRestart();
    this.spawnRun();
  }

  /** Stops the whole tree (SIGTERM, then SIGKILL after the timeout). Resolves once it is gone. Never a crash. */
  stop(): Promise<void> {
    this.cancelRestart();
    if (!this.child) {
      if (this.status !== 'idle') this.setStatus('stopped');
      return Promise.resolve();
    }
    const done = new Promise<void>((r) => this.stopWaiters.push(r));
    if (!this.stopping) {
      this.stopping = true;
      this.setStatus('stopping');
      this.say(`Stopping ${this.opts.name}…`);
      // Without a pid the spawn is failing, and its error ends the run.
      if (this.child.pid !== undefined) this.terminate(this.child.pid);
    }
    return done;
  }

  /** A restart the user asked for: stop, then start with a fresh crash count. */
  async restart(): Promise<void> {
    await this.stop();
    this.policy.reset();
    this.spawnRun();
  }

  /** Input for the server (the pseudoterminal's keystrokes). Its input is a pipe, not a terminal, so Ctrl-C here means stop(). */
  write(data: string): void {
    if (data.includes('\x03')) void this.stop();
    else this.child?.stdin?.write(data);
  }

  async dispose(): Promise<void> {
    await this.stop();
    this.log?.close();
    for (const e of [this.outputEmitter, this.runEmitter, this.stateEmitter, this.restartEmitter, this.giveUpEmitter, this.healthEmitter]) e.clear();
  }

  private setStatus(s: SupervisorStatus): void {
    this.status = s;
    this.stateEmitter.fire(this.state);
  }

  private say(text: string): void {
    const line = `[supervisor] ${text}\n`;
    this.log?.write(line);
    this.outputEmitter.fire({ stream: 'supervisor', text: line });
  }

  private cancelRestart(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.nextRestartAt = null;
  }

  /** SIGTERM to the whole tree (group, cgroup, every descendant seen), SIGKILL after the stop timeout. */
  private terminate(pgid: number): void {
    const tracker = this.tracker;
    this.expectStop(pgid, tracker);
    const all = (sig: NodeJS.Signals): void => {
      signalGroup(pgid, sig);
      tracker?.signal(sig);
    };
    tracker?.note(pgid);
    all('SIGTERM');
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => all('SIGKILL'), this.opts.stopTimeoutMs ?? 5000);
  }

  /** Records the run's processes as stopped on purpose (a stop, a restart, the RSS limit) before they are signalled. */
  private expectStop(pgid: number, tracker: TreeTracker | null): void {
    const stops = this.opts.expectedStops === undefined ? sharedExpectedStops() : this.opts.expectedStops;
    if (!stops) return;
    const pids = new Set([pgid, ...(process.platform === 'win32' ? [] : liveGroupMembers(pgid) ?? []), ...(tracker?.members() ?? [])]);
    stops.expect([...pids].map((pid) => ({ pid })), this.rssKill && !this.stopping ? 'rss-limit' : 'supervised-stop', this.opts.stoppedBy ?? 'supervisor');
  }

  private spawnRun(): void {
    this.run++;
    this.tail = '';
    this.stopping = false;
    this.rssKill = false;
    this.rssBytes = null;
    const startedAt = this.clock.now();
    this.startedAt = startedAt;
    let child: ChildProcess;
    const tracker = process.platform === 'win32' ? null : TreeTracker.create(this.opts.cgroup ?? true);
    this.tracker = tracker;
    try {
      const options = {
        cwd: this.opts.cwd,
        env: this.opts.env ?? process.env,
        // Its own process group, so the whole tree can be signalled at once.
        detached: process.platform !== 'win32',
        stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'],
      };
      const wrapped = tracker?.spawnArgs(execForm(this.opts.command));
      child = wrapped ? spawn(wrapped.file, wrapped.args, options) : spawn(execForm(this.opts.command), { ...options, shell: true });
    } catch (err) {
      tracker?.dispose();
      this.finish({ startedAt, pid: null, exitCode: null, signal: null, error: (err as Error).message, ending: 'spawn-error' });
      return;
    }
    this.child = child;
    this.say(`Run ${this.run}: ${this.opts.command} (in ${this.opts.cwd})${child.pid ? `, PID ${child.pid}` : ''}`);
    let closed = false;
    let ended = false;
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8');
      child[stream]!.on('data', (d: Buffer) => {
        this.log?.write(d);
        const text = decoder.write(d);
        this.tail = (this.tail + text).slice(-TAIL_CHARS);
        if (text) this.outputEmitter.fire({ stream, text });
      });
    }
    child.stdin!.on('error', () => { /* the server closed its input */ });
    child.on('close', () => { closed = true; });
    child.on('error', (err) => {
      // No process came of it (bad cwd, no shell); when there is a pid, 'exit' follows and reports.
      if (child.pid !== undefined || ended) return;
      ended = true;
      this.finish({ startedAt, pid: null, exitCode: null, signal: null, error: err.message, ending: 'spawn-error' });
    });
    child.on('exit', (code, signal) => {
      if (ended) return;
      ended = true;
      // How it ended is decided now: a stop asked for while the leftovers are reaped does not turn a crash into a stop.
      const ending = this.endingOf(code);
      void (async () => {
        await this.reapLeftovers(child.pid!, tracker);
        tracker?.dispose();
        for (let waited = 0; !closed && waited < DRAIN_MS; waited += 20) await sleep(20);
        this.finish({ startedAt, pid: child.pid!, exitCode: code, signal, error: null, ending });
      })();
    });
    if (child.pid !== undefined) this.watch(child.pid);
    this.setStatus('running');
  }

  /**
   * The leader exited; whatever else of the run is alive goes too — its group, its cgroup, every descendant seen,
   * setsid ones included (a held port would fail the restart).
   */
  private async reapLeftovers(pgid: number, tracker: TreeTracker | null): Promise<void> {
    if (process.platform === 'win32') return;
    const alive = (): boolean => groupAlive(pgid) || (tracker?.alive() ?? false);
    if (!alive()) return;
    // Leftovers of a run being stopped are part of that stop; after a crash they are part of the crash.
    if (this.stopping || this.rssKill) this.expectStop(pgid, tracker);
    signalGroup(pgid, 'SIGTERM');
    tracker?.signal('SIGTERM');
    const deadline = Date.now() + (this.stopping ? this.opts.stopTimeoutMs ?? 5000 : LEFTOVER_GRACE_MS);
    while (alive() && Date.now() < deadline) await sleep(50);
    if (alive()) {
      signalGroup(pgid, 'SIGKILL');
      tracker?.signal('SIGKILL');
      for (let waited = 0; alive() && waited < 2000; waited += 50) await sleep(50);
    }
  }

  private watch(pid: number): void {
    const tracker = this.tracker;
    if (tracker && process.platform === 'linux') {
      // With a cgroup nothing escapes (once the run is seen to have joined it). Without one, descendants are noted
      // every trackMs (one /proc listing, 5-15 ms with 200 processes on a loaded machine), to catch a server that
      // setsid'd away before its launcher ended.
      tracker.note(pid);
      let confirmed = false;
      this.watchTimers.push(setInterval(() => {
        if (tracker.mode === 'cgroup' && !confirmed) {
          confirmed = true;
          tracker.confirmJoined(pid);
        }
        if (tracker.mode === 'descendants') tracker.note(pid);
      }, this.opts.trackMs ?? 2000));
    }
    const limit = this.opts.rssLimitBytes;
    if (limit || process.platform === 'linux') {
      this.watchTimers.push(setInterval(() => {
        this.rssBytes = treeRssBytes(pid);
        if (!limit || this.rssBytes === null || this.rssBytes <= limit || this.rssKill || this.stopping) return;
        this.rssKill = true;
        this.say(`${this.opts.name} uses ${formatBytes(this.rssBytes)}, over its ${formatBytes(limit)} limit: restarting it.`);
        this.terminate(pid);
      }, this.opts.rssCheckMs ?? 5000));
    }
    const url = this.opts.healthUrl;
    if (url) {
      let inFlight = false;
      this.watchTimers.push(setInterval(() => {
        if (inFlight) return;
        inFlight = true;
        void checkHealth(url, { timeoutMs: this.opts.healthTimeoutMs ?? 5000, now: () => this.clock.now() }).then((h) => {
          inFlight = false;
          if (this.child?.pid !== pid) return;
          this.health = h;
          this.healthEmitter.fire(h);
        });
      }, this.opts.healthIntervalMs ?? 10_000));
    }
  }

  private endingOf(exitCode: number | null): RunEnding {
    if (this.stopping) return 'stopped';
    if (this.rssKill) return 'rss-limit';
    return exitCode === 0 ? 'exited' : 'crashed';
  }

  private finish(end: { startedAt: number; pid: number | null; exitCode: number | null; signal: NodeJS.Signals | null; error: string | null; ending: RunEnding }): void {
    for (const t of this.watchTimers) clearInterval(t);
    this.watchTimers = [];
    if (this.killTimer) clearTimeout(this.killTimer);
    this.killTimer = null;
    // A run that never started (spawn error) leaves its empty cgroup behind otherwise.
    this.tracker?.dispose();
    this.tracker = null;
    this.child = null;
    const endedAt = this.clock.now();
    const { ending } = end;
    const report: RunReport = {
      name: this.opts.name, run: this.run, pid: end.pid, command: this.opts.command, cwd: this.opts.cwd,
      startedAt: end.startedAt, endedAt, uptimeMs: endedAt - end.startedAt, exitCode: end.exitCode, signal: end.signal,
      ending, error: end.error, outputTail: this.tail,
    };
    this.lastRun = report;
    this.say(`${this.opts.name} ${ending === 'crashed' ? 'crashed' : ending === 'rss-limit' ? 'was restarted' : 'ended'}: ${endingWords(report)}.`);
    this.runEmitter.fire(report);

    if (this.stopping) {
      this.setStatus('stopped');
      for (const w of this.stopWaiters.splice(0)) w();
    } else if (ending === 'exited' || ending === 'spawn-error' || this.opts.restartOnCrash === false) {
      this.setStatus('exited');
    } else {
      this.restartAfter(report);
    }
  }

  private restartAfter(report: RunReport): void {
    const decision = this.policy.decide(report.startedAt, report.endedAt, report.ending === 'crashed');
    if (decision.action === 'give-up') {
      const message = `${this.opts.name} was restarted ${decision.restarts} times within ${formatDuration(decision.windowMs)} and failed again (${endingWords(report)}); it is not restarted again.`;
      this.say(message);
      this.setStatus('gave-up');
      this.giveUpEmitter.fire({ restarts: decision.restarts, windowMs: decision.windowMs, message });
      return;
    }
    this.nextRestartAt = this.clock.now() + decision.delayMs;
    this.say(`Restarting in ${(decision.delayMs / 1000).toFixed(1)} s (restart ${decision.attempt}).`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.nextRestartAt = null;
      this.spawnRun();
    }, decision.delayMs);
    this.setStatus('waiting');
    this.restartEmitter.fire({ delayMs: decision.delayMs, attempt: decision.attempt, at: this.clock.now() });
  }
}
