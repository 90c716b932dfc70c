import * as vscode from 'vscode';
import { withSnapshotFlags } from '../../core/crash/causes/moreRemedies';
import { confirm, requireTrust } from '../ui';
import type { CommandContext } from './context';
import { argsOf, str } from './runLine';

/**
 * devServerDoctor.captureHeapSnapshot ({ path, megabytes?, serverId? } from a leak verdict): the workspace
 * terminals' NODE_OPTIONS get --heapsnapshot-near-heap-limit=1 --diagnostic-dir=<server folder> (and a heap
 * limit below the memory ceiling when the kernel killed it), so the next run writes one snapshot as V8 nears
 * its limit. Offered only when the verdict found memory and disk for it. Then offers a restart.
 */
export function captureHeapSnapshotCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Capturing a heap snapshot')) return;
    const a = argsOf(arg);
    const dir = str(a.path) ?? str(a.cwd);
    const mb = typeof a.megabytes === 'number' && a.megabytes > 0 ? Math.round(a.megabytes) : undefined;
    const key = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux';
    const cfg = vscode.workspace.getConfiguration('terminal.integrated.env');
    const env = { ...(cfg.get<Record<string, string | null>>(key) ?? {}) };
    const next = withSnapshotFlags(env.NODE_OPTIONS, dir, mb);
    if (!(await confirm('Capture a heap snapshot on the next run?', `Sets NODE_OPTIONS="${next}" for this workspace's terminals. The next run writes a .heapsnapshot${dir ? ` into ${dir}` : ''} as the heap nears its limit; open it in Chrome DevTools (Memory) to see what holds the memory. Remove the setting afterwards.`, 'Set NODE_OPTIONS'))) return;
    env.NODE_OPTIONS = next;
    await cfg.update(key, env, vscode.ConfigurationTarget.Workspace);
    ctx.log.info(`heap snapshot: NODE_OPTIONS="${next}"`);
    const serverId = str(a.serverId);
    const choice = await vscode.window.showInformationMessage('Dev Server Doctor: the next run started from a new terminal writes a heap snapshot near its limit.', ...(serverId ? ['Restart Server'] : []));
    if (choice && serverId) await vscode.commands.executeCommand('devServerDoctor.restartServer', { serverId });
  };
}
