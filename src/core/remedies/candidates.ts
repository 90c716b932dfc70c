// "Kill Zombies…": which process trees are safe and worth stopping, as a pure plan over a Snapshot:
// orphans from a dev session, the older of duplicate watchers, stuck one-shot tools, holders of ports
// declared servers expect, parents of zombies. Each candidate carries the identity of every process the
// user is shown, so stopping it (kill.ts) signals only those very processes.
import * as path from 'node:path';
import { redactText } from '../redact';
import { formatDuration } from '../format';
import type { ProcessInfo, Server, ServerProcess, Snapshot } from '../types';
import { identityOf, type ProcessIdentity } from './identity';
import {
  buildProtection, defaultLookup, whyProtected, type ProcessLookup, type Protection, type ProtectionOptions,
} from './processes';
import { broadFolderWarnings } from './scope';
import { argsKey, watcherOf } from './watchers';

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
  /** Who each of `pids` is (same order): killTrees signals only processes that still match. */
  readonly members: readonly ProcessIdentity[];
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
  /** Home folders (default: this machine's): a workspace that is one, contains one or is `/` gets no candidates. */
  readonly homeFolders?: readonly string[];
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

export function describeProcess(p: { pid: number; command: string }): string {
  const cmd = p.command.length > 80 ? `${p.command.slice(0, 77)}…` : p.command;
  return `PID ${p.pid} (${cmd})`;
}

/** A candidate for part of a server's tree, or why it is not offered. */
function fromServer(server: Server, rootPid: number, reason: KillReason, ctx: PlanContext): KillCandidate | { refused: string } {
  const members = subtree(server.processes, rootPid);
  if (members.length === 0) return { refused: `PID ${rootPid} is no longer part of ${server.name}.` };
  for (const m of members) {
    const why = whyProtected(processInfo(m, ctx), ctx.protection, m !== members[0]);
    if (why) return { refused: `${describeProcess({ pid: m.pid, command: redactText(m.command) })} ${why}, so its tree is not offered.` };
  }
  const root = members[0];
  return {
    pid: root.pid,
    pids: members.map((m) => m.pid),
    members: members.map((m) => ({ ...identityOf(processInfo(m, ctx)), command: m.command, cwd: m.cwd, startTimeMs: m.startTimeMs })),
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
  if (why) return { refused: `${describeProcess({ pid, command })} ${why}, so it is not offered.` };
  const ports = [...new Set(ctx.snapshot.sockets.filter((s) => s.pid === pid).map((s) => s.port))].sort((a, b) => a - b);
  return {
    pid, pids: [pid], members: [identityOf(p)], command, cwd: p.cwd, rssBytes: p.rssBytes, startTimeMs: p.startTimeMs || null,
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
      const held = heldWithoutEvidence(server, port, pid, ctx);
      if (held) {
        warnings.push(held);
        continue;
      }
      out.push(accept(treeOf(pid, { kind: 'port-holder', message: `holds port ${port}, which ${server.name} expects` }, ctx), warnings));
    }
  }
  return out;
}

/**
 * Why the process on a declared server's port is no leftover, or null when it may be: a framework's default port is
 * no claim on it (every Vite app defaults to 5173), and a healthy declared server of the workspace listening on a
 * port it declares itself (or declares none) is using its own port, not holding another's.
 */
function heldWithoutEvidence(server: Server, port: number, pid: number, ctx: PlanContext): string | null {
  const who = describeProcess({ pid, command: redactText(ctx.lookup.get(pid)?.cmdline.join(' ') || serverOfPid(ctx.snapshot, pid)?.command || '?') });
  if (server.portSource === 'framework-default') {
    return `Port ${port} is only the framework's default port of ${server.name}; ${who} listening on it is not evidence of a leftover, `
      + `so it is not offered. Give ${server.name} a port of its own (--port) if both should run.`;
  }
  const other = serverOfPid(ctx.snapshot, pid);
  if (other && other !== server && other.source !== 'process' && other.state !== 'orphaned'
    && (other.expectedPort === port || other.expectedPort === null)) {
    return `Port ${port}, which ${server.name} expects, is used by ${other.name} (${who}), a running server of this workspace `
      + 'on its own port; it is not offered. Give one of them another port.';
  }
  return null;
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
  const broad = broadFolderWarnings(snapshot.workspaceFolders, 'killing', opts.homeFolders);
  if (broad.length > 0) return { candidates: [], warnings: broad };
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
  const broad = broadFolderWarnings(snapshot.workspaceFolders, 'killing', opts.homeFolders);
  if (broad.length > 0) return { refused: broad.join(' ') };
  return fromServer(server, server.pid, { kind: 'requested', message: `is ${server.name}` }, planContext(snapshot, opts));
}

/** The tree holding a port (for a port-in-use verdict), or why it is not offered. */
export function candidateForPort(port: number, snapshot: Snapshot, opts: KillPlanOptions = {}): KillCandidate | { refused: string } {
  const broad = broadFolderWarnings(snapshot.workspaceFolders, 'killing', opts.homeFolders);
  if (broad.length > 0) return { refused: broad.join(' ') };
  const ctx = planContext(snapshot, opts);
  const sockets = snapshot.sockets.filter((s) => s.port === port);
  if (sockets.length === 0) return { refused: `Nothing was listening on port ${port} at the last look.` };
  const pid = sockets.find((s) => s.pid !== null)?.pid;
  if (pid === undefined || pid === null) {
    return { refused: `Port ${port} is held by a process whose owner cannot be read (another user's, or outside this container).` };
  }
  return treeOf(pid, { kind: 'port-holder', message: `holds port ${port}` }, ctx);
}


/**
 * Whether the VS Code pick starts with this candidate ticked: only when it holds a port a declared server expects
 * (the evidence the user can check at a glance). Orphans and everything else are offered unticked.
 */
export function isPreselected(c: KillCandidate, snapshot: Snapshot): boolean {
  const declared = new Set(snapshot.servers.filter((s) => s.source !== 'process' && s.expectedPort !== null && s.portSource !== 'framework-default')
    .map((s) => s.expectedPort!));
  return c.ports.some((p) => declared.has(p)) && c.reasons.some((r) => r.kind === 'port-holder' || r.kind === 'orphan');
}
