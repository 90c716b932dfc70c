// "Investigate Crash", cold: what the machine recorded since a time (kernel log, log files in the
// workspace, Node reports), joined by pid and time into one verdict per crash, plus the current state.

import * as path from 'node:path';
import { Monitor } from '../monitor';
import { isInside, resolveWorkspaceFolder } from '../paths';
import { createProbe } from '../system/probe';
import { toStatusJson, type StatusJson } from '../statusJson';
import type { Server, Snapshot } from '../types';
import { defaultKernelReader, folderName, npmScriptOf, readLogEvidence, readReports, reportDirsOf, type EvidenceOptions, type LogEvidence } from './evidence';
import type { FaultRecord, OomRecord } from './kernelLog';
import type { KernelOomRecords } from './kernelSources';
import { redactText } from '../redact';
import { packageName } from './sources';
import { inotifyUsage, type InotifyUsage } from '../system/inotify';
import { portHolders } from '../system/processInfo';
import { dependencyContextFor } from '../deps/dependencyContext';
import { toStatusContainers, type ContainerFacts } from '../containers/status';
import type { Confidence, Verdict } from './types';
import { decideVerdict, isWatcherCommand, type CrashCandidate, type ReportEvidence } from './verdict';
import type { WatcherHistory } from './watcher';
import { gatherCauseFacts } from './causes/facts';

export interface InvestigateOptions extends EvidenceOptions {
  readonly workspaceFolders: readonly string[];
  /** Crashes since this time (epoch ms). */
  readonly sinceMs: number;
  /** A fresh snapshot (state, sockets for port holders); taken here when absent. */
  readonly snapshot?: Snapshot;
  /** What a live CrashWatcher saw: its verdicts, and which server each dead pid belonged to. */
  readonly history?: WatcherHistory;
  /** Skip counting inotify watches in use (it walks every process's descriptors). */
  readonly skipInotifyUsage?: boolean;
  /** The workspace's containers and their crashes (docker inspect facts), read by the caller from the engine. */
  readonly containers?: ContainerFacts;
}

export interface Investigation {
  readonly generatedAt: number;
  readonly sinceMs: number;
  readonly workspaceFolders: readonly string[];
  /** This workspace's crashes, newest first. */
  readonly verdicts: readonly Verdict[];
  /**
   * Kernel records (OOM kills, segfaults) of dev runtimes that nothing ties to this workspace — no pid of its servers,
   * not their cgroup — newest first: shown apart, as "elsewhere on this machine".
   */
  readonly elsewhere?: readonly Verdict[];
  /** The current state, as `status --json` shows it; null when no snapshot could be taken. */
  readonly state: StatusJson | null;
  readonly inotify: InotifyUsage | null;
  /** What could not be read, in plain sentences. */
  readonly problems: readonly string[];
}

/** A kill in the kernel log this long before a log's last write is the death that log shows. */
const KILL_BEFORE_LOG_MS = 30_000;
/** dmesg times derive from the boot time, which /proc/stat gives in whole seconds. */
const CLOCK_SLACK_MS = 3000;
/** A Node report is written this long at most before the log's last line. */
const REPORT_BEFORE_LOG_MS = 120_000;
const SAME_CRASH_MS = 10_000;

const RANK: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };
/** Process names (the kernel's comm) of runtimes a dev server runs in. */
const RUNTIME = /^(?:node|nodejs|bun|deno|npm|npx|pnpm|yarn|esbuild|python\d*(?:\.\d+)?|ruby|java|php(?:-fpm)?|dotnet|go|uvicorn|gunicorn)$/;

