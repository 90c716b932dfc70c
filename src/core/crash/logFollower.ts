// Follows the log files of the servers' folders and the workspace folders as they are written (like
// `tail -f`), feeding what is appended to an output feed, where crash lines trigger verdicts. Files are
// found again every few seconds (a bounded walk); between, only the known files are stat'ed, and each is
// read as soon as the kernel says it changed (an inotify watch per followed file, at most 50: a crash line
// is read within milliseconds, before the poll that sees its writer gone). Bytes already there when a file
// is first seen are not read: they belong to earlier runs.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isInside } from '../paths';
import { DEFAULT_LOG_GLOBS, findLogFiles } from './sources';
import type { MemoryOutputFeed } from './watcher';

/** Stat the known files this often (ms). */
export const FOLLOW_INTERVAL_MS = 500;
/** Look for new log files this often (ms) by default. A walk of a large workspace costs tens of ms. */
const DISCOVER_EVERY_MS = 5000;
/**
 * Between walks, the folders the globs name (`logs/` of each server's folder and of the workspace folders, and
 * those folders themselves) are listed this often: a few readdirs, so a log created at a server's start is read
 * from its first line without waiting for a walk or an editor's file event.
 */
const QUICK_DISCOVER_MS = 1000;
/** How far a file's mtime (the kernel's coarse clock) may lag Date.now() for a file written just after it. */
const MTIME_SLACK_MS = 50;
/** At most this much is read per file per tick (a log that grows faster is read from its end). */
const READ_MAX = 256 * 1024;
const MAX_FILES = 50;

interface Followed {
  offset: number;
  /** When it was last written, as last seen: at the cap, the stalest file makes room for a fresher one. */
  mtimeMs: number;
  readonly cwd: string;
  readonly id: string;
  readonly label: string;
}

export interface LogFollowerOptions {
  readonly globs?: () => readonly string[] | undefined;
  readonly intervalMs?: number;
  /** Walk the folders for new log files this often (default 5 s); rediscover() asks for one sooner. */
  readonly discoverEveryMs?: number;
  /** Read a file as soon as it changes (fs.watch), not only at the next round (default true). */
  readonly watch?: boolean;
  /** Said once per problem (an unreadable folder…). */
  readonly onProblem?: (message: string) => void;
}

export class LogFollower {
  /** Files let go at the cap, with how far they had been read. */
  private readonly evicted = new Map<string, number>();
  private readonly files = new Map<string, Followed>();
  private readonly watchers = new Map<string, fs.FSWatcher>();
  private dirs: readonly string[] = [];
  /** Every folder given, nested ones too (each server's folder), for the quick look. */
  private allDirs: readonly string[] = [];
  private lastDiscover = 0;
  private lastQuick = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly said = new Set<string>();
  /** When each folder was first searched. */
  private readonly dirSeen = new Map<string, number>();

  constructor(private readonly feed: MemoryOutputFeed, private readonly opts: LogFollowerOptions = {}) {}

  /** The folders to follow: each server's folder and the workspace folders (monorepos keep logs/ at the root). */
  setFolders(dirs: readonly string[]): void {
    // A folder inside another listed one is searched with it (globs also apply relative to each package inside).
    const unique = [...new Set(dirs)];
    this.allDirs = unique;
    const next = unique.filter((d) => !unique.some((o) => o !== d && isInside(d, o)));
    if (next.join('\0') !== this.dirs.join('\0')) {
      this.dirs = next;
      this.lastDiscover = 0;
    }
  }

  /** A log file may have been created (the editor's file watcher said so): walk at the next tick. */
  rediscover(): void {
    this.lastDiscover = 0;
  }

