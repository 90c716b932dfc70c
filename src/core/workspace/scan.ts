// Finds the dev servers a workspace declares: package.json scripts under each folder, plus settings.
import { ParseErrorCode, visit } from 'jsonc-parser';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExpectedServer, ScanProblem, WorkspaceScan } from '../types';
import { globToRegExp } from '../paths';
import { parseDotenv } from './dotenv';
import { isRecord, type PackageJson } from './packageJson';
import { MAX_DOTENV_BYTES, MAX_PACKAGE_JSON_BYTES, readWorkspaceFile } from './readWorkspaceFile';
import { analyzeScript, isDevScript, type ScriptAnalysis } from './scripts';

/** A server declared in the servers setting (VS Code) or given to the CLI. */
export interface ConfiguredServer {
  readonly name: string;
  /** Relative to the workspace folder (default: the workspace folder itself). */
  readonly folder?: string;
  readonly command?: string;
  readonly port?: number;
}

export interface ScanOptions {
  /** Folder names ("examples") or globs relative to a workspace folder ("examples/**", "packages/*-demo"). */
  readonly exclude?: readonly string[];
  readonly configured?: readonly ConfiguredServer[];
  /** Folder levels below a workspace folder that are searched (default 6). */
  readonly maxDepth?: number;
  /** package.json files read at most, over all folders (default 200). */
  readonly maxPackages?: number;
}

/** Never searched, besides every dot-folder (.git, .next, .turbo…). */
const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'build', 'coverage']);
/** Read in this order, later files overriding earlier ones (the order Vite, Next and CRA use for `dev`). */
const ENV_FILES = ['.env', '.env.local', '.env.development', '.env.development.local'];
/** Folders read at most per workspace folder: a workspace opened on a home directory must stay cheap. */
const MAX_FOLDERS = 10_000;

interface Package {
  readonly workspaceFolder: string;
  readonly dir: string;
  readonly pkg: PackageJson;
  readonly env: Record<string, string>;
}

/**
 * Scans the workspace folders for package.json dev scripts and merges the configured servers.
 * Never throws: unreadable folders and malformed package.json files become problems and the scan goes on.
 *
 * Duplicates: when a dev script merely hands over to another one of the same package.json (`dev: npm
 * run start`, also through chains like `npm run build && npm run start`), only the outer script is
 * listed — it is the one the user runs, and both would describe the same process. When a script runs
 * several dev scripts side by side (`concurrently "npm:dev:*"`, `run-p dev:web dev:api`), the parts are
 * listed instead of it, as each is a server of its own with its own port.
 */
export function scanWorkspace(folders: string[], opts: ScanOptions = {}): WorkspaceScan {
  const problems: ScanProblem[] = [];
  const roots = folders.map((f) => path.resolve(f));
  const packages = findPackages(roots, opts, problems);
  const perPackage = packages.map((p) => ({ p, scripts: devScriptsOf(p) })).filter((x) => x.scripts.length > 0);
  const servers: ExpectedServer[] = perPackage.flatMap(({ p, scripts }) => {
    const base = typeof p.pkg.name === 'string' && p.pkg.name.trim() ? p.pkg.name.trim() : path.basename(p.dir);
    const qualify = perPackage.length > 1 || scripts.length > 1;
    return scripts.map(({ script, body, analysis }) => ({
      name: qualify ? `${base} · ${script}` : base,
      workspaceFolder: p.workspaceFolder,
      cwd: p.dir,
      script,
      command: body,
      framework: analysis.framework,
      expectedPort: analysis.expectedPort,
      portSource: analysis.portSource,
      source: 'package.json' as const,
      ...(analysis.servesBuild ? { servesBuild: true } : {}),
    }));
  });
  mergeConfigured(servers, opts.configured ?? [], roots, packages, problems);
  return { servers, problems };
}

function findPackages(folders: readonly string[], opts: ScanOptions, problems: ScanProblem[]): Package[] {
  const maxDepth = opts.maxDepth ?? 6;
  const maxPackages = opts.maxPackages ?? 200;
  const excluded = excludeMatcher(opts.exclude ?? []);
  const found: Package[] = [];
  const seen = new Set<string>();
  let reads = 0;
  for (const root of folders) {
    const queue = [{ dir: root, depth: 0 }];
    for (let visited = 0; queue.length > 0; visited++) {
      if (visited === MAX_FOLDERS) {
        problems.push({ path: root, message: `Stopped searching for package.json files after ${MAX_FOLDERS} folders; exclude large folders with the excludeFolders setting.` });
        break;
      }
      const { dir, depth } = queue.shift()!;
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (err) {
        problems.push({ path: dir, message: `Could not read this folder: ${describeFsError(err)}.` });
        continue;
      }
      if (entries.some((e) => e.name === 'package.json' && !e.isDirectory()) && !seen.has(dir)) {
        if (reads === maxPackages) {
          problems.push({ path: root, message: `Stopped after ${maxPackages} package.json files; exclude folders with the excludeFolders setting to narrow the search.` });
          return found;
        }
        reads++;
        seen.add(dir);
        const pkg = readPackage(dir, problems);
        if (pkg) found.push({ workspaceFolder: root, dir, pkg, env: readEnvFiles(dir, problems) });
      }
      if (depth >= maxDepth) continue;
      for (const e of entries) {
        // a symlinked folder is a Dirent with isSymbolicLink(), not isDirectory(): never followed, so no cycles
        if (!e.isDirectory() || e.name.startsWith('.') || SKIPPED_FOLDERS.has(e.name)) continue;
        const child = path.join(dir, e.name);
        if (!excluded(path.relative(root, child).split(path.sep).join('/'), e.name)) queue.push({ dir: child, depth: depth + 1 });
      }
    }
  }
  return found;
}

