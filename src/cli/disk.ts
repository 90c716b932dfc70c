// `dev-server-doctor disk [--clean --yes]`: large logs, rebuildable caches, stale node_modules, the npm
// cache and old reports; deleted (permanently) only with --clean --yes.
import { formatBytes } from '../core/format';
import { deletePaths, scanDiskCandidates, type DiskScan } from '../core/remedies/disk';
import { deleteReport, scanHeadline } from '../core/remedies/results';
import { confirmFlags, dryRunLine, type CliDeps, type CliIo } from './args';
import { runVerb, type Verb } from './verb';

function scanLines(scan: DiskScan): string[] {
  const out = [scanHeadline(scan)];
  for (const [kind, { count, bytes }] of Object.entries(scan.byKind)) {
    if (count > 0) out.push(`  ${kind.padEnd(13)}${formatBytes(bytes).padStart(9)}  (${count})`);
  }
  if (scan.items.length > 0) out.push('');
  for (const i of scan.items) {
    out.push(`  ${formatBytes(i.bytes).padStart(9)}  ${i.label.padEnd(18)} ${i.path}`);
    for (const h of i.heldOpenBy ?? []) out.push(`             held open by pid ${h.pid} (${h.command}): its space returns only when that process restarts, or with --truncate-open-logs`);
  }
  if (scan.cancelled) out.push('The scan was cancelled; the list is incomplete.');
  out.push(...scan.warnings);
  return out;
}

interface DiskOptions {
  clean: boolean;
  cleanAsked: boolean;
  largeLogMb: number | undefined;
  staleDays: number | undefined;
  npmCache: boolean;
  reportDirs: string[];
  truncateOpenLogs: boolean;
}

export const disk: Verb<DiskOptions> = {
  name: 'disk',
  summary: 'large logs, rebuildable caches, stale node_modules, the npm cache and old reports',
  details: [
    'lists only; --clean --yes deletes them permanently',
    'exit 0; 1 when something could not be deleted; 2 on bad usage',
  ],
  flags: [
    ...confirmFlags('--clean', 'delete the listed items'),
    { name: '--large-log-mb', value: 'N', help: 'list log files at least this big (default 10)' },
    { name: '--stale-days', value: 'N', help: 'list node_modules untouched for N days' },
    { name: '--npm-cache', help: 'list the npm cache too' },
    { name: '--reports', value: 'DIR', repeatable: true, help: 'list our own old crash reports in DIR (nothing else in it)' },
    { name: '--truncate-open-logs', help: 'empty a listed log a running process holds open (else its space returns only when that process restarts)' },
  ],
  options(flags, cwd) {
    return {
      clean: flags.confirmed('--clean'),
      cleanAsked: flags.has('--clean'),
      largeLogMb: flags.number('--large-log-mb', 0, 1_000_000),
      staleDays: flags.number('--stale-days', 0, 100_000),
      npmCache: flags.has('--npm-cache'),
      reportDirs: flags.paths('--reports', cwd),
      truncateOpenLogs: flags.has('--truncate-open-logs'),
    };
  },
  async run(args, io) {
    const scan = await scanDiskCandidates(args.workspaces, {
      largeLogBytes: args.largeLogMb === undefined ? undefined : args.largeLogMb * 1024 * 1024,
      staleNodeModulesDays: args.staleDays ?? null,
      includeNpmCache: args.npmCache,
      reportDirs: args.reportDirs,
    });
    // Nothing the terminal user has not seen listed is deleted: the same scan's items, permanently (no trash here).
    const result = args.clean && scan.items.length > 0 ? await deletePaths(scan.items, { toTrash: null, truncateOpenLogs: args.truncateOpenLogs }) : null;
    if (args.json) {
      io.stdout.write(`${JSON.stringify({ ...scan, result }, null, 2)}\n`);
    } else {
      const out = scanLines(scan);
      if (result) {
        out.push('', ...deleteReport(result, scan.items.length));
      } else if (scan.items.length > 0) {
        out.push('', dryRunLine('--clean', args.cleanAsked, 'deleted', 'delete these for good'));
      }
      io.stdout.write(`${out.join('\n')}\n`);
    }
    return result && result.skipped.length > 0 ? 1 : 0;
  },
};

/** `disk` with these arguments (for tests and other callers). */
export function runDisk(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  return runVerb(disk, argv, io, deps);
}
