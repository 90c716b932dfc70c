// "Kill Zombies…": which process trees are safe and worth stopping (a pure plan over a Snapshot), and
// stopping them: SIGTERM, a grace period, SIGKILL, then checking every pid is gone and every port free.
import * as path from 'node:path';
import { redactText } from '../redact';
import { formatDuration } from '../format';
import { createProbe } from '../system/probe';
import { baseName } from '../servers';
import type { ProcessInfo, Server, ServerProcess, Snapshot, SystemProbe } from '../types';
import {
  allThreadsExited, buildProtection, defaultLookup, lookupFromList, whyProtected, type ProcessLookup, type Protection, type ProtectionOptions,
} from './processes';
import { pollUntil } from './wait';

export type KillReasonKind = 'orphan' | 'duplicate-watcher' | 'stuck' | 'port-holder' | 'zombie-parent' | 'requested';

export interface KillReason {
  readonly kind: KillReasonKind;
  /** A sentence for the quick pick's detail and the confirmation. */
  readonly message: string;
}

/** One process tree the user may choose to stop. */
export interface KillCandidate {
  /** Root of the tree. */
  readonly pid: number;
  /** Every pid of the tree, root first, as the snapshot saw it (killTrees adds children started since). */
  readonly pids: readonly number[];
  /** The root's command line, secrets redacted. */
  readonly command: string;
  readonly cwd: string | null;
  /** Resident memory of the whole tree. */
  readonly rssBytes: number;
  readonly startTimeMs: number | null;
  readonly ageMs: number | null;
  /** Listening ports of the whole tree. */
  readonly ports: readonly number[];
  readonly serverId: string | null;
  readonly serverName: string | null;
  /** Most important first. */
  readonly reasons: readonly KillReason[];
}

export interface KillPlanOptions extends Omit<ProtectionOptions, 'workspaceFolders'> {
  /** Reads processes the snapshot does not hold (port holders outside the workspace, parents of zombies, ancestors). */
  readonly lookup?: ProcessLookup;
  readonly now?: number;
  /** A one-shot tool such as `drizzle-kit push` still running after this long is stuck (default 10 minutes). */
  readonly stuckAfterMs?: number;
}

export interface KillPlan {
  readonly candidates: readonly KillCandidate[];
  /** Things found but not offered, as sentences (a port held by another user's process, a zombie of init…). */
  readonly warnings: readonly string[];
}

const DEFAULT_STUCK_AFTER_MS = 10 * 60_000;
const KIND_ORDER: readonly KillReasonKind[] = ['requested', 'port-holder', 'orphan', 'zombie-parent', 'duplicate-watcher', 'stuck'];

interface PlanContext {
  readonly snapshot: Snapshot;
  readonly lookup: ProcessLookup;
  readonly protection: Protection;
  readonly now: number;
}

function planContext(snapshot: Snapshot, opts: KillPlanOptions): PlanContext {
  const lookup = opts.lookup ?? defaultLookup();
  return {
    snapshot,
    lookup,
    protection: buildProtection({ ...opts, workspaceFolders: snapshot.workspaceFolders }, lookup),
    now: opts.now ?? Date.now(),
  };
}

/** What the lookup knows, else what the snapshot says (uid unknown). */
function processInfo(p: ServerProcess, ctx: PlanContext): ProcessInfo {
  return ctx.lookup.get(p.pid) ?? {
    pid: p.pid, ppid: p.ppid, state: p.state, comm: p.comm, cmdline: [p.command], cwd: p.cwd,
    rssBytes: p.rssBytes, startTimeMs: p.startTimeMs, uid: -1,
  };
}

/** The process and its descendants among a server's processes, root first. */
function subtree(processes: readonly ServerProcess[], rootPid: number): ServerProcess[] {
  const out = processes.filter((p) => p.pid === rootPid);
  for (let i = 0; i < out.length; i++) {
    for (const p of processes) if (p.ppid === out[i].pid && !out.includes(p)) out.push(p);
  }
  return out;
}

