// The one way the editor starts a server (Restart, Start): in a terminal named after it, from the core's
// launch spec, after the start checks (port, node_modules, disk), then waiting until it listens or answers
// its health URL.
import * as vscode from 'vscode';
import { formatDuration } from '../core/format';
import { pollUntil } from '../core/pollUntil';
import { REMEDIES, remedy } from '../core/remedies/catalogue';
import { launchSpecOf, type LaunchSpec } from '../core/remedies/launch';
import { preflight } from '../core/remedies/preflight';
import { defaultLookup } from '../core/remedies/processes';
import { waitForHealthy, waitForListening } from '../core/remedies/wait';
import { shellQuote } from '../core/shell';
import type { Server } from '../core/types';
import type { CommandContext } from './commands/context';
import { supervisionSettings } from './config';
import { chooseAmong } from './notifications';
import { runRemedy } from './ui';

const HEALTHY_TIMEOUT_MS = 90_000;
const SHELL_INTEGRATION_WAIT_MS = 3000;

/** How the editor starts `server` (for an undeclared running tree: its real argv, read now; the snapshot keeps a redacted one). */
export function serverLaunchSpec(server: Server): LaunchSpec | null {
  const proc = !server.script && server.source === 'process' && server.pid !== null ? defaultLookup().get(server.pid) : null;
  return launchSpecOf(server, { runningCommandLine: proc?.cmdline ?? null });
}

/** Runs the spec's command in the terminal named `name` (reused while its shell lives), through shell integration when there is one. */
export async function launchInTerminal(name: string, spec: LaunchSpec): Promise<vscode.Terminal> {
  const existing = vscode.window.terminals.find((t) => t.name === name && t.exitStatus === undefined);
  const terminal = existing ?? vscode.window.createTerminal({ name, cwd: spec.cwd });
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
  const line = `cd ${shellQuote(spec.cwd)} && ${spec.command}`;
  if (integration) integration.executeCommand(line);
  else terminal.sendText(line);
  return terminal;
}

/**
 * Checks that `server` can start (a fix offered for each failure), starts it in its named terminal and waits until it
 * listens (or answers its health URL). True when it came up in time; false when a check stopped it or it did not.
 */
export async function startAndWait(ctx: CommandContext, server: Server, spec: LaunchSpec, progress: vscode.Progress<{ message?: string }>): Promise<boolean> {
  const port = server.expectedPort ?? server.ports[0] ?? null;
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
  progress.report({ message: `starting: ${spec.command}` });
  await launchInTerminal(server.name, spec);
  const healthUrl = supervisionSettings(server.name).healthUrl;
  progress.report({ message: healthUrl ? `waiting for ${healthUrl}…` : port !== null ? `waiting for port ${port}…` : 'waiting for it to listen…' });
  if (healthUrl) return (await waitForHealthy(healthUrl, HEALTHY_TIMEOUT_MS)).ok;
  if (port !== null) return (await waitForListening(port, HEALTHY_TIMEOUT_MS)).ok;
  const up = await pollUntil(async () => (await ctx.refresh.refresh('manual'))?.servers.find((v) => v.id === server.id)?.state === 'up', HEALTHY_TIMEOUT_MS, 500);
  return up.value === true;
}

/** "0.6 s" / "1m 35s": how long a start took. */
export function tookWords(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : formatDuration(ms);
}
