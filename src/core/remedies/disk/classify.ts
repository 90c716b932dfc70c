// What may be listed for deletion, by name *and* place: a cache only where tools put theirs, a log only by a log's
// name and never an executable, a report only when its name and first bytes are ours.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `x.log`, `x.log.1`, `x.log.gz`, `npm-debug.log…`: nothing else is a log (`a.out`, `x.err` may be programs). */
const LOG_NAME = /\.log(?:\.\d+)?(?:\.gz)?$/i;
/** Rebuilt on the next run, found next to a package.json. `.cache` there is Gatsby's and Parcel 1's. */
const PROJECT_CACHES = new Set(['.vite', '.turbo', '.parcel-cache', '.cache', 'coverage']);
/** `cache` inside these folders of a project. */
const CACHE_PARENTS = new Set(['.next', '.angular']);
/** Inside node_modules: Vite's pre-bundles and the cache babel-loader, terser and friends share. */
export const NODE_MODULES_CACHES = ['.vite', '.cache'] as const;
/** Written by installs: their times tell when node_modules last changed. */
const INSTALL_MARKERS = ['.package-lock.json', '.modules.yaml', '.yarn-state.yml', '.yarn-integrity'];
const PROJECT_MARKERS = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lockb'];

/** Our saved reports: dev-server-doctor-YYYYMMDD-HHMMSS[-N].md|json (see crash/report.ts saveReport). */
const REPORT_NAME = /^dev-server-doctor-\d{8}-\d{6}(?:-\d+)?\.(md|json)$/;
/** How each of our reports begins. */
const REPORT_HEADER: Readonly<Record<string, string>> = {
  md: '# Dev Server Doctor: crash investigation\n',
  json: '{\n  "generatedAt": "',
};

function lstat(p: string): fs.Stats | null {
  try {
    return fs.lstatSync(p);
  } catch {
    return null;
  }
}

const isProjectDir = (dir: string): boolean => lstat(path.join(dir, 'package.json'))?.isFile() === true;

export const isLogName = (name: string): boolean => LOG_NAME.test(name);

/** A regular file named like a log and not executable by anyone. */
export function isLogFile(name: string, st: fs.Stats): boolean {
  return st.isFile() && isLogName(name) && (st.mode & 0o111) === 0;
}

/**
 * The label of a cache folder `name` in `parent`, or null when it is not a cache *here*: `.vite`, `.turbo`,
 * `.parcel-cache`, `.cache` and `coverage` next to a package.json; `.next/cache` and `.angular/cache` of a project.
 * `src/.cache` or `docs/coverage` are somebody's files.
 */
export function cacheLabel(parent: string, name: string, parentIsProject: boolean): string | null {
  if (PROJECT_CACHES.has(name)) return parentIsProject ? name : null;
  const base = path.basename(parent);
  if (name === 'cache' && CACHE_PARENTS.has(base) && isProjectDir(path.dirname(parent))) return `${base}/cache`;
  return null;
}

/**
 * True when `file` is one of our reports: its name has our pattern and its first bytes are our header. Opened without
 * following links and without blocking (a FIFO named like a report is not one).
 */
export function isOurReport(file: string): boolean {
  const m = REPORT_NAME.exec(path.basename(file));
  if (!m) return false;
  const header = REPORT_HEADER[m[1]];
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
    if (!fs.fstatSync(fd).isFile()) return false;
    const buf = Buffer.alloc(header.length);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8') === header;
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * When a project's node_modules was last installed into or its manifest changed. Access times are not used: the scan
 * itself reads these folders, which would make every node_modules look fresh the next time.
 */
export function nodeModulesLastUsed(dir: string, st: fs.Stats): number {
  const project = path.dirname(dir);
  const times = [st.mtimeMs, ...INSTALL_MARKERS.map((m) => lstat(path.join(dir, m))?.mtimeMs ?? 0),
    ...PROJECT_MARKERS.map((m) => lstat(path.join(project, m))?.mtimeMs ?? 0)];
  return Math.max(...times);
}