function describe(p: { pid: number; command: string }): string {
  const cmd = p.command.length > 80 ? `${p.command.slice(0, 77)}…` : p.command;
  return `PID ${p.pid} (${cmd})`;
}

/** A candidate for part of a server's tree, or why it is not offered. */
function fromServer(server: Server, rootPid: number, reason: KillReason, ctx: PlanContext): KillCandidate | { refused: string } {
  const members = subtree(server.processes, rootPid);
  if (members.length === 0) return { refused: `PID ${rootPid} is no longer part of ${server.name}.` };
  for (const m of members) {
    const why = whyProtected(processInfo(m, ctx), ctx.protection, m !== members[0]);
    if (why) return { refused: `${describe({ pid: m.pid, command: redactText(m.command) })} ${why}, so its tree is not offered.` };
  }
  const root = members[0];
  return {
    pid: root.pid,
    pids: members.map((m) => m.pid),
    command: redactText(root.command),
    cwd: root.cwd,
    rssBytes: members.reduce((sum, m) => sum + m.rssBytes, 0),
    startTimeMs: root.startTimeMs || null,
    ageMs: root.startTimeMs > 0 ? Math.max(0, ctx.now - root.startTimeMs) : null,
    ports: [...new Set(members.flatMap((m) => m.ports))].sort((a, b) => a - b),
    serverId: server.id,
    serverName: server.name,
    reasons: [reason],
  };
}

/** A candidate for a process outside every server (read with the lookup), or why it is not offered. */
function fromProcess(pid: number, reason: KillReason, ctx: PlanContext): KillCandidate | { refused: string } {
  const p = ctx.lookup.get(pid);
  if (!p) return { refused: `PID ${pid} cannot be read (it is gone, or this platform does not say who it is), so it is not offered.` };
  const command = redactText(p.cmdline.length > 0 ? p.cmdline.join(' ') : `[${p.comm}]`);
  const why = whyProtected(p, ctx.protection);
  if (why) return { refused: `${describe({ pid, command })} ${why}, so it is not offered.` };
  const ports = [...new Set(ctx.snapshot.sockets.filter((s) => s.pid === pid).map((s) => s.port))].sort((a, b) => a - b);
  return {
    pid, pids: [pid], command, cwd: p.cwd, rssBytes: p.rssBytes, startTimeMs: p.startTimeMs || null,
    ageMs: p.startTimeMs > 0 ? Math.max(0, ctx.now - p.startTimeMs) : null, ports, serverId: null, serverName: null, reasons: [reason],
  };
}

function serverOfPid(snapshot: Snapshot, pid: number): Server | undefined {
  return snapshot.servers.find((s) => s.pids.includes(pid));
}

/** The whole tree holding `pid`: its server's tree when it belongs to one, else the process alone. */
function treeOf(pid: number, reason: KillReason, ctx: PlanContext): KillCandidate | { refused: string } {
  const server = serverOfPid(ctx.snapshot, pid);
  return server && server.pid !== null ? fromServer(server, server.pid, reason, ctx) : fromProcess(pid, reason, ctx);
}

/** The holders of ports that declared servers expect but do not hold themselves. */
function portHolders(ctx: PlanContext, warnings: string[]): (KillCandidate | null)[] {
  const out: (KillCandidate | null)[] = [];
  for (const server of ctx.snapshot.servers) {
    const port = server.expectedPort;
    if (server.source === 'process' || port === null || server.ports.includes(port)) continue;
    const pids = new Set(ctx.snapshot.sockets.filter((s) => s.port === port).map((s) => s.pid));
    for (const pid of pids) {
      if (pid === null) {
        warnings.push(`Port ${port}, which ${server.name} expects, is held by a process whose owner cannot be read `
          + '(another user\'s, or outside this container); it is not offered.');
        continue;
      }
      if (server.pids.includes(pid)) continue;
      out.push(accept(treeOf(pid, { kind: 'port-holder', message: `holds port ${port}, which ${server.name} expects` }, ctx), warnings));
    }
  }
  return out;
}

