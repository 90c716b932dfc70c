// `dev-server-doctor zombies [--kill --yes]`: orphaned dev servers, duplicate watchers, holders of
// expected ports and parents of zombies; stopped only with --kill --yes.
import { count, formatBytes, formatDuration } from '../core/format';
import { candidateForPort, candidateForServer, findKillCandidates, killTrees, type KillCandidate, type KillPlan } from '../core/remedies/kill';
import { withPortHolder } from '../core/remedies/portHolder';
import { killReport } from '../core/remedies/results';
import type { Snapshot } from '../core/types';
import type { CliDeps, CliIo } from './args';
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

/** What to offer: every stray tree, or only the ones --pid / --port name (each found or refused with a reason). */
function plan(snapshot: Snapshot, pids: readonly number[], ports: readonly number[]): KillPlan & { refused: string[] } {
  const all = findKillCandidates(snapshot);
  if (pids.length === 0 && ports.length === 0) return { ...all, refused: [] };
  const candidates: KillCandidate[] = [];
  const refused: string[] = [];
  const take = (c: KillCandidate | { refused: string }) => ('refused' in c ? refused.push(c.refused) : candidates.push(c));
  for (const pid of pids) {
    const server = snapshot.servers.find((s) => s.pid === pid);
    const stray = all.candidates.find((c) => c.pid === pid);
    // Only whole trees by their root: a child's pid does not stop the tree it belongs to.
    const within = snapshot.servers.find((s) => s.pids.includes(pid)) ?? all.candidates.find((c) => c.pids.includes(pid));
    const socket = snapshot.sockets.find((s) => s.pid === pid);
    if (server) take(candidateForServer(server, snapshot));
    else if (stray) take(stray);
    else if (socket) take(candidateForPort(socket.port, snapshot));
    else if (within) refused.push(`PID ${pid} belongs to the tree of PID ${within.pid}; name that one to stop the tree.`);
    else refused.push(`PID ${pid} is neither a dev server of this workspace nor a stray dev process: it is left alone.`);
  }
  for (const port of ports) take(candidateForPort(port, snapshot));
  const unique = candidates.filter((c, i) => candidates.findIndex((d) => d.pid === c.pid) === i);
  return { candidates: unique, warnings: all.warnings, refused };
}

export const zombies: Verb<{ kill: boolean; killAsked: boolean; graceMs: number | undefined; pids: number[]; ports: number[] }> = {
  name: 'zombies',
  summary: 'orphaned dev servers, duplicate watchers, holders of expected ports and parents of zombies',
  details: [
    'lists only; --kill --yes stops them (SIGTERM, then SIGKILL after the grace period, default 3 s)',
    '--pid / --port: only the trees named (each refused with a reason when it is not a dev process of the workspace)',
    'exit 0; 1 when something survived or a named tree was refused; 2 on bad usage',
  ],
  flags: [
    { name: '--kill', help: 'stop the listed process trees (a dry run without --yes)' },
    { name: '--yes', help: 'confirm --kill' },
    { name: '--grace', value: 'SECONDS', help: 'wait this long after SIGTERM before SIGKILL (default 3)' },
    { name: '--pid', value: 'PID', repeatable: true, help: "only this server's, stray process's or port holder's tree" },
    { name: '--port', value: 'PORT', repeatable: true, help: 'only the tree holding this port' },
  ],
  options(flags) {
    const grace = flags.number('--grace', 0, 600);
    return {
      kill: flags.confirmed('--kill'),
      killAsked: flags.has('--kill'),
      graceMs: grace === undefined ? undefined : grace * 1000,
      pids: flags.integers('--pid', 1, 2 ** 22),
      ports: flags.integers('--port', 1, 65535),
    };
  },
  async run(args, io, deps) {
    const probe = probeOf(deps);
    let snapshot = await pollOnce(args.workspaces, { ...deps, probe });
    // Where the poll could not tell who owns a socket, ask lsof / netstat now.
    for (const port of args.ports) snapshot = await withPortHolder(snapshot, port);
    const found = plan(snapshot, args.pids, args.ports);
    const result = args.kill && found.candidates.length > 0
      ? await killTrees([...new Set(found.candidates.flatMap((c) => c.pids))], { probe, graceMs: args.graceMs })
      : null;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ candidates: found.candidates, warnings: [...found.refused, ...found.warnings], result }, null, 2)}\n`);
    } else {
      const out: string[] = [];
      out.push(found.candidates.length === 0
        ? 'No orphaned, duplicate or stuck dev processes found.'
        : `${count(found.candidates.length, 'process tree')} could be stopped:`);
      for (const c of found.candidates) out.push(candidateLines(c));
      const notOffered = [...found.refused, ...found.warnings];
      if (notOffered.length > 0) out.push('Not offered:', ...notOffered.map((w) => `  - ${w}`));
      if (result) out.push(...killReport(result));
      else if (found.candidates.length > 0) out.push(`Dry run: nothing was stopped.${args.killAsked ? ' Add --yes to stop them.' : ' Add --kill --yes to stop them.'}`);
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
