// Live crash detection: fed by the Monitor's events, it gathers evidence the moment a server's
// process exits and emits one verdict per crash. The poll itself costs nothing more: evidence is
// read only when something exited (log sizes are noted once when a server starts).
// Why this file is long (~800 lines): exits seen by a poll, crash lines streamed from terminals, tasks, `run` and
// followed logs, and the merge windows that make one crash one verdict share one state per server; the signatures,
// the evidence readers and the judgement itself live in output.ts, evidence.ts and verdict.ts.

import * as fs from 'node:fs';
import { Emitter } from '../emitter';
import type { MonitorEvent } from '../monitor';
import { isNodeProcess } from '../heapLimit';
import type { Server, ServerProcess, Snapshot } from '../types';
import { defaultKernelReader, logOffsets, readLogEvidence, readReports, reportDirsOf, type EvidenceOptions, type KernelReader } from './evidence';
import { classifyOutput, type ExitStatus } from './output';
import { redactText } from '../redact';
import { readCgroupOomKills } from '../system/cgroupCounters';
import { portHolders } from '../system/processInfo';
import type { Verdict } from './types';
import { gatherCauseFacts } from './causes/facts';
import type { MemoryPoint } from './causes/memoryKind';
import { ProcessMemory } from './causes/processMemory';
import { dependencyContextFor } from '../deps/dependencyContext';
import { decideVerdict, isWatcherCommand, type CrashCandidate, type CrashEvidence, type OutputEvidence } from './verdict';
import { CrashLineScanner, hasRunStart } from './crashLines';
import { folderName } from './evidence';
import { folderOf, isInside } from '../paths';
import { sharedExpectedStops, type ExpectedStopsLike, type StopRecord, type StoppedProcess } from './expectedStops';

/** What a terminal or task printed, as the editor captured it. */
export interface FedOutput {
  /** "terminal: zsh", "task: npm: dev". */
  readonly label: string;
  readonly text: string;
  readonly startedAt: number;
  /** Undefined while it runs. */
  readonly endedAt?: number;
  /** The exit code once ended; null = ended without one (Ctrl-C in a terminal). */
  readonly exitCode?: number | null;
}

export interface OutputQuery {
  /** The dead processes and their parents (a terminal's shell is the parent of the server's root). */
  readonly pids: readonly number[];
  readonly cwd: string | null;
  readonly sinceMs: number;
  readonly untilMs: number;
}

/** Terminal and task output the editor keeps; the CLI has none. */
export interface OutputFeed {
  outputFor(q: OutputQuery): readonly FedOutput[];
}

const FEED_MAX_CHARS = 256 * 1024;
const FEED_MAX_RUNS = 50;

/** Where a fed run comes from: a terminal command, a task, a supervised or wrapped run, a followed log file. */
export type FedKind = 'terminal' | 'task' | 'supervised' | 'run' | 'log';

export interface FedRun {
  readonly id: string;
  label: string;
  /** Terminals: the shell's pid (the parent of the server's root); supervised and wrapped runs: the root itself. */
  pid: number | null;
  cwd: string | null;
  /** The command line as typed (terminals), the script (supervised, run); null when unknown. */
  command: string | null;
  kind: FedKind;
  /** A name the editor or the user gave the run (`run --name`), used when no server matches. */
  name: string | null;
  text: string;
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
  signal?: string | null;
}

export interface FeedStart {
  label: string;
  pid?: number | null;
  cwd?: string | null;
  at?: number;
  command?: string | null;
  kind?: FedKind;
  name?: string | null;
}

/** A feed whose runs can be read as they stream. */
export interface LiveOutputFeed extends OutputFeed {
  run(id: string): FedRun | undefined;
  onData(listener: (e: { id: string; text: string; at: number }) => void): () => void;
  onEnd(listener: (e: { id: string; at: number }) => void): () => void;
}

function isLiveFeed(f: OutputFeed | undefined): f is LiveOutputFeed {
  return !!f && typeof (f as Partial<LiveOutputFeed>).onData === 'function';
}

/** An OutputFeed the editor fills: one run per terminal command or task, matched by pid, else by cwd and time. */
export class MemoryOutputFeed implements LiveOutputFeed {
  private readonly runs = new Map<string, FedRun>();
  private readonly dataEmitter = new Emitter<{ id: string; text: string; at: number }>();
  private readonly endEmitter = new Emitter<{ id: string; at: number }>();

  start(id: string, run: FeedStart): void {
    this.runs.set(id, {
      id, label: run.label, pid: run.pid ?? null, cwd: run.cwd ?? null, command: run.command ?? null,
      kind: run.kind ?? 'terminal', name: run.name ?? null, text: '', startedAt: run.at ?? Date.now(),
    });
    // Ended runs go first: a run still streaming (a followed log, a long-lived dev server) keeps its place.
    while (this.runs.size > FEED_MAX_RUNS) {
      const ended = [...this.runs.values()].find((r) => r.endedAt !== undefined);
      this.runs.delete(ended?.id ?? (this.runs.keys().next().value as string));
    }
  }

  /** Learns a run's pid after it started (a terminal's shell pid arrives asynchronously). */
  setPid(id: string, pid: number | null): void {
    const run = this.runs.get(id);
    if (run) run.pid = pid;
  }

  append(id: string, text: string, at = Date.now()): void {
    const run = this.runs.get(id);
    if (!run || text === '') return;
    run.text = (run.text + text).slice(-FEED_MAX_CHARS);
    this.dataEmitter.fire({ id, text, at });
  }

  /** exitCode undefined (a terminal's Ctrl-C) is stored as null. */
  end(id: string, exitCode: number | undefined, at = Date.now(), signal: string | null = null): void {
    const run = this.runs.get(id);
    if (!run || run.endedAt !== undefined) return;
    run.endedAt = at;
    run.exitCode = exitCode ?? null;
    run.signal = signal;
    this.endEmitter.fire({ id, at });
  }

  run(id: string): FedRun | undefined {
    return this.runs.get(id);
  }

  onData(listener: (e: { id: string; text: string; at: number }) => void): () => void {
    return this.dataEmitter.on(listener);
  }

  onEnd(listener: (e: { id: string; at: number }) => void): () => void {
    return this.endEmitter.on(listener);
  }

  outputFor(q: OutputQuery): FedOutput[] {
    const pids = new Set(q.pids);
    const overlaps = (r: FedRun): boolean => r.startedAt <= q.untilMs && (r.endedAt === undefined || r.endedAt >= q.sinceMs);
    const byPid = [...this.runs.values()].filter((r) => r.kind !== 'log' && r.pid !== null && pids.has(r.pid) && overlaps(r));
    const chosen = byPid.length ? byPid : [...this.runs.values()].filter((r) => r.kind !== 'log' && r.pid === null && r.cwd !== null && r.cwd === q.cwd && overlaps(r));
    return chosen.map(({ label, text, startedAt, endedAt, exitCode }) => ({
      label, text, startedAt, ...(endedAt !== undefined ? { endedAt, exitCode } : {}),
    }));
  }
}

