// Facts of the machine the newer causes need beyond the output: who counts against the process limit,
// which Node the project asks for and which version manager is installed, who listens on the other
// loopback family, who else writes a build cache, whether the inspector's holder is the editor itself.
// Read only when a finding asks for them (a crash), never per poll. None throws.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ListeningSocket, Snapshot } from '../../types';
import { parseCmdline, parseStatusUid } from '../../system/procParsers';
import { redactArgs } from '../../redact';
import type { OutputFinding } from '../output';
import { readMemoryCeiling, type MemoryCeiling } from '../../system/memoryCeiling';

export interface ProcessHolder {
  readonly pid: number;
  readonly command: string;
  /** Tasks (processes and threads) it and its zombie children hold. */
  readonly tasks: number;
  readonly zombieChildren: number;
}

export interface ProcessLimitFacts {
  readonly uid: number;
  /** Tasks (threads count: RLIMIT_NPROC and pids.max count them) of that user. */
  readonly userTasks: number;
  /** ulimit -u (RLIMIT_NPROC) of the process read; null = unlimited or unknown. */
  readonly ulimit: number | null;
  /** The pids cgroup with the smallest limit on the way up, and its count. */
  readonly cgroup: { readonly path: string; readonly max: number; readonly current: number } | null;
  /** Parents holding the most tasks (zombies piling up under a daemon first). */
  readonly holders: readonly ProcessHolder[];
}

export interface NodeRequirement {
  /** 'engines.node' (package.json), '.nvmrc', '.node-version'. */
  readonly source: 'engines.node' | '.nvmrc' | '.node-version';
  readonly file: string;
  readonly range: string;
}

export type VersionManagerName = 'nvm' | 'fnm' | 'volta';

export interface VersionManager {
  readonly name: VersionManagerName;
  /** Where it was found. */
  readonly at: string;
}

export interface CacheWriter {
  readonly pid: number;
  readonly command: string;
}

/** What decideVerdict may know of the machine besides the output (CrashEvidence.facts). */
export interface CauseFacts {
  readonly processLimit?: ProcessLimitFacts | null;
  readonly nodeRequirements?: readonly NodeRequirement[];
  readonly versionManagers?: readonly VersionManager[];
  /** Listening sockets now (for localhost-ipv6). */
  readonly listeners?: readonly ListeningSocket[];
  /** Other processes building into the same folder (a `next build` while `next dev` serves). */
  readonly cacheWriters?: readonly CacheWriter[];
  /** The editor's own processes: an inspector port they hold is VS Code's debugger. */
  readonly editorPids?: readonly number[];
  /** Free memory and free disk in the server's folder now (heap snapshots). */
  readonly availableBytes?: number | null;
  readonly diskFreeBytes?: number | null;
  /** Where the servers run and which memory ceiling applies. */
  readonly ceiling?: MemoryCeiling;
}

export interface FactsInput {
  readonly findings: readonly OutputFinding[];
  readonly cwd: string | null;
  /** Processes of the dead server's tree, any of which may still live (npm exits a poll after its child): the first alive is read. */
  readonly pids?: readonly number[];
  /** /proc/PID/cgroup of the run, read when it started: used when none of its processes is left. */
  readonly cgroupText?: string;
  readonly snapshot?: Snapshot | null;
  readonly editorPids?: readonly number[];
  readonly procRoot?: string;
  readonly cgroupRoot?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
}

const MAX_HOLDERS = 5;

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** "Max processes  63704  63704  processes" of /proc/PID/limits; null = unlimited or unreadable. */
export function parseMaxProcesses(limits: string): number | null {
  const m = /^Max processes\s+(\S+)/m.exec(limits);
  return m && /^\d+$/.test(m[1]) ? Number(m[1]) : null;
}

/** The pids controller's path in /proc/PID/cgroup (v1 "N:pids:/p", else v2 "0::/p"). */
export function pidsCgroupPath(text: string): { path: string; v1: boolean } | null {
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const parts = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!parts) continue;
    if (parts[2].split(',').includes('pids')) return { path: parts[3], v1: true };
    if (parts[1] === '0' && parts[2] === '') v2 = parts[3];
  }
  return v2 !== null ? { path: v2, v1: false } : null;
}

