// Shapes of a crash verdict: why a dev server died, the evidence, and what to do about it.

/** Stable cause ids; the JSON report uses them verbatim. */
export type CauseId =
  | 'oom-kill' | 'oomd-kill' | 'heap-oom' | 'port-in-use' | 'disk-full' | 'inotify-limit'
  | 'too-many-open-files' | 'missing-module' | 'uncaught-exception' | 'unhandled-rejection'
  | 'native-crash' | 'killed' | 'watcher-waiting' | 'exit-nonzero';

export type Confidence = 'high' | 'medium' | 'low';

export type EvidenceSource =
  | 'exit' | 'kernel' | 'journal' | 'cgroup' | 'output' | 'log-file' | 'node-report'
  | 'socket-table' | 'monitor';

export interface Evidence {
  readonly source: EvidenceSource;
  /** Quoted line(s), already redacted. */
  readonly text: string;
  /** Epoch ms; null when the source carries no time. */
  readonly time: number | null;
  /** File path, 'dmesg', 'journal'… */
  readonly location?: string;
}

import type { RemedyRef } from '../remedies/catalogue';
export type { RemedyRef } from '../remedies/catalogue';

export interface Verdict {
  readonly cause: CauseId;
  readonly confidence: Confidence;
  readonly server: string | null;
  readonly pid: number | null;
  readonly time: number;
  /** Plain words, e.g. "api was killed by the kernel OOM killer at 1.9 GB, cgroup limit 2 GB". */
  readonly summary: string;
  readonly evidence: readonly Evidence[];
  /** First stack frame in the user's code (not node:internal or node_modules), with file:line:col. */
  readonly topFrame: string | null;
  /** Ranked, best first. */
  readonly remedies: readonly RemedyRef[];
  /** The facts the summary was built from, for the editor's notification and remedies. */
  readonly detail?: VerdictDetail;
}

export interface VerdictDetail {
  /** Stable server id (Server.id) when the crash was seen live. */
  readonly serverId?: string;
  readonly cwd?: string;
  readonly exitCode?: number;
  readonly signal?: string;
  readonly rssBytes?: number;
  readonly uptimeMs?: number;
  readonly cgroupPath?: string;
  readonly cgroupLimitBytes?: number;
  readonly heapUsedBytes?: number;
  readonly heapLimitBytes?: number;
  readonly port?: number;
  /** The process holding the port now (port-in-use); pid null = another user's process. */
  readonly holder?: { readonly pid: number | null; readonly command: string | null };
  readonly module?: string;
  readonly package?: string;
  readonly path?: string;
  /** For watcher-waiting: what killed the app the watcher ran. */
  readonly underlying?: CauseId;
  /** The watcher still running (watcher-waiting). */
  readonly watcherPid?: number;
  readonly reportFile?: string;
  /** What set the verdict off: a crash line in a terminal, task or wrapped run ('output'), a followed log file ('log'), a run's failed exit ('exit'), or a poll that saw processes die ('poll'). */
  readonly via?: 'output' | 'log' | 'exit' | 'poll';
  /** When the crash line (or the exit) was seen, epoch ms; detectedAt − lineAt is how long the verdict took. */
  readonly lineAt?: number;
  /** When the verdict was reached, epoch ms. */
  readonly detectedAt?: number;
  /** The error's headline the output printed ("Error: connect ECONNREFUSED 127.0.0.1:5432"). */
  readonly message?: string;
  /** A framework's worker died inside the server's tree (next dev's next-server, a jest worker): that child. */
  readonly workerPid?: number;
  readonly workerCommand?: string;
  /** Whether the server's tree was still alive when the worker's death was judged. */
  readonly parentAlive?: boolean;
}

/** Verdicts of one death closer than this without a pid are the same crash. */
const SAME_CRASH_MS = 30_000;

/**
 * Identity of a crash: the server and the pid that died. A second verdict for the same death (a better one
 * once the kernel log is read, npm's exit after its child's) has the same key.
 */
export function verdictKey(v: Verdict): string {
  const who = v.detail?.serverId ?? v.server ?? '?';
  return v.pid !== null ? `${who}#${v.pid}` : `${who}@${Math.floor(v.time / SAME_CRASH_MS)}`;
}

/** How bad a crash is: critical for kills and out-of-memory, high for crashes, medium for waits, low otherwise. */
export type VerdictSeverity = 'critical' | 'high' | 'medium' | 'low';

/** What kind of trouble it was, for grouping in statistics. */
export type VerdictCategory = 'memory' | 'port' | 'disk' | 'limits' | 'code' | 'dependency' | 'process' | 'watcher' | 'other';

const SEVERITY: Partial<Record<CauseId, VerdictSeverity>> = {
  'oom-kill': 'critical', 'oomd-kill': 'critical', 'heap-oom': 'critical', 'native-crash': 'critical', 'killed': 'critical', 'disk-full': 'critical',
  'watcher-waiting': 'medium', 'exit-nonzero': 'medium',
};

const CATEGORY: Partial<Record<CauseId, VerdictCategory>> = {
  'oom-kill': 'memory', 'oomd-kill': 'memory', 'heap-oom': 'memory',
  'port-in-use': 'port',
  'disk-full': 'disk',
  'inotify-limit': 'limits', 'too-many-open-files': 'limits',
  'missing-module': 'code', 'uncaught-exception': 'code', 'unhandled-rejection': 'code',
  'native-crash': 'process', 'killed': 'process', 'exit-nonzero': 'process',
  'watcher-waiting': 'watcher',
};

/** The severity of a cause (a cause not listed is a crash: high). */
export function verdictSeverity(cause: CauseId): VerdictSeverity {
  return SEVERITY[cause] ?? 'high';
}

/** The category of a cause (statistics group by it). */
export function verdictCategory(cause: CauseId): VerdictCategory {
  return CATEGORY[cause] ?? 'other';
}
