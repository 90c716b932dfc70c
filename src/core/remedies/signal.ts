// Signalling processes by identity. Each target is held open as a /proc/PID directory descriptor; its
// identity is read through that descriptor (it can only ever show that very process), and the signal
// goes through the same descriptor with pidfd_send_signal(2), which accepts /proc/PID descriptors: check
// and signal then refer to the same process, and a pid recycled in between gets nothing (ESRCH).
//
// Node has no pidfd API and the npm registry has no maintained binding, and a native addon would need a
// compiler on every machine. So the syscall is made by perl (perl-base is Essential on Debian and Ubuntu;
// present on macOS) with the descriptors passed as fds 3.., one spawn per batch: about 5 ms. Where perl
// or the syscall is missing, the identity is re-read through the descriptor right before process.kill:
// the race is then narrowed to microseconds, not closed. Elsewhere than Linux there is no /proc: the
// identity is checked with the lookup before process.kill.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { identityMismatch, type ProcessIdentity } from './identity';
import { allThreadsExited, bootTimeSec, readProcessAt, type ProcessLookup } from './processes';
import type { ProcessInfo } from '../types';

/** pidfd_send_signal's number: the same on every architecture Node runs on (the unified syscall table since Linux 5.1). */
const SYS_PIDFD_SEND_SIGNAL = 424;
/** One perl per this many descriptors at most. */
const BATCH = 200;

const PERL_SEND = 'for my $i (0..$#ARGV) { my $r = syscall(' + SYS_PIDFD_SEND_SIGNAL + ', 3 + $i, $ARGV[$i] + 0, 0, 0); '
  + 'print(($r == 0 ? 0 : $! + 0), "\\n") }';

export type SignalPath = 'pidfd' | 'recheck' | 'lookup';

let pathCache: SignalPath | undefined;

/** How signals are sent on this machine (measured once): pidfd_send_signal through perl, a re-check through the descriptor, or a lookup. */
export function signalPath(): SignalPath {
  if (pathCache !== undefined) return pathCache;
  if (process.platform !== 'linux' || !fs.existsSync('/proc/self/stat')) return (pathCache = 'lookup');
  let fd: number | null = null;
  try {
    fd = fs.openSync(`/proc/${process.pid}`, 'r');
    // Signal 0 to ourselves: succeeds when perl runs and the kernel has the syscall (ENOSYS before 5.1).
    const r = spawnSync('perl', ['-e', PERL_SEND, '0'], { stdio: ['ignore', 'pipe', 'ignore', fd], timeout: 5000, encoding: 'utf8' });
    pathCache = r.status === 0 && r.stdout.trim() === '0' ? 'pidfd' : 'recheck';
  } catch {
    pathCache = 'recheck';
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  return pathCache;
}

/** A process held open: reads always show it, or nothing once it is gone. */
export class ProcessHandle {
  private constructor(readonly pid: number, private fd: number | null, private readonly lookup: ProcessLookup | null) {}

  /** Opens the process now at `pid`; null when there is none. */
  static open(pid: number, lookup: ProcessLookup): ProcessHandle | null {
    if (signalPath() === 'lookup') return lookup.get(pid) ? new ProcessHandle(pid, null, lookup) : null;
    try {
      return new ProcessHandle(pid, fs.openSync(`/proc/${pid}`, 'r'), null);
    } catch {
      return null;
    }
  }

  /** The process as it is now; null once it has exited (a recycled pid is another process, never shown here). */
  read(): ProcessInfo | null {
    if (this.fd === null) return this.lookup?.get(this.pid) ?? null;
    return readProcessAt(`/proc/self/fd/${this.fd}`, this.pid, bootTimeSec());
  }

  /** Running, as opposed to gone or a zombie whose every thread has exited. */
  alive(): boolean {
    const p = this.read();
    if (!p) return false;
    return (p.state !== 'Z' && p.state !== 'X') || !allThreadsExited(this.pid);
  }

  /** Null when the process is the one described, else how it differs (or that it is gone). */
  mismatch(want: ProcessIdentity): string | null {
    const now = this.read();
    return now ? identityMismatch(want, now) : 'has exited';
  }

  get descriptor(): number | null {
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) {
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
      this.fd = null;
    }
  }
}

/** The errno name of a number from the kernel (3 → ESRCH). */
function errnoName(n: number): string {
  for (const [name, value] of Object.entries(os.constants.errno)) if (value === n) return name;
  return `E${n}`;
}

/**
 * Sends `signal` to each handle's process, never to another process that took its pid: through pidfd_send_signal
 * where available, else after re-reading the identity through the handle. Returns an error code per handle ('' = sent;
 * 'ESRCH' = it had exited).
 */
export function signalHandles(handles: readonly ProcessHandle[], signal: NodeJS.Signals, send?: (pid: number, sig: NodeJS.Signals) => void): string[] {
  const sig = os.constants.signals[signal];
  const results: string[] = new Array<string>(handles.length).fill('');
  const viaKill = (i: number): void => {
    const h = handles[i]!;
    if (!h.alive()) {
      results[i] = 'ESRCH';
      return;
    }
    try {
      (send ?? ((pid, s) => { process.kill(pid, s); }))(h.pid, signal);
    } catch (err) {
      results[i] = (err as NodeJS.ErrnoException).code ?? 'ERROR';
    }
  };
  const pidfd = !send && signalPath() === 'pidfd';
  const open: { h: ProcessHandle; i: number }[] = [];
  handles.forEach((h, i) => {
    if (pidfd && h.descriptor !== null) open.push({ h, i });
    else viaKill(i);
  });
  for (let b = 0; b < open.length; b += BATCH) {
    const batch = open.slice(b, b + BATCH);
    const r = spawnSync('perl', ['-e', PERL_SEND, ...batch.map(() => String(sig))], {
      stdio: ['ignore', 'pipe', 'ignore', ...batch.map(({ h }) => h.descriptor!)], timeout: 10_000, encoding: 'utf8',
    });
    const codes = r.status === 0 ? r.stdout.trim().split('\n').map(Number) : [];
    batch.forEach(({ i }, k) => {
      const code = codes[k];
      if (code === undefined || Number.isNaN(code)) viaKill(i); // perl failed: the re-check path
      else results[i] = code === 0 ? '' : errnoName(code);
    });
  }
  return results;
}
