// Inotify watches in use by this user (the limit fs.inotify.max_user_watches is per user).
// Counting them means reading every fd link of every process of ours, so it is throttled.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { systemClock, type Clock } from '../clock';
import { processCommand } from './processInfo';

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

export interface InotifyUsage {
  /** Watches held by this user's processes. */
  readonly watches: number;
  readonly instances: number;
  /** The process holding the most watches. */
  readonly top: { readonly pid: number; readonly command: string | null; readonly watches: number } | null;
}

/** Inotify watches and instances this user's processes hold (the limits are per user), with the top holder's command. Linux only; null elsewhere. */
export function inotifyUsage(uid = process.getuid?.() ?? -1): InotifyUsage | null {
  const count = countInotifyWatches(uid);
  if (!count) return null;
  return { watches: count.watches, instances: count.instances, top: count.top && { ...count.top, command: processCommand(count.top.pid) } };
}