/** Never throws: what cannot be read becomes a problem line. */
export async function investigate(opts: InvestigateOptions): Promise<Investigation> {
  const generatedAt = Date.now();
  const problems: string[] = [];
  const folders = [...new Set(opts.workspaceFolders.map((f) => resolveWorkspaceFolder(f)))];
  let snapshot = opts.snapshot ?? null;
  if (!snapshot) {
    try {
      snapshot = await new Monitor({ probe: createProbe(), workspaceFolders: folders }).pollOnce();
    } catch (err) {
      problems.push(`The current state could not be read: ${err instanceof Error ? err.message : String(err)}.`);
    }
  }
  let kernel: KernelOomRecords = { records: [], faults: [], kernelRead: false, kernelSource: null, sources: [], problems: [] };
  try {
    kernel = await (opts.readKernel ?? defaultKernelReader)(opts.sinceMs);
  } catch (err) {
    problems.push(`Reading the kernel log failed: ${err instanceof Error ? err.message : String(err)}.`);
  }
  problems.push(...kernel.problems);

  let cold: Verdict[] = [];
  let elsewhere: Verdict[] = [];
  try {
    const servers = snapshot?.servers ?? [];
    const logs = readLogEvidence(folders, opts.sinceMs, { globs: opts.logGlobs });
    const reportDirs = [...folders, ...servers.flatMap((s) => reportDirsOf(s.command, s.cwd)), ...logs.items.map((l) => l.file.packageDir), ...(opts.reportDirs ?? [])];
    const reports = readReports(reportDirs, opts.sinceMs);
    problems.push(...logs.problems, ...reports.problems);
    const join = new Joiner(kernel, reports.items, servers, snapshot, opts.history);
    const fromLogs = [...logs.items.map((l) => join.fromLog(l)), ...join.leftoverReports()];
    const kernelLeft = join.leftoverKernel();
    cold = [...fromLogs, ...kernelLeft.mine].filter((v): v is Verdict => v !== null);
    elsewhere = kernelLeft.elsewhere.filter((v): v is Verdict => v !== null).sort((a, b) => b.time - a.time);
  } catch (err) {
    problems.push(`Looking for crashes failed unexpectedly: ${err instanceof Error ? err.message : String(err)}.`);
  }
  const verdicts = dedupe([...(opts.history?.verdicts ?? []).filter((v) => v.time >= opts.sinceMs), ...cold, ...(opts.containers?.verdicts ?? [])]);

  let inotify: InotifyUsage | null = null;
  if (!opts.skipInotifyUsage && process.platform === 'linux') inotify = inotifyUsage();
  return {
    generatedAt,
    sinceMs: opts.sinceMs,
    workspaceFolders: folders,
    verdicts: verdicts.sort((a, b) => b.time - a.time),
    elsewhere,
    state: snapshot ? toStatusJson(snapshot, toStatusContainers(opts.containers?.containers ?? []), opts.containers?.engine) : null,
    inotify,
    problems: [...new Set(problems.map(redactText))],
  };
}

/** Joins each log with the kernel records and reports of the same death; what is left stands alone. */
class Joiner {
  private readonly usedRecords = new Set<OomRecord | FaultRecord>();
  private readonly usedReports = new Set<ReportEvidence>();

  constructor(
    private readonly kernel: KernelOomRecords,
    private readonly reports: readonly ReportEvidence[],
    private readonly servers: readonly Server[],
    private readonly snapshot: Snapshot | null,
    private readonly history: WatcherHistory | undefined,
  ) {}

