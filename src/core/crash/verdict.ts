// Joins what the machine recorded about one dead server (how it exited, the kernel log, its memory
// cgroup, its output, a Node report, the socket table) into one verdict, by pid and time. Pure.
// Why this file is long (~550 lines): decideVerdict is one ordered judgement (exit, kernel record, cgroup, output,
// report, sockets) whose rule order is the meaning; each cause's own wording and facts live in causes/.

import { formatBytes, formatDuration } from '../format';
import type { FaultRecord, OomRecord } from './kernelLog';
import type { NodeReportSummary } from './nodeReport';
import { exitSignal, remediesFor, type ExitStatus, type OutputDetail, type OutputFinding } from './output';
import { redactText } from '../redact';
import type { PortHolder } from '../system/processInfo';
export type { PortHolder } from '../system/processInfo';
import type { CauseId, Confidence, Evidence, EvidenceSource, RemedyRef, Verdict, VerdictDetail } from './types';
import type { CauseFacts } from './causes/facts';
import type { MemoryPoint } from './causes/memoryKind';
import { memoryRemedies, moreRemedies, type MoreRemedy } from './causes/moreRemedies';
import { REMEDIES, remedy, type RemedyArgs, type RemedyId } from '../remedies/catalogue';
import type { MemoryKind } from './causes/memoryKind';
import { applyMoreCause, memoryClause, memoryKindOf, moreSummary, MORE_CAUSE_WORDS, refineFinding } from './causes/verdictCauses';
import type { DependencyContext } from '../deps/dependencyContext';
import { dependencyEvidence, dependencyRemedies, dependencySummary } from '../deps/dependencyVerdict';

export interface CgroupDelta {
  readonly path: string;
  readonly limitBytes: number | null;
  /** oom_kill count at the last poll before the exit. */
  readonly oomKillsBefore: number;
  /** oom_kill count now; null when it can no longer be read. */
  readonly oomKillsAfter: number | null;
}

/** One server that died (live: the processes the monitor saw exit; cold: what a log or the kernel recorded). */
export interface CrashCandidate {
  readonly server: string | null;
  readonly serverId?: string;
  readonly cwd?: string | null;
  /** Pids that died, the most likely culprit first. Empty when nobody knows them (a log file). */
  readonly pids: readonly number[];
  /** When the exit was seen (live) or last recorded (cold), epoch ms. */
  readonly time: number;
  /** When the process started: evidence older than this belongs to an earlier run. */
  readonly startedAt?: number | null;
  readonly command?: string | null;
  readonly lastRssBytes?: number | null;
  readonly uptimeMs?: number | null;
  readonly ports?: readonly number[];
  readonly expectedPort?: number | null;
  readonly heapLimitBytes?: number | null;
  readonly cgroup?: CgroupDelta | null;
  /** How it ended when someone saw it (a terminal, a task); absent = unknown. */
  readonly exit?: ExitStatus;
  /** It ended in a terminal without an exit code: the user pressed Ctrl-C. */
  readonly interrupted?: boolean;
  /** A watcher of the same tree (nodemon, tsx watch, node --watch) still running after the exit. */
  readonly watcher?: { readonly pid: number; readonly command: string } | null;
  /** Memory samples of the run (RSS of its node process, else of the tree), oldest first: the memory kind reads them. */
  readonly samples?: readonly MemoryPoint[];
}

export interface OutputEvidence {
  readonly source: 'output' | 'log-file';
  /** File path, or the terminal or task it came from. */
  readonly location: string;
  /** When it was last written, epoch ms. */
  readonly time: number | null;
  readonly findings: readonly OutputFinding[];
}

export interface ReportEvidence {
  readonly file: string;
  readonly report: NodeReportSummary;
}


export interface CrashEvidence {
  /** Kernel and systemd-oomd kill records (any pid: the join picks the candidate's). */
  readonly oom?: readonly OomRecord[];
  readonly faults?: readonly FaultRecord[];
  /** A kernel log was read, so a missing record means "not the OOM killer". */
  readonly kernelRead?: boolean;
  /** What the kernel records were read from ('dmesg', 'journalctl -k'). */
  readonly kernelSource?: string;
  readonly outputs?: readonly OutputEvidence[];
  /** Reports of this run (found in its folder, newer than its start). */
  readonly reports?: readonly ReportEvidence[];
  /** Who holds, now, the ports the outputs say were in use. */
  readonly portHolders?: readonly PortHolder[];
  /** What the newer causes need of the machine (gatherCauseFacts). */
  readonly facts?: CauseFacts;
  /** The memory ceiling when no cgroup limit applies (the machine's or the VM's memory). */
  readonly memoryTotalBytes?: number | null;
  /** For dependency-* findings: what listens on that port now, and which compose service or local install provides it. */
  readonly dependency?: DependencyContext;
}

