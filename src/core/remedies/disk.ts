// "Free Disk Space…": finds what can go (large logs, rebuildable caches, stale node_modules, the npm cache, our old
// reports) and deletes only what it listed. Sizes come from lstat (allocated blocks, hard links once); symbolic links
// are never followed and the walk never leaves the file system it started on.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInside } from '../paths';
import { percent } from '../format';

export type DiskItemKind = 'log' | 'cache' | 'node_modules' | 'npm-cache' | 'report';

export interface DiskItem {
  /** Absolute path with no symbolic link in it. */
  readonly path: string;
  /** The scanned root it was found under (real path). */
  readonly root: string;
  readonly kind: DiskItemKind;
  /** What it is: '.next/cache', 'node_modules/.vite', 'log', 'npm cache'… */
  readonly label: string;
  /** Allocated bytes (blocks × 512), every hard-linked file counted once per scan. */
  readonly bytes: number;
  readonly files: number;
  /** Newest modification inside (for node_modules: the last install or package.json change), epoch ms. */
  readonly lastUsed: number;
  /** Identity at scan time: deletion refuses a path that is no longer this very file or folder. */
  readonly dev: number;
  readonly ino: number;
  /** Mount points found inside, not counted and never entered. */
  readonly otherFilesystems: readonly string[];
}

export interface DiskScanProgress {
  readonly scannedEntries: number;
  readonly scannedDirs: number;
  readonly foundBytes: number;
  readonly currentPath: string;
}

/** What VS Code's CancellationToken offers. */
export interface CancelToken {
  readonly isCancellationRequested: boolean;
}

export interface DiskScanOptions {
  /** Log files at least this big are listed (default 10 MB). */
  readonly largeLogBytes?: number;
  /** node_modules of a project untouched for this many days are listed; null/undefined: never. */
  readonly staleNodeModulesDays?: number | null;
  readonly includeNpmCache?: boolean;
  /** Where npm keeps its cache (default: $npm_config_cache, else ~/.npm or %LocalAppData%\npm-cache). */
  readonly npmCacheDir?: string;
  /** Folders of our own saved reports; every file in them is listed. */
  readonly reportDirs?: readonly string[];
  readonly signal?: AbortSignal;
  readonly token?: CancelToken;
  /** Called at most every 100 ms while scanning. */
  readonly onProgress?: (p: DiskScanProgress) => void;
  /** Stop after looking at this many directory entries (default 2 000 000). */
  readonly maxEntries?: number;
  readonly now?: number;
}

export interface DiskScan {
  /** Biggest first. */
  readonly items: readonly DiskItem[];
  readonly totalBytes: number;
  readonly byKind: Readonly<Record<DiskItemKind, { count: number; bytes: number }>>;
  readonly scannedEntries: number;
  readonly cancelled: boolean;
  /** Stopped at maxEntries: the lists are incomplete. */
  readonly truncated: boolean;
  readonly warnings: readonly string[];
  readonly elapsedMs: number;
}

const DEFAULT_LARGE_LOG = 10 * 1024 * 1024;
const DEFAULT_MAX_ENTRIES = 2_000_000;
const DAY_MS = 86_400_000;
/** Synchronous work between two yields to the event loop. */
const SLICE_MS = 10;
const PROGRESS_MS = 100;

const LOG_NAME = /(?:\.log(?:\.\d+)?(?:\.gz)?|\.(?:out|err))$|^(?:npm-debug|yarn-error|lerna-debug|pnpm-debug)\.log/i;
/** Cache folders that are rebuilt on the next run wherever they are. */
const CACHE_DIRS = new Set(['.vite', '.turbo', '.parcel-cache', '.cache']);
/** `cache` inside these folders. */
const CACHE_PARENTS = new Set(['.next', '.angular']);
/** Written by installs: their times tell when node_modules last changed. */
const INSTALL_MARKERS = ['.package-lock.json', '.modules.yaml', '.yarn-state.yml', '.yarn-integrity'];
const PROJECT_MARKERS = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lockb'];

/** Items handed out by a scan: deletePaths touches nothing else. */
const listed = new WeakSet<DiskItem>();

class Cancelled extends Error {}
class LimitReached extends Error {}

