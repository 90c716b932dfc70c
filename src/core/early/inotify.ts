// Inotify watches in use by this user (the limit fs.inotify.max_user_watches is per user).
// Counting them means reading every fd link of every process of ours, so it is throttled.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Threshold } from '../settings';
import type { InotifyInfo } from '../types';
import { systemClock, type Clock } from './clock';
import type { EarlyWarning } from './policy';

export interface InotifyCount {
  readonly watches: number;
  readonly instances: number;
  /** The process holding the most watches. */
  readonly top: { readonly pid: number; readonly watches: number } | null;
  /** Wall time the count took. */
  readonly costMs: number;
}

/** Counts `inotify wd:` lines in the fdinfo of inotify fds of `uid`'s processes; null when `procRoot` is unreadable. */
export function countInotifyWatches(uid = process.getuid?.() ?? -1, procRoot = '/proc'): InotifyCount | null {
  const started = performance.now();
  let pids: string[];
  try {
    pids = fs.readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  let watches = 0;
  let instances = 0;
  let top: { pid: number; watches: number } | null = null;
  for (const pid of pids) {
    const dir = path.join(procRoot, pid);
    let mine = 0;
    try {
      if (fs.statSync(dir).uid !== uid) continue;
      for (const fd of fs.readdirSync(path.join(dir, 'fd'))) {
        let link: string;
        try {
          link = fs.readlinkSync(path.join(dir, 'fd', fd));
        } catch {
          continue;
        }
        if (link !== 'anon_inode:inotify') continue;
        instances++;
        const info = fs.readFileSync(path.join(dir, 'fdinfo', fd), 'utf8');
        for (let i = info.indexOf('inotify wd:'); i >= 0; i = info.indexOf('inotify wd:', i + 1)) mine++;
      }
    } catch {
      // The process ended while being read, or its fds are not ours to see.
    }
    watches += mine;
    if (mine > 0 && (!top || mine > top.watches)) top = { pid: Number(pid), watches: mine };
  }
  return { watches, instances, top, costMs: performance.now() - started };
}

export interface InotifyCounterOptions {
  readonly clock?: Clock;
  /** Counts at most this often (default 30 s); in between the last count is returned. */
  readonly minIntervalMs?: number;
  readonly count?: () => InotifyCount | null;
}

export class InotifyWatchCounter {
  private last: { at: number; value: InotifyCount | null } | null = null;
  private readonly clock: Clock;
  private readonly minIntervalMs: number;
  private readonly count: () => InotifyCount | null;

  constructor(opts: InotifyCounterOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.minIntervalMs = opts.minIntervalMs ?? 30_000;
    this.count = opts.count ?? (() => countInotifyWatches());
  }

  read(): InotifyCount | null {
    const now = this.clock.now();
    if (!this.last || now - this.last.at >= this.minIntervalMs) this.last = { at: now, value: this.count() };
    return this.last.value;
  }
}

/** Default share of fs.inotify.max_user_watches (and max_user_instances), in percent, that is "near the limit". */
export const INOTIFY_THRESHOLD: Threshold = { warn: 80, error: 95 };

const RAISE = 'sudo sysctl fs.inotify.max_user_watches=524288 (add it to /etc/sysctl.conf to keep it)';
const RAISE_INSTANCES = 'sudo sysctl fs.inotify.max_user_instances=1024';

/** A warning when watches or instances near their per-user limit; null when fine or unknown. */
export function inotifyWarning(count: InotifyCount | null, limits: InotifyInfo, t: Threshold = INOTIFY_THRESHOLD): EarlyWarning | null {
  if (!count) return null;
  const checks = [
    { used: count.watches, max: limits.maxUserWatches, what: 'inotify watches', raise: RAISE },
    { used: count.instances, max: limits.maxUserInstances, what: 'inotify instances', raise: RAISE_INSTANCES },
  ];
  let worst: EarlyWarning | null = null;
  for (const c of checks) {
    if (!c.max || c.max <= 0) continue;
    const pct = (c.used / c.max) * 100;
    const severity = pct >= t.error ? 'critical' : pct >= t.warn ? 'warning' : null;
    if (!severity || (worst && (severity !== 'critical' || worst.severity === 'critical'))) continue;
    const holder = count.top && c.what.endsWith('watches') ? ` PID ${count.top.pid} holds ${count.top.watches}.` : '';
    worst = {
      kind: 'inotify', subject: c.what, severity, server: null,
      message: `This user holds ${c.used} of ${c.max} ${c.what} (${Math.floor(pct)}%): file watchers will soon fail with ENOSPC.${holder} Raise the limit with: ${c.raise}`,
    };
  }
  return worst;
}
