import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { candidateForPort } from '../../core/remedies/kill';
import { portToFree, withPortHolder } from '../../core/remedies/portHolder';
import { ServerTreeItem } from '../tree/serverItems';
import type { CommandContext } from './context';
import { stopTrees } from './killProcesses';

/** devServerDoctor.killPortHolder ({ port, pid } from a port-in-use verdict, a server's row, or asked): stops what holds the port. */
export function killPortHolderCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    let port = typeof arg === 'object' && arg !== null && typeof (arg as { port?: unknown }).port === 'number' ? (arg as { port: number }).port : undefined;
    if (port === undefined) {
      // From a server's row: its last port-in-use crash's port (else its own), offered for confirmation.
      const suggested = arg instanceof ServerTreeItem ? portToFree(arg.server, ctx.history.entries({ includeResolved: true })) : null;
      const typed = await vscode.window.showInputBox({
        title: 'Kill Port Holder',
        prompt: arg instanceof ServerTreeItem ? `Which port should be freed for ${arg.server.name}?` : 'Which port should be freed?',
        ...(suggested !== null ? { value: String(suggested) } : {}),
        validateInput: (v) => (/^\d{1,5}$/.test(v) && Number(v) > 0 && Number(v) < 65536 ? null : 'A port number, 1–65535'),
      });
      if (!typed) return;
      port = Number(typed);
    }
    const polled = await ctx.refresh.refresh('manual');
    if (!polled) return;
    // Where the poll could not tell who owns the socket, ask lsof / netstat now.
    const snap = await withPortHolder(polled, port);
    const c = candidateForPort(port, snap, { guard: killGuard() });
    if ('refused' in c) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${c.refused}`);
      return;
    }
    await stopTrees(ctx, [c]);
  };
}