/** The parts of a Monitor the watcher listens to. */
export interface MonitorLike {
  onEvent(listener: (e: MonitorEvent) => void): () => void;
  onSnapshot(listener: (s: Snapshot) => void): () => void;
}

export interface CrashWatcherOptions extends EvidenceOptions {
  /** Terminal, task, supervised and log output; a LiveOutputFeed is also scanned as it streams. */
  readonly feed?: OutputFeed;
  /** A fresh poll (the process tree right after a crash line); without it the last snapshot is used. */
  readonly poll?: () => Promise<Snapshot>;
  /** After a crash line, wait this long for the rest of the report before judging (default 250 ms). */
  readonly settleMs?: number;
  /**
   * Ended terminal commands and tasks with a non-zero exit are judged when they ran a dev server: this
   * says whether a command line is one (default: a declared server's script or a known dev tool).
   */
  readonly isServerCommand?: (command: string, cwd: string | null) => boolean;
  /**
   * A watcher (nodemon, tsx watch) restarting its app after a file change looks like a crash for a moment:
   * a verdict that rests only on "the watcher lives, its app is gone" waits this long (default 5 s) and is
   * dropped when a new app process appeared meanwhile.
   */
  readonly watcherRestartGraceMs?: number;
  /** The editor's own processes: an inspector port they hold is never offered for killing. */
  readonly editorPids?: readonly number[];
  /**
   * Stops Dev Server Doctor made on purpose (restart, supervised stop, a confirmed kill): their ends get no verdict
   * (default: the registry shared with the editor and the CLI; null consults none).
   */
  readonly expectedStops?: ExpectedStopsLike | null;
}

/** A server's end that a recorded stop explains: no verdict, only this note. */
export interface ExpectedEnd {
  readonly server: string;
  readonly serverId: string | null;
  readonly pids: readonly number[];
  readonly reason: StopRecord['reason'];
  readonly by: string;
  readonly at: number;
}

/** A process the watcher saw die, for naming pids in a later investigation. */
export interface ExitRecord {
  readonly pid: number;
  readonly server: string;
  readonly serverId: string;
  readonly cwd: string;
  readonly command: string;
  readonly startedAt: number | null;
  readonly exitedAt: number;
}

export interface WatcherHistory {
  readonly verdicts: readonly Verdict[];
  readonly exits: readonly ExitRecord[];
  /** Ends explained by a stop made on purpose, newest last. */
  readonly expectedEnds?: readonly ExpectedEnd[];
}

type Exited = Extract<MonitorEvent, { type: 'process-exited' }>;

/** A process the monitor saw die, as it was at the last poll before. */
interface Dead {
  readonly proc: ServerProcess;
  readonly at: number;
}

/** Deaths of one tree this close together are one crash (npm exits a poll after its child). */
const EPISODE_MS = 30_000;
/** Kernel records are read from this long before the previous poll. */
const KERNEL_LOOKBACK_MS = 10_000;
const START_SLACK_MS = 2000;
const HISTORY_MAX = 200;
const WATCHER_RESTART_GRACE_MS = 5000;
/** A "killed" verdict waits this long for a late record of a stop on purpose (a terminal's Ctrl-C is told after its processes died). */
const KILLED_GRACE_MS = 1500;
/** After a crash line, the rest of the report (V8's native stack, nodemon's line) arrives within this. */
const SETTLE_MS = 250;
/** …but a chatty stream never delays the verdict beyond this after the first crash line. */
const MAX_SETTLE_MS = 600;
/** Crash lines of one server this close to its last verdict, with no restart between, are that crash. */
const MERGE_MS = 5000;
const SEGMENT_MAX_CHARS = 256 * 1024;
/** A poll that saw a server's processes die this long before a log's crash line saw that crash. */
const DIED_AROUND_MS = 5000;
/** Programs whose non-zero exit in a terminal or task is a dev server's crash (not a failing `git` or `ls`). */
const DEV_TOOLS = /^(?:node|nodejs|nodemon|tsx|ts-node|ts-node-dev|node-dev|vite|next|nuxt|nuxi|astro|remix|webpack|webpack-dev-server|webpack-cli|react-scripts|ng|storybook|nest|deno|bun|parcel|rollup|esbuild|serve|http-server|gatsby|svelte-kit|vue-cli-service|turbo|nx|concurrently)$/;

interface LiveRun {
  readonly scanner: CrashLineScanner;
  /** What the run printed since its last verdict (or its start). */
  segment: string;
  timer: NodeJS.Timeout | null;
  /** When the first crash line of the pending judgement arrived. */
  lineAt: number | null;
  /** Ended runs are judged on their exit code even without a crash line. */
  byExit: boolean;
  lastVerdictAt: number | null;
}

/** The first program a command line runs, past env assignments and wrappers (`FOO=1 npx vite` → vite). */
export function programOf(command: string): { prog: string; rest: string[] } | null {
  const words = command.trim().split(/\s+/);
  let i = 0;
  while (i < words.length && (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]) || ['npx', 'env', 'exec', 'cross-env', 'dotenv', 'nohup', 'time', 'sudo'].includes(words[i]) || (i > 0 && words[i].startsWith('-')))) i++;
  if (i >= words.length) return null;
  return { prog: words[i].split('/').pop() ?? words[i], rest: words.slice(i + 1) };
}

/**
 * Whether a command line typed in a terminal (or a task's) runs a dev server: a declared server's script
 * (`npm run dev`) or command, or a known dev tool or runtime. `git push` or a failing test is not a crash.
 */
export function looksLikeServerCommand(command: string, declared: readonly Pick<Server, 'script' | 'command'>[] = []): boolean {
  const p = programOf(command);
  if (!p) return false;
  if (['npm', 'pnpm', 'yarn', 'bun'].includes(p.prog)) {
    const words = p.rest.filter((w) => !w.startsWith('-'));
    const script = words[0] === 'run' || words[0] === 'run-script' ? words[1] : words[0];
    if (!script) return false;
    if (declared.some((d) => d.script === script)) return true;
    return /^(?:dev|start|serve|watch|preview|storybook)(?::|$)/.test(script);
  }
  if (declared.some((d) => d.command.trim() === command.trim())) return true;
  return DEV_TOOLS.test(p.prog);
}