function readPackage(dir: string, problems: ScanProblem[]): PackageJson | null {
  const file = path.join(dir, 'package.json');
  const read = readWorkspaceFile(file, MAX_PACKAGE_JSON_BYTES);
  if (!('text' in read)) {
    problems.push({ path: file, message: `Could not read package.json: ${'problem' in read ? read.problem : 'it is gone'}.` });
    return null;
  }
  const parsed = parsePackageJson(read.text);
  if ('message' in parsed) {
    problems.push({ path: file, message: parsed.message });
    return null;
  }
  return parsed.pkg;
}

function readEnvFiles(dir: string, problems: ScanProblem[] | null): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ENV_FILES) {
    const file = path.join(dir, name);
    const read = readWorkspaceFile(file, MAX_DOTENV_BYTES);
    if ('text' in read) Object.assign(env, parseDotenv(read.text));
    else if ('problem' in read) problems?.push({ path: file, message: `Could not read ${name}: ${read.problem}.` });
  }
  return env;
}

interface DevScript {
  readonly script: string;
  readonly body: string;
  readonly analysis: ScriptAnalysis;
}

/** The package's dev scripts in package.json order, without the duplicates described at scanWorkspace. */
function devScriptsOf(p: Package): DevScript[] {
  const scripts = isRecord(p.pkg.scripts) ? p.pkg.scripts : {};
  const dev: DevScript[] = [];
  for (const [script, body] of Object.entries(scripts)) {
    if (typeof body === 'string' && isDevScript(script, body)) {
      dev.push({ script, body, analysis: analyzeScript(script, body, p.pkg, p.env) });
    }
  }
  const byName = new Map(dev.map((d) => [d.script, d.analysis]));
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>();
    for (let s: string | null = from; s !== null && !seen.has(s); s = byName.get(s)?.delegatesTo ?? null) {
      if (s === to) return true;
      seen.add(s);
    }
    return false;
  };
  const hidden = new Set<string>();
  for (const { script, analysis } of dev) {
    const target = analysis.delegatesTo;
    // a cycle (a runs b, b runs a) hides neither
    if (target !== null && target !== script && byName.has(target) && !reaches(target, script)) hidden.add(target);
    if (analysis.parallel.length > 1 && analysis.parallel.every((s) => byName.has(s))) hidden.add(script);
  }
  return dev.filter((d) => !hidden.has(d.script));
}

/** Configured servers replace the detected one with the same cwd and command, or the same name; others are added. */
function mergeConfigured(
  servers: ExpectedServer[],
  configured: readonly ConfiguredServer[],
  folders: readonly string[],
  packages: readonly Package[],
  problems: ScanProblem[],
): void {
  const pkgAt = (dir: string): Package | undefined => packages.find((p) => p.dir === dir);
  for (const c of configured) {
    if (!c || typeof c.name !== 'string' || !c.name.trim()) {
      problems.push({ path: 'servers setting', message: 'A configured server has no name; it is ignored.' });
      continue;
    }
    const command = typeof c.command === 'string' && c.command.trim() ? c.command.trim() : null;
    let port: number | null = null;
    if (c.port !== undefined) {
      if (Number.isInteger(c.port) && c.port >= 1 && c.port <= 65535) port = c.port;
      else problems.push({ path: 'servers setting', message: `The port of "${c.name}" must be a whole number from 1 to 65535; it is ignored.` });
    }
    const place = configuredPlace(c.folder, folders);
    const matchIndex = servers.findIndex((s) =>
      s.source === 'package.json' &&
      (s.name === c.name ||
        (command !== null && place !== null && s.cwd === place.cwd && runsScript(command, s, pkgAt(s.cwd)))));
    const match = matchIndex >= 0 ? servers[matchIndex] : null;
    // matched by name without a folder: the user is adjusting a detected server where it is
    const where = match && c.folder === undefined ? { cwd: match.cwd, workspaceFolder: match.workspaceFolder } : place;
    if (!where) continue;
    const pkg = pkgAt(where.cwd);
    const analysis = command !== null ? analyzeScript('', command, pkg?.pkg ?? {}, pkg?.env ?? readEnvFiles(where.cwd, null)) : null;
    const inferred = analysis ?? match;
    const server: ExpectedServer = {
      name: c.name.trim(),
      workspaceFolder: where.workspaceFolder,
      cwd: where.cwd,
      script: null,
      command: command ?? match?.command ?? '',
      framework: analysis?.framework ?? match?.framework ?? 'unknown',
      expectedPort: port ?? inferred?.expectedPort ?? null,
      portSource: port !== null ? 'config' : inferred?.portSource ?? null,
      source: 'settings',
    };
    if (match) servers[matchIndex] = server;
    else servers.push(server);
  }
}