function smallestPidsLimit(cgroupRoot: string, cg: { path: string; v1: boolean }): ProcessLimitFacts['cgroup'] {
  const base = cg.v1 ? path.join(cgroupRoot, 'pids') : cgroupRoot;
  let best: ProcessLimitFacts['cgroup'] = null;
  for (let p = cg.path; ; p = path.posix.dirname(p)) {
    const dir = path.join(base, p);
    const max = read(path.join(dir, 'pids.max'))?.trim();
    const current = Number(read(path.join(dir, 'pids.current'))?.trim());
    if (max && /^\d+$/.test(max) && Number.isFinite(current) && (!best || Number(max) - current < best.max - best.current)) {
      best = { path: p, max: Number(max), current };
    }
    if (p === '/' || p === '.' || p === '') break;
  }
  return best;
}

/** The user's tasks against ulimit -u and the pids cgroup, and the parents holding most of them. */
export function readProcessLimit(pid: number = process.pid, procRoot = '/proc', cgroupRoot = '/sys/fs/cgroup', cgroupText?: string): ProcessLimitFacts | null {
  const status = read(`${procRoot}/${pid}/status`) ?? read(`${procRoot}/self/status`);
  if (status === null) return null;
  const uid = parseStatusUid(status);
  const ulimit = parseMaxProcesses(read(`${procRoot}/${pid}/limits`) ?? read(`${procRoot}/self/limits`) ?? '');
  const cgText = cgroupText ?? read(`${procRoot}/${pid}/cgroup`) ?? read(`${procRoot}/self/cgroup`);
  const cgPath = cgText ? pidsCgroupPath(cgText) : null;
  const cgroup = cgPath ? smallestPidsLimit(cgroupRoot, cgPath) : null;

  let names: string[] = [];
  try {
    names = fs.readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return { uid, userTasks: 0, ulimit, cgroup, holders: [] };
  }
  interface P { pid: number; ppid: number; threads: number; zombie: boolean }
  const procs: P[] = [];
  for (const n of names) {
    const s = read(`${procRoot}/${n}/status`);
    if (!s || parseStatusUid(s) !== uid) continue;
    procs.push({
      pid: Number(n),
      ppid: Number(/^PPid:\s+(\d+)/m.exec(s)?.[1] ?? 0),
      threads: Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 1),
      zombie: /^State:\s+Z/m.test(s),
    });
  }
  // A parent holds its own threads plus its children (a zombie still counts against the limit).
  const byParent = new Map<number, { tasks: number; zombies: number }>();
  const entry = (pid: number): { tasks: number; zombies: number } => {
    let e = byParent.get(pid);
    if (!e) { e = { tasks: 0, zombies: 0 }; byParent.set(pid, e); }
    return e;
  };
  for (const p of procs) {
    if (!p.zombie) entry(p.pid).tasks += p.threads;
    const parent = entry(p.ppid);
    parent.tasks += p.zombie ? 1 : p.threads;
    if (p.zombie) parent.zombies += 1;
  }
  const holders = [...byParent.entries()]
    .filter(([p]) => procs.some((x) => x.pid === p && !x.zombie))
    .sort((a, b) => b[1].zombies - a[1].zombies || b[1].tasks - a[1].tasks)
    .slice(0, MAX_HOLDERS)
    .map(([p, c]) => {
      const argv = parseCmdline(fs.existsSync(`${procRoot}/${p}/cmdline`) ? fs.readFileSync(`${procRoot}/${p}/cmdline`) : '');
      return { pid: p, command: argv.length ? redactArgs(argv).join(' ') : `pid ${p}`, tasks: c.tasks, zombieChildren: c.zombies };
    });
  return { uid, userTasks: procs.reduce((n, p) => n + (p.zombie ? 1 : p.threads), 0), ulimit, cgroup, holders };
}

/** engines.node, .nvmrc and .node-version from the server's folder up to the filesystem root (nearest first). */
export function readNodeRequirements(cwd: string): NodeRequirement[] {
  const out: NodeRequirement[] = [];
  const seen = new Set<NodeRequirement['source']>();
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    const pkgFile = path.join(dir, 'package.json');
    const pkg = read(pkgFile);
    if (pkg !== null && !seen.has('engines.node')) {
      try {
        const range = (JSON.parse(pkg) as { engines?: { node?: unknown } }).engines?.node;
        if (typeof range === 'string' && range.trim()) { out.push({ source: 'engines.node', file: pkgFile, range: range.trim() }); seen.add('engines.node'); }
      } catch { /* malformed package.json: no requirement from it */ }
    }
    for (const name of ['.nvmrc', '.node-version'] as const) {
      if (seen.has(name)) continue;
      const text = read(path.join(dir, name));
      const first = text?.split('\n').map((l) => l.replace(/#.*/, '').trim()).find(Boolean);
      if (first && first.length < 64) { out.push({ source: name, file: path.join(dir, name), range: first }); seen.add(name); }
    }
    if (path.dirname(dir) === dir) break;
  }
  return out;
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch { /* not here */ }
  }
  return null;
}

