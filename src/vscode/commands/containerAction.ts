import * as vscode from 'vscode';
import type { ContainerInfo } from '../../core/containers/model';
import { ContainerTreeItem } from '../tree/containerItems';
import { confirm, requireTrust } from '../ui';
import type { CommandContext } from './context';

/** The workspace container a tree node or `{ container, name }` (a remedy's args) stands for; else a quick pick. */
export async function containerFromArg(ctx: CommandContext, arg: unknown, fits: (c: ContainerInfo) => boolean, placeHolder: string): Promise<ContainerInfo | undefined> {
  if (arg instanceof ContainerTreeItem) return ctx.containers.find(arg.container.id) ?? arg.container;
  const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { container?: unknown; name?: unknown };
  const key = typeof a.container === 'string' ? a.container : typeof a.name === 'string' ? a.name : undefined;
  if (key) {
    const found = ctx.containers.find(key);
    if (!found) void vscode.window.showWarningMessage(`Dev Server Doctor: ${typeof a.name === 'string' ? a.name : key} is not a container of this workspace (any more); nothing was done.`);
    return found;
  }
  const candidates = ctx.containers.containers().filter(fits);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('Dev Server Doctor: no container of this workspace fits.');
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(candidates.map((c) => ({ label: c.service ?? c.name, description: `${c.name} · ${c.state}`, c })), { placeHolder });
  return picked?.c;
}

const WORDS = {
  start: { verb: 'Start', doing: 'Starting', what: (c: ContainerInfo) => `Runs docker start ${c.name}.` },
  stop: { verb: 'Stop', doing: 'Stopping', what: (c: ContainerInfo) => `Runs docker stop ${c.name}: SIGTERM to its main process, SIGKILL after 10 s.` },
  restart: { verb: 'Restart', doing: 'Restarting', what: (c: ContainerInfo) => `Runs docker restart ${c.name}: stop (SIGTERM, SIGKILL after 10 s), then start.` },
} as const;

/** start/stop/restart of one workspace container, after a modal confirmation naming it. */
export function containerActionCommand(ctx: CommandContext, action: 'start' | 'stop' | 'restart') {
  return async (arg?: unknown): Promise<void> => {
    // Stopping is like killing a process: allowed everywhere; starting runs what the workspace's compose file defined.
    if (action !== 'stop' && !requireTrust(`${WORDS[action].verb}ing a container`)) return;
    const fits = (c: ContainerInfo) => (action === 'start' ? c.state !== 'running' : c.state === 'running' || c.state === 'restarting');
    const c = await containerFromArg(ctx, arg, fits, `${WORDS[action].verb} which container?`);
    if (!c) return;
    const detail = `${WORDS[action].what(c)}\nContainer ${c.name}${c.service ? ` (compose service ${c.service}${c.project ? ` of project ${c.project}` : ''})` : ''}, image ${c.image}.`;
    if (!(await confirm(`${WORDS[action].verb} container ${c.service ?? c.name}?`, detail, WORDS[action].verb))) return;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${WORDS[action].doing} ${c.name}…` },
      () => ctx.containers.act(action, c.id));
    ctx.log.info(`container ${action} ${c.name}: ${result.message}`);
    if (result.ok) void vscode.window.showInformationMessage(`Dev Server Doctor: ${result.message}`);
    else void vscode.window.showWarningMessage(`Dev Server Doctor: ${result.message}`);
  };
}
