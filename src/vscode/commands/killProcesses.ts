// The shared end of every kill remedy: confirm exactly what will stop, stop whole trees, say what changed.
import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { count, formatBytes, formatDuration } from '../../core/format';
import { killTrees, type KillCandidate } from '../../core/remedies/kill';
import { killNotes, killProblems, processes as processesOf, stoppedSentence } from '../../core/remedies/results';
import { workspaceFolderPaths } from '../config';
import { confirm } from '../ui';
import type { CommandContext } from './context';

export function describeCandidate(c: KillCandidate): string {
  const bits = [`PID ${c.pid}`, c.command];
  if (c.ports.length) bits.push(`port ${c.ports.join(', ')}`);
  bits.push(formatBytes(c.rssBytes));
  if (c.ageMs !== null) bits.push(`up ${formatDuration(c.ageMs)}`);
  return bits.join(' · ');
}

/** Asks, then stops the candidates' trees (SIGTERM, grace, SIGKILL) and reports; returns false when cancelled. */
export async function stopTrees(ctx: CommandContext, candidates: readonly KillCandidate[]): Promise<boolean> {
  if (candidates.length === 0) return false;
  const processes = candidates.reduce((n, c) => n + c.pids.length, 0);
  const detail = candidates.map((c) => `• ${describeCandidate(c)}\n  ${c.reasons[0]?.message ?? ''}${c.pids.length > 1 ? `\n  and its ${count(c.pids.length - 1, 'child process', 'child processes')}` : ''}`).join('\n')
    + '\n\nEach gets SIGTERM, then SIGKILL if it is still running 3 seconds later.';
  const title = candidates.length === 1 ? `Stop process tree ${candidates[0]!.pid} (${processesOf(processes)})?` : `Stop ${candidates.length} process trees (${processesOf(processes)})?`;
  if (!(await confirm(title, detail, 'Stop'))) return false;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Dev Server Doctor: stopping processes…' },
    // killTrees records the stop before any signal: not an outage, not a crash.
    () => killTrees(candidates.flatMap((c) => c.members), { guard: killGuard(), workspaceFolders: workspaceFolderPaths(), stoppedBy: 'vscode' }),
  );
  const problems = killProblems(result);
  const message = [stoppedSentence(result), ...killNotes(result), ...problems].join(' ');
  ctx.log.info(`${message}${result.warnings.length ? ` ${result.warnings.join(' ')}` : ''}`);
  if (problems.length) void vscode.window.showWarningMessage(`Dev Server Doctor: ${message}`);
  else void vscode.window.showInformationMessage(`Dev Server Doctor: ${message}`);
  await ctx.refresh.refresh('manual');
  return true;
}
