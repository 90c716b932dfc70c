import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { candidateForServer } from '../../core/remedies/kill';
import type { CommandContext } from './context';
import { stopTrees } from './killProcesses';
import { serverFromArg } from './pickServer';

/** devServerDoctor.killProcessTree: stops one server's whole process tree (from its context menu). */
export function killProcessTreeCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    const server = await serverFromArg(ctx, arg, (s) => s.pid !== null, 'Stop which server?');
    const snap = ctx.snapshot();
    if (!server || !snap) return;
    const c = candidateForServer(server, snap, { guard: killGuard() });
    if ('refused' in c) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${c.refused}`);
      return;
    }
    await stopTrees(ctx, [c]);
  };
}