/** Yields to the event loop every few milliseconds, checks for cancellation and reports progress. */
class Pacer {
  private sliceStart = Date.now();
  private lastProgress = 0;

  constructor(private readonly opts: { signal?: AbortSignal; token?: CancelToken; onProgress?: (path: string) => void }) {}

  get cancelled(): boolean {
    return this.opts.signal?.aborted === true || this.opts.token?.isCancellationRequested === true;
  }

  /** Between two directories. Throws Cancelled. */
  async step(currentPath: string): Promise<void> {
    if (Date.now() - this.sliceStart >= SLICE_MS) {
      await new Promise((r) => setImmediate(r));
      this.sliceStart = Date.now();
    }
    if (this.cancelled) throw new Cancelled();
    if (this.opts.onProgress && Date.now() - this.lastProgress >= PROGRESS_MS) {
      this.lastProgress = Date.now();
      this.opts.onProgress(currentPath);
    }
  }
}

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOENT') return 'it is gone';
  return code ?? String(err);
}

class Scanner {
  readonly items: DiskItem[] = [];
  readonly warnings: string[] = [];
  entries = 0;
  dirs = 0;
  private readonly seenInodes = new Set<string>();
  private readonly pacer: Pacer;
  private readonly maxEntries: number;
  private readonly now: number;

  constructor(private readonly opts: DiskScanOptions) {
    this.maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.now = opts.now ?? Date.now();
    const report = opts.onProgress;
    this.pacer = new Pacer({
      signal: opts.signal,
      token: opts.token,
      onProgress: report && ((currentPath) => report({
        scannedEntries: this.entries, scannedDirs: this.dirs, foundBytes: this.items.reduce((s, i) => s + i.bytes, 0), currentPath,
      })),
    });
  }

  private async enter(dir: string): Promise<fs.Dirent[] | null> {
    await this.pacer.step(dir);
    if (this.entries >= this.maxEntries) throw new LimitReached();
    this.dirs++;
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      this.warnings.push(`Could not read ${dir} (${errorText(err)}); it was skipped.`);
      return null;
    }
  }

  /** Allocated bytes, 0 for a hard link already counted. */
  private allocated(st: fs.Stats): number {
    if (!st.isDirectory() && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      if (this.seenInodes.has(key)) return 0;
      this.seenInodes.add(key);
    }
    return st.blocks * 512;
  }

  private add(item: Omit<DiskItem, 'dev' | 'ino'>, st: fs.Stats): void {
    const full: DiskItem = { ...item, dev: st.dev, ino: st.ino };
    listed.add(full);
    this.items.push(full);
  }

  /** The workspace walk: logs anywhere, caches and node_modules where they are found; never into .git or another file system. */
  async walk(root: string): Promise<void> {
    const rootStat = lstat(root);
    if (!rootStat?.isDirectory()) {
      this.warnings.push(`${root} is not a folder; it was skipped.`);
      return;
    }
    const stack = [root];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      const entries = await this.enter(dir);
      if (!entries) continue;
      const isProject = entries.some((e) => e.name === 'package.json');
      // Name order, so which of two hard links is listed does not depend on the file system.
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        this.entries++;
        const name = entry.name;
        // Only folders and log files need an lstat; links are never followed.
        if (!entry.isDirectory() && !(entry.isFile() && LOG_NAME.test(name))) continue;
        const full = path.join(dir, name);
        const st = lstat(full);
        if (!st || st.isSymbolicLink() || st.dev !== rootStat.dev) continue;
        if (st.isDirectory()) {
          if (name === '.git') continue;
          const cache = cacheLabel(dir, name, isProject);
          if (cache) await this.addTree(full, root, 'cache', cache, st);
          else if (name === 'node_modules') await this.nodeModules(full, root, st, isProject);
          else stack.push(full);
        } else if (st.isFile() && LOG_NAME.test(name)) {
          const bytes = this.allocated(st);
          if (bytes > 0 && bytes >= (this.opts.largeLogBytes ?? DEFAULT_LARGE_LOG)) {
            this.add({ path: full, root, kind: 'log', label: 'log', bytes, files: 1, lastUsed: st.mtimeMs, otherFilesystems: [] }, st);
          }
        }
      }
    }
  }

  private async nodeModules(dir: string, root: string, st: fs.Stats, isProject: boolean): Promise<void> {
    const days = this.opts.staleNodeModulesDays;
    if (isProject && days !== null && days !== undefined) {
      const lastUsed = nodeModulesLastUsed(dir, st);
      if (this.now - lastUsed >= days * DAY_MS) {
        await this.addTree(dir, root, 'node_modules', 'node_modules', st, lastUsed);
        return;
      }
    }
    for (const name of ['.vite', '.cache']) {
      const cache = path.join(dir, name);
      const cst = lstat(cache);
      if (cst?.isDirectory() && cst.dev === st.dev) await this.addTree(cache, root, 'cache', `node_modules/${name}`, cst);
    }
  }

  /** Sizes a whole folder as one item. */
  async addTree(dir: string, root: string, kind: DiskItemKind, label: string, st: fs.Stats, lastUsed?: number): Promise<void> {
    let bytes = this.allocated(st);
    let files = 0;
    let newest = st.mtimeMs;
    const otherFilesystems: string[] = [];
    const stack = [dir];
    while (stack.length > 0) {
      const d = stack.pop()!;
      const entries = await this.enter(d);
      if (!entries) continue;
      for (const { name } of entries) {
        this.entries++;
        const p = path.join(d, name);
        const s = lstat(p);
        if (!s) continue;
        if (s.dev !== st.dev) {
          otherFilesystems.push(p);
          continue;
        }
        bytes += this.allocated(s);
        newest = Math.max(newest, s.mtimeMs);
        if (s.isDirectory()) stack.push(p);
        else files++;
      }
    }
    this.add({ path: dir, root, kind, label, bytes, files, lastUsed: lastUsed ?? newest, otherFilesystems }, st);
  }

  async reports(dir: string): Promise<void> {
    const entries = await this.enter(dir);
    for (const { name } of entries ?? []) {
      this.entries++;
      const p = path.join(dir, name);
      const st = lstat(p);
      if (!st?.isFile()) continue;
      this.add({ path: p, root: dir, kind: 'report', label: 'report', bytes: this.allocated(st), files: 1, lastUsed: st.mtimeMs, otherFilesystems: [] }, st);
    }
  }
}

