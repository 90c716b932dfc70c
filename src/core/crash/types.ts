// Shapes of a crash verdict: why a dev server died, the evidence, and what to do about it.

import type { MemoryKind } from './causes/memoryKind';
export type { MemoryKind } from './causes/memoryKind';

/** Stable cause ids; the JSON report uses them verbatim. */
export type CauseId =
  | 'oom-kill' | 'oomd-kill' | 'heap-oom' | 'port-in-use' | 'disk-full' | 'inotify-limit'
  | 'too-many-open-files' | 'missing-module' | 'uncaught-exception' | 'unhandled-rejection'
  | 'native-crash' | 'killed' | 'watcher-waiting' | 'exit-nonzero'
  /** Not a death: alive and listening, but its event loop is stuck (Find Where It's Stuck). */
  | 'hang'
  | 'localhost-ipv6' | 'native-abi-mismatch' | 'node-version-mismatch' | 'port-permission' | 'process-limit'
  | 'stale-build-cache' | 'inspector-port-in-use'
  | 'dependency-refused' | 'dependency-unresolved' | 'unhealthy';

export type Confidence = 'high' | 'medium' | 'low';

export type EvidenceSource =
  | 'exit' | 'kernel' | 'journal' | 'cgroup' | 'output' | 'log-file' | 'node-report'
  | 'socket-table' | 'monitor' | 'inspector' | 'health-check' | 'container';

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
  /** heap-oom, oom-kill, oomd-kill: which kind of out-of-memory, its numbers, and whether a larger heap helps. */
  readonly memoryKind?: MemoryKind;
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
  /** Heap in use at the crash, only where it was measured: V8's last GC trace line or a Node report (all spaces). */
  readonly heapUsedBytes?: number;
  /** Where heapUsedBytes was measured. */
  readonly heapUsedFrom?: 'gc-trace' | 'node-report';
  readonly heapLimitBytes?: number;
  /** What heapLimitBytes is: the old-space limit (--max-old-space-size, NODE_OPTIONS, V8's default) or V8's whole heap size limit (a Node report). */
  readonly heapLimitKind?: 'old-space' | 'heap-size';
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
  /** The Node that crashed ('22.1.0'), from its fatal block. */
  readonly nodeVersion?: string;
  /** native-abi-mismatch: the Node major the module was built for, and the ABI numbers. */
  readonly builtForNode?: number;
  readonly builtAbi?: number;
  readonly runningAbi?: number;
  /** node-version-mismatch: what the project asks for and where. */
  readonly requiredNode?: { readonly source: string; readonly file: string; readonly range: string };
  /** node-version-mismatch: the missing API, built-in or syntax; the version manager found ('nvm'…). */
  readonly api?: string;
  readonly versionManager?: string;
  /** Address refused or denied ('::1', '127.0.0.1'); localhost-ipv6: who listens on that port now. */
  readonly address?: string;
  readonly listeners?: readonly { readonly address: string; readonly port: number; readonly pid: number | null }[];
  /** stale-build-cache: the cache folder and who else writes it. */
  readonly cacheDir?: string;
  readonly framework?: string;
  readonly otherWriters?: readonly { readonly pid: number; readonly command: string }[];
  /** process-limit: the user's tasks against the limits, and the parents holding most. */
  readonly processes?: {
    readonly userTasks: number;
    readonly ulimit: number | null;
    readonly cgroup: { readonly path: string; readonly max: number; readonly current: number } | null;
    readonly holders: readonly { readonly pid: number; readonly command: string; readonly tasks: number; readonly zombieChildren: number }[];
  };
  /** inspector-port-in-use: the holder is the editor's own debugger (never offered for killing). */
  readonly holderIsEditor?: boolean;
  /** dependency-*: the host the output names and the service behind it ('postgres', or the compose service). */
  readonly host?: string;
  readonly service?: string;
  /** Verdicts about a container of the workspace (oom-kill, exit-nonzero, unhealthy). */
  readonly container?: ContainerRef;
}

/** A container a verdict is about. */
export interface ContainerRef {
  readonly id: string;
  readonly name: string;
  readonly service: string | null;
  readonly project: string | null;
  /** The compose file the service is declared in, when known. */
  readonly composeFile?: string | null;
  readonly memoryLimitBytes?: number | null;
  readonly oomKilled?: boolean;
  readonly restartCount?: number;
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
  'dependency-refused': 'dependency', 'dependency-unresolved': 'dependency', 'unhealthy': 'dependency',
};

/** The severity of a cause (a cause not listed is a crash: high). */
export function verdictSeverity(cause: CauseId): VerdictSeverity {
  return SEVERITY[cause] ?? 'high';
}

/** The category of a cause (statistics group by it). */
export function verdictCategory(cause: CauseId): VerdictCategory {
  return CATEGORY[cause] ?? 'other';
}