/** Evidence stamped this long before the process's start time still counts (clock granularity). */
const START_SLACK_MS = 2000;
/** systemd-oomd logs the kill shortly after the processes die. */
const OOMD_LAG_MS = 60_000;
const MB = 1024 * 1024;
const WATCHER = /nodemon|\btsx\b.*\bwatch\b|\bnode\b.*--watch\b|ts-node-dev|node-dev|\bbun\b.*--watch/;

/** A short name for a watcher command: 'nodemon', 'tsx watch', 'node --watch'. */
export function watcherName(command: string): string {
  if (/nodemon/.test(command)) return 'nodemon';
  if (/\btsx\b/.test(command)) return 'tsx watch';
  if (/ts-node-dev/.test(command)) return 'ts-node-dev';
  if (/node-dev/.test(command)) return 'node-dev';
  if (/\bbun\b/.test(command)) return 'bun --watch';
  return 'node --watch';
}

export function isWatcherCommand(command: string): boolean {
  return WATCHER.test(command);
}

interface Found {
  readonly finding: OutputFinding;
  readonly out: OutputEvidence;
}

// Causes the output can name, most specific first; killed/exit-nonzero/watcher-waiting only say how it ended.
const OUTPUT_CAUSES: readonly CauseId[] = [
  'heap-oom', 'native-abi-mismatch', 'port-permission', 'process-limit', 'stale-build-cache', 'node-version-mismatch', 'localhost-ipv6',
  'port-in-use', 'disk-full', 'inotify-limit', 'too-many-open-files', 'missing-module', 'native-crash', 'inspector-port-in-use',
  'dependency-refused', 'dependency-unresolved', 'unhandled-rejection', 'uncaught-exception',
];
/** Causes a watcher turns into watcher-waiting: the code failed, and the watcher waits for an edit. */
// A watcher (nodemon, tsx watch) outlives these: the verdict says it waits, with the cause as `underlying` (whose
// remedies it offers: a refused database gets "start postgres").
const WRAPPED_BY_WATCHER = new Set<CauseId>(['uncaught-exception', 'unhandled-rejection', 'exit-nonzero', 'killed', 'dependency-refused', 'dependency-unresolved']);
const RANK: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };
const STOP_SIGNALS = new Set(['SIGTERM', 'SIGHUP', 'SIGQUIT']);
const NATIVE_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGABRT']);

const CAUSE_WORDS: Record<CauseId, string> = {
  'oom-kill': 'killed by the kernel OOM killer',
  'oomd-kill': 'killed by systemd-oomd',
  'heap-oom': 'JavaScript heap out of memory',
  'port-in-use': 'port already in use',
  'disk-full': 'disk full',
  'inotify-limit': 'file watcher limit reached',
  'too-many-open-files': 'too many open files',
  'missing-module': 'missing module',
  'uncaught-exception': 'uncaught exception',
  'unhandled-rejection': 'unhandled promise rejection',
  'native-crash': 'native crash',
  'killed': 'killed by a signal',
  'watcher-waiting': 'crashed; the watcher waits for changes',
  'exit-nonzero': 'exited with an error code',
  'hang': 'stuck (alive, but not answering)',
  ...MORE_CAUSE_WORDS,
  'dependency-refused': 'a service it needs refused the connection',
  'dependency-unresolved': 'the host name of a service it needs does not resolve',
  'unhealthy': 'its health check fails',
};

/** A cause id in plain words ("killed by the kernel OOM killer"). */
export function causeWords(cause: CauseId): string {
  return CAUSE_WORDS[cause];
}

function evidence(source: EvidenceSource, text: string, time: number | null, location?: string): Evidence {
  return { source, text: redactText(text), time, ...(location ? { location } : {}) };
}

function inCgroup(cgroupPath: string | undefined, killed: string | undefined): boolean {
  if (!cgroupPath || !killed) return false;
  return cgroupPath === killed || cgroupPath.startsWith(`${killed.replace(/\/$/, '')}/`);
}

/** What the memory cgroup charged: anonymous and shared memory (file pages are cache the kernel reclaims first). */
function rssOf(r: OomRecord): number | null {
  if (r.anonRssBytes === undefined) return null;
  return r.anonRssBytes + (r.shmemRssBytes ?? 0);
}

