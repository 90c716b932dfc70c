// Turns raw processes and sockets into the workspace's servers: groups processes into trees under
// their top-most workspace ancestor, matches trees to the servers package.json/settings declare,
// and decides each server's state.
// Why this file is long (~460 lines): grouping processes into trees, matching them to declared servers and deciding
// each state are one pass over the same snapshot whose steps feed each other; scripts and ports live in workspace/.
import * as path from 'node:path';
import { redactText } from './redact';
import { folderOf, isInside } from './paths';
import { splitCommands } from './shell';
import type {
  CgroupInfo, ExpectedServer, Framework, HeapLimit, ListeningSocket, ProcessInfo, Server, ServerProcess, ServerState,
} from './types';

/** Shells a user types into. Their children are the servers; the shell itself never is. */
const SHELLS = new Set(['bash', 'sh', 'zsh', 'fish', 'dash', 'ksh', 'tcsh', 'csh', 'pwsh', 'nu', 'xonsh', 'elvish']);

/** Processes a re-parented orphan lands under: init and the usual subreapers. */
const REAPERS = new Set(['systemd', 'init', 'tini', 'dumb-init', 'catatonit', 'docker-init', 's6-supervise', 'runit']);

/** Editor and language tooling that runs with the workspace as cwd but is never a dev server. */
const TOOLING = /vscode-server|code-server|\.vscode(?:-server|-remote)?\/|extensionHost|bootstrap-fork|--type=(?:extensionHost|fileWatcher|ptyHost)|tsserver|typingsInstaller|eslintServer|language-?server|languageServer|\/typescript\/lib\/|dist\/cli\.js (?:status|watch|investigate|run)/i;

/** Runtimes and launchers that make an otherwise portless tree worth showing. */
const RUNTIMES = /^(?:node|nodejs|bun|deno|npm|npx|pnpm|yarn|python\d*(?:\.\d+)?|ruby|php|uvicorn|gunicorn|flask|rails|java|go|cargo|dotnet)$/;

/** A process launched by init itself within this long after init started is a service, not an orphan. */
const INIT_LAUNCH_GRACE_MS = 10_000;

export function baseName(p: string): string {
  return p.split(/[\\/]/).pop() ?? p;
}

/** The command line as shown to the user: secrets in it (`--password=…`, `TOKEN=…`, URL credentials) redacted. */
export function commandLine(p: ProcessInfo): string {
  // A process that set its title (npm) pads argv with spaces.
  return redactText(p.cmdline.length > 0 ? p.cmdline.join(' ').trim() : `[${p.comm}]`);
}

/** An interactive shell (`bash`, `-zsh`, `bash --login`), not a `sh -c "…"` script runner. */
/** A shell (bash, sh, zsh, fish…), interactive or running a script. */
export function isShell(p: ProcessInfo): boolean {
  return SHELLS.has(baseName(p.cmdline[0] ?? p.comm).replace(/^-/, '')) || SHELLS.has(p.comm);
}

export function isInteractiveShell(p: ProcessInfo): boolean {
  if (p.state === 'Z') return false; // a zombie shell has no argv left to tell; it is listed as a zombie
  const argv0 = baseName(p.cmdline[0] ?? p.comm).replace(/^-/, '');
  if (!SHELLS.has(argv0) && !SHELLS.has(p.comm)) return false;
  return !p.cmdline.slice(1).some((a) => a === '-c' || /^-[a-z]*c[a-z]*$/.test(a) || !a.startsWith('-'));
}

export function isTooling(p: ProcessInfo): boolean {
  return TOOLING.test(p.cmdline.join(' '));
}

function isRuntime(p: ProcessInfo): boolean {
  return RUNTIMES.test(baseName(p.cmdline[0] ?? '')) || RUNTIMES.test(p.comm);
}

export interface TreeMember {
  readonly proc: ProcessInfo;
  readonly depth: number;
}