export class CrashWatcher {
  private readonly verdictEmitter = new Emitter<Verdict>();
  private readonly expectedEmitter = new Emitter<ExpectedEnd>();
  private readonly expectedList: ExpectedEnd[] = [];
  private readonly stops: ExpectedStopsLike | null;
  private readonly problemEmitter = new Emitter<string>();
  private readonly unsubscribe: (() => void)[];
  private readonly readKernel: KernelReader;
  private prev: Snapshot | undefined;
  private pending: Exited[] = [];
  /** Log sizes per server id, noted when the server was first seen running (with its root pid). */
  private readonly offsets = new Map<string, { root: number | null; sizes: Map<string, number>; cgroups: string | null }>();
  /** Recent deaths per server id not yet explained by a verdict. */
  private readonly dead = new Map<string, Dead[]>();
  /** Deaths seen by polls per server id, kept for the episode even after a verdict (a crash line may name them later). */
  private readonly recentDeaths = new Map<string, Dead[]>();
  /** Pids of trees whose crash has its verdict: their later deaths are the same crash. */
  private readonly covered = new Map<number, number>();
  private readonly verdictList: Verdict[] = [];
  private readonly exitList: ExitRecord[] = [];
  private readonly problemsSaid = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  /** Watcher verdicts waiting out the restart grace period. */
  private readonly deferred = new Map<Promise<void>, { timer: NodeJS.Timeout; resolve: () => void }>();
  private disposed = false;
  /** Streaming state of each fed run. */
  private readonly live = new Map<string, LiveRun>();
  /** Last verdict time per server id and per folder ('cwd:' + path): later evidence of that crash merges into it. */
  private readonly recent = new Map<string, number>();
  /** The same for verdicts the output gave: deaths a poll sees afterwards of processes started before are that crash. */
  private readonly recentOutput = new Map<string, number>();
  /** One promise per run whose crash line is settling, resolved once its judgement is done. */
  private readonly settling = new Set<Promise<void>>();
  private readonly settled = new Map<LiveRun, () => void>();
  /** Polls' judgements waiting for crash lines that were settling when the poll saw the deaths. */
  private readonly waitingJudges = new Set<Promise<void>>();
  /** RSS per process over the last minutes: the memory kind of an OOM death reads the dead process's. */
  private readonly memory = new ProcessMemory();

  constructor(monitor: MonitorLike, private readonly opts: CrashWatcherOptions = {}) {
    this.readKernel = opts.readKernel ?? defaultKernelReader;
    this.stops = opts.expectedStops === undefined ? sharedExpectedStops() : opts.expectedStops;
    this.unsubscribe = [
      monitor.onEvent((e) => { if (e.type === 'process-exited') this.pending.push(e); }),
      monitor.onSnapshot((s) => this.onSnapshot(s)),
    ];
    const feed = opts.feed;
    if (isLiveFeed(feed)) {
      this.unsubscribe.push(
        feed.onData((e) => this.onData(feed, e.id, e.text, e.at)),
        feed.onEnd((e) => this.onEnd(feed, e.id, e.at)),
      );
    }
  }

  /** A crash judged elsewhere (a `run` wrapper's verdict read from the shared file): the same crash seen here merges into it. */
  noteExternalVerdict(v: Verdict): void {
    this.rememberVerdict(v);
  }

  onVerdict(listener: (v: Verdict) => void): () => void {
    return this.verdictEmitter.on(listener);
  }

  /** A server's end explained by a stop made on purpose (no verdict follows). */
  onExpectedEnd(listener: (e: ExpectedEnd) => void): () => void {
    return this.expectedEmitter.on(listener);
  }

  /** Evidence that could not be read (no kernel log access…), each said once. */
  onProblem(listener: (message: string) => void): () => void {
    return this.problemEmitter.on(listener);
  }

  history(): WatcherHistory {
    return { verdicts: [...this.verdictList], exits: [...this.exitList], expectedEnds: [...this.expectedList] };
  }

  /** Resolves once every exit seen so far has been judged (watcher verdicts after their grace period). */
  async idle(): Promise<void> {
    // Crash lines still settling are judged first, then everything chained, then the deferred watcher verdicts.
    while (this.settling.size || this.waitingJudges.size) await Promise.all([...this.settling, ...this.waitingJudges]);
    await this.chain;
    await Promise.all([...this.deferred.keys()]);
  }

  dispose(): void {
    this.disposed = true;
    for (const lr of this.live.values()) if (lr.timer) clearTimeout(lr.timer);
    for (const release of [...this.settled.values()]) release();
    for (const { timer, resolve } of this.deferred.values()) { clearTimeout(timer); resolve(); }
    this.deferred.clear();
    for (const u of this.unsubscribe) u();
    this.verdictEmitter.clear();
    this.expectedEmitter.clear();
    this.problemEmitter.clear();
  }

  private onSnapshot(next: Snapshot): void {
    const prev = this.prev;
    this.prev = next;
    for (const s of next.servers) this.noteLogSizes(s);
    const exits = this.pending;
    this.pending = [];
    if (prev) this.judgeExits(exits, prev, next);
    this.memory.observe(next);
    this.forgetOld(next);
  }

  private judgeExits(exits: readonly Exited[], prev: Snapshot, next: Snapshot): void {
    const byServer = new Map<string, Exited[]>();
    for (const e of exits) byServer.set(e.serverId, [...(byServer.get(e.serverId) ?? []), e]);
    for (const [id, list] of byServer) {
      const before = prev.servers.find((s) => s.id === id);
      if (!before) continue;
      const after = next.servers.find((s) => s.id === id);
      const fresh = list.filter((e) => !this.covered.has(e.pid));
      for (const e of list) this.remember(e, before);
      if (fresh.length === 0 || !worthJudging(fresh, before, after)) continue;
      const queue = () => {
        this.chain = this.chain.then(() => this.judge(id, before, after, prev, next)).catch((err: unknown) => {
          this.say(`Judging a crash of ${before.name} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}.`);
        });
      };
      // A crash line still settling (a terminal's, a followed log's: the process wrote it and exited before this
      // poll) gives this death its verdict, in its own words and timing; the poll's judgement then merges into it.
      if (this.settling.size === 0) queue();
      else {
        const waiting: Promise<void> = Promise.all([...this.settling]).then(queue).finally(() => this.waitingJudges.delete(waiting));
        this.waitingJudges.add(waiting);
      }
    }
  }

  /** Log sizes when a run starts; a crash of this run is what gets appended after. */
  private noteLogSizes(s: Server): void {
    if (s.state === 'down' || s.pid === null) return;
    const known = this.offsets.get(s.id);
    if (known && known.root === s.pid) return;
    // The run's cgroups too (one small read per run): a process-limit crash leaves no process to read them from.
    this.offsets.set(s.id, { root: s.pid, sizes: logOffsets(s.cwd, this.opts.logGlobs), cgroups: readCgroups(s.pid) });
  }

  private remember(e: Exited, s: Server): void {
    const proc = s.processes.find((x) => x.pid === e.pid);
    if (!proc) return;
    this.exitList.push({ pid: e.pid, server: e.server, serverId: e.serverId, cwd: s.cwd, command: redactText(e.command), startedAt: proc.startTimeMs || null, exitedAt: e.at });
    if (this.exitList.length > HISTORY_MAX) this.exitList.shift();
    if (!this.covered.has(e.pid)) this.dead.set(s.id, [...(this.dead.get(s.id) ?? []), { proc, at: e.at }]);
    this.recentDeaths.set(s.id, [...(this.recentDeaths.get(s.id) ?? []), { proc, at: e.at }].slice(-50));
  }

