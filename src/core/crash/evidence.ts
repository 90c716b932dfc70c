// Evidence readers shared by the live watcher and the cold investigation: log tails classified,
// Node reports of a run, kernel records. Each returns what it found plus plain-English problems.

import * as path from 'node:path';
import { formatBytes } from '../format';
import { readKernelOomRecords, type KernelOomRecords } from './kernelSources';
import { DEFAULT_TAIL_BYTES, readTail } from './logTail';
import { findNodeReports, readNodeReport } from './nodeReport';
import { classifyOutput } from './output';
import { DEFAULT_LOG_GLOBS, findLogFiles, type LogFile } from './sources';
import type { OutputEvidence, ReportEvidence } from './verdict';

/** Reads kernel and systemd-oomd records since a time; injectable so tests can play "no access". */
export type KernelReader = (sinceMs: number) => Promise<KernelOomRecords>;

/** Where crash evidence is read from, for the live watcher and the cold investigation alike. */
export interface EvidenceOptions {
  /** Log files in a server's folder (default DEFAULT_LOG_GLOBS). */
  readonly logGlobs?: readonly string[];
  /** Extra folders holding Node reports (--report-directory). */
  readonly reportDirs?: readonly string[];
  /** Reads the kernel's OOM and fault records (injectable for tests). */
  readonly readKernel?: KernelReader;
}

export const defaultKernelReader: KernelReader = (sinceMs) => readKernelOomRecords({ sinceMs });

export interface LogEvidence extends OutputEvidence {
  readonly file: LogFile;
  /** The text read (redacted lines are in the findings; this is for naming the run). */
  readonly text: string;
}

export interface Found<T> {
  readonly items: T[];
  readonly problems: string[];
}

/** Bytes already in each log file when a server was first seen: what a crash of that run added comes after. */
export type LogOffsets = ReadonlyMap<string, number>;

/** Sizes of the log files under `dir` now. */
export function logOffsets(dir: string, globs: readonly string[] = DEFAULT_LOG_GLOBS): Map<string, number> {
  return new Map(findLogFiles(dir, globs).files.map((f) => [f.file, f.sizeBytes]));
}

/**
 * Log files under `dirs` written since `sinceMs`, each tail classified (the exit is unknown: the text
 * decides). With `offsets`, only what was appended since then is read (a file that shrank is read whole).
 */
export function readLogEvidence(dirs: readonly string[], sinceMs: number, opts: { globs?: readonly string[]; offsets?: LogOffsets } = {}): Found<LogEvidence> {
  const items: LogEvidence[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const dir of new Set(dirs)) {
    const search = findLogFiles(dir, opts.globs ?? DEFAULT_LOG_GLOBS);
    problems.push(...search.problems);
    for (const file of search.files) {
      if (seen.has(file.file) || file.mtimeMs < sinceMs) continue;
      seen.add(file.file);
      const from = opts.offsets?.get(file.file) ?? 0;
      const fresh = from <= file.sizeBytes ? file.sizeBytes - from : file.sizeBytes;
      if (fresh === 0) continue;
      const tail = readTail(file.file, Math.min(DEFAULT_TAIL_BYTES, fresh));
      if (tail.problem) { problems.push(tail.problem); continue; }
      if (tail.binary) { problems.push(`${file.file} does not look like text (binary data); it was skipped.`); continue; }
      if (tail.truncated && tail.sizeBytes > 64 * DEFAULT_TAIL_BYTES && from === 0) {
        problems.push(`${file.file} is ${formatBytes(tail.sizeBytes)}; only its last ${formatBytes(DEFAULT_TAIL_BYTES)} were read.`);
      }
      const findings = classifyOutput(tail.text, { code: null, signal: null });
      if (findings.length) items.push({ source: 'log-file', location: file.file, time: Math.round(file.mtimeMs), findings, file, text: tail.text });
    }
  }
  return { items, problems };
}

/** Node reports in `dirs` written since `sinceMs`, newest first; unreadable or malformed ones become problems. */
export function readReports(dirs: readonly string[], sinceMs: number): Found<ReportEvidence> {
  const items: ReportEvidence[] = [];
  const problems: string[] = [];
  for (const file of findNodeReports([...new Set(dirs)], sinceMs)) {
    const r = readNodeReport(file);
    if (r.ok) items.push({ file, report: r.report });
    else problems.push(r.problem);
  }
  return { items, problems };
}

/** Where a command sends its Node reports (--report-directory), besides its working folder. */
export function reportDirsOf(command: string, cwd: string): string[] {
  const dirs = [cwd];
  for (const m of command.matchAll(/--report-dir(?:ectory)?[= ](?:"([^"]+)"|'([^']+)'|(\S+))/g)) dirs.push(path.resolve(cwd, m[1] ?? m[2] ?? m[3]));
  return dirs;
}

/** "> app@1.0.0 dev" (pnpm adds the folder): the package manager's banner names the package and script of the last run in a log. */
export function npmScriptOf(text: string): { pkg: string; script: string } | null {
  const all = [...text.matchAll(/^> (\S+)@\S+ (\S+)(?: \/.*)?\s*$/gm)];
  const m = all[all.length - 1];
  return m ? { pkg: m[1], script: m[2] } : null;
}

export function folderName(dir: string): string {
  return path.basename(dir) || dir;
}