function accept(c: KillCandidate | { refused: string }, warnings: string[]): KillCandidate | null {
  if ('refused' in c) {
    warnings.push(c.refused);
    return null;
  }
  return c;
}

function orphans(ctx: PlanContext, warnings: string[]): (KillCandidate | null)[] {
  return ctx.snapshot.servers
    .filter((s) => s.state === 'orphaned' && s.pid !== null)
    .map((s) => accept(fromServer(s, s.pid!, {
      kind: 'orphan',
      message: `is left over: ${s.orphanReason ?? 'its launcher is gone'}`,
    }, ctx), warnings));
}

function zombieParents(ctx: PlanContext, warnings: string[]): (KillCandidate | null)[] {
  const out: (KillCandidate | null)[] = [];
  for (const server of ctx.snapshot.servers) {
    for (const zpid of server.zombiePids) {
      const zombie = server.processes.find((p) => p.pid === zpid);
      if (!zombie) continue;
      const explain = `its child PID ${zpid} is a zombie: it has exited, but its parent never collected its exit status. `
        + 'A zombie cannot be killed (it is already dead); stopping the parent lets the system reap it';
      if (zombie.ppid <= 1) {
        warnings.push(`PID ${zpid} is a zombie of init, which reaps it soon; there is nothing to stop.`);
        continue;
      }
      const reason: KillReason = { kind: 'zombie-parent', message: explain };
      const inTree = server.processes.some((p) => p.pid === zombie.ppid);
      const c = inTree ? fromServer(server, zombie.ppid, reason, ctx) : fromProcess(zombie.ppid, reason, ctx);
      if ('refused' in c) {
        warnings.push(`PID ${zpid} is a zombie; a zombie cannot be killed, only its parent can collect it, but ${c.refused.replace(/^PID/, 'its parent, PID')}`);
        out.push(null);
      } else {
        out.push(c);
      }
    }
  }
  return out;
}

interface Watcher {
  readonly label: string;
  /** Tool names as argv[0..2] basenames (`nodemon`, `…/tsx/dist/cli.mjs` is matched by its package folder). */
  readonly tools: readonly string[];
  /** Whether the arguments after the tool make it a long-running watcher. */
  readonly watching: (args: readonly string[]) => boolean;
  /** One-shot tools: running longer than stuckAfterMs means stuck. */
  readonly oneShot?: (args: readonly string[]) => boolean;
}

const has = (...flags: string[]) => (args: readonly string[]) => args.some((a) => flags.includes(a) || flags.some((f) => a.startsWith(`${f}=`)));
const always = () => true;
const WATCHERS: readonly Watcher[] = [
  { label: 'tsx watch', tools: ['tsx'], watching: (a) => a[0] === 'watch' || has('--watch')(a) },
  { label: 'nodemon', tools: ['nodemon'], watching: always },
  { label: 'ts-node-dev', tools: ['ts-node-dev', 'tsnd'], watching: always },
  { label: 'node --watch', tools: ['node'], watching: has('--watch', '--watch-path') },
  { label: 'tsc --watch', tools: ['tsc'], watching: has('-w', '--watch') },
  { label: 'vite', tools: ['vite'], watching: (a) => a[0] === undefined || a[0].startsWith('-') || a[0] === 'dev' || a[0] === 'serve' || has('--watch', '-w')(a) },
  { label: 'next dev', tools: ['next'], watching: (a) => a[0] === 'dev' },
  { label: 'webpack --watch', tools: ['webpack', 'webpack-cli', 'webpack-dev-server'], watching: (a) => a[0] === 'serve' || has('--watch', '-w')(a) },
  { label: 'vitest', tools: ['vitest'], watching: (a) => a[0] !== 'run' && !has('--run')(a) },
  { label: 'jest --watch', tools: ['jest'], watching: has('--watch', '--watchAll') },
  { label: 'nest --watch', tools: ['nest'], watching: has('--watch', '-w') },
  { label: 'astro dev', tools: ['astro'], watching: (a) => a[0] === 'dev' },
  { label: 'nuxt dev', tools: ['nuxt', 'nuxi'], watching: (a) => a[0] === 'dev' },
  { label: 'drizzle-kit', tools: ['drizzle-kit'], watching: always, oneShot: (a) => a[0] !== 'studio' },
];

