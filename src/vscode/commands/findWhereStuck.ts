import * as path from 'node:path';
import * as vscode from 'vscode';
import { renderMarkdown, reportLinks, saveReport } from '../../core/crash/report';
import { findWhereStuck, hangVerdict, stuckTarget } from '../../core/health/stuck';
import { defaultLookup } from '../../core/remedies/processes';
import { toStatusJson } from '../../core/statusJson';
import { readCrashSettings, workspaceFolderPaths } from '../config';
import { remedyHref, remedyLink } from '../remedyCommands';
import { confirm } from '../ui';
import type { CommandContext } from './context';
import type { ShownReport } from './investigateCrash';
import { serverFromArg } from './pickServer';
import type { Verdict } from '../../core/crash/types';

/** The report shown, and the verdict it holds (where the server was stuck). */
export interface StuckOutcome extends ShownReport {
  readonly verdict: Verdict;
}

/**
 * devServerDoctor.findWhereStuck: after a confirmation that says what it does, opens the inspector of the server's
 * Node process (SIGUSR1), pauses it for a moment on loopback, reads the top JavaScript frames, resumes it, and shows
 * them as a `hang` verdict (own frame first), saved like crash reports. Only the workspace's own Node processes.
 */
export function findWhereStuckCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<StuckOutcome | undefined> => {
    const server = await serverFromArg(ctx, arg, (s) => s.state === 'unresponsive' || s.state === 'up' || s.state === 'orphaned', 'Find where which server is stuck?');
    if (!server) return;
    const folders = workspaceFolderPaths();
    const target = stuckTarget(server, defaultLookup(), folders);
    if ('refused' in target) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${target.refused}`);
      return;
    }
    const detail = `Sends SIGUSR1 to PID ${target.pid} (${target.command}). Node then opens its inspector on 127.0.0.1 (port 9229 unless set otherwise); `
      + 'the process keeps that port open until it restarts. Dev Server Doctor connects on loopback, pauses the JavaScript it is running '
      + 'for a moment, reads the top frames, resumes it and disconnects. Nothing is changed or stopped.';
    if (!(await confirm(`Find where ${server.name} is stuck?`, detail, "Find Where It's Stuck"))) return;
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Dev Server Doctor: reading where ${server.name} is stuck…` },
      () => findWhereStuck(target.pid, { workspaceFolders: folders }),
    );
    ctx.log.info(`find where stuck, pid ${target.pid}: ${result.message}`);
    const verdict = hangVerdict(server, target.pid, result);
    const snap = ctx.snapshot();
    const inv = {
      generatedAt: Date.now(), sinceMs: Date.now(), workspaceFolders: folders, verdicts: [verdict],
      state: snap ? toStatusJson(snap) : null, inotify: null, problems: [],
    };
    const settings = readCrashSettings();
    const saved = saveReport(inv, [path.join(ctx.storageDir, 'reports'), ...(settings.reportFolder ? [settings.reportFolder] : [])], remedyLink);
    const markdown = renderMarkdown(inv, remedyLink) + (saved.files.length ? `\n\n---\nSaved as ${saved.files.map((f) => `\`${f}\``).join(', ')}.\n` : '');
    ctx.reports.show(markdown, `Where ${server.name} is stuck`, reportLinks(inv, remedyHref));
    const shown: StuckOutcome = { markdown, files: saved.files, problems: saved.problems, verdicts: 1, verdict };
    if (!result.ok) void vscode.window.showWarningMessage(`Dev Server Doctor: ${result.message}`);
    return shown;
  };
}