export interface RunningTree {
  readonly root: ProcessInfo;
  readonly workspaceFolder: string;
  /** Root first, then depth-first in pid order. */
  readonly members: readonly TreeMember[];
  /** Listening ports per pid. */
  readonly portsByPid: ReadonlyMap<number, readonly number[]>;
  readonly ports: readonly number[];
}

export function portsByPid(sockets: readonly ListeningSocket[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  for (const s of sockets) {
    if (s.pid === null) continue;
    const list = m.get(s.pid) ?? [];
    if (!list.includes(s.port)) list.push(s.port);
    m.set(s.pid, list);
  }
  for (const list of m.values()) list.sort((a, b) => a - b);
  return m;
}

/**
 * Groups the processes running inside the workspace folders into trees under their top-most
 * workspace ancestor: npm → sh → node vite → esbuild is one tree. Leaves out this process and its
 * ancestors (the editor), editor tooling and interactive shells;
 * keeps trees that listen on a port or run a known runtime.
 */
export function groupTrees(
  processes: readonly ProcessInfo[],
  sockets: readonly ListeningSocket[],
  workspaceFolders: readonly string[],
  selfPid: number,
): RunningTree[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const children = new Map<number, ProcessInfo[]>();
  for (const p of processes) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  for (const list of children.values()) list.sort((a, b) => a.pid - b.pid);

  // This process and its ancestors (the editor) are never a server. Its descendants may be: servers the
  // extension starts itself; the language servers among them are caught by TOOLING.
  const excluded = new Set<number>();
  for (let p = byPid.get(selfPid); p && !excluded.has(p.pid); p = byPid.get(p.ppid)) excluded.add(p.pid);

  const inWorkspace = (p: ProcessInfo): boolean =>
    !excluded.has(p.pid) && p.cwd !== null && folderOf(p.cwd, workspaceFolders) !== null
    && !isInteractiveShell(p) && !isTooling(p) && p.pid > 1;

  const ports = portsByPid(sockets);
  const trees: RunningTree[] = [];
  for (const p of processes) {
    if (!inWorkspace(p)) continue;
    const parent = byPid.get(p.ppid);
    if (parent && inWorkspace(parent)) continue; // not top-most
    const members: TreeMember[] = [];
    const walk = (proc: ProcessInfo, depth: number): void => {
      members.push({ proc, depth });
      for (const c of children.get(proc.pid) ?? []) {
        if (!excluded.has(c.pid) && !isInteractiveShell(c)) walk(c, depth + 1);
      }
    };
    walk(p, 0);
    const treePorts = new Map<number, readonly number[]>();
    for (const m of members) {
      const list = ports.get(m.proc.pid);
      if (list) treePorts.set(m.proc.pid, list);
    }
    const allPorts = [...new Set([...treePorts.values()].flat())].sort((a, b) => a - b);
    if (allPorts.length === 0 && !members.some((m) => isRuntime(m.proc))) continue;
    trees.push({
      root: p,
      workspaceFolder: folderOf(p.cwd!, workspaceFolders)!,
      members,
      portsByPid: treePorts,
      ports: allPorts,
    });
  }
  return trees;
}

/**
 * Why a tree's root is orphaned, or null: it was re-parented to init or a subreaper (its launcher is gone) AND
 * something shows it came from a dev session (`launchedFrom`: a launcher seen earlier, or its environment says npm,
 * a terminal or a shell started it). Being a child of PID 1 or systemd alone is what every service is; a process
 * init itself started at boot (a container entrypoint) is never an orphan.
 */
export function orphanReason(
  root: ProcessInfo,
  byPid: ReadonlyMap<number, ProcessInfo>,
  launchedFrom: (p: ProcessInfo) => string | null = () => null,
): string | null {
  const parent = byPid.get(root.ppid);
  let adopter: string | null = null;
  if (root.ppid === 1) {
    const init = byPid.get(1);
    if (init && init.startTimeMs > 0 && root.startTimeMs - init.startTimeMs < INIT_LAUNCH_GRACE_MS) return null;
    adopter = 'PID 1';
  } else if (parent && REAPERS.has(parent.comm) && parent.startTimeMs > 0 && parent.startTimeMs < root.startTimeMs - INIT_LAUNCH_GRACE_MS) {
    adopter = `${parent.comm} (PID ${parent.pid})`;
  }
  if (adopter === null) return null;
  const from = launchedFrom(root);
  return from === null ? null : `its launcher (${from}) is gone and it was re-parented to ${adopter}`;
}

/** What launched `p` when its parent is a dev-session launcher (a shell, npm/pnpm/yarn, a watcher), else null. */
export function launcherOf(parent: ProcessInfo): string | null {
  if (parent.pid <= 1 || REAPERS.has(parent.comm)) return null;
  const argv0 = baseName(parent.cmdline[0] ?? parent.comm).replace(/^-/, '');
  if (SHELLS.has(argv0) || SHELLS.has(parent.comm)) return `${argv0} (PID ${parent.pid})`;
  const tool = [argv0, ...parent.cmdline.slice(1, 3).map(baseName)]
    .map((a) => a.replace(/\.(?:c|m)?js$/, '').replace(/-cli$/, ''))
    .find((a) => LAUNCHERS.has(a));
  if (tool) return `${tool} (PID ${parent.pid})`;
  if (/^(?:npm|pnpm|yarn) /.test(parent.comm)) return `${parent.comm.split(' ')[0]} (PID ${parent.pid})`;
  return null;
}

/** Launchers of dev processes besides shells: package managers, task runners and watchers. */
const LAUNCHERS = new Set([
  'npm', 'npx', 'pnpm', 'yarn', 'bun', 'nodemon', 'tsx', 'ts-node-dev', 'concurrently', 'run-p', 'run-s', 'npm-run-all', 'turbo', 'nx',
  'code', 'code-server',
]);

/** Dev-session evidence in a process's environment (NAME=value of /proc/PID/environ), or null. */
export function launchEvidenceInEnv(env: Readonly<Record<string, string>>): string | null {
  const agent = env.npm_config_user_agent?.split('/')[0];
  const manager = agent && /^(?:npm|pnpm|yarn|bun)$/.test(agent) ? agent : 'npm';
  if (env.npm_lifecycle_event) return `${manager} run ${env.npm_lifecycle_event}`;
  if (env.npm_execpath || env.npm_command) return `${manager} ${env.npm_command ?? 'exec'}`;
  if (env.TERM_PROGRAM === 'vscode' || Object.keys(env).some((k) => k.startsWith('VSCODE_'))) return 'a VS Code terminal, task or extension';
  if (env.TERM_PROGRAM) return `a ${env.TERM_PROGRAM} terminal`;
  if (env.SHLVL) return 'a shell';
  return null;
}

const WRAPPERS = new Set(['npx', 'cross-env', 'dotenv', 'env', 'exec', 'nohup', 'time']);

/** The programs a script body runs (`cross-env A=1 vite --port 3000 && node x.js` → ['vite', 'node x.js']). */
export function commandKeys(body: string): string[] {
  const keys: string[] = [];
  for (const words of splitCommands(body)) {
    let i = 0;
    for (; i < words.length; i++) {
      const w = words[i]!;
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w) || WRAPPERS.has(w) || (w.startsWith('-') && i > 0)) continue;
      if ((w === 'npm' || w === 'pnpm' || w === 'yarn') && words[i + 1] === 'exec') { i++; continue; }
      break;
    }
    const prog = words[i];
    if (!prog) continue;
    const name = baseName(prog);
    if (name === 'npm' || name === 'pnpm' || name === 'yarn' || name === 'bun') continue; // `npm run x` is matched by script name
    if (name === 'node') {
      const script = nodeScript(words.slice(i + 1));
      keys.push(script ? `node ${baseName(script)}` : name);
    } else {
      // A subcommand right after the program tells `vite` from `vite preview`, `next dev` from `next start`.
      const sub = words[i + 1];
      keys.push(sub && /^[a-z][\w:-]*$/.test(sub) ? `${name} ${sub}` : name);
    }
  }
  return keys;
}

