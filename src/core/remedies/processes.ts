// Looking up single processes on demand and deciding which ones a remedy must never touch.
import * as fs from 'node:fs';
import { isInside } from '../paths';
import { isTooling } from '../servers';
import type { ProcessInfo } from '../types';
import { USER_HZ, parseBtime, parseCmdline, parseStat, parseStatusUid } from '../system/procParsers';

/** One process by pid, read when asked; null when it is gone or cannot be read here. */
export interface ProcessLookup {
  get(pid: number): ProcessInfo | null;
}

const VM_RSS = /^VmRSS:\s+(\d+) kB$/m;

/**
 * Reads {stat,status,cmdline,cwd} of one process from `dir`: `/proc/PID`, or `/proc/self/fd/N` for a process held
 * open (see signal.ts), which then always reads that very process, never a later one with its pid.
 */
export function readProcessAt(dir: string, pid: number, btimeSec: number | null): ProcessInfo | null {
  let stat;
  let status: string;
  try {
    stat = parseStat(fs.readFileSync(`${dir}/stat`, 'utf8'));
    status = fs.readFileSync(`${dir}/status`, 'utf8');
  } catch {
    return null;
  }
  if (!stat) return null;
  let cmdline: string[] = [];
  let cwd: string | null = null;
  try {
    cmdline = parseCmdline(fs.readFileSync(`${dir}/cmdline`));
    cwd = fs.readlinkSync(`${dir}/cwd`);
  } catch {
    // Another user's process or a zombie: argv or cwd stay unknown.
  }
  const rss = VM_RSS.exec(status);
  return {
    pid,
    ppid: stat.ppid,
    state: stat.state,
    comm: stat.comm,
    cmdline,
    cwd,
    rssBytes: rss ? Number(rss[1]) * 1024 : 0,
    // The same formula as ProcfsProbe, so start times compare equal for the same process.
    startTimeMs: btimeSec === null ? 0 : Math.round((btimeSec + stat.startTicks / USER_HZ) * 1000),
    uid: parseStatusUid(status),
  };
}

let btimeCache: number | null | undefined;

/** Boot time in epoch seconds, read once. */
export function bootTimeSec(): number | null {
  if (btimeCache === undefined) {
    try {
      btimeCache = parseBtime(fs.readFileSync('/proc/stat', 'utf8'));
    } catch {
      btimeCache = null;
    }
  }
  return btimeCache;
}

/** Reads /proc/PID/{stat,status,cmdline,cwd} for one pid: a few small files, no spawn. */
export class ProcfsLookup implements ProcessLookup {
  get(pid: number): ProcessInfo | null {
    return readProcessAt(`/proc/${pid}`, pid, bootTimeSec());
  }
}

/**
 * Whether every thread of a zombie process has exited. A thread-group leader shows as a zombie as soon as its own
 * thread exits, while other threads may still be tearing down and holding its files (its listening sockets).
 */
export function allThreadsExited(pid: number): boolean {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).every((tid) => {
      const stat = parseStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      return !stat || stat.state === 'Z' || stat.state === 'X';
    });
  } catch {
    return true;
  }
}

/** A lookup over an already-read list of processes (a probe sample). */
export function lookupFromList(processes: readonly ProcessInfo[]): ProcessLookup {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  return { get: (pid) => byPid.get(pid) ?? null };
}

/** /proc on Linux; elsewhere nothing is known beyond what a snapshot says. */
export function defaultLookup(): ProcessLookup {
  return process.platform === 'linux' && fs.existsSync('/proc/self/stat') ? new ProcfsLookup() : { get: () => null };
}

export interface ProtectionOptions {
  /** This process; it and its ancestors (the extension host, VS Code) are never touched. */
  readonly selfPid?: number;
  /** More pids never to touch. */
  readonly protectedPids?: Iterable<number>;
  /** Our uid; from process.getuid() by default (-1 where there is none, i.e. Windows). */
  readonly ownUid?: number;
  /** When running as root, uid-0 processes outside these folders are system processes and never touched. */
  readonly workspaceFolders?: readonly string[];
  /**
   * Protection built once (the editor's chain does not change while it runs) and handed to every remedy; selfPid,
   * protectedPids and ownUid are then ignored. Its workspace folders give way to `workspaceFolders` when given.
   */
  readonly guard?: Protection;
}

export interface Protection {
  readonly ancestors: ReadonlySet<number>;
  readonly protectedPids: ReadonlySet<number>;
  readonly ownUid: number;
  readonly workspaceFolders: readonly string[] | null;
}

/** This process and its ancestors by walking ppid upwards; where pids cannot be read, at least the direct parent. */
export function buildProtection(opts: ProtectionOptions, lookup: ProcessLookup): Protection {
  if (opts.guard) return { ...opts.guard, workspaceFolders: opts.workspaceFolders ?? opts.guard.workspaceFolders };
  const selfPid = opts.selfPid ?? process.pid;
  const ancestors = new Set<number>([selfPid]);
  if (selfPid === process.pid && process.ppid > 0) ancestors.add(process.ppid);
  const seen = new Set<number>();
  for (let p = lookup.get(selfPid); p && !seen.has(p.pid); p = p.ppid > 0 ? lookup.get(p.ppid) : null) {
    seen.add(p.pid);
    if (p.ppid > 0) ancestors.add(p.ppid);
  }
  return {
    ancestors,
    protectedPids: new Set(opts.protectedPids ?? []),
    ownUid: opts.ownUid ?? process.getuid?.() ?? -1,
    workspaceFolders: opts.workspaceFolders ?? null,
  };
}

/**
 * Why a process must not be touched, as a sentence fragment ("is …"); null when it may be. `descendant`: it runs
 * under a process already judged, so a root-owned one outside the workspace is that tree's child, not a system process.
 */
export function whyProtected(p: ProcessInfo, prot: Protection, descendant = false): string | null {
  if (p.pid <= 1) return 'is the system\'s init process (PID 1)';
  if (prot.ancestors.has(p.pid)) return 'is Dev Server Doctor itself or one of its parents (the editor, the extension host)';
  if (prot.protectedPids.has(p.pid)) return 'is protected';
  if (isTooling(p)) return 'is editor tooling (a language server or a VS Code helper)';
  // Root too: a process of another user is that user's to stop, inside the workspace or not.
  if (prot.ownUid >= 0 && p.uid >= 0 && p.uid !== prot.ownUid) return `belongs to another user (uid ${p.uid})`;
  if (prot.ownUid === 0 && p.uid < 0) return 'has an owner that cannot be read';
  if (!descendant && prot.ownUid === 0 && p.uid <= 0 && prot.workspaceFolders !== null
    && (p.cwd === null || !prot.workspaceFolders.some((f) => isInside(p.cwd!, f)))) {
    return 'is a system process (run by root, outside the workspace)';
  }
  return null;
}
