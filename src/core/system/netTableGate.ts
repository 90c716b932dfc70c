// Decides when the TCP tables must be read again. Reading /proc/net/tcp{,6} makes the kernel walk its socket
// hash tables (the largest single cost of a poll), while a dev server's ports only change when one of the
// workspace's processes opens or closes a socket. Pure: the probe feeds it what it read.

/** Why the tables are (or are not) read this poll. */
export type NetTableDecision = 'first' | 'changed' | 'owner-gone' | 'safety' | 'unchanged';

/** One watched process: identified by pid and start time (pid reuse gives a new key), with its socket inodes. */
export interface WatchedSockets {
  readonly pid: number;
  readonly startTicks: number;
  /** Socket inodes among its open files, or null when its fd folder is unreadable. */
  readonly inodes: readonly number[] | null;
}

/** Full re-read at least this often (in polls), whatever the watched processes do: a port taken elsewhere shows up then. */
export const NET_TABLE_SAFETY_POLLS = 5;

function signature(inodes: readonly number[] | null): string {
  if (inodes === null) return '?';
  return [...inodes].sort((a, b) => a - b).join(',');
}

export class NetTableGate {
  private last: Map<string, string> | null = null;
  private pollsSinceRead = 0;

  constructor(private readonly safetyPolls = NET_TABLE_SAFETY_POLLS) {}

  /**
   * Whether this poll must read the tables: on the first poll, when a watched process appeared, vanished or
   * opened or closed a socket since the last poll, when the owner of a listening socket seen last time is gone
   * (`ownerGone`), and at least every `safetyPolls` polls. Remembers this poll's picture either way.
   */
  decide(watched: readonly WatchedSockets[], ownerGone = false): NetTableDecision {
    const now = new Map<string, string>();
    for (const w of watched) now.set(`${w.pid}:${w.startTicks}`, signature(w.inodes));
    const prev = this.last;
    this.last = now;
    let decision: NetTableDecision;
    if (prev === null) decision = 'first';
    else if (!sameMap(prev, now)) decision = 'changed';
    else if (ownerGone) decision = 'owner-gone';
    else if (this.pollsSinceRead + 1 >= this.safetyPolls) decision = 'safety';
    else decision = 'unchanged';
    this.pollsSinceRead = decision === 'unchanged' ? this.pollsSinceRead + 1 : 0;
    return decision;
  }

  /** The next decision reads the tables (a caller that read them for another reason can skip this). */
  invalidate(): void {
    this.last = null;
  }
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