const NODE_FLAGS_WITH_VALUE = new Set(['-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions']);

function nodeScript(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (NODE_FLAGS_WITH_VALUE.has(a)) { i++; continue; }
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

function runsScript(cmd: string, script: string): boolean {
  const s = script.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`(?:^|[\\s/])(?:npm|pnpm|yarn|bun)(?:\\.c?js)?\\s+(?:(?:run|run-script)\\s+)?${s}(?:\\s|$)`);
  return re.test(cmd) || (script === 'start' && /(?:^|[\s/])npm(?:\.c?js)?\s+start(?:\s|$)/.test(cmd));
}

function memberMatchesKey(p: ProcessInfo, key: string): boolean {
  const argv = p.cmdline;
  const [prog, sub] = key.split(' ') as [string, string | undefined];
  if (prog === 'node' && sub) {
    return argv.some((a, i) => i > 0 && baseName(a) === sub) && /node/.test(baseName(argv[0] ?? p.comm));
  }
  if (sub && !argv.includes(sub)) return false;
  return argv.slice(0, 3).some((a) => {
    const b = baseName(a);
    return b === prog || b === `${prog}.js` || b === `${prog}.mjs` || b === `${prog}.cjs`
      || a.includes(`/node_modules/${prog}/`) || a.includes(`/.bin/${prog}`);
  }) || p.comm === prog;
}

