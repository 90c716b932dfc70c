// Live crash detection: fed by the Monitor's events, it gathers evidence the moment a server's
// process exits and emits one verdict per crash. The poll itself costs nothing more: evidence is
// read only when something exited (log sizes are noted once when a server starts).

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
import { decideVerdict, isWatcherCommand, type CrashCandidate, type OutputEvidence } from './verdict';

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

interface FedRun {
  label: string;
  pid: number | null;
  cwd: string | null;
  text: string;
  startedAt: number;
  endedAt?: number;
  exitCode?: number | null;
}

/** An OutputFeed the editor fills: one run per terminal command or task, matched by pid, else by cwd and time. */
export class MemoryOutputFeed implements OutputFeed {
  private readonly runs = new Map<string, FedRun>();

  start(id: string, run: { label: string; pid?: number | null; cwd?: string | null; at?: number }): void {
    this.runs.set(id, { label: run.label, pid: run.pid ?? null, cwd: run.cwd ?? null, text: '', startedAt: run.at ?? Date.now() });
    while (this.runs.size > FEED_MAX_RUNS) this.runs.delete(this.runs.keys().next().value as string);
  }

  append(id: string, text: string): void {
    const run = this.runs.get(id);
    if (!run) return;
    run.text = (run.text + text).slice(-FEED_MAX_CHARS);
  }

  /** exitCode undefined (a terminal's Ctrl-C) is stored as null. */
  end(id: string, exitCode: number | undefined, at = Date.now()): void {
    const run = this.runs.get(id);
    if (!run) return;
    run.endedAt = at;
    run.exitCode = exitCode ?? null;
  }

