// `dev-server-doctor zombies [--kill --yes]`: orphaned dev servers, duplicate watchers, holders of
// expected ports and parents of zombies; stopped only with --kill --yes.
import { formatBytes, formatDuration } from '../core/format';
import { candidateForPort, candidateForServer, findKillCandidates, killTrees, type KillCandidate, type KillPlan, type KillReasonKind } from '../core/remedies/kill';
import { withPortHolder } from '../core/remedies/portHolder';
import { broadFolderWarnings } from '../core/remedies/scope';
import { candidatesHeadline, killReport } from '../core/remedies/results';
import type { Snapshot } from '../core/types';
import { confirmFlags, dryRunLine, type CliDeps, type CliIo } from './args';
import { pollOnce, probeOf } from './probe';
import { runVerb, type Verb } from './verb';

function candidateLines(c: KillCandidate): string {
  const age = c.ageMs !== null ? `up ${formatDuration(c.ageMs)}` : 'age unknown';
  const ports = c.ports.length > 0 ? `  ports ${c.ports.join(', ')}` : '';
  const lines = [`  PID ${c.pid}  ${formatBytes(c.rssBytes)}  ${age}${ports}${c.serverName ? `  [${c.serverName}]` : ''}`, `    ${c.command}`];
  for (const r of c.reasons) lines.push(`    - ${r.message}`);
  if (c.pids.length > 1) lines.push(`    tree: ${c.pids.join(', ')}`);
  return lines.join('\n');
}

/** --only: a kind of reason. */
const ONLY: Readonly<Record<string, readonly KillReasonKind[]>> = {
  orphans: ['orphan'],
  holders: ['port-holder'],
  duplicates: ['duplicate-watcher'],
};

/**
 * What to offer: every stray tree (of one kind with --only), or only the trees --pid / --port name: a stray
 * tree holding the pid, a server whose root it is, the tree holding the port. Anything else is refused.
 */
function narrow(snapshot: Snapshot, o: { pids: readonly number[]; ports: readonly number[]; only: string | undefined }): KillPlan & { refused: string[] } {
  const all = findKillCandidates(snapshot);
  const strays = o.only === undefined ? all.candidates : all.candidates.filter((c) => c.reasons.some((r) => ONLY[o.only!]!.includes(r.kind)));
  if (o.pids.length === 0 && o.ports.length === 0) return { candidates: strays, warnings: all.warnings, refused: [] };
  const candidates: KillCandidate[] = [];
  const refused: string[] = [];
  const take = (c: KillCandidate | { refused: string }) => ('refused' in c ? refused.push(c.refused) : candidates.push(c));
  for (const pid of o.pids) {
    const stray = strays.find((c) => c.pids.includes(pid));
    const server = snapshot.servers.find((s) => s.pid === pid);
    const socket = snapshot.sockets.find((s) => s.pid === pid);
    if (stray) take(stray);
    else if (server) take(candidateForServer(server, snapshot));
    else if (socket) take(candidateForPort(socket.port, snapshot));
    else refused.push(`PID ${pid} is not a stray dev process, a server's root or a port holder of this workspace, so it is not stopped.`);
  }
  for (const port of o.ports) take(candidateForPort(port, snapshot));
  const unique = candidates.filter((c, i) => candidates.findIndex((d) => d.pid === c.pid) === i);
  return { candidates: unique, warnings: all.warnings, refused };
}

export const zombies: Verb<{ kill: boolean; killAsked: boolean; graceMs: number | undefined; pids: number[]; ports: number[]; only: string | undefined }> = {
  name: 'zombies',
  summary: 'orphaned dev servers, duplicate watchers, holders of expected ports and parents of zombies',
  details: [
    'lists only; --kill --yes stops them (SIGTERM, then SIGKILL after the grace period, default 3 s)',
    '--pid / --port: only the trees named (each refused with a reason when it is not a dev process of the workspace)',
    'exit 0; 1 when something survived or a named tree was refused; 2 on bad usage',
  ],
  flags: [
    ...confirmFlags('--kill', 'stop the listed process trees'),
    { name: '--grace', value: 'SECONDS', help: 'wait this long after SIGTERM before SIGKILL (default 3)' },
    { name: '--pid', value: 'PID', repeatable: true, help: "only the tree of this stray process, server root or port holder" },
    { name: '--port', value: 'PORT', repeatable: true, help: 'only the tree holding this port' },
    { name: '--only', value: 'KIND', help: `only one kind of stray tree: ${Object.keys(ONLY).join(', ')}` },
  ],
  options(flags) {
    const grace = flags.number('--grace', 0, 600);
    return {
      kill: flags.confirmed('--kill'),
      killAsked: flags.has('--kill'),
      graceMs: grace === undefined ? undefined : grace * 1000,
      pids: flags.integers('--pid', 1, 2 ** 22),
      ports: flags.integers('--port', 1, 65535),
      only: flags.oneOf('--only', Object.keys(ONLY)),
    };
  },
  async run(args, io, deps) {
    const probe = probeOf(deps);
    // `/` or a home folder: nothing will be offered, so the whole disk is not scanned to find that out.
    const broad = broadFolderWarnings(args.workspaces, 'killing');
    let found: KillPlan & { refused: string[] } = { candidates: [], warnings: broad, refused: [] };
    if (broad.length === 0) {
      let snapshot = await pollOnce(args.workspaces, { ...deps, probe });
      // Where the poll could not tell who owns a socket, ask lsof / netstat now.
      for (const port of args.ports) snapshot = await withPortHolder(snapshot, port);
      found = narrow(snapshot, args);
    }
    const result = args.kill && found.candidates.length > 0
      // Exactly the processes listed, each re-checked to be the one listed (see killTrees), with their children.
      ? await killTrees(found.candidates.flatMap((c) => c.members), { probe, graceMs: args.graceMs, stoppedBy: 'cli' })
      : null;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ candidates: found.candidates, warnings: [...found.refused, ...found.warnings], result }, null, 2)}\n`);
    } else {
      const out: string[] = [];
      out.push(candidatesHeadline(found.candidates.length));
      for (const c of found.candidates) out.push(candidateLines(c));
      const notOffered = [...found.refused, ...found.warnings];
      if (notOffered.length > 0) out.push('Not offered:', ...notOffered.map((w) => `  - ${w}`));
      if (result) out.push(...killReport(result));
      else if (found.candidates.length > 0) out.push(dryRunLine('--kill', args.killAsked, 'stopped', 'stop them'));
      io.stdout.write(`${out.join('\n')}\n`);
    }
    // 1: something asked for by --pid/--port was refused, or something survived.
    return found.refused.length > 0 || (result && (result.survivors.length > 0 || result.errors.length > 0)) ? 1 : 0;
  },
};

/** `zombies` with these arguments (for tests and other callers). */
export function runZombies(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  return runVerb(zombies, argv, io, deps);
}