function cacheLabel(parent: string, name: string, parentIsProject: boolean): string | null {
  if (CACHE_DIRS.has(name)) return name;
  if (name === 'cache' && CACHE_PARENTS.has(path.basename(parent))) return `${path.basename(parent)}/cache`;
  // A project's coverage report; elsewhere "coverage" may be source code.
  if (name === 'coverage' && parentIsProject) return name;
  return null;
}

/**
 * When a project's node_modules was last installed into or its manifest changed. Access times are not used: the scan
 * itself reads these folders, which would make every node_modules look fresh the next time.
 */
function nodeModulesLastUsed(dir: string, st: fs.Stats): number {
  const project = path.dirname(dir);
  const times = [st.mtimeMs, ...INSTALL_MARKERS.map((m) => lstat(path.join(dir, m))?.mtimeMs ?? 0),
    ...PROJECT_MARKERS.map((m) => lstat(path.join(project, m))?.mtimeMs ?? 0)];
  return Math.max(...times);
}

function defaultNpmCacheDir(): string {
  if (process.env.npm_config_cache) return process.env.npm_config_cache;
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return path.join(process.env.LOCALAPPDATA, 'npm-cache');
  return path.join(os.homedir(), '.npm');
}

function realDir(p: string, warnings: string[], what: string): string | null {
  try {
    const real = fs.realpathSync.native(p);
    if (fs.statSync(real).isDirectory()) return real;
  } catch {
    // reported below
  }
  warnings.push(`${what} ${p} does not exist or is not a folder; it was skipped.`);
  return null;
}

/**
 * Lists what could be deleted under the roots (workspace folders), plus the npm cache and report folders when asked.
 * Cancellable (signal or token, checked between directories); a cancelled or truncated scan returns what it found so
 * far. Never throws.
 */
