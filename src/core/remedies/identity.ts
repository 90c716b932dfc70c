// Who a process is, as the user saw it when confirming: pid, start time, owner, folder and command.
// A signal goes only to a process that still matches, so a pid recycled in between is never hit.
import { commandLine } from '../servers';
import type { ProcessInfo } from '../types';

export interface ProcessIdentity {
  readonly pid: number;
  /** Epoch ms as /proc says (0 when unknown: not compared). */
  readonly startTimeMs: number;
  /** -1 when unknown: not compared. */
  readonly uid: number;
  /** null when unknown: not compared. */
  readonly cwd: string | null;
  /** The command line as shown (redacted, see commandLine); '' when unknown: not compared. */
  readonly command: string;
}

export function identityOf(p: ProcessInfo): ProcessIdentity {
  return { pid: p.pid, startTimeMs: p.startTimeMs, uid: p.uid, cwd: p.cwd, command: p.cmdline.length > 0 ? commandLine(p) : '' };
}

/**
 * How the process now at `want.pid` differs from the one the user saw, as a sentence fragment; null when it is the
 * same process. Start time and owner tell a recycled pid; folder and command tell a process that became something
 * else (exec) since it was listed.
 */
export function identityMismatch(want: ProcessIdentity, now: ProcessInfo): string | null {
  if (now.pid !== want.pid) return `is PID ${now.pid}, not ${want.pid}`;
  if (want.startTimeMs > 0 && now.startTimeMs > 0 && now.startTimeMs !== want.startTimeMs) {
    return `started at ${new Date(now.startTimeMs).toISOString()}, not ${new Date(want.startTimeMs).toISOString()} (the pid was reused)`;
  }
  if (want.uid >= 0 && now.uid >= 0 && now.uid !== want.uid) return `belongs to uid ${now.uid} now, not ${want.uid}`;
  if (want.cwd !== null && now.cwd !== null && now.cwd !== want.cwd) return `runs in ${now.cwd} now, not ${want.cwd}`;
  const command = now.cmdline.length > 0 ? commandLine(now) : '';
  if (want.command && command && command !== want.command) return `runs "${command}" now, not "${want.command}"`;
  return null;
}

export function isIdentity(x: number | ProcessIdentity): x is ProcessIdentity {
  return typeof x === 'object';
}
