// `dev-server-doctor zombies [--kill --yes]`: orphaned dev servers, duplicate watchers, holders of
// expected ports and parents of zombies; stopped only with --kill --yes.
import { count, formatBytes, formatDuration } from '../core/format';
import { findKillCandidates, killTrees, type KillCandidate } from '../core/remedies/kill';
import { killReport } from '../core/remedies/results';
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

export const zombies: Verb<{ kill: boolean; killAsked: boolean; graceMs: number | undefined }> = {
  name: 'zombies',
  summary: 'orphaned dev servers, duplicate watchers, holders of expected ports and parents of zombies',
  details: [
    'lists only; --kill --yes stops them (SIGTERM, then SIGKILL after the grace period, default 3 s)',
    'exit 0; 1 when something survived; 2 on bad usage',
  ],
  flags: [
    { name: '--kill', help: 'stop the listed process trees (a dry run without --yes)' },
    { name: '--yes', help: 'confirm --kill' },
    { name: '--grace', value: 'SECONDS', help: 'wait this long after SIGTERM before SIGKILL (default 3)' },
  ],
  options(flags) {
    const grace = flags.number('--grace', 0, 600);
    return { kill: flags.confirmed('--kill'), killAsked: flags.has('--kill'), graceMs: grace === undefined ? undefined : grace * 1000 };
  },
  async run(args, io, deps) {
    const probe = probeOf(deps);
    const snapshot = await pollOnce(args.workspaces, { ...deps, probe });
    const plan = findKillCandidates(snapshot);
    const result = args.kill && plan.candidates.length > 0
      ? await killTrees([...new Set(plan.candidates.flatMap((c) => c.pids))], { probe, graceMs: args.graceMs })
      : null;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ candidates: plan.candidates, warnings: plan.warnings, result }, null, 2)}\n`);
    } else {
      const out: string[] = [];
      out.push(plan.candidates.length === 0
        ? 'No orphaned, duplicate or stuck dev processes found.'
        : `${count(plan.candidates.length, 'process tree')} could be stopped:`);
      for (const c of plan.candidates) out.push(candidateLines(c));
      if (plan.warnings.length > 0) out.push('Not offered:', ...plan.warnings.map((w) => `  - ${w}`));
      if (result) out.push(...killReport(result));
      else if (plan.candidates.length > 0) out.push(`Dry run: nothing was stopped.${args.killAsked ? ' Add --yes to stop them.' : ' Add --kill --yes to stop them.'}`);
      io.stdout.write(`${out.join('\n')}\n`);
    }
    return result && (result.survivors.length > 0 || result.errors.length > 0) ? 1 : 0;
  },
};

/** `zombies` with these arguments (for tests and other callers). */
export function runZombies(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  return runVerb(zombies, argv, io, deps);
}