/** The command a `sh -c "<script body>"` process runs (how npm, pnpm and yarn run scripts), else null. */
function scriptRunnerBody(p: ProcessInfo): string | null {
  const i = p.cmdline.indexOf('-c');
  return i >= 0 && i + 1 < p.cmdline.length ? p.cmdline.slice(i + 1).join(' ').replace(/\s+/g, ' ').trim() : null;
}

/** How well a running tree fits an expected server; 0 = not at all. */
export function matchScore(tree: RunningTree, exp: ExpectedServer): number {
  if (!tree.members.some((m) => m.proc.cwd === exp.cwd)) return 0;
  let score = 0;
  const body = exp.command.replace(/\s+/g, ' ').trim();
  const cmds = tree.members.map((m) => m.proc.cmdline.join(' ').replace(/\s+/g, ' '));
  if (exp.script && cmds.some((c) => runsScript(c, exp.script!))) score += 4;
  if (body && tree.members.some((m) => scriptRunnerBody(m.proc) === body)) score += 4;
  const keys = commandKeys(body);
  if (keys.length > 0 && tree.members.some((m) => keys.some((k) => memberMatchesKey(m.proc, k)))) score += 2;
  if (exp.expectedPort !== null && tree.ports.includes(exp.expectedPort)) score += score > 0 ? 1 : 2;
  return score;
}

/** Pairs trees with expected servers, best fits first; each side used at most once. */
export function matchTrees(
  trees: readonly RunningTree[],
  expected: readonly ExpectedServer[],
): Map<RunningTree, ExpectedServer> {
  const pairs: { tree: RunningTree; exp: ExpectedServer; score: number }[] = [];
  for (const tree of trees) {
    for (const exp of expected) {
      const score = matchScore(tree, exp);
      if (score >= 2) pairs.push({ tree, exp, score });
    }
  }
  pairs.sort((a, b) => b.score - a.score || a.tree.root.pid - b.tree.root.pid);
  const result = new Map<RunningTree, ExpectedServer>();
  const used = new Set<ExpectedServer>();
  for (const { tree, exp } of pairs) {
    if (result.has(tree) || used.has(exp)) continue;
    result.set(tree, exp);
    used.add(exp);
  }
  return result;
}