/** Whether a configured command is the detected script's body or a run of that script (`npm run dev`, `yarn dev`). */
function runsScript(command: string, s: ExpectedServer, p: Package | undefined): boolean {
  const norm = (t: string): string => t.trim().replace(/\s+/g, ' ');
  if (norm(command) === norm(s.command)) return true;
  return p !== undefined && analyzeScript('', command, p.pkg, p.env).delegatesTo === s.script;
}

/** Absolute folder of a configured server: relative to the first workspace folder where it exists. */
function configuredPlace(folder: string | undefined, folders: readonly string[]): { cwd: string; workspaceFolder: string } | null {
  if (folders.length === 0) return null;
  const rel = typeof folder === 'string' ? folder : '.';
  if (path.isAbsolute(rel)) {
    const cwd = path.resolve(rel);
    return { cwd, workspaceFolder: folders.find((f) => isInside(cwd, f)) ?? folders[0] };
  }
  const wf = folders.find((f) => fs.existsSync(path.join(f, rel))) ?? folders[0];
  return { cwd: path.resolve(wf, rel), workspaceFolder: wf };
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * package.json parsed strictly (npm rejects comments and trailing commas). A leading BOM is dropped, as
 * npm does. On failure, a message with the line of the error.
 */
export function parsePackageJson(text: string): { pkg: PackageJson } | { message: string } {
  const src = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(src);
  } catch (err) {
    const reason = String((err as Error).message)
      .replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/[\x00-\x1f]/g, (c) => JSON.stringify(c).slice(1, -1));
    const found = jsonErrorOffset(src);
    const at = found >= 0 ? found : src.length;
    return { message: `package.json is not valid JSON: ${reason} (line ${src.slice(0, at).split('\n').length})` };
  }
  if (!isRecord(value)) return { message: 'package.json does not hold a JSON object ({ … }).' };
  return { pkg: value };
}

/**
 * Offset of the first strict-JSON syntax error (jsonc-parser with comments and trailing commas refused,
 * as npm does), -1 when there is none. JSON.parse gives a position for most errors but not for
 * "Unexpected token" ones, so the line is found here. Inside a string, the offending character itself.
 */
export function jsonErrorOffset(s: string): number {
  const errors: { error: ParseErrorCode; offset: number; length: number }[] = [];
  visit(s, { onError: (error, offset, length) => errors.push({ error, offset, length }) }, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const found = errors[0];
  if (!found) return -1;
  if (found.error === ParseErrorCode.InvalidCharacter || found.error === ParseErrorCode.InvalidEscapeCharacter || found.error === ParseErrorCode.InvalidUnicode) {
    const token = s.slice(found.offset, found.offset + found.length);
    for (let k = 1; k < token.length; k++) {
      if (token[k]! < ' ') return found.offset + k;
      if (token[k] !== '\\') continue;
      const escape = token[k + 1] ?? '';
      if (escape === 'u' ? !/^[0-9a-fA-F]{4}$/.test(token.slice(k + 2, k + 6)) : !'"\\/bfnrt'.includes(escape)) return found.offset + k + 1;
      k += escape === 'u' ? 5 : 1;
    }
  }
  return found.offset;
}

/** A test of (path relative to the workspace folder, folder name) against the exclude patterns. */
export function excludeMatcher(patterns: readonly string[]): (relPath: string, name: string) => boolean {
  const tests = patterns
    .map((p) => p.trim().replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '').replace(/\/+$/, ''))
    .filter((p) => p.length > 0)
    .map((p) => {
      // a bare name matches that folder anywhere; "x/**" also excludes "x" itself
      if (!p.includes('/')) {
        const re = globToRegExp(p);
        return (_rel: string, name: string) => re.test(name);
      }
      const re = globToRegExp(p.replace(/\/\*\*$/, ''));
      return (rel: string) => re.test(rel);
    });
  return (relPath, name) => tests.some((t) => t(relPath, name));
}

function describeFsError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'it does not exist';
    case 'ENOTDIR': return 'it is not a folder';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'EISDIR': return 'it is a folder';
    default: return err instanceof Error ? err.message : String(err);
  }
}