  private forgetOld(next: Snapshot): void {
    const now = next.takenAt;
    const ids = new Set(next.servers.map((s) => s.id));
    // Unmatched trees get a new id per root pid: keep log sizes only while a server exists or awaits judging.
    for (const id of this.offsets.keys()) if (!ids.has(id) && !this.dead.has(id)) this.offsets.delete(id);
    for (const [id, list] of this.dead) {
      const keep = list.filter((d) => now - d.at < EPISODE_MS);
      if (keep.length) this.dead.set(id, keep); else this.dead.delete(id);
    }
    for (const [pid, at] of this.covered) if (now - at >= EPISODE_MS) this.covered.delete(pid);
    for (const [id, list] of this.recentDeaths) {
      const keep = list.filter((d) => now - d.at < EPISODE_MS);
      if (keep.length) this.recentDeaths.set(id, keep); else this.recentDeaths.delete(id);
    }
  }

  private async judge(id: string, before: Server, after: Server | undefined, prev: Snapshot, next: Snapshot): Promise<void> {
    // Deaths of processes started before a verdict the output already gave for this server are that crash.
    const explained = (d: Dead) => this.recentFor(id, before.cwd, d.proc.startTimeMs - START_SLACK_MS, EPISODE_MS, this.recentOutput) !== null;
    const dead = (this.dead.get(id) ?? []).filter((d) => !this.covered.has(d.proc.pid) && !explained(d));
    if (this.disposed || dead.length === 0) return;
    const planned = this.planned(dead.map((d) => ({ proc: d.proc, at: d.at })));
    if (planned) {
      this.expectedEnd(before.name, id, [...before.pids, ...dead.map((d) => d.proc.pid)], planned, next.takenAt);
      this.dead.delete(id);
      return;
    }
    const candidate = this.candidate(dead, before, after, next);
    const since = (candidate.startedAt ?? prev.takenAt) - START_SLACK_MS;
    const kernel = await this.readKernel(prev.takenAt - KERNEL_LOOKBACK_MS);
    for (const p of kernel.problems) this.say(p);
    const logs = readLogEvidence([before.cwd], since, { globs: this.opts.logGlobs, offsets: this.offsets.get(id)?.sizes });
    const reports = readReports([...reportDirsOf(before.command, before.cwd), ...dead.map((d) => d.proc.command).flatMap((cmd) => reportDirsOf(cmd, before.cwd)), ...(this.opts.reportDirs ?? [])], since);
    for (const p of [...logs.problems, ...reports.problems]) this.say(p);
    const fed = this.fedOutputs(candidate, before, since, next.takenAt);
    const outputs: OutputEvidence[] = [...fed.outputs, ...logs.items];
    const machine = this.machineContext({ outputs, serverId: id, cwd: before.cwd, expectedPort: before.expectedPort, pids: [...(after?.pids ?? []), ...before.pids], diedPid: candidate.pids[0], snap: next });
    const verdict = decideVerdict({ ...candidate, ...fed.exit, samples: machine.samples }, {
      oom: kernel.records, faults: kernel.faults, kernelRead: kernel.kernelRead, kernelSource: kernel.kernelSource ?? undefined,
      outputs, reports: reports.items, ...machine.context,
    });
    if (!verdict || this.disposed) return;
    // "Killed by a signal" may be a stop whose news comes a moment late (a Ctrl-C: npm passes SIGTERM on before the
    // terminal reports the command's end): look again after a short grace.
    if (verdict.cause === 'killed') {
      await new Promise((r) => setTimeout(r, KILLED_GRACE_MS));
      const late = this.planned(dead.map((d) => ({ proc: d.proc, at: d.at })));
      if (late || this.disposed) {
        if (late) this.expectedEnd(before.name, id, [...before.pids, ...dead.map((d) => d.proc.pid)], late, next.takenAt);
        return;
      }
    }
    // A framework's worker (the pid V8's trace names, below the root, no watcher) died: named whether or not its
    // parent outlived it (next dev sometimes exits with its worker; the output path names it alike).
    const worker = verdict.pid !== null && verdict.pid !== before.pid && verdict.detail?.watcherPid === undefined
      ? frameworkWorker(before.processes, verdict.pid) : undefined;
    const parentAlive = !!after && after.state !== 'down';
    const judged: Verdict = { ...verdict, detail: { ...verdict.detail, via: 'poll', detectedAt: Date.now(),
      ...(worker ? { workerPid: worker.pid, workerCommand: redactText(worker.command), parentAlive } : {}) } };
    // The rest of this tree dying in the next polls is the same crash.
    for (const pid of [...before.pids, ...dead.map((d) => d.proc.pid)]) this.covered.set(pid, next.takenAt);
    this.dead.delete(id);
    const onlyStructure = verdict.cause === 'watcher-waiting' && !verdict.detail?.underlying
      && !verdict.evidence.some((e) => e.source === 'output' || e.source === 'log-file');
    // New app processes would have started after the last poll that saw this one alive.
    if (onlyStructure) this.deferWatcherVerdict(id, judged, prev.takenAt - START_SLACK_MS);
    else this.emit(judged);
  }

  /** The stop record explaining any of these ends; null when none does. */
  private planned(ends: readonly { proc: StoppedProcess; at: number }[]): StopRecord | null {
    if (!this.stops) return null;
    for (const { proc, at } of ends) {
      const r = this.stops.explains(proc, at);
      if (r) return r;
    }
    return null;
  }

  private expectedEnd(server: string, serverId: string | null, pids: readonly number[], r: StopRecord, at: number): void {
    // The rest of the tree ending in the next polls is the same stop.
    for (const pid of pids) this.covered.set(pid, at);
    const e: ExpectedEnd = { server, serverId, pids: [...new Set(pids)], reason: r.reason, by: r.by, at };
    this.expectedList.push(e);
    if (this.expectedList.length > HISTORY_MAX) this.expectedList.shift();
    this.expectedEmitter.fire(e);
  }

  private emit(verdict: Verdict): void {
    this.rememberVerdict(verdict);
    this.verdictList.push(verdict);
    if (this.verdictList.length > HISTORY_MAX) this.verdictList.shift();
    this.verdictEmitter.fire(verdict);
  }

