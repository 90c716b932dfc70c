// `node dist/cli.js zombies|disk …`: the remedies from a terminal, dry runs unless --yes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBytes, formatDuration } from './core/format';
import { Monitor } from './core/monitor';
import { createProbe } from './core/system/probe';
import { deletePaths, scanDiskCandidates, type DiskScan } from './core/remedies/disk';
import { broadFolderWarnings } from './core/remedies/scope';
import { findKillCandidates, killTrees, type KillCandidate, type KillPlan, type KillReasonKind, type KillResult } from './core/remedies/kill';
import type { SystemProbe } from './core/types';

export const REMEDIES_USAGE = `  node dist/cli.js zombies [--kill [--yes]] [--pid N ...] [--only orphans|holders|duplicates] [--grace SECONDS] [--json] [--workspace DIR ...]
  node dist/cli.js disk [--clean [--yes]] [--large-log-mb N] [--stale-days N] [--npm-cache] [--reports DIR ...] [--json] [--workspace DIR ...]

  zombies   orphaned dev servers, duplicate watchers, holders of expected ports and parents of zombies;
            --kill --yes stops exactly the trees listed (SIGTERM, then SIGKILL after the grace period, default 3 s),
            each re-checked to be the process listed; --pid and --only narrow the list
  disk      large logs, rebuildable caches, stale node_modules (--stale-days), the npm cache (--npm-cache)
            and old reports (--reports); --clean --yes deletes them permanently
  Without --yes nothing is changed: the commands only list what they would do.
`;

export interface CliIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
}

/** What the commands use from the machine; tests pass their own. */
export interface RemediesCliDeps {
  readonly cwd?: string;
  readonly probe?: SystemProbe;
}

class UsageError extends Error {}

interface Flags {
  readonly booleans: Set<string>;
  readonly values: Map<string, string[]>;
}

/** --flag, --flag VALUE and --flag=VALUE; `valued` flags take a value, the rest are switches. */
function parseFlags(argv: readonly string[], switches: readonly string[], valued: readonly string[]): Flags {
  const flags: Flags = { booleans: new Set(), values: new Map() };
  const rest = [...argv];
  while (rest.length > 0) {
    const arg = rest.shift()!;
    const eq = arg.indexOf('=');
    let name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '-w') name = '--workspace';
    if (switches.includes(name) && eq < 0) {
      flags.booleans.add(name);
    } else if (valued.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : rest.shift();
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value.`);
      flags.values.set(name, [...(flags.values.get(name) ?? []), value]);
    } else {
      throw new UsageError(`Unknown option "${arg}".`);
    }
  }
  return flags;
}

function numberFlag(flags: Flags, name: string, min: number, max: number): number | undefined {
  const v = flags.values.get(name)?.at(-1);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} takes a number from ${min} to ${max}.`);
  return n;
}

/** Real paths of --workspace folders (default: the current directory), so they compare with processes' cwd. */
function workspaces(flags: Flags, cwd: string): string[] {
  const dirs = flags.values.get('--workspace') ?? [cwd];
  return dirs.map((d) => {
    const abs = path.resolve(cwd, d);
    try {
      if (fs.statSync(abs).isDirectory()) return fs.realpathSync.native(abs);
    } catch {
      // reported below
    }
    throw new UsageError(`Workspace folder not found: ${abs}`);
  });
}

/** --yes only confirms the action flag; alone it is a mistake worth telling. */
function confirmed(flags: Flags, action: string): boolean {
  if (flags.booleans.has('--yes') && !flags.booleans.has(action)) throw new UsageError(`--yes confirms ${action}; add ${action}.`);
  return flags.booleans.has(action) && flags.booleans.has('--yes');
}

