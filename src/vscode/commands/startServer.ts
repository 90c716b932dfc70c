import * as vscode from 'vscode';
import { serverLaunchSpec, startAndWait, tookWords } from '../launcher';
import { requireTrust } from '../ui';
import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

/** How a start went (what the command returns). */
export interface StartOutcome {
  readonly server: string;
  /** It listened (or answered its health URL) in time. */
  readonly ok: boolean;
  readonly ms: number;
  /** The command line it was started with. */
  readonly command: string;
}

/**
 * devServerDoctor.startServer: starts a server that is down, as Restart does after stopping it: the start checks
 * (port, node_modules, disk) with a fix offered for each failure, its script in a terminal named after it, and
 * the time until it listens. A server that is running is not started twice.
 */
export function startServerCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<StartOutcome | undefined> => {
    if (!requireTrust('Starting a server')) return undefined;
    const server = await serverFromArg(ctx, arg, (s) => s.pid === null && (s.script !== null || s.source === 'settings'), 'Start which server?');
    if (!server) return undefined;
    if (server.pid !== null) {
      void vscode.window.showInformationMessage(`Dev Server Doctor: ${server.name} is already running (PID ${server.pid}).`);
      return undefined;
    }
    const spec = serverLaunchSpec(server);
    if (!spec) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: there is no known way to start ${server.name} (no script, no configured command).`);
      return undefined;
    }
    const port = server.expectedPort ?? null;
    const started = Date.now();
    const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting ${server.name}`, cancellable: false },
      (progress) => startAndWait(ctx, server, spec, progress));
    const took = Date.now() - started;
    if (ok) void vscode.window.showInformationMessage(`Dev Server Doctor: ${server.name} is up${port !== null ? ` on port ${port}` : ''} after ${tookWords(took)}.`);
    else ctx.log.info(`start of ${server.name} did not reach healthy`);
    await ctx.refresh.refresh('manual');
    return { server: server.name, ok, ms: took, command: spec.command };
  };
}
