import * as path from 'node:path';
import * as vscode from 'vscode';
import { investigate, type Investigation } from '../../core/crash/investigate';
import { renderMarkdown, reportLinks, saveReport } from '../../core/crash/report';
import { crashCharts } from '../../core/dashboard/crashCharts';
import { readCrashSettings, workspaceFolderPaths } from '../config';
import { remedyHref, remedyLink } from '../remedyCommands';
import type { CommandContext } from './context';

/** The report shown (what the command returns). */
export interface ShownReport {
  readonly markdown: string;
  readonly files: readonly string[];
  readonly problems: readonly string[];
  readonly verdicts: number;
}

/**
 * The investigation behind the report, the agents' tool and anything else that asks why: exits already seen
 * are judged first, then the crash sources, the history, the state and the workspace's containers are read.
 */
export async function investigateWorkspace(ctx: CommandContext): Promise<Investigation> {
  const settings = readCrashSettings();
  // Exits already seen must be judged before the report lists them.
  await ctx.crashes.idle();
  // The workspace's containers and their crashes, from docker inspect (refreshes the list first).
  const containerVerdicts = await ctx.containers.investigate(Date.now() - settings.sinceMs);
  const containers = { engine: ctx.containers.status(), containers: [...ctx.containers.containers()], verdicts: containerVerdicts };
  return investigate({
    workspaceFolders: workspaceFolderPaths(),
    sinceMs: Date.now() - settings.sinceMs,
    snapshot: ctx.snapshot() ?? (await ctx.refresh.refresh('manual')),
    history: ctx.crashes.history(),
    ...(settings.logGlobs.length ? { logGlobs: settings.logGlobs } : {}),
    reportDirs: settings.nodeReportDirectories,
    containers,
  });
}

/**
 * devServerDoctor.investigateCrash: recent crashes (kernel log, cgroup counters, terminal output, log
 * files, Node reports) and the current state, with ranked remedies; shown at once, saved as .md and .json.
 * Read-only, so it works in untrusted workspaces too.
 */
export function investigateCrashCommand(ctx: CommandContext) {
  return async (): Promise<ShownReport> => {
    const settings = readCrashSettings();
    const inv = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Dev Server Doctor: investigating crashes…' },
      () => investigateWorkspace(ctx),
    );
    const dirs = [path.join(ctx.storageDir, 'reports'), ...(settings.reportFolder ? [settings.reportFolder] : [])];
    const charts = crashCharts(inv.verdicts, (v, from, to) => ctx.series().samplesOf(v.detail?.serverId ?? null, v.server, from, to),
      { availableBytes: ctx.snapshot()?.system.memory.availableBytes ?? null });
    const saved = saveReport(inv, dirs, remedyLink, charts);
    const markdown = renderMarkdown(inv, remedyLink)
      + (saved.files.length ? `\n\n---\nSaved as ${saved.files.map((f) => `\`${f}\``).join(', ')}.\n` : '')
      + (saved.problems.length ? `\n\n---\n${saved.problems.map((p) => `- ${p}`).join('\n')}\n` : '');
    const when = new Date(inv.generatedAt).toLocaleTimeString();
    ctx.reports.show(markdown, `Crash report ${when}`, reportLinks(inv, remedyHref), charts);
    ctx.log.info(`investigation: ${inv.verdicts.length} verdicts, saved ${saved.files.join(', ') || 'nowhere'}`);
    if (saved.problems.length) void vscode.window.showWarningMessage(`Dev Server Doctor: the report is shown but ${saved.problems.join(' ')}`);
    return { markdown, files: saved.files, problems: saved.problems, verdicts: inv.verdicts.length };
  };
}