  /** Emits `verdict` after the grace period unless the watcher started a new app process since `since`. */
  private deferWatcherVerdict(id: string, verdict: Verdict, since: number): void {
    let entry!: { timer: NodeJS.Timeout; resolve: () => void };
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        const now = this.prev?.servers.find((s) => s.id === id);
        const restarted = now?.processes.some((p) => p.state !== 'Z' && !isWatcherCommand(p.command) && p.startTimeMs >= since);
        // "The watcher waits" is only true while it lives: a whole tree stopped (Ctrl-C reaching nodemon a moment after its app) is no crash.
        const waiting = now?.processes.some((p) => p.state !== 'Z' && isWatcherCommand(p.command));
        const judged = this.recentFor(verdict.detail?.serverId, verdict.detail?.cwd, since, MERGE_MS * 2, this.recentOutput) !== null;
        if (!restarted && waiting && !judged && !this.disposed) this.emit(verdict);
        resolve();
      }, this.opts.watcherRestartGraceMs ?? WATCHER_RESTART_GRACE_MS);
      entry = { timer, resolve };
    });
    this.deferred.set(done, entry);
    void done.then(() => this.deferred.delete(done));
  }

  private candidate(dead: readonly Dead[], before: Server, after: Server | undefined, next: Snapshot): CrashCandidate {
    const procs = dead.map((d) => d.proc);
    const culprits = [...procs].sort((a, b) => rank(b) - rank(a));
    const main = culprits[0];
    const watcher = after?.processes.find((p) => isWatcherCommand(p.command) && p.state !== 'Z') ?? null;
    return {
      server: before.name,
      serverId: before.id,
      cwd: before.cwd,
      pids: culprits.map((p) => p.pid),
      time: next.takenAt,
      startedAt: main.startTimeMs || before.startTimeMs,
      command: redactText(main.command),
      lastRssBytes: main.rssBytes,
      uptimeMs: main.startTimeMs > 0 ? Math.max(0, dead.find((d) => d.proc === main)!.at - main.startTimeMs) : null,
      ports: [...new Set(procs.flatMap((p) => p.ports))],
      expectedPort: before.expectedPort,
      heapLimitBytes: heapLimitOf(main, before),
      cgroup: cgroupCounts(before, after),
      watcher: watcher && procs.some((p) => !isWatcherCommand(p.command)) ? { pid: watcher.pid, command: redactText(watcher.command) } : null,
    };
  }

  /** What the editor captured for these processes, and how the run ended if it did. */
  private fedOutputs(c: CrashCandidate, before: Server, since: number, until: number): { outputs: OutputEvidence[]; exit: Partial<CrashCandidate> } {
    if (!this.opts.feed) return { outputs: [], exit: {} };
    const root = before.processes.find((p) => p.pid === before.pid);
    const runs = this.opts.feed.outputFor({ pids: [...c.pids, ...(root ? [root.ppid] : [])], cwd: before.cwd, sinceMs: since, untilMs: until });
    const ended = runs.filter((r) => r.endedAt !== undefined).sort((a, b) => b.endedAt! - a.endedAt!)[0];
    const exit: ExitStatus | undefined = ended && ended.exitCode !== null && ended.exitCode !== undefined
      ? { code: ended.exitCode, signal: null } : undefined;
    const outputs = runs.map((r): OutputEvidence => ({
      source: 'output', location: r.label, time: r.endedAt ?? null,
      // A run still going printed this crash and outlived it (a watcher); one ended without a code tells nothing.
      findings: classifyOutput(r.text, r === ended && exit ? exit : { code: null, signal: null, ...(r.endedAt === undefined ? { running: true } : {}) }),
    }));
    return { outputs, exit: { ...(exit ? { exit } : {}), ...(ended && ended.exitCode === null ? { interrupted: true } : {}) } };
  }

  private rememberVerdict(v: Verdict): void {
    const at = v.detail?.detectedAt ?? Date.now();
    for (const map of v.detail?.via === 'poll' ? [this.recent] : [this.recent, this.recentOutput]) {
      if (v.detail?.serverId) map.set(v.detail.serverId, at);
      if (v.detail?.cwd) map.set(`cwd:${v.detail.cwd}`, at);
      if (map.size > 500) map.delete(map.keys().next().value as string);
    }
  }

  /** The time of a verdict for this server (or folder) at or after `since` and within `withinMs` of now; else null. */
  private recentFor(serverId: string | undefined, cwd: string | null | undefined, since: number, withinMs = MERGE_MS, map = this.recent): number | null {
    const now = Date.now();
    for (const key of [serverId, cwd ? `cwd:${cwd}` : undefined]) {
      const at = key ? map.get(key) : undefined;
      if (at !== undefined && at >= since && now - at <= withinMs) return at;
    }
    return null;
  }

  private liveRun(id: string): LiveRun {
    let lr = this.live.get(id);
    if (!lr) {
      lr = { scanner: new CrashLineScanner(), segment: '', timer: null, lineAt: null, byExit: false, lastVerdictAt: null };
      this.live.set(id, lr);
      // Runs the feed forgot are forgotten here too (the feed keeps the last 50).
      if (this.live.size > 100) this.live.delete(this.live.keys().next().value as string);
    }
    return lr;
  }

  private onData(feed: LiveOutputFeed, id: string, text: string, at: number): void {
    if (this.disposed) return;
    const lr = this.liveRun(id);
    lr.segment = (lr.segment + text).slice(-SEGMENT_MAX_CHARS);
    if (!lr.scanner.push(text)) return;
    lr.lineAt ??= at;
    this.schedule(feed, id, lr, this.opts.settleMs ?? SETTLE_MS);
  }

  private onEnd(feed: LiveOutputFeed, id: string, at: number): void {
    const run = feed.run(id);
    if (this.disposed || !run) return;
    const lr = this.liveRun(id);
    if (lr.timer) return; // a crash line is being judged: it will see the exit too
    const code = run.exitCode;
    if (code === null || code === undefined || code === 0 || code === 130) return;
    if (lr.lastVerdictAt !== null && at - lr.lastVerdictAt < EPISODE_MS) return; // its crash already has its verdict
    if ((run.kind === 'terminal' || run.kind === 'task') && !this.isServerCommand(run)) return;
    lr.lineAt ??= at;
    lr.byExit = true;
    this.schedule(feed, id, lr, 50);
  }

  private isServerCommand(run: FedRun): boolean {
    if (!run.command) return false;
    if (this.opts.isServerCommand) return this.opts.isServerCommand(run.command, run.cwd);
    const declared = (this.prev?.servers ?? []).filter((s) => s.cwd === run.cwd);
    return looksLikeServerCommand(run.command, declared);
  }

  private schedule(feed: LiveOutputFeed, id: string, lr: LiveRun, delayMs: number): void {
    const first = lr.lineAt ?? Date.now();
    const due = Math.min(Date.now() + delayMs, first + MAX_SETTLE_MS);
    if (lr.timer) clearTimeout(lr.timer);
    if (!this.settled.has(lr)) {
      let resolve!: () => void;
      const p = new Promise<void>((r) => { resolve = r; });
      this.settling.add(p);
      this.settled.set(lr, () => { this.settling.delete(p); this.settled.delete(lr); resolve(); });
    }
    lr.timer = setTimeout(() => {
      lr.timer = null;
      const release = this.settled.get(lr);
      this.chain = this.chain.then(() => this.judgeRun(feed, id, lr)).catch((err: unknown) => {
        this.say(`Judging a crash in ${feed.run(id)?.label ?? id} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}.`);
      }).finally(() => release?.());
    }, Math.max(0, due - Date.now()));
  }

  /** Which server printed this: the pid the output names, the terminal's shell or the run's root, else its folder. */
  private serverOf(run: FedRun, snaps: readonly (Snapshot | undefined)[], outputPid: number | null): Server | null {
    const found = this.serverByPid(run, snaps, outputPid);
    // A tree no declaration matched (caught half-gone: npm alone, its title padded) is the declared server its command runs.
    if (found && found.source !== 'process') return found;
    return this.serverByFolder(run, snaps, true) ?? found ?? this.serverByFolder(run, snaps, false);
  }

  private serverByPid(run: FedRun, snaps: readonly (Snapshot | undefined)[], outputPid: number | null): Server | null {
    for (const snap of snaps) {
      if (!snap) continue;
      if (outputPid !== null) {
        const s = snap.servers.find((x) => x.pids.includes(outputPid));
        if (s) return s;
      }
      if (run.pid !== null) {
        const s = snap.servers.find((x) => x.pids.includes(run.pid!) || x.processes.some((p) => p.depth === 0 && p.ppid === run.pid));
        if (s) return s;
      }
    }
    return null;
  }

  /**
   * The only server in the run's folder (or below it: a monorepo's root logs/) that lost processes around
   * `lineAt`: between the last snapshot and the fresh poll, or as seen by a poll just before.
   */
  private serverThatDied(run: FedRun, snaps: readonly (Snapshot | undefined)[], lineAt: number): Server | null {
    const [now, before] = snaps;
    const folder = run.cwd;
    if (!folder) return null;
    const alive = new Set((now?.servers ?? []).flatMap((s) => s.pids));
    const ids = new Set<string>();
    for (const s of before?.servers ?? []) if (isInside(s.cwd, folder) && s.pids.some((p) => !alive.has(p))) ids.add(s.id);
    for (const [id, deaths] of this.recentDeaths) if (deaths.some((d) => d.at >= lineAt - DIED_AROUND_MS && d.proc.cwd !== null && isInside(d.proc.cwd, folder))) ids.add(id);
    if (ids.size !== 1) return null;
    const id = [...ids][0];
    return now?.servers.find((s) => s.id === id) ?? before?.servers.find((s) => s.id === id) ?? null;
  }

  /** The server of the run's folder; `byCommand`: only one its command line names (`npm run dev`, the script's body). */
  private serverByFolder(run: FedRun, snaps: readonly (Snapshot | undefined)[], byCommand: boolean): Server | null {
    const snap = snaps[0] ?? snaps[1];
    if (!snap || !run.cwd) return null;
    const here = snap.servers.filter((s) => s.cwd === run.cwd);
    const cmd = (run.command ?? '').trim();
    const named = here.filter((s) => s.source !== 'process' && ((s.script && looksLikeScript(cmd, s.script)) || (cmd !== '' && s.command.trim() === cmd)));
    if (byCommand) return named.length === 1 ? named[0] : named.find((s) => s.state !== 'down') ?? null;
    if (here.length <= 1) return here[0] ?? null;
    // Several servers in that folder: the one running now, else the one that was running before the crash.
    const running = here.find((s) => s.state !== 'down');
    if (running) return running;
    const wasRunning = snaps[1]?.servers.find((s) => s.cwd === run.cwd && s.state !== 'down');
    return (wasRunning && here.find((s) => s.id === wasRunning.id)) ?? here.find((s) => s.source !== 'process') ?? null;
  }

  /** A crash line (or a failed exit) in a fed run: one verdict, naming the server, within about a second. */
  private async judgeRun(feed: LiveOutputFeed, id: string, lr: LiveRun): Promise<void> {
    const run = feed.run(id);
    const lineAt = lr.lineAt ?? Date.now();
    const byExit = lr.byExit;
    lr.lineAt = null;
    lr.byExit = false;
    const segment = lr.segment;
    lr.segment = '';
    if (!run || this.disposed) return;
    const before = this.prev;
    let snap = before;
    if (this.opts.poll) {
      try { snap = await this.opts.poll(); } catch { /* the last snapshot will do */ }
    }
    if (this.disposed) return;
    const folders = snap?.workspaceFolders ?? [];
    // Terminals and tasks outside the workspace are someone else's business.
    if ((run.kind === 'terminal' || run.kind === 'task') && (!run.cwd || (folders.length > 0 && folderOf(run.cwd, folders) === null))) return;

    const ended = run.endedAt !== undefined;
    const exit: ExitStatus | undefined = ended && run.exitCode !== null && run.exitCode !== undefined
      ? { code: run.exitCode, signal: run.signal ?? null } : undefined;
    const told = classifyOutput(segment, { code: null, signal: null });
    const outputPid = told.map((f) => f.detail?.pid).find((p): p is number => typeof p === 'number') ?? null;
    // A log file names no terminal: the pid it prints, else the server whose code is in the stack, else the one of its folder that just died.
    const server = (run.kind === 'log' && !(outputPid !== null && this.serverByPid(run, [snap, before], outputPid))
      ? serverOfFrames(told, snap ?? before) ?? this.serverThatDied(run, [snap, before], lineAt) : null)
      ?? this.serverOf(run, [snap, before], outputPid) ?? serverOfFrames(told, snap ?? before);
    const after = server ? snap?.servers.find((s) => s.id === server.id) ?? null : null;
    const earlier = server ? before?.servers.find((s) => s.id === server.id) ?? null : null;
    const cwd = server?.cwd ?? run.cwd;
    const alive = !!after && after.state !== 'down';
    const running = !ended && alive && run.kind !== 'log';
    const findings = classifyOutput(segment, exit ?? { code: null, signal: null, ...(running ? { running: true } : {}) });
    if (findings.length === 0 && !exit) return;
    // A server still listening that logged a port or disk error it survived is not a crash; a fatal block or V8's abort is.
    if (running && after?.state === 'up' && !findings.some((f) => f.confidence === 'high')) return;
    // The same crash told again (nodemon's line after Node's block, the exit after the crash line) merges into its verdict.
    // A (re)start line after this run's own last verdict is a new crash; otherwise a verdict for the server since
    // the run began (a poll's, a log's, a terminal's) is this crash (a fresh log also holds the banner before it).
    const restarted = lr.lastVerdictAt !== null && hasRunStart(segment);
    // A followed log's run began when the file was found, which may be after a poll judged this crash.
    const since = run.kind === 'log' ? Math.min(run.startedAt, lineAt - MERGE_MS) : run.startedAt;
    if (!restarted && this.recentFor(server?.id, cwd, since, EPISODE_MS) !== null) {
      lr.lastVerdictAt = Date.now();
      return;
    }
    if (byExit && lr.lastVerdictAt !== null && lineAt - lr.lastVerdictAt < EPISODE_MS) return;

    const alivePids = new Set((snap?.servers ?? []).flatMap((s) => s.pids));
    // What died: processes of the last snapshot gone now, and those a poll already saw exit (the crash was after it).
    const seenDead = server ? (this.recentDeaths.get(server.id) ?? [])
      // A followed log's run began when the file was found, not when its writer started.
      .filter((d) => lineAt - d.at < EPISODE_MS && (run.kind === 'log' || d.proc.startTimeMs >= run.startedAt - START_SLACK_MS)).map((d) => d.proc) : [];
    const deadProcs = [...new Map([...seenDead, ...(earlier?.processes ?? [])].map((p) => [p.pid, p])).values()]
      .filter((p) => !alivePids.has(p.pid) && !p.zombie);
    // Stopped on purpose (Restart Server, a supervised stop, a confirmed kill): the exit or "killed" is no crash.
    // A crash the output tells (a fatal error, V8's abort) is still judged.
    if (findings.every((f) => f.cause === 'killed' || f.cause === 'exit-nonzero' || f.cause === 'watcher-waiting')) {
      const own = rootPidOf(run);
      const planned = this.planned([...deadProcs, ...(own !== null ? [{ pid: own, startTimeMs: 0, ppid: -1 }] : [])].map((p) => ({ proc: p, at: lineAt })));
      if (planned) {
        this.expectedEnd(server?.name ?? run.name ?? run.label, server?.id ?? null, [...(earlier?.pids ?? []), ...deadProcs.map((p) => p.pid)], planned, snap?.takenAt ?? Date.now());
        lr.lastVerdictAt = Date.now();
        return;
      }
    }
    const culprits = [...deadProcs].sort((a, b) => rank(b) - rank(a));
    const main = (outputPid !== null ? [...seenDead, ...(earlier?.processes ?? []), ...(after?.processes ?? [])].find((p) => p.pid === outputPid) : undefined) ?? culprits[0];
    const rootPid = run.kind === 'supervised' || run.kind === 'run' ? run.pid : null;
    const pids = [...new Set([outputPid, ...culprits.map((p) => p.pid), rootPid].filter((p): p is number => typeof p === 'number'))];
    const watcherProc = after?.processes.find((p) => isWatcherCommand(p.command) && p.state !== 'Z') ?? null;
    const candidate: CrashCandidate = {
      // `run --name N` names its server; elsewhere the server the snapshot knows does.
      server: (run.kind === 'run' && run.name) || server?.name || run.name || `${folderName(cwd ?? '?')} · ${redactText(run.command ?? run.label)}`,
      ...(server ? { serverId: server.id } : {}),
      cwd,
      pids,
      time: Date.now(),
      startedAt: main?.startTimeMs || run.startedAt,
      command: redactText(main?.command ?? run.command ?? run.label),
      lastRssBytes: main?.rssBytes ?? null,
      uptimeMs: main?.startTimeMs ? Math.max(0, lineAt - main.startTimeMs) : ended ? Math.max(0, run.endedAt! - run.startedAt) : null,
      ports: [...new Set(deadProcs.flatMap((p) => p.ports))],
      expectedPort: server?.expectedPort ?? null,
      // The dead process's own limit (its command line's flag), as a poll's judgement reads it.
      heapLimitBytes: heapLimitOf(main, earlier ?? server),
      cgroup: earlier ? cgroupCounts(earlier, after ?? undefined) : null,
      ...(exit ? { exit } : {}),
      ...(ended && !exit ? { interrupted: true } : {}),
      watcher: watcherProc ? { pid: watcherProc.pid, command: redactText(watcherProc.command) } : null,
    };
    // The kernel ends processes by signals: an exit code it did not cause (1, 2 — not 128+N) needs no kernel log (a read costs up to seconds).
    const byKernelPossible = !exit || exit.signal !== null || exit.code === null || exit.code > 128;
    const suspectKill = byKernelPossible && !findings.some((f) => f.cause !== 'killed' && f.cause !== 'exit-nonzero' && f.cause !== 'watcher-waiting');
    const kernel = suspectKill ? await this.readKernel(lineAt - KERNEL_LOOKBACK_MS) : null;
    for (const p of kernel?.problems ?? []) this.say(p);
    const reportDirs = cwd ? [...reportDirsOf(run.command ?? '', cwd), ...(this.opts.reportDirs ?? [])] : [...(this.opts.reportDirs ?? [])];
    let reports = readReports(reportDirs, run.startedAt - START_SLACK_MS);
    // Node prints "Writing Node.js report to file: …" as it starts writing: give the file a moment to appear.
    if (reports.items.length === 0 && reportDirs.length > 0 && /Writing Node\.js report to file/.test(findings.flatMap((f) => f.lines).join('\n'))) {
      for (let i = 0; i < 15 && reports.items.length === 0 && !this.disposed; i++) {
        await new Promise((r) => setTimeout(r, 100));
        reports = readReports(reportDirs, run.startedAt - START_SLACK_MS);
      }
    }
    const outputs: OutputEvidence[] = [{ source: run.kind === 'log' ? 'log-file' : 'output', location: run.label, time: lineAt, findings }];
    const machine = this.machineContext({ outputs, serverId: server?.id ?? null, cwd, expectedPort: server?.expectedPort ?? null, pids: [...(after?.pids ?? []), ...(earlier?.pids ?? []), ...pids], diedPid: main?.pid ?? pids[0], snap });
    const verdict = decideVerdict({ ...candidate, samples: machine.samples }, {
      ...(kernel ? { oom: kernel.records, faults: kernel.faults, kernelRead: kernel.kernelRead, kernelSource: kernel.kernelSource ?? undefined } : {}),
      outputs, reports: reports.items, ...machine.context,
    });
    if (!verdict || this.disposed) return;
    const detectedAt = Date.now();
    // A framework's worker (not a watcher's app: that one is named as the watcher's) died inside the tree.
    const worker = verdict.pid !== null && server && verdict.pid !== server.pid && verdict.detail?.watcherPid === undefined
      ? frameworkWorker([...seenDead, ...(earlier?.processes ?? []), ...(after?.processes ?? [])], verdict.pid)
      : undefined;
    const detail = {
      ...verdict.detail,
      ...(cwd ? { cwd } : {}),
      via: byExit ? 'exit' : run.kind === 'log' ? 'log' : 'output',
      lineAt,
      detectedAt,
      ...(worker ? { workerPid: worker.pid, workerCommand: redactText(worker.command), parentAlive: alive } : {}),
    } as const;
    const final: Verdict = { ...verdict, detail };
    lr.lastVerdictAt = detectedAt;
    for (const p of [...(earlier?.pids ?? []), ...pids, ...(after?.processes ?? []).filter((p) => p.startTimeMs <= lineAt).map((p) => p.pid)]) this.covered.set(p, snap?.takenAt ?? detectedAt);
    if (server) this.dead.delete(server.id);
    this.emit(final);
  }

  /**
   * What both judgements (a poll's and a crash line's) give decideVerdict beside the evidence, so neither lacks it:
   * who holds the ports the output names, the machine's facts the findings call for (cgroup limits, listeners),
   * the samples of the process that died (the memory kind) and the services the workspace depends on.
   */
  private machineContext(o: {
    readonly outputs: readonly OutputEvidence[]; readonly serverId: string | null; readonly cwd: string | null;
    readonly expectedPort: number | null; readonly pids: readonly number[]; readonly diedPid: number | undefined; readonly snap: Snapshot | undefined;
  }): { samples: readonly MemoryPoint[]; context: Pick<CrashEvidence, 'portHolders' | 'facts' | 'memoryTotalBytes' | 'dependency'> } {
    const { snap } = o;
    const findings = o.outputs.flatMap((x) => x.findings);
    const ports = [...findings.map((f) => f.detail?.port), o.expectedPort].filter((p): p is number => typeof p === 'number');
    const commands = new Map((snap?.servers ?? []).flatMap((s) => s.processes.map((p) => [p.pid, redactText(p.command)] as const)));
    const facts = gatherCauseFacts({
      findings, cwd: o.cwd, pids: [...new Set(o.pids)],
      cgroupText: o.serverId !== null ? this.offsets.get(o.serverId)?.cgroups ?? undefined : undefined,
      snapshot: snap, editorPids: this.opts.editorPids,
    });
    return {
      samples: o.diedPid !== undefined ? this.memory.samples(o.diedPid) : [],
      context: {
        portHolders: snap ? portHolders(ports, snap.sockets, (pid) => commands.get(pid) ?? null) : [],
        facts,
        ...(snap ? { memoryTotalBytes: snap.system.memory.totalBytes, dependency: dependencyContextFor(o.outputs, snap, o.cwd) } : {}),
      },
    };
  }

  private say(message: string): void {
    if (this.problemsSaid.has(message)) return;
    this.problemsSaid.add(message);
    this.problemEmitter.fire(message);
  }
}