/** Suspicions the facts settle: raised, or dropped so the exception they came from stands. */
function refined(findings: readonly OutputFinding[], facts: CauseFacts | undefined): OutputFinding[] {
  const raised: OutputFinding[] = [];
  const rest: OutputFinding[] = [];
  for (const f of findings) {
    const r = refineFinding(f, facts);
    // A suspicion the facts confirmed explains the exception it came from: it goes first.
    if (r) (r.confidence === 'high' && f.confidence !== 'high' ? raised : rest).push(r);
  }
  return [...raised, ...rest];
}

function allFindings(outputs: readonly OutputEvidence[]): Found[] {
  const found = outputs.flatMap((out) => out.findings.map((finding) => ({ finding, out })));
  // Stable: the order of the outputs (a terminal before log files) breaks ties.
  return found.map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.finding.confidence] - RANK[b.f.finding.confidence] || a.i - b.i)
    .map(({ f }) => f);
}

function findingEvidence(f: Found): Evidence {
  return evidence(f.out.source, f.finding.lines.join('\n'), f.out.time, f.out.location);
}

function reportEvidence(r: ReportEvidence): Evidence {
  const { report } = r;
  const bits = [
    report.trigger ? `trigger ${report.trigger}` : null,
    report.event ? `event "${report.event}"` : null,
    report.heap.usedBytes !== null ? `heap used ${formatBytes(report.heap.usedBytes)}` : null,
    // V8's heap_size_limit: old space (what --max-old-space-size sets, the limit said elsewhere) plus the young generation.
    report.heap.limitBytes !== null ? `V8 heap size limit ${formatBytes(report.heap.limitBytes)} (old space + young generation)` : null,
    report.errorMessage ? `error "${report.errorMessage}"` : null,
  ].filter(Boolean);
  return evidence('node-report', `Node.js report of pid ${report.pid ?? '?'}: ${bits.join(', ')}`, report.time, r.file);
}

function isHeapReport(r: ReportEvidence): boolean {
  return r.report.trigger === 'OOMError' || /heap out of memory|heap limit/i.test(r.report.event ?? '');
}

