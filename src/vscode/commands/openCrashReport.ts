import * as vscode from 'vscode';
import { crashCharts } from '../../core/dashboard/crashCharts';
import type { Investigation } from '../../core/crash/investigate';
import { renderMarkdown, reportLinks } from '../../core/crash/report';
import { remedyHref, remedyLink } from '../remedyCommands';
import type { CommandContext } from './context';

/**
 * devServerDoctor.openCrashReport (a crash entry, or its id): that crash's own report — its verdict,
 * evidence and remedies, and the memory curve before it when samples were kept — from the history.
 */
export function openCrashReportCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    const id = typeof arg === 'string' ? arg : (arg as { entry?: { id?: unknown }; id?: unknown } | undefined)?.entry?.id ?? (arg as { id?: unknown } | undefined)?.id;
    const entry = ctx.history.entries({ includeResolved: true }).find((e) => e.id === id);
    if (!entry) {
      void vscode.window.showWarningMessage('Dev Server Doctor: that crash is no longer in the history.');
      return;
    }
    const v = entry.verdict;
    const inv: Investigation = { generatedAt: Date.now(), sinceMs: v.time, workspaceFolders: ctx.snapshot()?.workspaceFolders ?? [], verdicts: [v], state: null, inotify: null, problems: [] };
    const charts = crashCharts([v], (x, from, to) => ctx.series().samplesOf(x.detail?.serverId ?? entry.serverId, x.server, from, to),
      { availableBytes: ctx.snapshot()?.system.memory.availableBytes ?? null });
    const md = renderMarkdown(inv, remedyLink)
      + (entry.resolvedAt !== null ? `\n\n_Marked resolved ${new Date(entry.resolvedAt).toLocaleString()}._\n` : '');
    ctx.reports.show(md, `Crash: ${v.server ?? 'unknown'} ${new Date(v.time).toLocaleTimeString()}`, reportLinks(inv, remedyHref), charts);
  };
}