export interface ServerFacts {
  /** Heap limit of a node process; null for anything else. */
  heapLimitOf(p: ProcessInfo): HeapLimit | null;
  cgroupOf(pid: number): CgroupInfo | null;
  /** What shows a re-parented root came from a dev session (see orphanReason); none known when absent. */
  launchedFrom?(p: ProcessInfo): string | null;
}

function shortCommand(p: ProcessInfo): string {
  if (p.cmdline.length === 0) return p.comm;
  const [argv0, ...rest] = p.cmdline;
  const cmd = [baseName(argv0!), ...rest.map((a) => (a.startsWith('/') && p.cwd && isInside(a, p.cwd) ? path.relative(p.cwd, a) : a))].join(' ');
  const shown = redactText(cmd);
  return shown.length > 60 ? `${shown.slice(0, 57)}…` : shown;
}

/** The process whose heap matters: the node process holding a port, else the largest node process. */
function mainNodeProcess(tree: RunningTree, facts: ServerFacts): { proc: ProcessInfo; heap: HeapLimit } | null {
  let best: { proc: ProcessInfo; heap: HeapLimit; rank: number } | null = null;
  for (const { proc } of tree.members) {
    if (proc.state === 'Z') continue;
    const heap = facts.heapLimitOf(proc);
    if (!heap) continue;
    const rank = (tree.portsByPid.has(proc.pid) ? 1e15 : 0) + proc.rssBytes;
    if (!best || rank > best.rank) best = { proc, heap, rank };
  }
  return best;
}

function inferFramework(tree: RunningTree): Framework {
  const cmds = tree.members.map((m) => m.proc.cmdline.join(' '));
  const order: [Framework, RegExp][] = [
    ['next', /\bnext(?:\.js)?\b.*\b(?:dev|start)\b|next-server|next-router-worker/],
    ['nuxt', /\bnuxi?\b/], ['astro', /\bastro\b/], ['remix', /\bremix\b/], ['storybook', /storybook/],
    ['angular', /\bng\b.*\bserve\b|@angular\/cli/], ['react-scripts', /react-scripts/],
    ['webpack-dev-server', /webpack(?:-dev-server|\b.*\bserve\b)/], ['vite', /\bvite(?:\.js)?\b/],
    ['nodemon', /nodemon/], ['tsx', /\btsx\b/], ['ts-node', /ts-node/],
  ];
  for (const [fw, re] of order) if (cmds.some((c) => re.test(c))) return fw;
  return tree.members.some((m) => /node/.test(baseName(m.proc.cmdline[0] ?? ''))) ? 'node' : 'unknown';
}

function stateOf(tree: RunningTree, orphan: string | null): ServerState {
  if (orphan) return 'orphaned';
  return tree.ports.length > 0 ? 'up' : 'starting';
}

