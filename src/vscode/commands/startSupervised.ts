import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { killTrees, serverIdentities } from '../../core/remedies/kill';
import { requireTrust } from '../ui';
import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

/**
 * devServerDoctor.startSupervised: runs a declared server's script in a terminal the extension watches
 * over: restarted after a crash with growing delays, stopped for good after too many, output kept in
 * rotating logs and fed to the crash verdicts. A running copy is stopped first (after asking).
 */
export function startSupervisedCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Supervised start')) return;
    const server = await serverFromArg(ctx, arg, (s) => s.source !== 'process', 'Start which server supervised?');
    if (!server) return;
    const declared = ctx.refresh.expected(server.id);
    if (!declared) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${server.name} is not declared in package.json or settings, so there is no script to supervise.`);
      return;
    }
    if (server.pid !== null && !ctx.supervised.state(server.id)) {
      const ok = await vscode.window.showWarningMessage(
        `${server.name} is already running (PID ${server.pid}). Stop it and start it supervised?`,
        { modal: true, detail: `Its whole process tree gets SIGTERM, then SIGKILL after 3 s; then "${declared.command}" runs in ${declared.cwd} under supervision.` },
        'Stop and Supervise',
      );
      if (ok !== 'Stop and Supervise') return;
      // killTrees records the stop before signalling: no crash, no outage.
      await killTrees(serverIdentities(server), { guard: killGuard(), stopReason: 'supervised-restart', stoppedBy: 'vscode' });
    }
    ctx.supervised.start(server.id, declared);
    await ctx.refresh.refresh('manual');
  };
}
