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

/** A remedy the user can click: a VS Code command id plus what it will do. */
export interface RemedyRef {
  /** e.g. 'devServerDoctor.raiseHeapLimit', 'devServerDoctor.killPortHolder'. */
  readonly command: string;
  readonly title: string;
  /** e.g. the exact sysctl line. */
  readonly detail?: string;
  readonly args?: unknown;
}

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
}
