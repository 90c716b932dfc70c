import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { folderOf } from '../../core/paths';
import { waitForListening } from '../../core/remedies/wait';
import { workspaceFolderPaths } from '../config';
import { confirm, requireTrust } from '../ui';
import type { CommandContext } from './context';

const LISTEN_TIMEOUT_MS = 60_000;

/** `docker compose` (v2 plugin) where it is installed, else `docker-compose` (v1). */
function composeFlavour(a: { command?: string; commandV1?: string }): string | undefined {
  const plugin = ['/usr/libexec/docker/cli-plugins', '/usr/lib/docker/cli-plugins', '/usr/local/lib/docker/cli-plugins', path.join(process.env.HOME ?? '', '.docker', 'cli-plugins')]
    .some((d) => fs.existsSync(path.join(d, 'docker-compose')));
  const v1 = (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, 'docker-compose')));
  return !plugin && v1 && a.commandV1 ? a.commandV1 : a.command;
}

/**
 * devServerDoctor.startDependency ({ via, service, command, cwd, port } from a dependency verdict): runs
 * the exact command that starts the database or service (its compose service, or its local installation)
 * in a terminal, after a modal confirmation showing the command; then says when its port answers.
 */
export function startDependencyCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Starting a service')) return;
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { via?: string; service?: string | null; command?: string; commandV1?: string; cwd?: string; file?: string; port?: number };
    const command = a.via === 'compose' ? composeFlavour(a) : a.command;
    if (typeof command !== 'string' || !command.trim()) {
      void vscode.window.showWarningMessage('Dev Server Doctor: no known way to start this service here.');
      return;
    }
    const folders = workspaceFolderPaths();
    const cwd = typeof a.cwd === 'string' && folderOf(a.cwd, folders) ? a.cwd : folders[0];
    if (!cwd) return;
    const what = a.service ? `${a.via === 'compose' ? 'the compose service' : ''} ${a.service}`.trim() : 'the service';
    if (!(await confirm(`Start ${what}?`, `Runs in a terminal, in ${cwd}:\n\n  ${command}`, 'Start'))) return;
    const terminal = vscode.window.createTerminal({ name: `Dev Server Doctor: ${a.service ?? 'service'}`, cwd });
    terminal.show(true);
    terminal.sendText(command);
    ctx.log.info(`start dependency: ${command} (in ${cwd})`);
    if (typeof a.port === 'number') {
      const up = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Waiting for ${what} on port ${a.port}…`, cancellable: true },
        (_p, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return waitForListening(a.port!, LISTEN_TIMEOUT_MS, abort.signal);
        });
      if (up.ok) void vscode.window.showInformationMessage(`Dev Server Doctor: ${what} answers on port ${a.port} after ${(up.elapsedMs / 1000).toFixed(1)} s.`);
    }
  };
}
