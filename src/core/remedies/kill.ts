// Stopping process trees the user confirmed: each process is held open and checked to be the one the
// user saw (signal.ts), descendants are found from those checked roots, then SIGTERM, a grace period,
// SIGKILL, and a final look at which pids are gone and which ports are free. Which trees to offer is
// decided in candidates.ts; tool recognition in watchers.ts; who each process is in identity.ts.
import { redactText } from '../redact';
import { createProbe } from '../system/probe';
import { readProcTable } from '../system/procTree';
import type { ProcessInfo, Server, SystemProbe } from '../types';
import { describeProcess } from './candidates';
import { identityMismatch, isIdentity, type ProcessIdentity } from './identity';
import { buildProtection, defaultLookup, lookupFromList, whyProtected, type ProcessLookup, type ProtectionOptions } from './processes';
import { ProcessHandle, signalHandles } from './signal';
import { pollUntil } from './wait';
import { sharedExpectedStops, type ExpectedStops, type StopReason } from '../crash/expectedStops';

export {
  candidateForPort, candidateForServer, findKillCandidates, isPreselected,
  type KillCandidate, type KillPlan, type KillPlanOptions, type KillReason, type KillReasonKind,
} from './candidates';
export type { ProcessIdentity } from './identity';

export interface KillOptions extends ProtectionOptions {
  /** Time between SIGTERM and SIGKILL (default 3000 ms). */
  readonly graceMs?: number;
  /** The first signal (default SIGTERM); SIGKILL skips the grace period. */
  readonly signal?: NodeJS.Signals;
  /** Reads processes and listening sockets before and after (default: createProbe()). */
  readonly probe?: SystemProbe;
  /** Child pids of a pid where /proc cannot list them (default: pidtree). */
  readonly listDescendants?: (pid: number) => Promise<number[]>;
  /** Sends a signal (default: through the process's descriptor, see signal.ts). */
  readonly kill?: (pid: number, signal: NodeJS.Signals) => void;
  /**
   * Where the stop is recorded before any signal, so the crash judgement and the outage warnings know it was on
   * purpose (default: the registry shared with the editor and the CLI; null records nothing).
   */
  readonly expectedStops?: ExpectedStops | null;
  /** Why these trees are stopped (default 'kill'), and who stops them (default 'dev-server-doctor'). */
  readonly stopReason?: StopReason;
  readonly stoppedBy?: string;
}