/** The frame "at foo (/a/b.js:3:9)" as "b.js:3:9"-style short location for a summary. */
function frameShort(frame: string): string {
  const loc = /\(([^()]*:\d+:\d+)\)$/.exec(frame)?.[1] ?? /(\S*:\d+:\d+)$/.exec(frame)?.[1] ?? frame;
  return loc.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Detail = Mutable<VerdictDetail>;

interface Decision {
  cause: CauseId;
  confidence: Confidence;
  /** The pid the evidence names; undefined = the candidate's first. */
  pid?: number | null;
  time: number | null;
  evidence: Evidence[];
  detail: Detail;
  topFrame: string | null;
  /** What the output told (port, module…), for the summary and the remedies. */
  outputDetail: OutputDetail;
  record?: OomRecord;
  message?: string;
}

/**
 * One verdict for one crash, or null when nothing says it crashed (a clean exit, Ctrl-C, a process
 * that vanished without a trace). Evidence is quoted redacted; remedies are ranked.
 */
export function decideVerdict(c: CrashCandidate, ev: CrashEvidence): Verdict | null {
  const pids = new Set(c.pids);
  const inRun = (t: number | null): boolean => t === null || !c.startedAt || t >= c.startedAt - START_SLACK_MS;
  const records = ev.oom ?? [];
  const oom = records.filter((r) => r.kind !== 'oomd' && r.pid !== null && pids.has(r.pid) && inRun(r.time));
  const oomd = records.filter((r) => r.kind === 'oomd' && inCgroup(c.cgroup?.path, r.memcg) && inRun(r.time)
    && (r.time === null || r.time <= c.time + OOMD_LAG_MS));
  const faults = (ev.faults ?? []).filter((f) => pids.has(f.pid) && inRun(f.time));
  const reports = (ev.reports ?? []).filter((r) => r.report.pid === null || pids.size === 0 || pids.has(r.report.pid));
  const found = allFindings((ev.outputs ?? []).map((o) => ({ ...o, findings: refined(o.findings, ev.facts) })));

  const exit = c.exit ?? { code: null, signal: null };
  const told = found.find((f) => f.finding.detail?.signal || f.finding.detail?.exitCode !== undefined)?.finding.detail;
  const signal = exitSignal(exit) ?? told?.signal ?? null;
  const code = exit.code ?? told?.exitCode ?? null;
  const stoppedNormally = c.interrupted === true || signal === 'SIGINT' || code === 0 || code === 130;
  const counterRose = c.cgroup !== null && c.cgroup !== undefined && c.cgroup.oomKillsAfter !== null
    && c.cgroup.oomKillsAfter > c.cgroup.oomKillsBefore;

  const specific = found.filter((f) => OUTPUT_CAUSES.includes(f.finding.cause));
  const primary = specific[0] ?? null;
  const heap = found.find((f) => f.finding.cause === 'heap-oom');
  const heapReport = reports.find(isHeapReport);
  const watcherFinding = found.find((f) => f.finding.cause === 'watcher-waiting');

  const base = (cause: CauseId, confidence: Confidence, evid: Evidence[], extra: Partial<Decision> = {}): Decision => ({
    cause, confidence, time: null, evidence: evid, detail: {}, topFrame: null, outputDetail: {}, ...extra,
  });

  let d: Decision | null = null;
  if (oom.length) {
    const r = oom[oom.length - 1];
    d = base('oom-kill', 'high', [evidence('kernel', r.lines.slice(-3).join('\n'), r.time, ev.kernelSource)],
      { pid: r.pid, time: r.time, record: r });
    if (counterRose) d.evidence.push(cgroupEvidence(c.cgroup!));
  } else if (oomd.length) {
    const r = oomd[oomd.length - 1];
    d = base('oomd-kill', 'high', [evidence('journal', r.lines.join('\n'), r.time, 'journalctl -u systemd-oomd')], { time: r.time, record: r });
  } else if (heap || heapReport) {
    d = base('heap-oom', 'high', [...(heap ? [findingEvidence(heap)] : []), ...(heapReport ? [reportEvidence(heapReport)] : [])], {
      pid: heapReport?.report.pid ?? inPids(heap?.finding.detail?.pid, pids) ?? c.pids[0] ?? null,
      time: heapReport?.report.time ?? heap?.out.time ?? null,
      topFrame: heapReport?.report.topFrame ?? null,
      outputDetail: heap?.finding.detail ?? {},
    });
  } else if (faults.length) {
    const f = faults[faults.length - 1];
    d = base('native-crash', 'high', [evidence('kernel', f.lines.join('\n'), f.time, ev.kernelSource)], { pid: f.pid, time: f.time });
    d.detail.signal = f.signal;
  } else if (counterRose && (signal === null || signal === 'SIGKILL') && !(primary && primary.finding.confidence === 'high')) {
    d = base('oom-kill', 'medium', [cgroupEvidence(c.cgroup!)]);
  } else if (stoppedNormally) {
    return null;
  } else if (primary) {
    d = fromFinding(primary, base);
  } else if (reports.length && reports[0].report.trigger) {
    const r = reports[0];
    const cause: CauseId = r.report.trigger === 'Exception' ? 'uncaught-exception' : 'native-crash';
    d = base(cause, 'medium', [reportEvidence(r)], { pid: r.report.pid, time: r.report.time, topFrame: r.report.topFrame, message: r.report.errorMessage ?? undefined });
  } else if (signal === 'SIGKILL') {
    const f = found.find((x) => x.finding.cause === 'killed');
    d = base('killed', ev.kernelRead === false ? 'low' : 'medium', f ? [findingEvidence(f)] : []);
  } else if (signal && STOP_SIGNALS.has(signal)) {
    const f = found.find((x) => x.finding.cause === 'killed');
    d = base('killed', 'low', f ? [findingEvidence(f)] : []);
  } else if (signal && NATIVE_SIGNALS.has(signal)) {
    d = base('native-crash', 'high', []);
  } else if (code !== null && code !== 0) {
    const f = found.find((x) => x.finding.cause === 'exit-nonzero');
    d = base('exit-nonzero', 'low', f ? [findingEvidence(f)] : [], f?.finding.detail?.message ? { message: f.finding.detail.message } : {});
  } else if (c.watcher || watcherFinding) {
    d = base('watcher-waiting', 'medium', []);
  }
  if (!d) return null;

  if ((c.watcher || watcherFinding) && (WRAPPED_BY_WATCHER.has(d.cause) || d.cause === 'watcher-waiting')) {
    if (d.cause !== 'watcher-waiting') d.detail.underlying = d.cause;
    d.cause = 'watcher-waiting';
    const crashedLine = watcherFinding && /app crashed|Failed running/.test(watcherFinding.finding.lines.join('\n'));
    d.confidence = crashedLine || (c.watcher && d.detail.underlying && d.confidence !== 'low') ? 'high' : 'medium';
    if (watcherFinding && !d.evidence.some((e) => e.text === watcherFinding.finding.lines.join('\n'))) d.evidence.push(findingEvidence(watcherFinding));
  }
  if (c.watcher) d.detail.watcherPid = c.watcher.pid;
  return finish(c, ev, d, { signal, code, reports, found });
}

function inPids(pid: number | undefined, pids: ReadonlySet<number>): number | null {
  return pid !== undefined && (pids.size === 0 || pids.has(pid)) ? pid : null;
}

function cgroupEvidence(cg: CgroupDelta): Evidence {
  const limit = cg.limitBytes !== null ? `, limit ${formatBytes(cg.limitBytes)}` : '';
  return evidence('cgroup', `memory cgroup ${cg.path}: oom_kill ${cg.oomKillsBefore} → ${cg.oomKillsAfter}${limit}`, null);
}

function fromFinding(f: Found, base: (cause: CauseId, confidence: Confidence, evid: Evidence[], extra?: Partial<Decision>) => Decision): Decision {
  const fd = f.finding.detail ?? {};
  return base(f.finding.cause, f.finding.confidence, [findingEvidence(f)], {
    time: f.out.time, topFrame: f.finding.topFrame, outputDetail: fd, message: fd.message,
  });
}

interface Context {
  readonly signal: string | null;
  readonly code: number | null;
  readonly reports: readonly ReportEvidence[];
  readonly found: readonly Found[];
}

function finish(c: CrashCandidate, ev: CrashEvidence, d: Decision, ctx: Context): Verdict {
  const detail: Detail = { ...d.detail };
  const od = d.outputDetail;
  if (c.serverId) detail.serverId = redactText(c.serverId);
  if (c.cwd) detail.cwd = c.cwd;
  if (ctx.code !== null) detail.exitCode = ctx.code;
  if (ctx.signal && !detail.signal) detail.signal = ctx.signal;
  if (c.uptimeMs !== null && c.uptimeMs !== undefined) detail.uptimeMs = c.uptimeMs;
  const rss = d.record ? rssOf(d.record) : null;
  if (rss ?? c.lastRssBytes) detail.rssBytes = rss ?? c.lastRssBytes!;
  if (c.cgroup) detail.cgroupPath = c.cgroup.path;
  const limit = d.record?.cgroupLimitBytes ?? c.cgroup?.limitBytes ?? null;
  if (limit !== null && d.cause === 'oom-kill') detail.cgroupLimitBytes = limit;
  if (od.module) detail.module = od.module;
  if (od.package) detail.package = od.package;
  if (od.path) detail.path = od.path;
  if (od.reportFile) detail.reportFile = od.reportFile;
  if (d.message) detail.message = redactText(d.message);

  const evid = [...d.evidence];
  const pid = d.pid ?? inPids(od.pid, new Set(c.pids)) ?? c.pids[0] ?? null;
  if (d.cause === 'heap-oom') heapDetail(c, d, ctx.reports, detail);
  if (d.cause === 'port-in-use' || d.cause === 'inspector-port-in-use') portDetail(c, ev, od, detail, evid);
  applyMoreCause(d.cause, od, ev.facts, detail, evid, c.cwd);
  const memoryKind = memoryKindOf({ cause: d.cause, found: ctx.found.map((f) => f.finding), samples: c.samples, uptimeMs: c.uptimeMs, startedAt: c.startedAt, detail, facts: ev.facts,
    heapLimitBytes: c.heapLimitBytes ?? null,
    ceilingBytes: detail.cgroupLimitBytes ?? c.cgroup?.limitBytes ?? ev.memoryTotalBytes ?? null });
  const depCause = d.cause === 'watcher-waiting' ? detail.underlying : d.cause;
  if (depCause === 'dependency-refused' || depCause === 'dependency-unresolved') {
    if (od.port !== undefined) detail.port = od.port;
    if (od.host) detail.host = od.host;
    const service = ev.dependency?.service ?? od.service;
    if (service) detail.service = service;
    // What the app printed, for the state line ("waiting for file changes — Error: connect ECONNREFUSED …").
    if (!detail.message) detail.message = `Error: ${depCause === 'dependency-refused' ? 'connect' : 'getaddrinfo'} ${od.errorCode ?? (depCause === 'dependency-refused' ? 'ECONNREFUSED' : 'ENOTFOUND')} ${od.host ?? ''}${od.port !== undefined ? `:${od.port}` : ''}`.trim();
    evid.push(...dependencyEvidence(ev.dependency));
  }
  // The other outputs and reports back the verdict up: the exit the log told, a report of the same run.
  for (const r of ctx.reports) if (!evid.some((e) => e.location === r.file)) evid.push(reportEvidence(r));
  const exitFinding = ctx.found.find((f) => (f.finding.cause === 'killed' || f.finding.cause === 'native-crash') && f.finding.lines.length);
  if (exitFinding && !evid.some((e) => e.text === exitFinding.finding.lines.join('\n'))) evid.push(findingEvidence(exitFinding));
  if (c.command || c.lastRssBytes) evid.push(monitorEvidence(c, pid));

  const topFrame = d.topFrame ?? ctx.found.find((f) => f.finding.topFrame)?.finding.topFrame ?? null;
  const summary = summarize(c, ev, d, detail, topFrame) + (memoryKind ? memoryClause(memoryKind) : '');
  return {
    cause: d.cause,
    confidence: d.confidence,
    server: c.server === null ? null : redactText(c.server),
    pid,
    time: d.time ?? c.time,
    summary: redactText(summary),
    evidence: evid,
    topFrame: topFrame && redactText(topFrame),
    remedies: remedies(c, d, detail, pid, ev, memoryKind),
    detail,
    ...(memoryKind ? { memoryKind } : {}),
  };
}

function monitorEvidence(c: CrashCandidate, pid: number | null): Evidence {
  const bits = [
    `pid ${pid ?? c.pids[0] ?? '?'}${c.command ? ` (${c.command})` : ''} exited`,
    c.uptimeMs !== null && c.uptimeMs !== undefined ? `after ${formatDuration(c.uptimeMs)}` : null,
    c.lastRssBytes ? `last RSS ${formatBytes(c.lastRssBytes)}` : null,
    c.ports?.length ? `ports ${c.ports.join(', ')}` : null,
  ].filter(Boolean);
  return evidence('monitor', bits.join(', '), c.time);
}

function heapDetail(c: CrashCandidate, d: Decision, reports: readonly ReportEvidence[], detail: Detail): void {
  const report = reports.find(isHeapReport)?.report;
  const od = d.outputDetail;
  const reportUsed = report?.heap.usedBytes ?? null;
  const used = reportUsed ?? (od.heapUsedMB !== undefined ? od.heapUsedMB * MB : null);
  if (used !== null) {
    detail.heapUsedBytes = used;
    detail.heapUsedFrom = reportUsed !== null ? 'node-report' : 'gc-trace';
  }
  // The one resolver's limit (the old space) where known; V8's whole heap size limit only from a report.
  const oldSpace = c.heapLimitBytes ?? (od.heapLimitMB !== undefined ? od.heapLimitMB * MB : null);
  const limit = oldSpace ?? report?.heap.limitBytes ?? null;
  if (limit !== null) {
    detail.heapLimitBytes = limit;
    detail.heapLimitKind = oldSpace !== null ? 'old-space' : 'heap-size';
  }
}

/** "heap used 42 MB at its last GC, all spaces · heap limit 40 MB, old space": each number says what it is and where it was measured. */
export function heapNumbers(detail: Pick<VerdictDetail, 'heapUsedBytes' | 'heapUsedFrom' | 'heapLimitBytes' | 'heapLimitKind'>): string {
  const parts: string[] = [];
  if (detail.heapUsedBytes) {
    parts.push(`heap used ${formatBytes(detail.heapUsedBytes)} ${detail.heapUsedFrom === 'node-report' ? 'per its Node report' : 'at its last GC'}, all spaces`);
  }
  // "heap limit" as on the server's row and in the warnings; the old space is what --max-old-space-size sets.
  if (detail.heapLimitBytes) parts.push(`heap limit ${formatBytes(detail.heapLimitBytes)}, ${detail.heapLimitKind === 'heap-size' ? 'all spaces' : 'old space'}`);
  return parts.join(' · ');
}

function portDetail(c: CrashCandidate, ev: CrashEvidence, od: OutputDetail, detail: Detail, evid: Evidence[]): void {
  const port = od.port ?? c.expectedPort ?? c.ports?.[0];
  if (port === undefined || port === null) return;
  detail.port = port;
  const holder = (ev.portHolders ?? []).find((h) => h.port === port);
  if (!holder) return;
  detail.holder = { pid: holder.pid, command: holder.command && redactText(holder.command) };
  evid.push(evidence('socket-table', holder.pid === null
    ? `port ${port} is held by a process of another user (its pid cannot be read)`
    : `port ${port} is held now by pid ${holder.pid}${holder.command ? `: ${holder.command}` : ''}`, null));
}

function summarize(c: CrashCandidate, ev: CrashEvidence, d: Decision, detail: VerdictDetail, topFrame: string | null): string {
  const who = c.server ?? (c.command ? `"${c.command}"` : 'The dev server');
  const at = topFrame ? ` at ${frameShort(topFrame)}` : '';
  const msg = d.message ? `: ${d.message}` : '';
  const od = d.outputDetail;
  switch (d.cause) {
    case 'oom-kill': {
      const size = detail.rssBytes ? ` at ${formatBytes(detail.rssBytes)}` : '';
      const limit = detail.cgroupLimitBytes ? `, cgroup limit ${formatBytes(detail.cgroupLimitBytes)}` : d.record?.kind === 'global' ? ': the machine ran out of memory' : '';
      const how = d.record ? '' : ' (its memory cgroup counted an OOM kill as it died)';
      return `${who} was killed by the kernel OOM killer${size}${limit}${how}`;
    }
    case 'oomd-kill':
      return `${who} was killed by systemd-oomd${d.record?.reason ? ` due to ${d.record.reason}` : ''}`;
    case 'heap-oom': {
      const numbers = heapNumbers(detail);
      return `${who} ran out of JavaScript heap: V8 aborted it${numbers ? ` (${numbers})` : ''}`;
    }
    case 'port-in-use': {
      const port = detail.port ? `port ${detail.port}` : 'its port';
      const h = detail.holder;
      const held = !h ? (detail.port ? '; no process holds it now' : '')
        : h.pid === null ? ': a process of another user holds it' : `: it is held by pid ${h.pid}${h.command ? ` (${h.command})` : ''}`;
      return `${who} could not listen on ${port}, already in use${held}`;
    }
    case 'disk-full':
      return `${who} could not write${od.path ? ` ${od.path}` : ''}: no space left on the disk (ENOSPC)`;
    case 'inotify-limit':
      return `${who} could not watch files: the inotify watch limit (fs.inotify.max_user_watches) is reached; the disk is not full`;
    case 'too-many-open-files':
      return `${who} ran out of file descriptors (too many open files)`;
    case 'missing-module':
      return od.package
        ? `${who} could not start: package '${od.package}' is not installed`
        : `${who} could not start: module '${od.module ?? '?'}' does not exist`;
    case 'uncaught-exception':
      return `${who} crashed on an uncaught exception${msg}${at}`;
    case 'unhandled-rejection':
      return `${who} crashed on an unhandled promise rejection${msg}${at}`;
    case 'native-crash':
      return `${who} crashed in native code (${detail.signal ?? 'a fatal signal'})`;
    case 'killed':
      return ev.kernelRead === false && detail.signal === 'SIGKILL'
        ? `${who} was killed by SIGKILL; the kernel log could not be read, so an OOM kill cannot be ruled out`
        : `${who} was killed by ${detail.signal ?? 'a signal'} from another process (not the OOM killer)`;
    case 'watcher-waiting': {
      const watcher = c.watcher ? watcherName(c.watcher.command) : /nodemon/.test(JSON.stringify(d.evidence)) ? 'nodemon' : 'the watcher';
      const dep = detail.underlying === 'dependency-refused' || detail.underlying === 'dependency-unresolved'
        ? `: ${od.errorCode ?? 'ECONNREFUSED'} ${od.host ?? ''}${od.port !== undefined ? `:${od.port}` : ''}${detail.service ?? od.service ? ` (${detail.service ?? od.service})` : ''}` : '';
      const why = detail.underlying ? ` (${causeWords(detail.underlying)}${dep || msg}${at})` : '';
      return `${who}'s app crashed${why}; ${watcher} is waiting for file changes before it restarts it`;
    }
    case 'exit-nonzero':
      return `${who} exited with code ${detail.exitCode ?? '?'}${msg}`;
    case 'hang':
      // Hang verdicts come from Find Where It's Stuck (core/health/stuck.ts), never from a crash.
      return `${who} is stuck${at}`;
    case 'dependency-refused':
    case 'dependency-unresolved':
      return dependencySummary(who, d.cause, od, ev.dependency);
    case 'unhealthy':
      return `${who} is running but its health check fails`;
    default:
      return moreSummary(d.cause, who, detail, od) ?? `${who} crashed (${causeWords(d.cause)})`;
  }
}

function remedies(c: CrashCandidate, d: Decision, detail: VerdictDetail, pid: number | null, ev: CrashEvidence, memoryKind?: MemoryKind): RemedyRef[] {
  const cause = d.cause === 'watcher-waiting' && detail.underlying ? detail.underlying : d.cause;
  const od: OutputDetail = { ...d.outputDetail };
  if (cause === 'dependency-refused' || cause === 'dependency-unresolved') {
    const who = { server: c.server && redactText(c.server), ...(c.serverId ? { serverId: redactText(c.serverId) } : {}), ...(c.cwd ? { cwd: c.cwd } : {}), pid };
    return dependencyRemedies(cause, od, ev.dependency, who, !!(c.serverId || c.cwd));
  }
  if (detail.port) od.port = detail.port;
  if (cause === 'heap-oom' && detail.heapLimitBytes) od.heapLimitMB = Math.round(detail.heapLimitBytes / MB);
  const server = { server: c.server && redactText(c.server), ...(c.serverId ? { serverId: redactText(c.serverId) } : {}), ...(c.cwd ? { cwd: c.cwd } : {}) };
  const known = !!(c.serverId || c.cwd);
  const undeclared = /\s/.test(c.server?.split(' · ')[1] ?? '');
  // Restarting needs to know which server; a bare pid from the kernel log does not say.
  const more = moreRemedies(cause, detail) ?? memoryRemedies(cause, memoryKind, detail);
  const ranked = more ? [...more.map((r) => asRemedyRef(r, server)), ...remediesFor(cause, od).filter((r) => r.id === 'restart-server')] : remediesFor(cause, od);
  // A bug in the server's own code needs the code, not a restart (which only crashes again): open it first.
  const frame = CODE_CAUSES.has(cause) ? frameLocation(d.topFrame ?? null) : null;
  const open = frame ? [remedy('open-file', frame, `Open ${frame.file.split('/').pop()}:${frame.line}`)] : [];
  return [...open, ...ranked.filter((r) => known || r.id !== 'restart-server').map((r): RemedyRef => {
    // A tree no script declares is named by its command line ("shop · node server.js"): it starts by that command.
    if (r.id === 'restart-server') return { ...r, args: { ...server, pid, ...(undeclared && c.command ? { command: redactText(c.command) } : {}) } };
    if (r.id === 'kill-port-holder' && detail.holder?.pid) {
      return { ...r, title: `${r.title} (pid ${detail.holder.pid})`, args: { ...r.args, pid: detail.holder.pid } };
    }
    if (r.id === 'raise-heap-limit' || r.id === 'install-dependencies') {
      return { ...r, args: { ...r.args, ...server } };
    }
    return r;
  })];
}

/** Causes that point at the server's own code. */
const CODE_CAUSES = new Set<CauseId>(['uncaught-exception', 'unhandled-rejection']);

/** `handler (/ws/server.js:16:45)` or `/ws/server.js:16:45` → the absolute file, line and column. */
export function frameLocation(frame: string | null): { file: string; line: number; column?: number } | null {
  const m = frame ? /(?:\(|^|\s)((?:file:\/\/)?\/[^():]+):(\d+)(?::(\d+))?\)?\s*$/.exec(frame) : null;
  if (!m) return null;
  return { file: m[1].replace(/^file:\/\//, ''), line: Number(m[2]), ...(m[3] ? { column: Number(m[3]) } : {}) };
}

/** Remedies that run or edit something need to know the server; advice carries its own words for Show Remedy. */
const NEEDS_SERVER = new Set<RemedyId>(['rebuild-native-module', 'switch-node-version', 'capture-heap-snapshot', 'clear-build-cache', 'install-dependencies', 'raise-heap-limit']);

function asRemedyRef(r: MoreRemedy, server: RemedyArgs): RemedyRef {
  const advice = REMEDIES[r.id].kind === 'info';
  const args: RemedyArgs = { ...r.args, ...(NEEDS_SERVER.has(r.id) ? server : {}), ...(advice ? { title: r.title, ...(r.detail ? { text: r.detail } : {}) } : {}),
    ...(r.id === 'switch-node-version' && r.detail ? { command: r.detail } : {}) };
  return remedy(r.id, Object.keys(args).length ? args : undefined, r.title, r.detail);
}
