import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { count } from '../../core/format';
import { killTrees, serverIdentities } from '../../core/remedies/kill';
import { waitForPortFree } from '../../core/remedies/wait';
import { workspaceFolderPaths } from '../config';
import { serverLaunchSpec, startAndWait, tookWords } from '../launcher';
import { confirm, requireTrust } from '../ui';

import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

const PORT_FREE_TIMEOUT_MS = 10_000;

/** How a restart went (what the command returns). */
export interface RestartOutcome {
  readonly server: string;
  /** It listened (or answered its health URL) again in time. */
  readonly ok: boolean;
  readonly ms: number;
}

/**
 * devServerDoctor.restartServer: stops the server's tree, waits for its port to be free, checks that it
 * can start (port, node_modules, disk) with a fix offered for each failure, starts it in a terminal named
 * after it, and reports the time until it listens again.
 */
export function restartServerCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<RestartOutcome | undefined> => {
    if (!requireTrust('Restarting a server')) return undefined;
    const server = await serverFromArg(ctx, arg, (s) => s.script !== null || s.pid !== null, 'Restart which server?');
    if (!server) return;
    const spec = serverLaunchSpec(server);
    if (!spec) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: there is no known way to start ${server.name} (no script, no configured command, no running command line).`);
      return;
    }
    const port = server.expectedPort ?? server.ports[0] ?? null;
    if (server.pid !== null) {
      const detail = `Stops PID ${server.pid} and its ${count(server.pids.length - 1, 'child process', 'child processes')} (SIGTERM, then SIGKILL after 3 s), then runs\n  ${spec.command}\nin ${server.cwd}, in a terminal named "${server.name}".`;
      if (!(await confirm(`Restart ${server.name}?`, detail, 'Restart'))) return;
    }
    const started = Date.now();
    const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Restarting ${server.name}`, cancellable: false }, async (progress) => {
      if (server.pid !== null) {
        progress.report({ message: 'stopping…' });
        const result = await killTrees(serverIdentities(server), { guard: killGuard(), workspaceFolders: workspaceFolderPaths(), stopReason: 'restart', stoppedBy: 'vscode' });
        if (result.survivors.length || result.errors.length) {
          void vscode.window.showWarningMessage(`Dev Server Doctor: ${server.name} could not be stopped: ${[...result.errors.map((e) => e.message), ...result.survivors.map((p) => `PID ${p} survived SIGKILL.`)].join(' ')}`);
          return false;
        }
      }
      if (port !== null) {
        progress.report({ message: `waiting for port ${port} to be free…` });
        const free = await waitForPortFree(port, PORT_FREE_TIMEOUT_MS);
        if (!free.ok) ctx.log.warn(`port ${port} still in use after ${PORT_FREE_TIMEOUT_MS / 1000} s`);
      }
      return startAndWait(ctx, server, spec, progress);
    });
    const took = Date.now() - started;
    if (ok) void vscode.window.showInformationMessage(`Dev Server Doctor: ${server.name} is up again${port !== null ? ` on port ${port}` : ''} after ${tookWords(took)}.`);
    else ctx.log.info(`restart of ${server.name} did not reach healthy`);
    await ctx.refresh.refresh('manual');
    return { server: server.name, ok, ms: took };
  };
}
