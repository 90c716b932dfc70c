// Output as a trigger: scans what a terminal, task, wrapped run or log file prints as it streams and
// says when a line means "this just crashed", so a verdict can follow within a second even when the
// process died before any poll saw it. Pure: no timers, no I/O.

import { stripAnsi } from './output';

/**
 * Lines that end (or are) a crash report. Node's fatal block ends with "Node.js vX.Y.Z"; V8 aborts with
 * "FATAL ERROR: …"; watchers say their app crashed; frameworks that catch a failed listen print their
 * own line and exit; shells and package managers report a signal death or an error exit.
 */
const TRIGGERS: readonly RegExp[] = [
  /^Node\.js v\d+\.\d+\.\d+\s*$/,
  /^FATAL ERROR: /,
  /JavaScript heap out of memory/,
  /\[nodemon\] app crashed/,
  /^Failed running '/,
  /\bEADDRINUSE\b|address already in use|Port \d+ is already in use/i,
  /^error when starting dev server/i,
  /^(?:\S+: (?:line \d+: +)?\d+ +)?(?:Killed|Segmentation fault|Aborted|Bus error|Illegal instruction)(?: +\(core dumped\))?(?: {2,}\S.*)?$/,
  /^npm (?:error|ERR!) (?:code|errno|signal) /,
  /ELIFECYCLE|^error Command failed with (?:exit code|signal)/,
  /\[ERR_WORKER_OUT_OF_MEMORY\]/,
];

/** A watcher or package manager starting the app (again): what follows is a new run. */
export const RUN_START_LINE = /^> \S+@\S+ \S+(?: \/.*)?$|^\[nodemon\] (?:re)?starting\b|^\[nodemon\] restarting due to changes|^Restarting '|^\s*(?:VITE|▲ Next\.js) v?\d/;

/** True when `line` (raw, colours allowed) tells of a crash. */
export function isCrashLine(line: string): boolean {
  const l = lastOverwrite(stripAnsi(line)).trimEnd();
  return l !== '' && TRIGGERS.some((re) => re.test(l));
}

function lastOverwrite(l: string): string {
  const parts = l.split('\r').filter((p) => p !== '');
  return parts.length ? parts[parts.length - 1] : '';
}

/** True when the text shows a watcher or package manager (re)starting the app. */
export function hasRunStart(text: string): boolean {
  return stripAnsi(text).split('\n').some((l) => RUN_START_LINE.test(lastOverwrite(l).trim()));
}

/**
 * Splits a stream into lines and reports crash lines. `push` returns true when the chunk (or the line it
 * completed) holds one; a line still without its newline is looked at too (prompts often follow without one).
 */
export class CrashLineScanner {
  private partial = '';

  push(chunk: string): boolean {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = (lines.pop() ?? '').slice(-4096);
    return lines.some(isCrashLine) || isCrashLine(this.partial);
  }
}
