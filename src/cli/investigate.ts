// `dev-server-doctor investigate`: why servers crashed recently, with the evidence and what to type next.
import { investigate as investigateCrashes } from '../core/crash/investigate';
import type { Verdict } from '../core/crash/types';
import { crashCharts } from '../core/dashboard/crashCharts';
import { SampleJournal } from '../core/history/sampleJournal';
import { workspaceStateDir } from '../core/paths';
import { renderMarkdown, saveReport, toReportJson } from '../core/crash/report';
import { DAY_MS, parseDuration } from '../core/format';
import { UsageError } from './args';
import { pollOnce } from './probe';
import { readContainersOnce } from '../core/containers/status';
import { cliRemedy } from './remedyLines';
import type { Verb } from './verb';

/** Memory curves before the crashes, from the samples a `watch` of this workspace kept (none: no charts). */
function watchCharts(verdicts: readonly Verdict[], workspace: string, availableBytes: number) {
  const journal = new SampleJournal({ dir: workspaceStateDir(workspace) });
  const samples = journal.previous?.samples ?? [];
  return crashCharts(verdicts, (v, from, to) => samples
    .filter((s) => s.at >= from && s.at <= to)
    .map((s) => ({ t: s.at, rss: s.servers.find((x) => x.id === v.detail?.serverId || x.name === v.server)?.rssBytes ?? null })), { availableBytes });
}

export const investigate: Verb<{ sinceMs: number; saveDirs: string[] }> = {
  name: 'investigate',
  summary: 'why servers crashed recently (kernel log, log files, Node reports) and the current state',
  details: ['--json: one object'],
  flags: [
    { name: '--since', value: 'DURATION', help: 'how far back it looks: 30m, 24h, 7d (default 24h)' },
    { name: '--save', value: 'DIR', repeatable: true, help: 'also write the report as dev-server-doctor-YYYYMMDD-HHMMSS.md and .json into DIR (with the memory curves `watch` recorded, as SVGs)' },
  ],
  options(flags, cwd) {
    const since = flags.value('--since');
    const sinceMs = since === undefined ? DAY_MS : parseDuration(since);
    if (sinceMs === null) throw new UsageError('--since takes a duration such as 30m, 24h or 7d.');
    return { sinceMs, saveDirs: flags.paths('--save', cwd) };
  },
  async run(args, io, deps) {
    const sinceMs = Date.now() - args.sinceMs;
    // The workspace's containers and their crashes since then, from docker inspect (no engine: none, silently).
    const [snapshot, containers] = await Promise.all([pollOnce(args.workspaces, deps), readContainersOnce(args.workspaces, undefined, sinceMs)]);
    const inv = await investigateCrashes({ workspaceFolders: args.workspaces, sinceMs, snapshot, containers });
    const saved = args.saveDirs.length ? saveReport(inv, args.saveDirs, cliRemedy, watchCharts(inv.verdicts, args.workspaces[0]!, snapshot.system.memory.availableBytes)) : null;
    for (const p of saved?.problems ?? []) io.stderr.write(`${p}\n`);
    for (const f of saved?.files ?? []) io.stderr.write(`saved ${f}\n`);
    io.stdout.write(args.json ? `${JSON.stringify(toReportJson(inv), null, 2)}\n` : `${renderMarkdown(inv, cliRemedy)}\n`);
    // Asked to save and saved nowhere: a failure, even though the report was printed.
    return saved && saved.files.length === 0 ? 1 : 0;
  },
};