/** The server's memory cgroup with its OOM kill count before the death and now. */
function cgroupCounts(before: Server, after: Server | undefined): CrashCandidate['cgroup'] {
  const cg = before.cgroup;
  return cg ? {
    path: cg.path, limitBytes: cg.limitBytes, oomKillsBefore: cg.oomKills,
    oomKillsAfter: after?.cgroup?.path === cg.path ? after.cgroup.oomKills : readCgroupOomKills(cg.version, cg.path),
  } : null;
}

/** A process's heap limit: the server's resolved one for the process it was resolved for, else its command line's flag. */
function heapLimitOf(proc: { readonly pid: number; readonly command: string } | undefined, server: Server | null | undefined): number | null {
  if (!proc) return server?.heapLimitBytes ?? null;
  return proc.pid === server?.heapPid ? server.heapLimitBytes : ownHeapLimit(proc.command) ?? server?.heapLimitBytes ?? null;
}

/** The process a supervised or wrapped run started (a terminal's pid is its shell, which nobody stopped). */
function rootPidOf(run: FedRun): number | null {
  return run.kind === 'supervised' || run.kind === 'run' ? run.pid : null;
}

/** A log file tells no pid: the server whose folder holds the code in the crash's stack printed it. */
function serverOfFrames(findings: readonly { topFrame: string | null }[], snap: Snapshot | undefined): Server | null {
  if (!snap) return null;
  for (const f of findings) {
    const file = f.topFrame && /(?:\(|^|\s)(?:file:\/\/)?(\/[^():]+):\d+:\d+\)?$/.exec(f.topFrame)?.[1];
    if (!file) continue;
    const owners = snap.servers.filter((s) => file.startsWith(`${s.cwd}/`)).sort((a, b) => b.cwd.length - a.cwd.length);
    const best = owners.filter((s) => s.cwd === owners[0]?.cwd);
    if (best.length) return best.find((s) => s.state !== 'down') ?? best[0];
  }
  return null;
}

