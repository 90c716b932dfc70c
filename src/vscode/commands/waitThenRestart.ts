import * as vscode from 'vscode';
import { DEPENDENCY_WAIT_MS, waitThenRestart } from '../../core/deps/waitThenRestart';
import { requireTrust } from '../ui';
import type { CommandContext } from './context';

/**
 * devServerDoctor.waitThenRestart ({ port, server, serverId, cwd } from a dependency-refused verdict): waits,
 * cancellably, until something accepts connections on the service's port, then restarts the dev server
 * once (Restart Server, with its own confirmation and checks).
 */
export function waitThenRestartCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Restarting a server')) return;
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { port?: unknown; server?: unknown; serverId?: unknown };
    const port = typeof a.port === 'number' ? a.port : Number(await vscode.window.showInputBox({ prompt: 'Wait for which port?', validateInput: (v) => (/^\d+$/.test(v) ? null : 'A port number') }));
    if (!Number.isInteger(port) || port <= 0) return;
    const who = typeof a.server === 'string' ? a.server : 'the server';
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Waiting for port ${port} to listen, then restarting ${who}…`, cancellable: true },
      (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return waitThenRestart(port, async () => {
          await vscode.commands.executeCommand('devServerDoctor.restartServer', arg);
          return 'restarted';
        }, { timeoutMs: DEPENDENCY_WAIT_MS, signal: abort.signal });
      },
    );
    ctx.log.info(`wait-then-restart port ${port}: listened ${result.listened.ok} after ${result.listened.elapsedMs} ms, restart ${result.restarted ?? 'not attempted'}`);
    if (!result.listened.ok) void vscode.window.showWarningMessage(`Dev Server Doctor: nothing listened on port ${port} within ${Math.round(result.listened.elapsedMs / 1000)} s; ${who} was not restarted.`);
  };
}