function runningServer(
  tree: RunningTree,
  exp: ExpectedServer | null,
  name: string,
  id: string,
  byPid: ReadonlyMap<number, ProcessInfo>,
  facts: ServerFacts,
): Server {
  const main = mainNodeProcess(tree, facts);
  const orphan = orphanReason(tree.root, byPid, (p) => facts.launchedFrom?.(p) ?? null);
  const processes: ServerProcess[] = tree.members.map(({ proc, depth }) => ({
    pid: proc.pid,
    ppid: proc.ppid,
    state: proc.state,
    zombie: proc.state === 'Z',
    comm: proc.comm,
    command: commandLine(proc),
    cwd: proc.cwd,
    rssBytes: proc.rssBytes,
    startTimeMs: proc.startTimeMs,
    ports: tree.portsByPid.get(proc.pid) ?? [],
    depth,
  }));
  return {
    id,
    name,
    workspaceFolder: tree.workspaceFolder,
    cwd: exp?.cwd ?? tree.root.cwd!,
    script: exp?.script ?? null,
    command: exp ? redactText(exp.command) : commandLine(tree.root),
    framework: exp && exp.framework !== 'unknown' ? exp.framework : inferFramework(tree),
    state: stateOf(tree, orphan),
    pid: tree.root.pid,
    pids: processes.map((p) => p.pid),
    ports: tree.ports,
    expectedPort: exp?.expectedPort ?? null,
    ...(exp ? { portSource: exp.portSource } : {}),
    rssBytes: processes.reduce((sum, p) => sum + p.rssBytes, 0),
    heapLimitBytes: main?.heap.bytes ?? null,
    heapLimitSource: main?.heap.source ?? null,
    heapPid: main?.proc.pid ?? null,
    startTimeMs: tree.root.startTimeMs || null,
    processes,
    zombiePids: processes.filter((p) => p.zombie).map((p) => p.pid),
    source: exp?.source ?? 'process',
    cgroup: facts.cgroupOf(main?.proc.pid ?? tree.root.pid),
    ...(orphan ? { orphanReason: orphan } : {}),
  };
}

export function expectedId(exp: ExpectedServer): string {
  return `${exp.cwd}#${exp.script ?? exp.name}`;
}

function downServer(exp: ExpectedServer): Server {
  return {
    id: expectedId(exp),
    name: exp.name,
    workspaceFolder: exp.workspaceFolder,
    cwd: exp.cwd,
    script: exp.script,
    command: redactText(exp.command),
    framework: exp.framework,
    state: 'down',
    pid: null,
    pids: [],
    ports: [],
    expectedPort: exp.expectedPort,
    portSource: exp.portSource,
    rssBytes: 0,
    heapLimitBytes: null,
    heapLimitSource: null,
    heapPid: null,
    startTimeMs: null,
    processes: [],
    zombiePids: [],
    source: exp.source,
    cgroup: null,
  };
}

export interface BuildServersInput {
  readonly processes: readonly ProcessInfo[];
  readonly sockets: readonly ListeningSocket[];
  readonly expected: readonly ExpectedServer[];
  readonly workspaceFolders: readonly string[];
  readonly selfPid: number;
}

/** Every expected server (running, or down unless it serves build output) plus every running tree no declaration accounts for. */
export function buildServers(input: BuildServersInput, facts: ServerFacts): Server[] {
  const byPid = new Map(input.processes.map((p) => [p.pid, p]));
  const trees = groupTrees(input.processes, input.sockets, input.workspaceFolders, input.selfPid);
  const matched = matchTrees(trees, input.expected);
  const byExpected = new Map<ExpectedServer, RunningTree>();
  for (const [tree, exp] of matched) byExpected.set(exp, tree);

  const servers: Server[] = [];
  for (const exp of input.expected) {
    const tree = byExpected.get(exp);
    if (tree) servers.push(runningServer(tree, exp, exp.name, expectedId(exp), byPid, facts));
    // A script serving build output (`next start`, `vite preview`) is no dev server to miss while it is down.
    else if (!exp.servesBuild) servers.push(downServer(exp));
  }
  for (const tree of trees) {
    if (matched.has(tree)) continue;
    const cwd = tree.root.cwd!;
    // A second copy of a declared server (same folder and command) keeps the declared name.
    const twin = input.expected.find((e) => matchScore(tree, e) >= 2);
    const pkg = input.expected.find((e) => e.cwd === cwd);
    const label = twin ? `${twin.name} (another copy)` : `${pkg ? pkg.name.split(' · ')[0] : baseName(cwd)} · ${shortCommand(tree.root)}`;
    const id = `proc:${cwd}#${commandLine(tree.root)}#${tree.root.pid}`;
    servers.push(runningServer(tree, twin ?? null, label, id, byPid, facts));
  }
  return servers;
}