  outputFor(q: OutputQuery): FedOutput[] {
    const pids = new Set(q.pids);
    const overlaps = (r: FedRun): boolean => r.startedAt <= q.untilMs && (r.endedAt === undefined || r.endedAt >= q.sinceMs);
    const byPid = [...this.runs.values()].filter((r) => r.pid !== null && pids.has(r.pid) && overlaps(r));
    const chosen = byPid.length ? byPid : [...this.runs.values()].filter((r) => r.pid === null && r.cwd !== null && r.cwd === q.cwd && overlaps(r));
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
  readonly feed?: OutputFeed;
  /**
   * A watcher (nodemon, tsx watch) restarting its app after a file change looks like a crash for a moment:
   * a verdict that rests only on "the watcher lives, its app is gone" waits this long (default 5 s) and is
   * dropped when a new app process appeared meanwhile.
   */
  readonly watcherRestartGraceMs?: number;
  /** The editor's own processes: an inspector port they hold is never offered for killing. */
  readonly editorPids?: readonly number[];
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

export class CrashWatcher {
  private readonly verdictEmitter = new Emitter<Verdict>();
  private readonly problemEmitter = new Emitter<string>();
  private readonly unsubscribe: (() => void)[];
  private readonly readKernel: KernelReader;
  private prev: Snapshot | undefined;
  private pending: Exited[] = [];
  /** Log sizes per server id, noted when the server was first seen running (with its root pid). */
  private readonly offsets = new Map<string, { root: number | null; sizes: Map<string, number>; cgroups: string | null }>();
  /** Recent deaths per server id not yet explained by a verdict. */
  private readonly dead = new Map<string, Dead[]>();
  /** Pids of trees whose crash has its verdict: their later deaths are the same crash. */
  private readonly covered = new Map<number, number>();
  private readonly verdictList: Verdict[] = [];
  private readonly exitList: ExitRecord[] = [];
  private readonly problemsSaid = new Set<string>();
  private chain: Promise<void> = Promise.resolve();
  /** Watcher verdicts waiting out the restart grace period. */
  private readonly deferred = new Map<Promise<void>, { timer: NodeJS.Timeout; resolve: () => void }>();
  private disposed = false;
  /** RSS per process over the last minutes: the memory kind of an OOM death reads the dead process's. */
  private readonly memory = new ProcessMemory();

  constructor(monitor: MonitorLike, private readonly opts: CrashWatcherOptions = {}) {
    this.readKernel = opts.readKernel ?? defaultKernelReader;
    this.unsubscribe = [
      monitor.onEvent((e) => { if (e.type === 'process-exited') this.pending.push(e); }),
      monitor.onSnapshot((s) => this.onSnapshot(s)),
    ];
  }

  onVerdict(listener: (v: Verdict) => void): () => void {
    return this.verdictEmitter.on(listener);
  }

  /** Evidence that could not be read (no kernel log access…), each said once. */
  onProblem(listener: (message: string) => void): () => void {
    return this.problemEmitter.on(listener);
  }

  history(): WatcherHistory {
    return { verdicts: [...this.verdictList], exits: [...this.exitList] };
  }

  /** Resolves once every exit seen so far has been judged (watcher verdicts after their grace period). */
  async idle(): Promise<void> {
    await this.chain;
    await Promise.all([...this.deferred.keys()]);
  }

  dispose(): void {
    this.disposed = true;
    for (const { timer, resolve } of this.deferred.values()) { clearTimeout(timer); resolve(); }
    this.deferred.clear();
    for (const u of this.unsubscribe) u();
    this.verdictEmitter.clear();
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
      this.chain = this.chain.then(() => this.judge(id, before, after, prev, next)).catch((err: unknown) => {
        this.say(`Judging a crash of ${before.name} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}.`);
      });
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
  }

  private async judge(id: string, before: Server, after: Server | undefined, prev: Snapshot, next: Snapshot): Promise<void> {
    const dead = (this.dead.get(id) ?? []).filter((d) => !this.covered.has(d.proc.pid));
    if (this.disposed || dead.length === 0) return;
    const candidate = this.candidate(dead, before, after, next);
    const since = (candidate.startedAt ?? prev.takenAt) - START_SLACK_MS;
    const kernel = await this.readKernel(prev.takenAt - KERNEL_LOOKBACK_MS);
    for (const p of kernel.problems) this.say(p);
    const logs = readLogEvidence([before.cwd], since, { globs: this.opts.logGlobs, offsets: this.offsets.get(id)?.sizes });
    const reports = readReports([...reportDirsOf(before.command, before.cwd), ...dead.map((d) => d.proc.command).flatMap((cmd) => reportDirsOf(cmd, before.cwd)), ...(this.opts.reportDirs ?? [])], since);
    for (const p of [...logs.problems, ...reports.problems]) this.say(p);
    const fed = this.fedOutputs(candidate, before, since, next.takenAt);
    const outputs: OutputEvidence[] = [...fed.outputs, ...logs.items];
    const ports = [...outputs.flatMap((o) => o.findings.map((f) => f.detail?.port)), before.expectedPort]
      .filter((p): p is number => typeof p === 'number');
    const commands = new Map(next.servers.flatMap((s) => s.processes.map((p) => [p.pid, redactText(p.command)] as const)));
    const facts = gatherCauseFacts({ findings: outputs.flatMap((o) => o.findings), cwd: before.cwd, pids: [...(after?.pids ?? []), ...before.pids], cgroupText: this.offsets.get(id)?.cgroups ?? undefined, snapshot: next, editorPids: this.opts.editorPids });
    const samples: readonly MemoryPoint[] = candidate.pids.length ? this.memory.samples(candidate.pids[0]) : [];
    const verdict = decideVerdict({ ...candidate, ...fed.exit, samples }, {
      oom: kernel.records, faults: kernel.faults, kernelRead: kernel.kernelRead, kernelSource: kernel.kernelSource ?? undefined,
      outputs, reports: reports.items, portHolders: portHolders(ports, next.sockets, (pid) => commands.get(pid) ?? null),
      facts, memoryTotalBytes: next.system.memory.totalBytes,
      dependency: dependencyContextFor(outputs, next, before.cwd),
    });
    if (!verdict || this.disposed) return;
    // The rest of this tree dying in the next polls is the same crash.
    for (const pid of [...before.pids, ...dead.map((d) => d.proc.pid)]) this.covered.set(pid, next.takenAt);
    this.dead.delete(id);
    const onlyStructure = verdict.cause === 'watcher-waiting' && !verdict.detail?.underlying
      && !verdict.evidence.some((e) => e.source === 'output' || e.source === 'log-file');
    // New app processes would have started after the last poll that saw this one alive.
    if (onlyStructure) this.deferWatcherVerdict(id, verdict, prev.takenAt - START_SLACK_MS);
    else this.emit(verdict);
  }

  private emit(verdict: Verdict): void {
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
        if (!restarted && !this.disposed) this.emit(verdict);
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
    const cg = before.cgroup;
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
      heapLimitBytes: main.pid === before.heapPid ? before.heapLimitBytes : ownHeapLimit(main.command) ?? before.heapLimitBytes,
      cgroup: cg ? {
        path: cg.path, limitBytes: cg.limitBytes, oomKillsBefore: cg.oomKills,
        oomKillsAfter: after?.cgroup?.path === cg.path ? after.cgroup.oomKills : readCgroupOomKills(cg.version, cg.path),
      } : null,
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

  private say(message: string): void {
    if (this.problemsSaid.has(message)) return;
    this.problemsSaid.add(message);
    this.problemEmitter.fire(message);
  }
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

/** The process most likely to be the one that crashed: it held ports, ran node, used the most memory. */
function rank(p: ServerProcess): number {
  return (p.ports.length ? 4e15 : 0) + (isNodeProcess(p.command.split(' '), p.comm) && !isWatcherCommand(p.command) ? 2e15 : 0) + p.rssBytes;
}

/**
 * A dev server's tree spawns and reaps helpers all the time; only these exits can be its crash:
 * the root or a port holder died, the server went down, a watcher is left waiting, or the cgroup
 * counted an OOM kill.
 */
function worthJudging(exited: readonly Exited[], before: Server, after: Server | undefined): boolean {
  if (!after || after.state === 'down') return true;
  if (exited.some((e) => e.root || e.ports.length > 0)) return true;
  if (after.processes.some((p) => isWatcherCommand(p.command)) && exited.some((e) => !isWatcherCommand(e.command) && /\bnode\b|\bbun\b|\bdeno\b/.test(e.command))) return true;
  return !!before.cgroup && !!after.cgroup && after.cgroup.oomKills > before.cgroup.oomKills;
}
