import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { count, formatDuration } from '../../core/format';
import { pollUntil } from '../../core/pollUntil';
import { shellQuote } from '../../core/shell';
import { preflight, packageManagerOf, projectFolders } from '../../core/remedies/preflight';
import { defaultLookup } from '../../core/remedies/processes';
import { killTrees, serverIdentities } from '../../core/remedies/kill';
import { waitForHealthy, waitForListening, waitForPortFree } from '../../core/remedies/wait';
import type { Server } from '../../core/types';
import { supervisionSettings, workspaceFolderPaths } from '../config';
import { confirm, requireTrust, runRemedy } from '../ui';
import { REMEDIES, remedy } from '../../core/remedies/catalogue';

import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';
import { chooseAmong } from '../notifications';

const PORT_FREE_TIMEOUT_MS = 10_000;
const HEALTHY_TIMEOUT_MS = 90_000;
const SHELL_INTEGRATION_WAIT_MS = 3000;


/** How to start the server again: its script, its configured command, or its running command line. */
function startCommand(server: Server): string | null {
  if (server.script) {
    const pm = packageManagerOf(projectFolders(server.cwd, server.workspaceFolder));
    return pm === 'npm' ? `npm run ${server.script}` : `${pm} run ${server.script}`;
  }
  if (server.source === 'settings') return server.command;
  // Read the real argv now: the snapshot only keeps the redacted one.
  const proc = server.pid !== null ? defaultLookup().get(server.pid) : null;
  return proc && proc.cmdline.length ? proc.cmdline.map(shellQuote).join(' ') : null;
}


async function runInTerminal(name: string, cwd: string, command: string): Promise<vscode.Terminal> {
  const existing = vscode.window.terminals.find((t) => t.name === name && t.exitStatus === undefined);
  const terminal = existing ?? vscode.window.createTerminal({ name, cwd });
  terminal.show(true);
  // Through shell integration the output is captured for crash verdicts; else typed in plainly.
  const integration = terminal.shellIntegration ?? await new Promise<vscode.TerminalShellIntegration | undefined>((resolve) => {
    const timer = setTimeout(() => { sub.dispose(); resolve(undefined); }, SHELL_INTEGRATION_WAIT_MS);
    const sub = vscode.window.onDidChangeTerminalShellIntegration((e) => {
      if (e.terminal !== terminal) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e.shellIntegration);
    });
  });
  if (integration) integration.executeCommand(`cd ${shellQuote(cwd)} && ${command}`);
  else terminal.sendText(`cd ${shellQuote(cwd)} && ${command}`);
  return terminal;
}

/**
 * devServerDoctor.restartServer: stops the server's tree, waits for its port to be free, checks that it
 * can start (port, node_modules, disk) with a fix offered for each failure, starts it in a terminal named
 * after it, and reports the time until it listens again.
 */
/** How a restart went (what the command returns). */
export interface RestartOutcome {
  readonly server: string;
  /** It listened (or answered its health URL) again in time. */
  readonly ok: boolean;
  readonly ms: number;
}

export function restartServerCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<RestartOutcome | undefined> => {
    if (!requireTrust('Restarting a server')) return undefined;
    const server = await serverFromArg(ctx, arg, (s) => s.script !== null || s.pid !== null, 'Restart which server?');
    if (!server) return;
    const command = startCommand(server);
    if (!command) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: there is no known way to start ${server.name} (no script, no configured command, no running command line).`);
      return;
    }
    const port = server.expectedPort ?? server.ports[0] ?? null;
    if (server.pid !== null) {
      const detail = `Stops PID ${server.pid} and its ${count(server.pids.length - 1, 'child process', 'child processes')} (SIGTERM, then SIGKILL after 3 s), then runs\n  ${command}\nin ${server.cwd}, in a terminal named "${server.name}".`;
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
      const snap = await ctx.refresh.refresh('manual');
      const fresh = snap?.servers.find((s) => s.id === server.id) ?? server;
      const checks = snap ? await preflight({ server: fresh, snapshot: snap }) : { ok: true, checks: [] };
      const failed = checks.checks.filter((c) => !c.ok);
      if (failed.length) {
        const buttons = [...new Set(failed.map((c) => c.fix).filter((f): f is NonNullable<typeof f> => f !== null))];
        // At most two buttons; the other fixes behind More….
        const choice = await chooseAmong(vscode.window.showWarningMessage,
          `Dev Server Doctor: ${server.name} may not start: ${failed.map((c) => c.message).join(' ')}`,
          [...buttons.map((f) => REMEDIES[f].button), 'Start Anyway'],
        );
        const fix = buttons.find((f) => REMEDIES[f].button === choice);
        if (fix) {
          await runRemedy(remedy(fix, { port, cwd: server.cwd, serverId: server.id }));
          return false;
        }
        if (choice !== 'Start Anyway') return false;
      }
      progress.report({ message: `starting: ${command}` });
      await runInTerminal(server.name, server.cwd, command);
      const healthUrl = supervisionSettings(server.name).healthUrl;
      progress.report({ message: healthUrl ? `waiting for ${healthUrl}…` : port !== null ? `waiting for port ${port}…` : 'waiting for it to listen…' });
      if (healthUrl) return (await waitForHealthy(healthUrl, HEALTHY_TIMEOUT_MS)).ok;
      if (port !== null) return (await waitForListening(port, HEALTHY_TIMEOUT_MS)).ok;
      const up = await pollUntil(async () => (await ctx.refresh.refresh('manual'))?.servers.find((v) => v.id === server.id)?.state === 'up', HEALTHY_TIMEOUT_MS, 500);
      return up.value === true;
    });
    const took = Date.now() - started;
    if (ok) void vscode.window.showInformationMessage(`Dev Server Doctor: ${server.name} is up again${port !== null ? ` on port ${port}` : ''} after ${took < 60_000 ? `${(took / 1000).toFixed(1)} s` : formatDuration(took)}.`);
    else ctx.log.info(`restart of ${server.name} did not reach healthy`);
    await ctx.refresh.refresh('manual');
    return { server: server.name, ok, ms: took };
  };
}