/** Framework workers whose death is worth a verdict even when the parent lives on. */
const FRAMEWORK_WORKER = /next-server|next\/dist\/server\/lib\/start-server|jest-worker|processChild\.js|fork-ts-checker|esbuild\b.*--service|storybook.*\bworker\b|vitest\/dist\/workers/;

/** `npm run dev`, `pnpm dev`, `yarn run dev`, `bun run dev` run the script `dev`. */
function looksLikeScript(command: string, script: string): boolean {
  const p = programOf(command);
  if (!p || !['npm', 'pnpm', 'yarn', 'bun'].includes(p.prog)) return false;
  const words = p.rest.filter((w) => !w.startsWith('-'));
  return (words[0] === 'run' || words[0] === 'run-script' ? words[1] : words[0]) === script;
}

function readCgroups(pid: number): string | null {
  try {
    return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return null;
  }
}

/** The --max-old-space-size on a process's own command line (the server's heap limit may be another process's). */
function ownHeapLimit(command: string): number | null {
  const m = /--max[-_]old[-_]space[-_]size[= ](\d+)\b/.exec(command);
  return m && Number(m[1]) > 0 ? Number(m[1]) * 1024 * 1024 : null;
}

/**
 * The framework worker among `procs` with this pid: below the root, no watcher, and started by a node process that
 * is the framework itself (next dev → next-server), not by npm or a shell (that is the app, not a worker).
 */
