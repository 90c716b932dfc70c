// What coding agents (and other tools) may ask the doctor: the status, an investigation, the next crash of
// a server, the remedies that would apply (a dry run) and applying one. Shared by the MCP server (CLI
// `mcp`) and the VS Code language-model tools; editor-free. Every remedy re-checks ownership exactly like
// the UI does (a fresh snapshot, the same candidate rules), and only remedies the catalogue marks safe for
// agents run unless the user allowed more (`--allow-remedies`).
import { investigate } from '../crash/investigate';
import { toReportJson, verdictJson, type ReportJson, type VerdictJson } from '../crash/report';
import type { Verdict } from '../crash/types';
import { CrashWatcher } from '../crash/watcher';
import { Monitor } from '../monitor';
import { REMEDIES, isRemedyId, type RemedyArgs, type RemedyId } from '../remedies/catalogue';
import { scanDiskCandidates, deletePaths, type DiskItem } from '../remedies/disk';
import { candidateForPort, candidateForServer, findKillCandidates, killTrees, type KillCandidate, type KillResult } from '../remedies/kill';
import { buildProtection, defaultLookup } from '../remedies/processes';
import { stoppedSentence } from '../remedies/results';
import { redactDeep, redactText } from '../redact';
import { DEFAULT_SETTINGS } from '../settings';
import { toStatusJson, type StatusJson } from '../statusJson';
import { createProbe } from '../system/probe';
import type { Server, Snapshot, SystemProbe } from '../types';
import { startServerDetached, type StartedServer } from '../remedies/launch';

export interface DoctorOptions {
  readonly workspaceFolders: readonly string[];
  readonly probe?: SystemProbe;
  /** Remedies the user allowed beyond the catalogue's agent-safe ones (e.g. free-disk). */
  readonly allowRemedies?: readonly RemedyId[];
  /** Poll interval while waiting for a crash (default the monitor's). */
  readonly pollIntervalMs?: number;
}

/** A refusal or failure an agent can read; never a thrown crash of the server. */
export class DoctorError extends Error {
  constructor(message: string, readonly code: 'invalid' | 'refused' | 'not-found' | 'failed') {
    super(message);
  }
}

export interface RemedyPlan {
  /** What the catalogue offers, with whether an agent may apply each here. */
  readonly catalogue: readonly { id: RemedyId; what: string; kind: string; allowedForAgents: boolean }[];
  /** Exactly the process trees kill-zombies / kill-port-holder would stop now. */
  readonly kill: readonly { pid: number; pids: readonly number[]; server: string | null; command: string; ports: readonly number[]; reasons: readonly string[] }[];
  /** Exactly what free-disk would delete now (bytes measured by the scan). */
  readonly disk: readonly { path: string; kind: string; bytes: number }[];
  readonly warnings: readonly string[];
}

export interface RemedyOutcome {
  readonly id: RemedyId;
  readonly applied: boolean;
  /** One sentence of what happened, e.g. "Stopped 3 processes, freeing 120 MB of memory and port 5173." */
  readonly message: string;
  readonly kill?: KillResult;
  readonly started?: StartedServer;
}

export class Doctor {
  private readonly probe: SystemProbe;
  private readonly folders: readonly string[];
  private readonly allowed: ReadonlySet<RemedyId>;
  /** Kill protection (this process, its parents, other users), built once for every kill remedy. */
  private readonly guard = buildProtection({ selfPid: process.pid }, defaultLookup());

  constructor(private readonly opts: DoctorOptions) {
    if (opts.workspaceFolders.length === 0) throw new DoctorError('No workspace folder given.', 'invalid');
    this.probe = opts.probe ?? createProbe();
    this.folders = opts.workspaceFolders;
    this.allowed = new Set(opts.allowRemedies ?? []);
  }

  /** May an agent apply this remedy here? */
  allowedForAgents(id: RemedyId): boolean {
    return REMEDIES[id].agentSafe || this.allowed.has(id);
  }

  private async snapshot(): Promise<Snapshot> {
    const monitor = new Monitor({ probe: this.probe, workspaceFolders: this.folders });
    try {
      return await monitor.pollOnce();
    } finally {
      monitor.dispose();
    }
  }