async function guarded(io: CliIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n\nUsage:\n${REMEDIES_USAGE}`);
      return 2;
    }
    io.stderr.write(`Error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function candidateLines(c: KillCandidate): string {
  const age = c.ageMs !== null ? `up ${formatDuration(c.ageMs)}` : 'age unknown';
  const ports = c.ports.length > 0 ? `  ports ${c.ports.join(', ')}` : '';
  const lines = [`  PID ${c.pid}  ${formatBytes(c.rssBytes)}  ${age}${ports}${c.serverName ? `  [${c.serverName}]` : ''}`, `    ${c.command}`];
  for (const r of c.reasons) lines.push(`    - ${r.message}`);
  if (c.pids.length > 1) lines.push(`    tree: ${c.pids.join(', ')}`);
  return lines.join('\n');
}

function killSummary(r: KillResult): string {
  const lines = [`Stopped ${r.killed.length} process${r.killed.length === 1 ? '' : 'es'}, freeing ${formatBytes(r.freedBytes)}`
    + (r.freedPorts.length > 0 ? ` and port${r.freedPorts.length === 1 ? '' : 's'} ${r.freedPorts.join(', ')}` : '') + '.'];
  if (r.escalated.length > 0) lines.push(`Ignored SIGTERM and got SIGKILL: ${r.escalated.join(', ')}.`);
  for (const p of r.stillHeldPorts) lines.push(`Port ${p.port} is still in use${p.pid !== null ? ` (PID ${p.pid})` : ''}.`);
  if (r.survivors.length > 0) lines.push(`Still running: ${r.survivors.join(', ')}.`);
  for (const e of r.errors) lines.push(e.message);
  for (const w of r.warnings) lines.push(w);
  return lines.join('\n');
}

const ONLY: Readonly<Record<string, readonly KillReasonKind[]>> = {
  orphans: ['orphan'],
  holders: ['port-holder'],
  duplicates: ['duplicate-watcher'],
};

/** The plan narrowed to --pid (a tree's root or member) and --only (a kind of reason). */
function narrowPlan(plan: KillPlan, flags: Flags): KillPlan {
  const only = flags.values.get('--only')?.at(-1);
  if (only !== undefined && !ONLY[only]) throw new UsageError('--only takes orphans, holders or duplicates.');
  const pids = (flags.values.get('--pid') ?? []).map((v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError('--pid takes a process id.');
    return n;
  });
  const candidates = plan.candidates.filter((c) => (pids.length === 0 || pids.some((p) => c.pids.includes(p)))
    && (only === undefined || c.reasons.some((r) => ONLY[only]!.includes(r.kind))));
  const warnings = [...plan.warnings];
  for (const p of pids) if (!plan.candidates.some((c) => c.pids.includes(p))) warnings.push(`PID ${p} is not among the candidates, so it is not stopped.`);
  return { candidates, warnings };
}

/** `zombies`: lists process trees worth stopping; with --kill --yes stops them. Exit 0, 1 when something survived, 2 on bad usage. */
export function runZombies(argv: readonly string[], io: CliIo, deps: RemediesCliDeps = {}): Promise<number> {
  return guarded(io, async () => {
    const flags = parseFlags(argv, ['--kill', '--yes', '--json'], ['--workspace', '--grace', '--pid', '--only']);
    const folders = workspaces(flags, deps.cwd ?? process.cwd());
    const graceSec = numberFlag(flags, '--grace', 0, 600);
    const kill = confirmed(flags, '--kill');
    const probe = deps.probe ?? createProbe();
    // `/` or a home folder: nothing will be offered, so the whole disk is not scanned to find that out.
    const broad = broadFolderWarnings(folders, 'killing');
    let plan: KillPlan = { candidates: [], warnings: broad };
    if (broad.length === 0) {
      const monitor = new Monitor({ probe, workspaceFolders: folders });
      try {
        plan = narrowPlan(findKillCandidates(await monitor.pollOnce()), flags);
      } finally {
        monitor.dispose();
      }
    }
    // Exactly the processes listed, each re-checked to be the one listed (see killTrees), with their children.
    const result = kill && plan.candidates.length > 0
      ? await killTrees(plan.candidates.flatMap((c) => c.members), { probe, graceMs: graceSec === undefined ? undefined : graceSec * 1000 })
      : null;
    if (flags.booleans.has('--json')) {
      io.stdout.write(`${JSON.stringify({ candidates: plan.candidates, warnings: plan.warnings, result }, null, 2)}\n`);
    } else {
      const out: string[] = [];
      out.push(plan.candidates.length === 0
        ? 'No orphaned, duplicate or stuck dev processes found.'
        : `${plan.candidates.length} process tree${plan.candidates.length === 1 ? '' : 's'} could be stopped:`);
      for (const c of plan.candidates) out.push(candidateLines(c));
      if (plan.warnings.length > 0) out.push('Not offered:', ...plan.warnings.map((w) => `  - ${w}`));
      if (result) out.push(killSummary(result));
      else if (plan.candidates.length > 0) out.push(`Dry run: nothing was stopped.${flags.booleans.has('--kill') ? ' Add --yes to stop them.' : ' Add --kill --yes to stop them.'}`);
      io.stdout.write(`${out.join('\n')}\n`);
    }
    return result && (result.survivors.length > 0 || result.errors.length > 0) ? 1 : 0;
  });
}

function scanLines(scan: DiskScan): string[] {
  const out = [scan.items.length === 0
    ? 'Nothing to clean up found.'
    : `${formatBytes(scan.totalBytes)} could be freed in ${scan.items.length} place${scan.items.length === 1 ? '' : 's'}:`];
  for (const [kind, { count, bytes }] of Object.entries(scan.byKind)) {
    if (count > 0) out.push(`  ${kind.padEnd(13)}${formatBytes(bytes).padStart(9)}  (${count})`);
  }
  if (scan.items.length > 0) out.push('');
  for (const i of scan.items) out.push(`  ${formatBytes(i.bytes).padStart(9)}  ${i.label.padEnd(18)} ${i.path}`);
  if (scan.cancelled) out.push('The scan was cancelled; the list is incomplete.');
  out.push(...scan.warnings);
  return out;
}

/** `disk`: lists what could be deleted; with --clean --yes deletes it permanently. Exit 0, 1 when something could not be deleted, 2 on bad usage. */
export function runDisk(argv: readonly string[], io: CliIo, deps: RemediesCliDeps = {}): Promise<number> {
  return guarded(io, async () => {
    const flags = parseFlags(argv, ['--clean', '--yes', '--json', '--npm-cache'], ['--workspace', '--large-log-mb', '--stale-days', '--reports']);
    const folders = workspaces(flags, deps.cwd ?? process.cwd());
    const largeLogMb = numberFlag(flags, '--large-log-mb', 0, 1_000_000);
    const clean = confirmed(flags, '--clean');
    const scan = await scanDiskCandidates(folders, {
      largeLogBytes: largeLogMb === undefined ? undefined : largeLogMb * 1024 * 1024,
      staleNodeModulesDays: numberFlag(flags, '--stale-days', 0, 100_000) ?? null,
      includeNpmCache: flags.booleans.has('--npm-cache'),
      reportDirs: (flags.values.get('--reports') ?? []).map((d) => path.resolve(deps.cwd ?? process.cwd(), d)),
    });
    // Nothing the terminal user has not seen listed is deleted: the same scan's items, permanently (no trash here).
    const result = clean && scan.items.length > 0 ? await deletePaths(scan.items, { toTrash: null }) : null;
    if (flags.booleans.has('--json')) {
      io.stdout.write(`${JSON.stringify({ ...scan, result }, null, 2)}\n`);
    } else {
      const out = scanLines(scan);
      if (result) {
        out.push('', `Deleted ${result.deleted.length} of ${scan.items.length}, freeing ${formatBytes(result.freedBytes)}.`);
        for (const s of result.skipped) out.push(`Not deleted: ${s.path}: ${s.reason}.`);
        for (const d of result.deleted) if (d.leftBehind.length > 0) out.push(`Left alone inside ${d.path}: ${d.leftBehind.join(', ')} (another file system).`);
        for (const d of result.disks) out.push(`The disk holding ${d.path} is now ${d.usedPercent}% used (${formatBytes(d.freeBytes)} free).`);
      } else if (scan.items.length > 0) {
        out.push('', `Dry run: nothing was deleted.${flags.booleans.has('--clean') ? ' Add --yes to delete these for good.' : ' Add --clean --yes to delete these for good.'}`);
      }
      io.stdout.write(`${out.join('\n')}\n`);
    }
    return result && result.skipped.length > 0 ? 1 : 0;
  });
}
