// The shared end of every kill remedy: confirm exactly what will stop, stop whole trees, say what changed.
import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { formatBytes, formatDuration } from '../../core/format';
import { killTrees, type KillCandidate } from '../../core/remedies/kill';
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
  const detail = candidates.map((c) => `• ${describeCandidate(c)}\n  ${c.reasons[0]?.message ?? ''}${c.pids.length > 1 ? `\n  and its ${c.pids.length - 1} child process${c.pids.length > 2 ? 'es' : ''}` : ''}`).join('\n')
    + '\n\nEach gets SIGTERM, then SIGKILL if it is still running 3 seconds later.';
  const title = candidates.length === 1 ? `Stop process tree ${candidates[0]!.pid} (${processes} process${processes > 1 ? 'es' : ''})?` : `Stop ${candidates.length} process trees (${processes} processes)?`;
  if (!(await confirm(title, detail, 'Stop'))) return false;
  // Stopped on purpose: not an outage, not a crash.
  for (const c of candidates) for (const pid of c.pids) ctx.early.expectExit(pid);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Dev Server Doctor: stopping processes…' },
    () => killTrees(candidates.flatMap((c) => c.members), { guard: killGuard(), workspaceFolders: workspaceFolderPaths() }),
  );
  const parts = [`Stopped ${result.killed.length} process${result.killed.length === 1 ? '' : 'es'}`];
  if (result.freedPorts.length) parts.push(`freed port${result.freedPorts.length > 1 ? 's' : ''} ${result.freedPorts.join(', ')}`);
  if (result.freedBytes > 0) parts.push(`and ${formatBytes(result.freedBytes)} of memory`);
  if (result.escalated.length) parts.push(`(${result.escalated.length} ignored SIGTERM and got SIGKILL)`);
  const problems = [
    ...result.errors.map((e) => e.message),
    ...result.survivors.map((pid) => `PID ${pid} is still running after SIGKILL.`),
    ...result.stillHeldPorts.map((p) => `Port ${p.port} is still in use${p.pid ? ` by PID ${p.pid}` : ''}.`),
  ];
  ctx.log.info(`${parts.join(' ')}. ${problems.join(' ')}`);
  const message = `Dev Server Doctor: ${parts.join(' ')}.${problems.length ? ` ${problems.join(' ')}` : ''}`;
  if (problems.length) void vscode.window.showWarningMessage(message);
  else void vscode.window.showInformationMessage(message);
  await ctx.refresh.refresh('manual');
  return true;
}