  async status(): Promise<StatusJson> {
    return toStatusJson(await this.snapshot());
  }

  async investigate(sinceMs: number): Promise<ReportJson> {
    const snapshot = await this.snapshot();
    return toReportJson(await investigate({ workspaceFolders: this.folders, sinceMs: Date.now() - sinceMs, snapshot }));
  }

  /**
   * Waits for the next crash verdict (of `server`, by name, when given) for at most `timeoutMs`; null when
   * none came. Starts its own monitor, so it sees crashes it did not cause.
   */
  async watchForCrash(opts: { server?: string; timeoutMs: number; signal?: AbortSignal }): Promise<VerdictJson | null> {
    const monitor = new Monitor({
      probe: this.probe, workspaceFolders: this.folders,
      settings: { ...DEFAULT_SETTINGS, pollIntervalMs: this.opts.pollIntervalMs ?? 500 },
    });
    const watcher = new CrashWatcher(monitor);
    const wanted = opts.server?.trim().toLowerCase();
    const matches = (v: Verdict): boolean => !wanted || (v.server ?? '').toLowerCase().includes(wanted);
    try {
      return await new Promise<VerdictJson | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), opts.timeoutMs);
        const abort = (): void => { clearTimeout(timer); resolve(null); };
        opts.signal?.addEventListener('abort', abort, { once: true });
        watcher.onVerdict((v) => {
          if (!matches(v)) return;
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', abort);
          resolve(redactDeep(verdictJson(v)));
        });
        monitor.start();
      });
    } finally {
      watcher.dispose();
      monitor.dispose();
    }
  }

  /** The dry run: what each remedy would kill or delete now, and which an agent may apply. */
  async listRemedies(): Promise<RemedyPlan> {
    const snapshot = await this.snapshot();
    const plan = findKillCandidates(snapshot, { guard: this.guard });
    const scan = this.allowedForAgents('free-disk') ? await scanDiskCandidates([...this.folders], {}) : null;
    return redactDeep({
      catalogue: (Object.keys(REMEDIES) as RemedyId[]).map((id) => ({ id, what: REMEDIES[id].what, kind: REMEDIES[id].kind, allowedForAgents: this.allowedForAgents(id) })),
      kill: plan.candidates.map((c) => killJson(c)),
      disk: scan ? scan.items.map((i: DiskItem) => ({ path: i.path, kind: i.kind, bytes: i.bytes })) : [],
      warnings: [...plan.warnings, ...(scan ? scan.warnings : ['free-disk is not allowed for agents here: start the server with --allow-remedies free-disk to list and apply it.'])],
    });
  }

  /** Applies one remedy after re-checking, on a fresh snapshot, that it acts only on the workspace's own processes or files. */
  async applyRemedy(id: unknown, args: RemedyArgs = {}): Promise<RemedyOutcome> {
    if (!isRemedyId(id)) throw new DoctorError(`Unknown remedy "${String(id)}". Known: ${Object.keys(REMEDIES).join(', ')}.`, 'invalid');
    if (!this.allowedForAgents(id)) {
      throw new DoctorError(`${id} is not applied for agents: it ${REMEDIES[id].kind === 'delete' ? 'deletes files' : REMEDIES[id].kind === 'edit' ? 'edits the project' : 'is destructive'}. The user can allow it by starting the MCP server with --allow-remedies ${id}.`, 'refused');
    }
    const snapshot = await this.snapshot();
    switch (id) {
      case 'kill-port-holder': {
        if (!args.port) throw new DoctorError('kill-port-holder needs a port.', 'invalid');
        const c = candidateForPort(args.port, snapshot, { guard: this.guard });
        if ('refused' in c) throw new DoctorError(c.refused, 'refused');
        if (args.pid && c.pid !== args.pid) throw new DoctorError(`Port ${args.port} is held by PID ${c.pid} now, not ${args.pid}: nothing was stopped.`, 'refused');
        return this.kill(id, [c]);
      }
      case 'kill-zombies': {
        const plan = findKillCandidates(snapshot, { guard: this.guard });
        const wanted = args.pids?.length ? new Set(args.pids) : args.pid ? new Set([args.pid]) : null;
        const chosen = wanted ? plan.candidates.filter((c) => wanted.has(c.pid)) : plan.candidates;
        if (wanted && chosen.length < wanted.size) {
          const missing = [...wanted].filter((p) => !chosen.some((c) => c.pid === p));
          throw new DoctorError(`PID ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not an orphaned, duplicate or stuck process of this workspace (list_remedies shows what is): nothing was stopped.`, 'refused');
        }
        if (chosen.length === 0) return { id, applied: false, message: 'No orphaned, duplicate or stuck dev processes found: nothing to stop.' };
        return this.kill(id, chosen);
      }
      case 'kill-process-tree': {
        const server = findServer(snapshot, args);
        const c = candidateForServer(server, snapshot, { guard: this.guard });
        if ('refused' in c) throw new DoctorError(c.refused, 'refused');
        return this.kill(id, [c]);
      }
      case 'restart-server':
      case 'start-server': {
        const server = findServer(snapshot, args);
        let stopped: KillResult | undefined;
        if (server.pid !== null) {
          if (id === 'start-server') return { id, applied: false, message: `${server.name} is already running (PID ${server.pid}).` };
          const c = candidateForServer(server, snapshot, { guard: this.guard });
          if ('refused' in c) throw new DoctorError(c.refused, 'refused');
          stopped = await killTrees(c.members, { probe: this.probe, guard: this.guard, stoppedBy: 'agent' });
        }
        const started = await startServerDetached(server);
        const prefix = stopped ? `${killSentence(stopped)} ` : '';
        return {
          id, applied: started.pid !== null, started, ...(stopped ? { kill: stopped } : {}),
          message: redactText(`${prefix}${started.message}`),
        };
      }
      case 'free-disk': {
        const scan = await scanDiskCandidates([...this.folders], {});
        const items = args.path ? scan.items.filter((i) => i.path === args.path) : scan.items;
        if (args.path && items.length === 0) throw new DoctorError(`${args.path} is not among what free-disk would delete (list_remedies shows the list).`, 'refused');
        const result = await deletePaths(items, { toTrash: null });
        return { id, applied: result.deleted.length > 0, message: `Deleted ${result.deleted.length} of ${items.length}.${result.skipped.length ? ` Not deleted: ${result.skipped.map((s) => `${s.path} (${s.reason})`).join('; ')}.` : ''}` };
      }
      case 'investigate':
        return { id, applied: true, message: 'Call the investigate tool for the report.' };
      default:
        throw new DoctorError(`${id} needs the editor or a terminal (${REMEDIES[id].what}); it is not applied from here.`, 'refused');
    }
  }

  private async kill(id: RemedyId, candidates: readonly KillCandidate[]): Promise<RemedyOutcome> {
    // Exactly the processes listed, each re-checked to be the one listed (a recycled pid is never signalled).
    const result = await killTrees(candidates.flatMap((c) => c.members), { probe: this.probe, guard: this.guard, stoppedBy: 'agent' });
    return { id, applied: result.killed.length > 0, message: killSentence(result), kill: result };
  }
}

function killJson(c: KillCandidate): RemedyPlan['kill'][number] {
  return { pid: c.pid, pids: c.pids, server: c.serverName, command: c.command, ports: c.ports, reasons: c.reasons.map((r) => r.message) };
}

function findServer(snapshot: Snapshot, args: RemedyArgs): Server {
  const name = args.server?.trim();
  const found = snapshot.servers.filter((s) => (args.serverId && s.id === args.serverId) || (name && (s.name === name || s.name.toLowerCase().includes(name.toLowerCase()))));
  if (found.length === 0) throw new DoctorError(`No server ${name ?? args.serverId ?? ''} in this workspace (status lists them).`, 'not-found');
  if (found.length > 1) throw new DoctorError(`"${name}" names ${found.length} servers (${found.map((s) => s.name).join(', ')}): be exact.`, 'invalid');
  return found[0];
}

/** "Stopped 3 processes, freeing 120 MB of memory and port 5173." (and what did not go). */
function killSentence(r: KillResult): string {
  const parts = [stoppedSentence(r)];
  if (r.survivors.length) parts.push(`Still running: ${r.survivors.join(', ')}.`);
  for (const e of r.errors) parts.push(e.message);
  return parts.join(' ');
}