const SCRIPT_EXT = /\.(?:c|m)?js$/;

/** The watcher a process runs, with the arguments after the tool; null when it runs none. */
function watcherOf(argv: readonly string[]): { watcher: Watcher; args: readonly string[] } | null {
  for (let i = 0; i < Math.min(argv.length, 3); i++) {
    const name = baseName(argv[i]).replace(SCRIPT_EXT, '');
    for (const w of WATCHERS) {
      // node itself only at argv[0]; a tool as argv[0] or as the script node runs (…/node_modules/tsx/dist/cli.mjs).
      const isTool = w.tools.includes(name) && (i === 0 || name !== 'node')
        || (i > 0 && w.tools.some((t) => t !== 'node' && argv[i].includes(`/node_modules/${t}/`) && !argv[i - 1].startsWith('-')));
      if (!isTool) continue;
      const args = w.label === 'node --watch' ? argv.slice(1) : argv.slice(i + 1);
      if (w.watching(args)) return { watcher: w, args };
    }
  }
  return null;
}

/** Arguments that tell two runs of one tool apart, minus ports (two vites on 5173 and 5174 are still the same app). */
function argsKey(args: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^(?:--port|-p)$/.test(args[i])) { i++; continue; }
    if (/^--port=/.test(args[i])) continue;
    kept.push(args[i]);
  }
  return kept.join(' ');
}

function watchers(ctx: PlanContext, stuckAfterMs: number, warnings: string[]): (KillCandidate | null)[] {
  const groups = new Map<string, { server: Server; proc: ServerProcess; label: string }[]>();
  const out: (KillCandidate | null)[] = [];
  for (const server of ctx.snapshot.servers) {
    for (const proc of server.processes) {
      if (proc.zombie) continue;
      const argv = ctx.lookup.get(proc.pid)?.cmdline ?? proc.command.split(' ');
      const found = watcherOf(argv);
      if (!found) continue;
      const age = proc.startTimeMs > 0 ? ctx.now - proc.startTimeMs : 0;
      if (found.watcher.oneShot?.(found.args) && age > stuckAfterMs) {
        const sub = found.args[0] ?? '';
        out.push(accept(fromServer(server, server.pid ?? proc.pid, {
          kind: 'stuck',
          message: `${found.watcher.label} ${sub} has been running for ${formatDuration(age)}; it normally finishes in seconds, `
            + 'so it is probably waiting at an interactive prompt nobody can answer',
        }, ctx), warnings));
      }
      const key = `${proc.cwd ?? server.cwd}\0${found.watcher.label}\0${argsKey(found.args)}`;
      const list = groups.get(key) ?? [];
      if (!list.some((e) => e.server === server)) list.push({ server, proc, label: found.watcher.label });
      groups.set(key, list);
      break;
    }
  }
  for (const list of groups.values()) {
    if (list.length < 2) continue;
    list.sort((a, b) => a.proc.startTimeMs - b.proc.startTimeMs);
    const newest = list[list.length - 1];
    const folder = newest.proc.cwd ?? newest.server.cwd;
    for (const { server, proc, label } of list.slice(0, -1)) {
      out.push(accept(fromServer(server, server.pid ?? proc.pid, {
        kind: 'duplicate-watcher',
        message: `another ${label} (PID ${newest.proc.pid}, started later) watches the same folder ${path.basename(folder)}; `
          + 'two watchers of one folder fight over rebuilds and ports, and the older one is usually left over',
      }, ctx), warnings));
    }
  }
  return out;
}