function frameworkWorker(procs: readonly ServerProcess[], pid: number): ServerProcess | undefined {
  const p = procs.find((x) => x.pid === pid && x.depth > 0 && !isWatcherCommand(x.command));
  const parent = p && procs.find((x) => x.pid === p.ppid);
  if (!p || !parent) return undefined;
  const frameworkParent = isNodeProcess(parent.command.split(' '), parent.comm) && !PACKAGE_MANAGER.test(parent.command) && !isWatcherCommand(parent.command);
  return frameworkParent ? p : undefined;
}

/** A package manager running a script (`npm run dev`, node …/npm-cli.js, pnpm, yarn): it only waits for the app. */
const PACKAGE_MANAGER = /^(?:\S*\/)?(?:npm|npx|pnpm|pnpx|yarn|yarnpkg|corepack)(?:\s|$)|^(?:\S*\/)?node(?:js)?\s+\S*(?:npm-cli|npx-cli|pnpm|yarn)\.c?js\b/;

/**
 * The process most likely to be the one that crashed: it held ports, ran node as the app (not a watcher,
 * not npm waiting for its script — npm is a node process too, often larger than the app), used the most memory.
 */
function rank(p: ServerProcess): number {
  const app = isNodeProcess(p.command.split(' '), p.comm) && !isWatcherCommand(p.command) && !PACKAGE_MANAGER.test(p.command);
  return (p.ports.length ? 4e15 : 0) + (app ? 2e15 : 0) + p.rssBytes;
}

/**
 * A dev server's tree spawns and reaps helpers all the time; only these exits can be its crash:
 * the root or a port holder died, the server went down, a watcher is left waiting, or the cgroup
 * counted an OOM kill.
 */
function worthJudging(exited: readonly Exited[], before: Server, after: Server | undefined): boolean {
  if (!after || after.state === 'down') return true;
  if (exited.some((e) => e.root || e.ports.length > 0)) return true;
  // A framework's worker (next dev's next-server, jest's workers, fork-ts-checker) dying while its parent lives.
  if (exited.some((e) => FRAMEWORK_WORKER.test(e.command))) return true;
  if (after.processes.some((p) => isWatcherCommand(p.command)) && exited.some((e) => !isWatcherCommand(e.command) && /\bnode\b|\bbun\b|\bdeno\b/.test(e.command))) return true;
  return !!before.cgroup && !!after.cgroup && after.cgroup.oomKills > before.cgroup.oomKills;
}
