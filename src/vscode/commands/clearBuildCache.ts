import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { buildCacheRefusal } from '../../core/crash/causes/moreRemedies';
import { workspaceFolderPaths } from '../config';
import { confirm, requireTrust } from '../ui';
import type { CommandContext } from './context';
import { argsOf, str } from './runLine';

/**
 * devServerDoctor.clearBuildCache ({ path } from a stale-build-cache verdict): moves that framework cache
 * (.next, node_modules/.vite…) inside the workspace to the trash after asking; nothing else, never a symlink.
 */
export function clearBuildCacheCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Clearing a build cache')) return;
    const dir = str(argsOf(arg).path);
    if (!dir) {
      void vscode.window.showWarningMessage('Dev Server Doctor: no build cache was named; run Investigate Crash on the stale-build-cache verdict.');
      return;
    }
    const refusal = buildCacheRefusal(dir, workspaceFolderPaths());
    let st: fs.Stats | null = null;
    try { st = fs.lstatSync(dir); } catch { /* gone */ }
    if (refusal || !st || !st.isDirectory()) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${refusal ?? (!st ? `${dir} does not exist (already cleared?)` : `${dir} is not a plain folder`)}; nothing was moved.`);
      return;
    }
    if (!(await confirm(`Move ${dir} to the trash?`, 'The framework rebuilds it on the next start. Stop any other build writing it first.', 'Move to Trash'))) return;
    try {
      await vscode.workspace.fs.delete(vscode.Uri.file(dir), { recursive: true, useTrash: true });
    } catch (err) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${dir} could not be moved to the trash: ${err instanceof Error ? err.message : String(err)}.`);
      return;
    }
    ctx.log.info(`moved ${dir} to the trash`);
    void vscode.window.showInformationMessage(`Dev Server Doctor: moved ${dir} to the trash. Restart the server to rebuild it.`);
  };
}