/** Candidates for the same tree become one, with every reason; a tree inside another joins the outer one. */
function merge(found: readonly (KillCandidate | null)[]): KillCandidate[] {
  const sorted = found.filter((c): c is KillCandidate => c !== null).sort((a, b) => b.pids.length - a.pids.length);
  const merged: KillCandidate[] = [];
  for (const c of sorted) {
    const i = merged.findIndex((m) => m.pids.includes(c.pid));
    if (i < 0) {
      merged.push(c);
      continue;
    }
    const reasons = [...merged[i].reasons];
    for (const r of c.reasons) if (!reasons.some((x) => x.kind === r.kind && x.message === r.message)) reasons.push(r);
    merged[i] = { ...merged[i], reasons };
  }
  const rank = (c: KillCandidate): number => Math.min(...c.reasons.map((r) => KIND_ORDER.indexOf(r.kind)));
  for (let i = 0; i < merged.length; i++) {
    merged[i] = { ...merged[i], reasons: [...merged[i].reasons].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)) };
  }
  return merged.sort((a, b) => rank(a) - rank(b) || b.rssBytes - a.rssBytes);
}

/**
 * Process trees worth stopping: orphaned dev trees, the older of duplicate watchers, stuck one-shot tools, holders of
 * ports declared servers expect, and parents of zombies. Never this process, its ancestors, editor tooling, PID 1,
 * another user's processes, or (as root) system processes outside the workspace. Pure apart from `lookup`.
 */
export function findKillCandidates(snapshot: Snapshot, opts: KillPlanOptions = {}): KillPlan {
  const ctx = planContext(snapshot, opts);
  const warnings: string[] = [];
  const found = [
    ...portHolders(ctx, warnings),
    ...orphans(ctx, warnings),
    ...zombieParents(ctx, warnings),
    ...watchers(ctx, opts.stuckAfterMs ?? DEFAULT_STUCK_AFTER_MS, warnings),
  ];
  return { candidates: merge(found), warnings: [...new Set(warnings)] };
}

/** "Kill Process Tree" on a server: its whole running tree, or why not. */
export function candidateForServer(server: Server, snapshot: Snapshot, opts: KillPlanOptions = {}): KillCandidate | { refused: string } {
  if (server.pid === null) return { refused: `${server.name} is not running.` };
  return fromServer(server, server.pid, { kind: 'requested', message: `is ${server.name}` }, planContext(snapshot, opts));
}

/** The tree holding a port (for a port-in-use verdict), or why it is not offered. */
export function candidateForPort(port: number, snapshot: Snapshot, opts: KillPlanOptions = {}): KillCandidate | { refused: string } {
  const ctx = planContext(snapshot, opts);
  const sockets = snapshot.sockets.filter((s) => s.port === port);
  if (sockets.length === 0) return { refused: `Nothing was listening on port ${port} at the last look.` };
  const pid = sockets.find((s) => s.pid !== null)?.pid;
  if (pid === undefined || pid === null) {
    return { refused: `Port ${port} is held by a process whose owner cannot be read (another user's, or outside this container).` };
  }
  return treeOf(pid, { kind: 'port-holder', message: `holds port ${port}` }, ctx);
}

export interface KillOptions extends ProtectionOptions {
  /** Time between SIGTERM and SIGKILL (default 3000 ms). */
  readonly graceMs?: number;
  /** The first signal (default SIGTERM); SIGKILL skips the grace period. */
  readonly signal?: NodeJS.Signals;
  /** Reads processes and listening sockets before and after (default: createProbe()). */
  readonly probe?: SystemProbe;
  /** Child pids of a pid (default: pidtree), to catch children the probe sample missed. */
  readonly listDescendants?: (pid: number) => Promise<number[]>;
  /** Sends a signal (default process.kill). */
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
}

export interface KillError {
  readonly pid: number;
  /** EPERM, EPROTECTED (refused here), or the system's code. */
  readonly code: string;
  readonly message: string;
}