export interface KillError {
  readonly pid: number;
  /** EPERM, EPROTECTED (refused here), ECHANGED (no longer the process the user saw), or the system's code. */
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

function explainKillError(code: string, p: ProcessInfo | null, pid: number): string {
  const who = p ? describeProcess({ pid, command: redactText(p.cmdline.join(' ') || `[${p.comm}]`) }) : `PID ${pid}`;
  if (code === 'EPERM') {
    const owner = p && p.uid >= 0 ? ` (uid ${p.uid})` : '';
    return `${who} belongs to another user${owner}: only that user or an administrator can stop it (for example: sudo kill ${pid}).`;
  }
  return `Could not signal ${who}: ${code}.`;
}

/** The identities of a running server's processes as the snapshot saw them, for killTrees. */
export function serverIdentities(server: Server): ProcessIdentity[] {
  return server.processes.map((p) => ({ pid: p.pid, startTimeMs: p.startTimeMs, uid: -1, cwd: p.cwd, command: p.command }));
}

/** Whether a process has this pid (signal 0; EPERM means it exists but is another user's). */
function pidAnswers(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One process being stopped. */
interface Target {
  readonly handle: ProcessHandle;
  readonly info: ProcessInfo;
}

/**
 * Stops whole process trees. Each target is a process identity the user saw (or a bare pid: whatever runs there
 * now); a process that no longer matches it is not touched (ECHANGED). Descendants of the matching roots, found at
 * the time from /proc, are stopped too. First `signal`, then SIGKILL for what survives `graceMs`; then checks that
 * every process is gone and which ports are free. Protected processes (this one, its ancestors, PID 1, other users',
 * editor tooling) are refused, never signalled. Never throws: failures are in `errors`.
 */
export async function killTrees(targets: readonly (number | ProcessIdentity)[], opts: KillOptions = {}): Promise<KillResult> {
  const started = Date.now();
  const probe = opts.probe ?? createProbe();
  const signal = opts.signal ?? 'SIGTERM';
  const warnings: string[] = [];
  const errors: KillError[] = [];

  const before = await probe.sample({ diskPaths: [] });
  const live = defaultLookup();
  const sampled = lookupFromList(before.processes);
  const protection = buildProtection(opts, { get: (pid) => sampled.get(pid) ?? live.get(pid) });
  // Without /proc (macOS, Windows) a process is what the probe's sample said, for as long as its pid answers.
  const current: ProcessLookup = { get: (pid) => live.get(pid) ?? (pidAnswers(pid) ? sampled.get(pid) : null) };

  const alive = new Map<number, Target>();
  const alreadyGone: number[] = [];
  const settled = new Set<number>();
  const handles: ProcessHandle[] = [];
  /**
   * Opens, checks and sorts one process into running (and allowed), already gone, changed or refused. `want`: the
   * identity the user saw; `foundUnder`: the checked target it was found under as a child (a descendant found now).
   */
  const admit = (pid: number, want: ProcessIdentity | null, foundUnder: Target | null): void => {
    if (settled.has(pid)) return;
    settled.add(pid);
    const handle = ProcessHandle.open(pid, current);
    const info = handle?.read() ?? null;
    if (!handle || !info || !handle.alive()) {
      handle?.close();
      // Nothing runs there, or a zombie (it has exited already: it goes when its parent does).
      alreadyGone.push(pid);
      return;
    }
    handles.push(handle);
    const who = describeProcess({ pid, command: redactText(info.cmdline.join(' ') || `[${info.comm}]`) });
    const changed = want ? identityMismatch(want, info) : null;
    // A descendant found now: under its checked parent, and not older than that parent (a recycled pid would be).
    const stranger = foundUnder && (info.ppid !== foundUnder.info.pid || (info.startTimeMs > 0 && info.startTimeMs < foundUnder.info.startTimeMs));
    if (changed || stranger) {
      errors.push({ pid, code: 'ECHANGED', message: `${who} is no longer the process that was listed (it ${changed ?? 'has another parent now'}); it was not touched.` });
      return;
    }
    const parent = foundUnder ?? alive.get(info.ppid) ?? null;
    const why = whyProtected(info, protection, parent !== null);
    if (why) {
      errors.push({ pid, code: 'EPROTECTED', message: `${who} ${why}; it was not touched.` });
      return;
    }
    alive.set(pid, { handle, info });
  };
  /** Children (and theirs) of the running targets, from /proc now; pidtree where there is no /proc. */
  const expand = async (): Promise<void> => {
    const table = readProcTable();
    if (table.size > 0) {
      for (let grew = true; grew;) {
        grew = false;
        for (const e of table.values()) {
          const parent = alive.get(e.ppid);
          if (!parent || settled.has(e.pid)) continue;
          admit(e.pid, null, parent);
          grew = true;
        }
      }
      return;
    }
    const listDescendants = opts.listDescendants ?? pidtreeDescendants;
    for (const [pid, t] of [...alive]) {
      const kids = await listDescendants(pid).catch((err: unknown) => {
        warnings.push(`Could not list the children of PID ${pid} (${err instanceof Error ? err.message : String(err)}); only the processes listed are stopped.`);
        return [] as number[];
      });
      for (const k of kids) admit(k, null, alive.get(live.get(k)?.ppid ?? -1) ?? t);
    }
  };

  try {
    // Roots first (as the user saw them), then their trees: a protected or changed root's children are not looked for.
    const listed = new Set(targets.map((t) => (isIdentity(t) ? t.pid : t)));
    // Parents come before their children in a candidate's list: a listed child is then judged as part of its tree.
    for (const t of targets) admit(isIdentity(t) ? t.pid : t, isIdentity(t) ? t : null, null);
    if (opts.listDescendants) {
      for (const [pid] of [...alive]) {
        for (const k of await opts.listDescendants(pid).catch(() => [] as number[])) if (!listed.has(k)) admit(k, null, alive.get(pid) ?? null);
      }
    }
    await expand();

    const heldPorts = new Map<number, number>();
    for (const s of before.sockets) if (s.pid !== null && alive.has(s.pid)) heldPorts.set(s.port, s.pid);

    const stops = opts.expectedStops === undefined ? sharedExpectedStops() : opts.expectedStops;
    const signalAll = (pids: readonly number[], sig: NodeJS.Signals): void => {
      const list = pids.map((pid) => alive.get(pid)!).filter(Boolean);
      // Known before the signal: the end of these processes is no crash and no outage.
      stops?.expect(list.map((t) => ({ pid: t.info.pid, startTimeMs: t.info.startTimeMs })), opts.stopReason ?? 'kill', opts.stoppedBy ?? 'dev-server-doctor');
      const codes = signalHandles(list.map((t) => t.handle), sig, opts.kill);
      list.forEach((t, i) => {
        const code = codes[i]!;
        if (code === '' || code === 'ESRCH') return; // sent, or exited meanwhile (e.g. with its parent)
        errors.push({ pid: t.info.pid, code, message: explainKillError(code, t.info, t.info.pid) });
        alive.delete(t.info.pid);
      });
    };
    const remaining = (): number[] => [...alive.values()].filter((t) => t.handle.alive()).map((t) => t.info.pid);

    // Parents first: a supervisor (nodemon, npm) then stops instead of restarting the child it loses.
    signalAll([...alive.keys()], signal);
    const escalated: number[] = [];
    if (signal !== 'SIGKILL') {
      await pollUntil(() => remaining().length === 0, opts.graceMs ?? 3000, KILL_POLL_MS);
      if (remaining().length > 0) {
        // Children started during the grace period belong to the trees too.
        await expand();
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
      freedBytes: killed.reduce((sum, pid) => sum + (alive.get(pid)?.info.rssBytes ?? 0), 0),
      errors,
      warnings,
      elapsedMs: Date.now() - started,
    };
  } finally {
    for (const h of handles) h.close();
  }
}