  start(): void {
    if (this.timer) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs ?? FOLLOW_INTERVAL_MS);
    this.timer.unref?.();
  }

  /** One round: find files (now and then), then read what each one gained. */
  tick(now = Date.now()): void {
    if (now - this.lastDiscover >= (this.opts.discoverEveryMs ?? DISCOVER_EVERY_MS)) {
      this.lastDiscover = now;
      this.lastQuick = now;
      this.discover(this.dirs, false);
    } else if (now - this.lastQuick >= QUICK_DISCOVER_MS) {
      this.lastQuick = now;
      this.discover(this.allDirs, true);
    }
    for (const [file, f] of this.files) this.readNew(file, f);
  }

  private discover(dirs: readonly string[], shallow: boolean): void {
    const globs = this.opts.globs?.() ?? DEFAULT_LOG_GLOBS;
    const seen = new Set<string>();
    const now = Date.now();
    for (const dir of dirs) {
      // A folder inside one already looked at (a server's, in the workspace folder) was looked at then.
      const firstLook = [...this.dirSeen].filter(([d]) => isInside(dir, d)).reduce<number | undefined>((m, [, t]) => (m === undefined || t < m ? t : m), undefined);
      if (!this.dirSeen.has(dir)) this.dirSeen.set(dir, firstLook ?? now);
      const found = findLogFiles(dir, globs, { shallow });
      // A server's folder removed since (a deleted package, a test's temp folder) is no problem worth saying.
      for (const p of found.problems) if (!p.includes('(ENOENT)')) this.say(p);
      for (const lf of found.files) {
        seen.add(lf.file);
        if (this.files.has(lf.file)) continue;
        if (this.files.size >= MAX_FILES && !this.makeRoomFor(lf.mtimeMs)) continue;
        const id = `log:${lf.file}`;
        // A file that appeared since the folder was first looked at was created by this run: read it whole.
        // One already there: only what comes next.
        // File times come from the kernel's coarse clock, a tick behind Date.now(): allow for it.
        const fresh = firstLook !== undefined && lf.mtimeMs >= firstLook - MTIME_SLACK_MS;
        const before = this.evicted.get(lf.file);
        this.evicted.delete(lf.file);
        const offset = before !== undefined && before <= lf.sizeBytes ? before : fresh ? 0 : lf.sizeBytes;
        const label = `log: ${path.relative(dir, lf.file) || lf.file}`;
        this.files.set(lf.file, { offset, mtimeMs: lf.mtimeMs, cwd: lf.packageDir, id, label });
        this.feed.start(id, { label, cwd: lf.packageDir, kind: 'log', command: null });
        this.watch(lf.file);
      }
    }
    // A quick look sees only part of the tree: files are forgotten by full walks (and when they vanish).
    if (!shallow) for (const file of [...this.files.keys()]) if (!seen.has(file)) this.forget(file);
  }

  /**
   * At the cap (a monorepo with many old logs), a file written more recently than the stalest one followed takes
   * its place: a log being written now is the one a crash goes to.
   */
  private makeRoomFor(mtimeMs: number): boolean {
    let stalest: [string, Followed] | null = null;
    for (const e of this.files) if (!stalest || e[1].mtimeMs < stalest[1].mtimeMs) stalest = e;
    if (!stalest || stalest[1].mtimeMs >= mtimeMs) return false;
    this.forget(stalest[0]);
    // Taken up again later (written once more), it goes on from here, never from its start.
    this.evicted.set(stalest[0], stalest[1].offset);
    if (this.evicted.size > 10 * MAX_FILES) this.evicted.delete(this.evicted.keys().next().value as string);
    return true;
  }

  private readNew(file: string, f: Followed): void {
    let fd: number | null = null;
    try {
      const st = fs.statSync(file);
      f.mtimeMs = st.mtimeMs;
      if (st.size < f.offset) f.offset = 0; // truncated or rotated in place
      if (st.size === f.offset) return;
      const from = Math.max(f.offset, st.size - READ_MAX);
      const buf = Buffer.alloc(st.size - from);
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const n = fs.readSync(fd, buf, 0, buf.length, from);
      f.offset = from + n;
      const text = buf.subarray(0, n).toString('utf8');
      // The feed keeps a bounded number of runs: a log it let go of (many terminal commands since) is registered again.
      if (!this.feed.run(f.id)) this.feed.start(f.id, { label: f.label, cwd: f.cwd, kind: 'log', command: null });
      if (!text.includes('\0')) this.feed.append(f.id, text);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.say(`${file} could not be followed (${code ?? 'error'}).`);
      this.forget(file);
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
  }

  /** Reads the file whenever the kernel says it changed. Without a watch (the user's inotify limit reached, EMFILE) the rounds still read it. */
  private watch(file: string): void {
    if (this.opts.watch === false || this.watchers.has(file)) return;
    try {
      const w = fs.watch(file, { persistent: false }, () => {
        const f = this.files.get(file);
        if (f) this.readNew(file, f);
      });
      w.on('error', () => this.unwatch(file));
      this.watchers.set(file, w);
    } catch { /* ENOSPC, EMFILE, a file gone already: the rounds read it */ }
  }

  private unwatch(file: string): void {
    const w = this.watchers.get(file);
    if (!w) return;
    this.watchers.delete(file);
    try { w.close(); } catch { /* closed already */ }
  }

  private forget(file: string): void {
    this.files.delete(file);
    this.unwatch(file);
  }

  /** How many files are followed, and how many of them by a kernel watch (for tests). */
  get following(): { files: number; watched: number } {
    return { files: this.files.size, watched: this.watchers.size };
  }

  private say(message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.opts.onProblem?.(message);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const file of [...this.watchers.keys()]) this.unwatch(file);
    this.files.clear();
  }
}