export interface KillResult {
  /** Pids that were running and are gone now. */
  readonly killed: readonly number[];
  /** Pids that had already exited (or were zombies) before anything was sent. */
  readonly alreadyGone: readonly number[];
  /** Pids that were signalled and still run after SIGKILL (refused and EPERM pids are in `errors`). */
  readonly survivors: readonly number[];
  /** Pids that ignored the first signal for the whole grace period and got SIGKILL. */
  readonly escalated: readonly number[];
  /** Ports the trees listened on that nothing listens on any more. */
  readonly freedPorts: readonly number[];
  /** Ports the trees listened on that are still (or again) taken, with the holder when known. */
  readonly stillHeldPorts: readonly { port: number; pid: number | null }[];
  /** Resident memory of the processes that are gone. */
  readonly freedBytes: number;
  readonly errors: readonly KillError[];
  readonly warnings: readonly string[];
  readonly elapsedMs: number;
}

/** Wait after SIGKILL for the kernel to tear processes down. */
const SIGKILL_WAIT_MS = 2000;
const KILL_POLL_MS = 100;

async function pidtreeDescendants(pid: number): Promise<number[]> {
  // pidtree is ESM-only: loaded on first use (Node 20 can require() it, esbuild bundles it either way).
  const { pidtree } = await import('pidtree');
  return pidtree(pid);
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? 'ERROR';
}

function explainKillError(code: string, p: ProcessInfo | undefined, pid: number): string {
  const who = p ? describe({ pid, command: redactText(p.cmdline.join(' ') || `[${p.comm}]`) }) : `PID ${pid}`;
  if (code === 'EPERM') {
    const owner = p && p.uid >= 0 ? ` (uid ${p.uid})` : '';
    return `${who} belongs to another user${owner}: only that user or an administrator can stop it (for example: sudo kill ${pid}).`;
  }
  return `Could not signal ${who}: ${code}.`;
}

/**
 * Stops whole process trees: every pid given, its descendants (from a fresh probe sample and pidtree), first
 * `signal`, then SIGKILL for what survives `graceMs`; then checks that every pid is gone and which ports are free.
 * Protected processes (this one, its ancestors, PID 1, other users', editor tooling) are refused, never signalled.
 * Never throws: failures are in `errors`.
 */