export async function scanDiskCandidates(roots: readonly string[], opts: DiskScanOptions = {}): Promise<DiskScan> {
  const started = Date.now();
  const scanner = new Scanner(opts);
  let cancelled = false;
  let truncated = false;
  const real = roots.map((r) => realDir(r, scanner.warnings, 'Folder')).filter((r): r is string => r !== null);
  // A folder nested in another root is scanned once, as part of the outer one.
  const outer = [...new Set(real)].filter((r, _, all) => !all.some((o) => o !== r && isInside(r, o)));
  try {
    for (const root of outer) await scanner.walk(root);
    if (opts.includeNpmCache) {
      const dir = realDir(opts.npmCacheDir ?? defaultNpmCacheDir(), scanner.warnings, 'The npm cache');
      const cacache = dir && path.join(dir, '_cacache');
      const st = cacache ? lstat(cacache) : null;
      if (dir && cacache && st?.isDirectory()) await scanner.addTree(cacache, dir, 'npm-cache', 'npm cache', st);
    }
    for (const d of opts.reportDirs ?? []) {
      const dir = realDir(d, scanner.warnings, 'The report folder');
      if (dir) await scanner.reports(dir);
    }
  } catch (err) {
    if (err instanceof Cancelled) cancelled = true;
    else if (err instanceof LimitReached) {
      truncated = true;
      scanner.warnings.push(`Stopped after ${scanner.entries} entries; the list is incomplete.`);
    } else {
      scanner.warnings.push(`The scan stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const items = scanner.items
    .filter((i, _, all) => !all.some((o) => o !== i && o.path !== i.path && isInside(i.path, o.path)))
    .sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path));
  const byKind = { log: { count: 0, bytes: 0 }, cache: { count: 0, bytes: 0 }, node_modules: { count: 0, bytes: 0 }, 'npm-cache': { count: 0, bytes: 0 }, report: { count: 0, bytes: 0 } };
  for (const i of items) {
    byKind[i.kind].count++;
    byKind[i.kind].bytes += i.bytes;
  }
  return {
    items,
    totalBytes: items.reduce((s, i) => s + i.bytes, 0),
    byKind,
    scannedEntries: scanner.entries,
    cancelled,
    truncated,
    warnings: scanner.warnings,
    elapsedMs: Date.now() - started,
  };
}

export interface DeleteOptions {
  /** Moves a path to the trash; resolves false when there is no trash. null: delete permanently. */
  readonly toTrash: ((p: string) => Promise<boolean>) | null;
  readonly signal?: AbortSignal;
  readonly token?: CancelToken;
}

export type SkipCode = 'not-listed' | 'changed' | 'no-trash' | 'mount-inside' | 'cancelled' | 'error';

export interface DiskUse {
  /** A root of the deleted items, standing for its file system. */
  readonly path: string;
  readonly totalBytes: number;
  readonly freeBytes: number;
  readonly usedPercent: number;
}

export interface DeletedItem {
  readonly path: string;
  readonly bytes: number;
  readonly trashed: boolean;
  /** Mount points inside that were left alone (the rest is gone). */
  readonly leftBehind: readonly string[];
}

export interface DeleteResult {
  readonly deleted: readonly DeletedItem[];
  /** Not deleted (or not completely), with the reason in words. */
  readonly skipped: readonly { path: string; code: SkipCode; reason: string }[];
  /** Bytes deleted for good. */
  readonly freedBytes: number;
  /** Bytes moved to the trash (freed only once the trash is emptied). */
  readonly trashedBytes: number;
  /** The file systems' use after deleting (statfs). */
  readonly disks: readonly DiskUse[];
}

/** Why an item may not be deleted now; null when it is still exactly what the scan listed. */
function recheck(item: DiskItem): { code: SkipCode; reason: string } | null {
  if (!listed.has(item)) return { code: 'not-listed', reason: 'it was not listed by a scan' };
  const changed = (why: string) => ({ code: 'changed' as const, reason: `${why} since the scan, so it was left alone` });
  try {
    if (fs.realpathSync.native(item.root) !== item.root) return changed('its root folder became a symbolic link');
    const parent = fs.realpathSync.native(path.dirname(item.path));
    if (path.join(parent, path.basename(item.path)) !== item.path) return changed('a folder on its path became a symbolic link');
  } catch {
    return changed('it or its folder disappeared');
  }
  if (!isInside(item.path, item.root) || item.path === item.root) return changed('it is no longer inside its root');
  const st = lstat(item.path);
  if (!st) return changed('it disappeared');
  if (st.isSymbolicLink()) return changed('it became a symbolic link');
  if (st.dev !== item.dev || st.ino !== item.ino) return changed('it was replaced by another file or folder');
  if (st.isDirectory() !== (item.kind !== 'log' && item.kind !== 'report')) return changed('its type changed');
  return null;
}

/** Deletes a tree bottom-up without following links or entering other file systems; returns the mount points left. */
async function removeTree(p: string, dev: number, pacer: Pacer, errors: string[]): Promise<string[]> {
  const st = lstat(p);
  if (!st) return [];
  if (!st.isDirectory()) {
    try {
      fs.unlinkSync(p);
    } catch (err) {
      errors.push(`${p}: ${errorText(err)}`);
    }
    return [];
  }
  if (st.dev !== dev) return [p];
  await pacer.step(p);
  const left: string[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(p);
  } catch (err) {
    errors.push(`${p}: ${errorText(err)}`);
  }
  for (const name of names) left.push(...await removeTree(path.join(p, name), dev, pacer, errors));
  if (left.length === 0) {
    try {
      fs.rmdirSync(p);
    } catch (err) {
      errors.push(`${p}: ${errorText(err)}`);
    }
  }
  return left;
}

function diskUse(p: string): DiskUse | null {
  try {
    const st = fs.statfsSync(p);
    const used = (st.blocks - st.bfree) * st.bsize;
    const free = st.bavail * st.bsize;
    return { path: p, totalBytes: st.blocks * st.bsize, freeBytes: free, usedPercent: percent(used, used + free) };
  } catch {
    return null;
  }
}

/**
 * Deletes scanned items, each only if it is still what the scan listed (same file or folder, inside its root, not a
 * symbolic link, no symbolic link on its path). Moves to the trash when `toTrash` is given; an item that cannot go to
 * the trash is skipped with code 'no-trash' so the caller can ask about deleting it for good. Never throws.
 */
export async function deletePaths(items: readonly DiskItem[], opts: DeleteOptions): Promise<DeleteResult> {
  const pacer = new Pacer({ signal: opts.signal, token: opts.token });
  const deleted: DeletedItem[] = [];
  const skipped: { path: string; code: SkipCode; reason: string }[] = [];
  for (const item of items) {
    if (pacer.cancelled) {
      skipped.push({ path: item.path, code: 'cancelled', reason: 'cancelled before it was deleted' });
      continue;
    }
    const problem = recheck(item);
    if (problem) {
      skipped.push({ path: item.path, ...problem });
      continue;
    }
    if (opts.toTrash) {
      if (item.otherFilesystems.length > 0) {
        skipped.push({ path: item.path, code: 'mount-inside', reason: `another file system is mounted inside it (${item.otherFilesystems[0]}); moving it to the trash could carry that file system's files along` });
        continue;
      }
      let trashed = false;
      try {
        trashed = await opts.toTrash(item.path);
      } catch (err) {
        skipped.push({ path: item.path, code: 'error', reason: `moving it to the trash failed: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      if (trashed) deleted.push({ path: item.path, bytes: item.bytes, trashed: true, leftBehind: [] });
      else skipped.push({ path: item.path, code: 'no-trash', reason: 'there is no trash to move it to' });
      continue;
    }
    const errors: string[] = [];
    let left: string[];
    try {
      left = await removeTree(item.path, item.dev, pacer, errors);
    } catch (err) {
      if (!(err instanceof Cancelled)) throw err;
      skipped.push({ path: item.path, code: 'cancelled', reason: 'cancelled while deleting; part of it is gone' });
      continue;
    }
    if (errors.length > 0) {
      skipped.push({ path: item.path, code: 'error', reason: `partly deleted; ${errors.length} entries could not be removed (first: ${errors[0]})` });
    } else {
      // The scan's size never included the other file systems, so all of it is freed.
      deleted.push({ path: item.path, bytes: item.bytes, trashed: false, leftBehind: left });
    }
  }
  const roots = [...new Set(items.map((i) => i.root))];
  return {
    deleted,
    skipped,
    freedBytes: deleted.filter((d) => !d.trashed).reduce((s, d) => s + d.bytes, 0),
    trashedBytes: deleted.filter((d) => d.trashed).reduce((s, d) => s + d.bytes, 0),
    disks: roots.map(diskUse).filter((d): d is DiskUse => d !== null),
  };
}
