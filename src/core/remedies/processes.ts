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

/** Reads /proc/PID/{stat,status,cmdline,cwd} for one pid: a few small files, no spawn. */
export class ProcfsLookup implements ProcessLookup {
  private btimeSec: number | null | undefined;

  get(pid: number): ProcessInfo | null {
    let stat;
    let status: string;
    try {
      stat = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
      status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return null;
    }
    if (!stat) return null;
    let cmdline: string[] = [];
    let cwd: string | null = null;
    try {
      cmdline = parseCmdline(fs.readFileSync(`/proc/${pid}/cmdline`));
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // Another user's process or a zombie: argv or cwd stay unknown.
    }
    const btime = this.bootTime();
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
      startTimeMs: btime === null ? 0 : Math.round((btime + stat.startTicks / USER_HZ) * 1000),
      uid: parseStatusUid(status),
    };
  }

  private bootTime(): number | null {
    if (this.btimeSec === undefined) {
      try {
        this.btimeSec = parseBtime(fs.readFileSync('/proc/stat', 'utf8'));
      } catch {
        this.btimeSec = null;
      }
    }
    return this.btimeSec;
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
}

export interface Protection {
  readonly ancestors: ReadonlySet<number>;
  readonly protectedPids: ReadonlySet<number>;
  readonly ownUid: number;
  readonly workspaceFolders: readonly string[] | null;
}

/** This process and its ancestors by walking ppid upwards; where pids cannot be read, at least the direct parent. */
export function buildProtection(opts: ProtectionOptions, lookup: ProcessLookup): Protection {
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
  if (prot.ownUid > 0 && p.uid >= 0 && p.uid !== prot.ownUid) return `belongs to another user (uid ${p.uid})`;
  if (!descendant && prot.ownUid === 0 && p.uid <= 0 && prot.workspaceFolders !== null
    && (p.cwd === null || !prot.workspaceFolders.some((f) => isInside(p.cwd!, f)))) {
    return 'is a system process (run by root, outside the workspace)';
  }
  return null;
}
