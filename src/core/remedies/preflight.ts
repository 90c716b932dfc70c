// Before (re)starting a server: is its port free, are its dependencies installed, is there disk space left?
// Each failed check names a fix the editor layer can offer.
import type { RemedyId } from './catalogue';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { redactText } from '../redact';
import { formatBytes } from '../format';
import { isInside } from '../paths';
import type { Server, Snapshot } from '../types';
import { defaultLookup, type ProcessLookup } from './processes';
import { isListening } from './wait';
import { MAX_PACKAGE_JSON_BYTES, readWorkspaceFile } from '../workspace/readWorkspaceFile';

export type PreflightCheckId = 'port' | 'node_modules' | 'disk';
/** The remedies a failed check can name (ids of the remedy catalogue). */
export type PreflightFix = Extract<RemedyId, 'kill-port-holder' | 'install-dependencies' | 'free-disk'>;

export interface PreflightCheck {
  readonly id: PreflightCheckId;
  readonly ok: boolean;
  /** One sentence, for a pass as well as a failure. */
  readonly message: string;
  /** What would fix a failure; null when it passed or nothing here can fix it. */
  readonly fix: PreflightFix | null;
  /** The port's holder, for the port check. */
  readonly holder?: { readonly pid: number | null; readonly command: string | null; readonly serverName: string | null };
  /** The install command for the project's package manager, for the node_modules check. */
  readonly installCommand?: string;
}

export interface PreflightResult {
  readonly ok: boolean;
  readonly checks: readonly PreflightCheck[];
}

export interface PreflightOptions {
  readonly server: Server;
  readonly snapshot: Snapshot;
  /** The disk counts as full at this use (default 98 %)… */
  readonly diskFullPercent?: number;
  /** …or below this much free space (default 200 MB). */
  readonly minFreeBytes?: number;
  readonly lookup?: ProcessLookup;
}

const DEFAULT_DISK_FULL_PERCENT = 98;
const DEFAULT_MIN_FREE = 200 * 1024 * 1024;
/** How many missing dependencies a message names. */
const NAMED_MISSING = 5;

async function portCheck(server: Server, snapshot: Snapshot, lookup: ProcessLookup): Promise<PreflightCheck | null> {
  const port = server.expectedPort ?? server.ports[0] ?? null;
  if (port === null) return null;
  const socket = snapshot.sockets.find((s) => s.port === port);
  // The snapshot may be a poll old: a connect tells whether something listens right now.
  const listening = await isListening(port);
  const pid = socket?.pid ?? null;
  const proc = pid !== null ? lookup.get(pid) : null;
  // A socket the snapshot saw whose process is gone now (a server just stopped, a poll taken before) holds nothing.
  const holderGone = pid !== null && (proc === null || proc.state === 'Z');
  if (!listening && (!socket || holderGone)) return { id: 'port', ok: true, message: `Port ${port} is free.`, fix: null };
  const owner = pid !== null ? snapshot.servers.find((s) => s.pids.includes(pid)) : undefined;
  const command = owner?.processes.find((p) => p.pid === pid)?.command ?? (proc ? proc.cmdline.join(' ') || proc.comm : null);
  const holder = { pid, command: command === null ? null : redactText(command), serverName: owner?.name ?? null };
  const who = !socket
    ? 'a process that started listening after the last look'
    : pid === null
      ? 'a process whose owner cannot be read (another user\'s, or outside this container)'
      : owner === server
        ? `${server.name} itself (PID ${pid}), which is still running`
        : `PID ${pid}${owner ? ` (${owner.name})` : holder.command ? ` (${holder.command.slice(0, 80)})` : ''}`;
  return { id: 'port', ok: false, message: `Port ${port} is already in use by ${who}.`, fix: pid !== null ? 'kill-port-holder' : null, holder };
}