export async function killTrees(pids: readonly number[], opts: KillOptions = {}): Promise<KillResult> {
  const started = Date.now();
  const probe = opts.probe ?? createProbe();
  const signal = opts.signal ?? 'SIGTERM';
  const send = opts.kill ?? ((pid: number, sig: NodeJS.Signals) => { process.kill(pid, sig); });
  const listDescendants = opts.listDescendants ?? pidtreeDescendants;
  const warnings: string[] = [];
  const errors: KillError[] = [];

  const before = await probe.sample({ diskPaths: [] });
  const sampled = lookupFromList(before.processes);
  const live = defaultLookup();
  const lookup: ProcessLookup = { get: (pid) => sampled.get(pid) ?? live.get(pid) };
  const protection = buildProtection(opts, lookup);

  const alive = new Map<number, ProcessInfo | undefined>();
  const alreadyGone: number[] = [];
  const refused = new Set<number>();
  /** Sorts pids into running (and allowed), already gone, or refused. */
  const admit = (pid: number, descendant: boolean): void => {
    if (alive.has(pid) || refused.has(pid) || alreadyGone.includes(pid)) return;
    const p = lookup.get(pid);
    // A zombie has exited already: it goes when its parent does.
    if ((!p && !isRunning(pid, undefined, live)) || (p?.state === 'Z' && allThreadsExited(pid))) {
      alreadyGone.push(pid);
      return;
    }
    const why = p ? whyProtected(p, protection, descendant) : pid <= 1 || protection.ancestors.has(pid) ? 'is protected' : null;
    if (why) {
      refused.add(pid);
      const who = p ? describe({ pid, command: redactText(p.cmdline.join(' ') || p.comm) }) : `PID ${pid}`;
      errors.push({ pid, code: 'EPROTECTED', message: `${who} ${why}; it was not touched.` });
      return;
    }
    alive.set(pid, p ?? undefined);
  };
  // A protected root's descendants are not looked for: killing this process's own children is not what was asked.
  for (const pid of pids) admit(pid, false);
  const roots = pids.filter((pid) => alive.has(pid));
  for (const pid of await expandTrees(roots, before.processes, listDescendants, warnings)) admit(pid, true);

  const heldPorts = new Map<number, number>();
  for (const s of before.sockets) if (s.pid !== null && alive.has(s.pid)) heldPorts.set(s.port, s.pid);

  const signalAll = (list: Iterable<number>, sig: NodeJS.Signals): void => {
    for (const pid of list) {
      try {
        send(pid, sig);
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ESRCH') continue; // exited meanwhile, e.g. with its parent
        errors.push({ pid, code, message: explainKillError(code, alive.get(pid), pid) });
        alive.delete(pid);
      }
    }
  };
  const remaining = (): number[] => [...alive.keys()].filter((pid) => isRunning(pid, alive.get(pid), live));

  // Parents first: a supervisor (nodemon, npm) then stops instead of restarting the child it loses.
  signalAll(alive.keys(), signal);
  const escalated: number[] = [];
  if (signal !== 'SIGKILL') {
    await pollUntil(() => remaining().length === 0, opts.graceMs ?? 3000, KILL_POLL_MS);
    const stubborn = remaining();
    if (stubborn.length > 0) {
      // Children started during the grace period belong to the trees too.
      for (const pid of await expandTrees(stubborn, [], listDescendants, warnings)) admit(pid, true);
      const now = remaining();
      escalated.push(...now);
      signalAll(now, 'SIGKILL');
    }
  }
  await pollUntil(() => remaining().length === 0, SIGKILL_WAIT_MS, KILL_POLL_MS);
  const survivors = remaining();
  const killed = [...alive.keys()].filter((pid) => !survivors.includes(pid));

  const after = await probe.sample({ diskPaths: [] });
  const freedPorts: number[] = [];
  const stillHeldPorts: { port: number; pid: number | null }[] = [];
  for (const port of [...heldPorts.keys()].sort((a, b) => a - b)) {
    const holder = after.sockets.find((s) => s.port === port);
    if (holder) stillHeldPorts.push({ port, pid: holder.pid });
    else freedPorts.push(port);
  }
  return {
    killed,
    alreadyGone,
    survivors,
    escalated,
    freedPorts,
    stillHeldPorts,
    freedBytes: killed.reduce((sum, pid) => sum + (alive.get(pid)?.rssBytes ?? 0), 0),
    errors,
    warnings,
    elapsedMs: Date.now() - started,
  };
}

/** The given pids and all their descendants, parents before children. */
async function expandTrees(
  pids: readonly number[],
  processes: readonly ProcessInfo[],
  listDescendants: (pid: number) => Promise<number[]>,
  warnings: string[],
): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const p of processes) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const order: number[] = [];
  const seen = new Set<number>();
  const visit = (pid: number): void => {
    if (seen.has(pid)) return;
    seen.add(pid);
    order.push(pid);
    for (const c of children.get(pid) ?? []) visit(c);
  };
  for (const pid of pids) visit(pid);
  const listed = await Promise.all(pids.map((pid) => listDescendants(pid).catch((err: unknown) => {
    warnings.push(`Could not list the children of PID ${pid} (${err instanceof Error ? err.message : String(err)}); only the processes seen in the last sample are stopped.`);
    return [] as number[];
  })));
  for (const list of listed) for (const pid of list) visit(pid);
  return order;
}

/**
 * Whether the process is still running: gone, a zombie (dead, awaiting its parent) or a new process reusing the pid
 * all count as not running.
 */
function isRunning(pid: number, was: ProcessInfo | undefined, lookup: ProcessLookup): boolean {
  const now = lookup.get(pid);
  if (now) {
    if (was?.startTimeMs && now.startTimeMs !== was.startTimeMs) return false;
    return (now.state !== 'Z' && now.state !== 'X') || !allThreadsExited(pid);
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoOf(err) === 'EPERM';
  }
}