  fromLog(log: LogEvidence): Verdict | null {
    const dir = log.file.packageDir;
    const run = npmScriptOf(log.text);
    const server = this.nameFor(dir, run?.script ?? null, run?.pkg ?? null);
    const t = log.time ?? 0;
    const signals = new Set(log.findings.map((f) => f.detail?.signal).filter(Boolean));
    const heap = log.findings.find((f) => f.cause === 'heap-oom');
    const pids: number[] = [];
    const namedPid = log.findings.map((f) => f.detail?.pid).find((p): p is number => p !== undefined);
    if (namedPid !== undefined) pids.push(namedPid);

    const near = <T extends OomRecord | FaultRecord>(list: readonly T[], wanted: (x: T) => boolean): T | null => {
      const inWindow = list.filter((x) => !this.usedRecords.has(x) && x.time !== null && x.pid !== null && wanted(x)
        && x.time >= t - KILL_BEFORE_LOG_MS && x.time <= t + CLOCK_SLACK_MS);
      return inWindow.sort((a, b) => Math.abs(t - a.time!) - Math.abs(t - b.time!))[0] ?? null;
    };
    if (pids.length === 0 && signals.has('SIGKILL')) {
      const rec = near(this.kernel.records, (r) => r.kind !== 'oomd');
      if (rec) { pids.push(rec.pid!); this.usedRecords.add(rec); }
    }
    if (pids.length === 0 && [...signals].some((s) => s === 'SIGSEGV' || s === 'SIGBUS' || s === 'SIGILL' || s === 'SIGFPE')) {
      const f = near(this.kernel.faults, () => true);
      if (f) { pids.push(f.pid); this.usedRecords.add(f); }
    }
    // A report of this run: the one the log names, else one written in its folder just before its last line.
    const named = heap?.detail?.reportFile && path.basename(heap.detail.reportFile);
    const reports = this.reports.filter((r) => !this.usedReports.has(r) && (named ? path.basename(r.file) === named
      : r.report.time !== null && r.report.time >= t - REPORT_BEFORE_LOG_MS && r.report.time <= t + CLOCK_SLACK_MS
        && (r.report.cwd === null || isInside(r.report.cwd, dir)) && (pids.length === 0 || r.report.pid === null || pids.includes(r.report.pid))));
    for (const r of reports) {
      this.usedReports.add(r);
      if (pids.length === 0 && r.report.pid !== null) pids.push(r.report.pid);
    }
    for (const p of pids) this.useRecordsOf(p);

    const live = this.servers.find((s) => s.cwd === dir && s.state !== 'down' && (!run || s.script === run.script || s.script === null));
    const candidate: CrashCandidate = {
      server,
      cwd: dir,
      pids,
      time: t,
      watcher: watcherLeftWaiting(live, t),
      expectedPort: live?.expectedPort ?? this.servers.find((s) => s.cwd === dir && s.script === run?.script)?.expectedPort ?? null,
    };
    const ports = log.findings.map((f) => f.detail?.port).filter((p): p is number => p !== undefined);
    const facts = gatherCauseFacts({ findings: log.findings, cwd: dir, pids: live?.pids ?? [], snapshot: this.snapshot });
    return decideVerdict(candidate, {
      facts, memoryTotalBytes: this.snapshot?.system.memory.totalBytes ?? null,
      oom: this.kernel.records, faults: this.kernel.faults, kernelRead: this.kernel.kernelRead, kernelSource: this.kernel.kernelSource ?? undefined,
      outputs: [log], reports,
      portHolders: this.snapshot ? portHolders(ports, this.snapshot.sockets, (pid) => this.commandOf(pid)) : [],
      ...(this.snapshot ? { dependency: dependencyContextFor([log], this.snapshot, dir) } : {}),
    });
  }

  /** Reports no log explained: a heap OOM or exception of a process started without a log file. */
  leftoverReports(): (Verdict | null)[] {
    return this.reports.filter((r) => !this.usedReports.has(r) && r.report.pid !== null).map((r) => {
      this.usedReports.add(r);
      this.useRecordsOf(r.report.pid!);
      const dir = r.report.cwd ?? '';
      return decideVerdict({ server: this.exitOf(r.report.pid!)?.server ?? this.nameFor(dir, null, null), cwd: r.report.cwd, pids: [r.report.pid!], time: r.report.time ?? 0 },
        { reports: [r], kernelRead: this.kernel.kernelRead });
    });
  }

  /**
   * Kills and segfaults no log explained. Ours only when tied to one of the workspace's servers: its pid (a process
   * a live watcher saw die, or one in the snapshot) or its memory cgroup; named by that server. The others, of dev
   * runtimes (a browser tab is not a dev server), go elsewhere.
   */
  leftoverKernel(): { mine: (Verdict | null)[]; elsewhere: (Verdict | null)[] } {
    const mine: (Verdict | null)[] = [];
    const elsewhere: (Verdict | null)[] = [];
    for (const r of this.kernel.records) {
      if (this.usedRecords.has(r)) continue;
      const tie = this.tieOf(r.pid, r.memcg ?? null);
      // Every process the OOM killer takes lands in the log; a browser tab is not a dev server.
      if (!tie && r.kind !== 'oomd' && !RUNTIME.test(r.comm ?? '')) continue;
      this.usedRecords.add(r);
      const server = tie?.server ?? (r.kind === 'oomd' ? folderName(r.memcg ?? 'systemd-oomd') : r.comm);
      const cgroup = r.kind === 'oomd' && r.memcg ? { path: r.memcg, limitBytes: null, oomKillsBefore: 0, oomKillsAfter: null } : null;
      (tie ? mine : elsewhere).push(decideVerdict({ server, serverId: tie?.serverId, cwd: tie?.cwd ?? null, pids: r.pid !== null ? [r.pid] : [], time: r.time ?? 0, command: tie?.command ?? null, cgroup },
        { oom: [r], kernelRead: true, kernelSource: this.kernel.kernelSource ?? undefined }));
    }
    for (const f of this.kernel.faults) {
      if (this.usedRecords.has(f)) continue;
      const tie = this.tieOf(f.pid, null);
      if (!tie && !RUNTIME.test(f.comm)) continue;
      this.usedRecords.add(f);
      (tie ? mine : elsewhere).push(decideVerdict({ server: tie?.server ?? f.comm, serverId: tie?.serverId, cwd: tie?.cwd ?? null, pids: [f.pid], time: f.time ?? 0, command: tie?.command ?? null },
        { faults: [f], kernelRead: true, kernelSource: this.kernel.kernelSource ?? undefined }));
    }
    return { mine, elsewhere };
  }