/** nvm, fnm and volta as they install themselves (nvm is a shell function: its nvm.sh counts). */
export function findVersionManagers(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): VersionManager[] {
  const out: VersionManager[] = [];
  const nvmDir = env.NVM_DIR || path.join(home, '.nvm');
  if (fs.existsSync(path.join(nvmDir, 'nvm.sh'))) out.push({ name: 'nvm', at: path.join(nvmDir, 'nvm.sh') });
  const fnm = onPath('fnm', env) ?? [path.join(home, '.local', 'share', 'fnm', 'fnm'), path.join(home, '.fnm', 'fnm')].find((p) => fs.existsSync(p));
  if (fnm) out.push({ name: 'fnm', at: fnm });
  const volta = onPath('volta', env) ?? [path.join(env.VOLTA_HOME || path.join(home, '.volta'), 'bin', 'volta')].find((p) => fs.existsSync(p));
  if (volta) out.push({ name: 'volta', at: volta });
  return out;
}

const BUILDERS = /\b(?:next build|vite build|nuxi? build|svelte-kit build|webpack(?:-cli)?(?: build)?\b(?!-dev-server)|astro build|react-scripts build)\b/;

/** Processes building in the same folder as the dead server (they write the cache it serves from). */
export function findCacheWriters(snapshot: Snapshot | null | undefined, cwd: string | null): CacheWriter[] {
  if (!snapshot || !cwd) return [];
  const out: CacheWriter[] = [];
  for (const s of snapshot.servers) {
    for (const p of s.processes) {
      if (p.cwd === cwd && BUILDERS.test(p.command) && !p.zombie) out.push({ pid: p.pid, command: p.command });
    }
  }
  return out;
}

/** Only what the findings call for is read. */
export function gatherCauseFacts(input: FactsInput): CauseFacts {
  const causes = new Set(input.findings.map((f) => f.cause));
  const facts: { -readonly [K in keyof CauseFacts]: CauseFacts[K] } = {};
  try {
    if (causes.has('process-limit')) {
      const alive = (input.pids ?? []).find((p) => fs.existsSync(`${input.procRoot ?? '/proc'}/${p}/status`));
      facts.processLimit = readProcessLimit(alive ?? process.pid, input.procRoot, input.cgroupRoot, alive === undefined ? input.cgroupText : undefined);
    }
    if (causes.has('node-version-mismatch') && input.cwd) {
      facts.nodeRequirements = readNodeRequirements(input.cwd);
      facts.versionManagers = findVersionManagers(input.env, input.home);
    }
    if (causes.has('localhost-ipv6') || causes.has('inspector-port-in-use')) facts.listeners = input.snapshot?.sockets ?? undefined;
    if (causes.has('inspector-port-in-use')) facts.editorPids = input.editorPids ?? [];
    if (causes.has('stale-build-cache')) facts.cacheWriters = findCacheWriters(input.snapshot, input.cwd);
    {
      // From the snapshot, no reading: a heap snapshot on the next run needs memory and disk to spare.
      facts.availableBytes = input.snapshot?.system.memory.availableBytes ?? null;
      const disk = input.cwd ? input.snapshot?.system.disks.find((d) => d.forPaths.some((p) => input.cwd === p || input.cwd!.startsWith(`${p}/`))) : undefined;
      facts.diskFreeBytes = disk?.freeBytes ?? null;
      const server = input.snapshot?.servers.find((s) => s.cwd === input.cwd && s.cgroup);
      facts.ceiling = readMemoryCeiling({ cgroupLimitBytes: server?.cgroup?.limitBytes ?? input.snapshot?.system.cgroup?.limitBytes ?? null, workspaceFolders: input.snapshot?.workspaceFolders ?? (input.cwd ? [input.cwd] : []) });
    }
  } catch {
    // Facts are a bonus: the verdict stands on the output without them.
  }
  return facts;
}
