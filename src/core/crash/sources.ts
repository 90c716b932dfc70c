// Log files of a workspace for crash evidence, and a folder's package name. Called when something
// crashed or a report is asked for, never per poll. None throws.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { globToRegExp } from '../paths';
import { MAX_PACKAGE_JSON_BYTES, readWorkspaceFile } from '../workspace/readWorkspaceFile';

export const DEFAULT_LOG_GLOBS: readonly string[] = ['logs/**/*.log', '*.log', 'npm-debug.log*'];

const MAX_DEPTH = 6;
const MAX_ENTRIES = 5000;
const MAX_LOG_FILES = 50;
const SKIP_DIRS = new Set(['node_modules', 'bower_components', 'jspm_packages']);

export interface LogFile {
  readonly file: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  /** The folder of the nearest package.json above it (inside the searched root), else the root. */
  readonly packageDir: string;
}

export interface LogSearch {
  readonly files: LogFile[];
  /** Plain sentences: the walk stopped early, a folder could not be read. */
  readonly problems: string[];
}

/**
 * Log files under `root` matching the globs, relative to the root or to any package folder inside it
 * (so `logs/**\/*.log` finds packages/api/logs/x.log in a monorepo). Bounded in depth and entries,
 * skips node_modules and dot-folders; newest first.
 */
export function findLogFiles(root: string, globs: readonly string[] = DEFAULT_LOG_GLOBS, opts: { shallow?: boolean } = {}): LogSearch {
  const norm = globs.map((g) => g.replace(/\\/g, '/').replace(/^\.?\//, ''));
  const res = norm.map((g) => globToRegExp(g));
  // Shallow: only the folders a glob names literally (`logs` of `logs/**/*.log`), not the packages below `root`.
  const bases = norm.map((g) => g.split('/').slice(0, -1).filter((_, i, a) => !a.slice(0, i + 1).some((x) => /[*?[{]/.test(x))).join('/'));
  const descend = (rel: string): boolean => !opts.shallow || bases.some((b) => b !== '' && (rel === b || rel.startsWith(`${b}/`) || b.startsWith(`${rel}/`)));
  const files: LogFile[] = [];
  const problems: string[] = [];
  let entries = 0;
  const walk = (dir: string, depth: number, packageDir: string): void => {
    if (entries >= MAX_ENTRIES) return;
    let list: fs.Dirent[];
    try {
      list = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) problems.push(`${dir} could not be searched for log files (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
      return;
    }
    const pkg = dir !== root && list.some((e) => e.name === 'package.json' && e.isFile()) ? dir : packageDir;
    for (const e of list) {
      if (++entries > MAX_ENTRIES) {
        problems.push(`Stopped looking for log files in ${root} after ${MAX_ENTRIES} entries; set the log globs to narrow the search.`);
        return;
      }
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (depth < MAX_DEPTH && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.') && descend(path.relative(root, full).split(path.sep).join('/'))) walk(full, depth + 1, pkg);
        continue;
      }
      if (!e.isFile()) continue;
      const rels = new Set([path.relative(root, full), path.relative(pkg, full)].map((r) => r.split(path.sep).join('/')));
      if (![...rels].some((r) => res.some((re) => re.test(r)))) continue;
      try {
        const st = fs.statSync(full);
        files.push({ file: full, sizeBytes: st.size, mtimeMs: st.mtimeMs, packageDir: pkg });
      } catch { /* vanished between listing and stat */ }
    }
  };
  walk(root, 0, root);
  files.sort((a, b) => b.mtimeMs - a.mtimeMs);
  return { files: files.slice(0, MAX_LOG_FILES), problems };
}

/** The name in the package.json of `dir`, or null. */
export function packageName(dir: string): string | null {
  try {
    const read = readWorkspaceFile(path.join(dir, 'package.json'), MAX_PACKAGE_JSON_BYTES);
    if (!('text' in read)) return null;
    const name = (JSON.parse(read.text) as { name?: unknown }).name;
    return typeof name === 'string' && name.trim() ? name.trim() : null;
  } catch {
    return null;
  }
}