function readJson(file: string): Record<string, unknown> | null {
  try {
    const read = readWorkspaceFile(file, MAX_PACKAGE_JSON_BYTES);
    if (!('text' in read)) return null;
    const v: unknown = JSON.parse(read.text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** The folder and its parents up to the workspace folder (node resolves packages up the tree, and workspaces hoist). */
function foldersUp(cwd: string, top: string): string[] {
  const out: string[] = [];
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    out.push(dir);
    if (dir === top || !isInside(dir, top) || path.dirname(dir) === dir) return out;
  }
}

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** The package manager a project uses, from the lock file in its folder or the folders above. */
export function packageManagerOf(folders: readonly string[]): PackageManager {
  const has = (f: string) => folders.some((d) => fs.existsSync(path.join(d, f)));
  if (has('pnpm-lock.yaml')) return 'pnpm';
  if (has('yarn.lock')) return 'yarn';
  if (has('bun.lockb') || has('bun.lock')) return 'bun';
  return 'npm';
}

/** The folder and the folders above it up to the workspace folder (where a monorepo keeps its lock file). */
export function projectFolders(cwd: string, workspaceFolder: string): string[] {
  return foldersUp(cwd, workspaceFolder);
}

function installCommand(folders: readonly string[]): string {
  return `${packageManagerOf(folders)} install`;
}

function dependenciesCheck(server: Server): PreflightCheck | null {
  const pkg = readJson(path.join(server.cwd, 'package.json'));
  if (!pkg) return null;
  const deps = ['dependencies', 'devDependencies'].flatMap((field) => {
    const v = pkg[field];
    return v && typeof v === 'object' ? Object.keys(v) : [];
  });
  if (deps.length === 0) return { id: 'node_modules', ok: true, message: 'The project has no dependencies to install.', fix: null };
  const folders = foldersUp(server.cwd, server.workspaceFolder);
  if (folders.some((d) => fs.existsSync(path.join(d, '.pnp.cjs')))) {
    return { id: 'node_modules', ok: true, message: 'Dependencies are installed with Yarn Plug\'n\'Play.', fix: null };
  }
  const command = installCommand(folders);
  const roots = folders.map((d) => path.join(d, 'node_modules')).filter((d) => fs.existsSync(d));
  if (roots.length === 0) {
    return { id: 'node_modules', ok: false, message: `node_modules is missing: run ${command} first.`, fix: 'install-dependencies', installCommand: command };
  }
  const missing = deps.filter((name) => !roots.some((r) => fs.existsSync(path.join(r, name, 'package.json'))));
  if (missing.length === 0) return { id: 'node_modules', ok: true, message: 'Dependencies are installed.', fix: null };
  const named = missing.slice(0, NAMED_MISSING).join(', ') + (missing.length > NAMED_MISSING ? ` and ${missing.length - NAMED_MISSING} more` : '');
  return {
    id: 'node_modules', ok: false, fix: 'install-dependencies', installCommand: command,
    message: `${missing.length} dependenc${missing.length === 1 ? 'y is' : 'ies are'} not installed (${named}): run ${command}.`,
  };
}

function diskCheck(server: Server, snapshot: Snapshot, fullPercent: number, minFree: number): PreflightCheck | null {
  let disk: { freeBytes: number; usedPercent: number } | null = snapshot.system.disks.find((d) => d.forPaths.includes(server.workspaceFolder)) ?? null;
  if (!disk) {
    try {
      const st = fs.statfsSync(server.cwd);
      const free = st.bavail * st.bsize;
      const used = (st.blocks - st.bfree) * st.bsize;
      disk = { freeBytes: free, usedPercent: used + free > 0 ? Math.round((used / (used + free)) * 1000) / 10 : 0 };
    } catch {
      return null;
    }
  }
  const full = disk.usedPercent >= fullPercent || disk.freeBytes < minFree;
  return full
    ? { id: 'disk', ok: false, fix: 'free-disk', message: `The disk is ${disk.usedPercent}% full (${formatBytes(disk.freeBytes)} free): builds and caches fail with ENOSPC.` }
    : { id: 'disk', ok: true, fix: null, message: `${formatBytes(disk.freeBytes)} free on the disk.` };
}

/** The checks that apply to the server (a server without a known port has no port check). Never throws. */
export async function preflight(opts: PreflightOptions): Promise<PreflightResult> {
  const { server, snapshot } = opts;
  const checks = [
    await portCheck(server, snapshot, opts.lookup ?? defaultLookup()),
    dependenciesCheck(server),
    diskCheck(server, snapshot, opts.diskFullPercent ?? DEFAULT_DISK_FULL_PERCENT, opts.minFreeBytes ?? DEFAULT_MIN_FREE),
  ].filter((c): c is PreflightCheck => c !== null);
  return { ok: checks.every((c) => c.ok), checks };
}