  /** The workspace server a kernel record belongs to, by pid (seen dying, or in the snapshot) or by memory cgroup. */
  private tieOf(pid: number | null, memcg: string | null): { server: string; serverId?: string; cwd: string | null; command: string | null } | null {
    const exit = pid !== null ? this.exitOf(pid) : undefined;
    if (exit) return exit;
    const byPid = pid !== null ? this.servers.find((s) => s.processes.some((p) => p.pid === pid)) : undefined;
    // A cgroup shared by the whole machine ('/') ties nothing.
    const byCgroup = memcg && memcg !== '/' ? this.servers.find((s) => s.cgroup?.path === memcg) : undefined;
    const s = byPid ?? byCgroup;
    return s ? { server: s.name, serverId: s.id, cwd: s.cwd, command: s.command ? redactText(s.command) : null } : null;
  }

  private useRecordsOf(pid: number): void {
    for (const r of [...this.kernel.records, ...this.kernel.faults]) if (r.pid === pid) this.usedRecords.add(r);
  }

  private exitOf(pid: number): WatcherHistory['exits'][number] | undefined {
    return this.history?.exits.find((e) => e.pid === pid);
  }

  private commandOf(pid: number): string | null {
    for (const s of this.servers) {
      const p = s.processes.find((x) => x.pid === pid);
      if (p) return redactText(p.command);
    }
    return null;
  }

  /** The workspace's name for the server of a folder and script ("api · dev"), as the Servers view shows it. */
  private nameFor(dir: string, script: string | null, pkg: string | null): string {
    const here = this.servers.filter((s) => s.cwd === dir && s.source !== 'process');
    const exact = script ? here.find((s) => s.script === script) : here.length === 1 ? here[0] : undefined;
    if (exact) return exact.name;
    const name = pkg ?? packageName(dir) ?? folderName(dir);
    return script ? `${name} · ${script}` : name;
  }
}

/** A watcher of the folder's server still running with no app under it, started before the log's last crash. */
function watcherLeftWaiting(live: Server | undefined, logTime: number): { pid: number; command: string } | null {
  if (!live) return null;
  const w = live.processes.find((p) => isWatcherCommand(p.command) && p.state !== 'Z');
  if (!w || w.startTimeMs > logTime) return null;
  const app = live.processes.some((p) => p.depth > w.depth && /\bnode\b/.test(p.command) && !isWatcherCommand(p.command) && p.state !== 'Z');
  return app ? null : { pid: w.pid, command: redactText(w.command) };
}

/** One verdict per crash: the same pid, or (a pid unknown) the same server and cause moments apart; the best-supported wins. */
function dedupe(verdicts: readonly Verdict[]): Verdict[] {
  const out: Verdict[] = [];
  for (const v of verdicts) {
    const i = out.findIndex((o) => (v.pid !== null && o.pid === v.pid)
      || ((v.pid === null || o.pid === null) && o.server === v.server && o.cause === v.cause && Math.abs(o.time - v.time) < SAME_CRASH_MS));
    if (i < 0) out.push(v);
    else if (RANK[v.confidence] < RANK[out[i].confidence] || (RANK[v.confidence] === RANK[out[i].confidence] && v.evidence.length > out[i].evidence.length)) out[i] = v;
  }
  return out;
}
