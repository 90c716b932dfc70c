import * as path from 'node:path';
import * as vscode from 'vscode';
import { count, formatBytes } from '../../core/format';
import { deletePaths, diskChoices, scanDiskCandidates, type DiskItem } from '../../core/remedies/disk';
import { deleteProblems, deleteReport, NOTHING_TO_FREE } from '../../core/remedies/results';
import { readFreeDiskSettings, workspaceFolderPaths } from '../config';
import { confirm } from '../ui';
import { isNoTrashError, trashErrorReason } from '../trash';
import type { CommandContext } from './context';

/**
 * Whether VS Code has a trash for local files here. Asked of the file service with a path that does not exist: it
 * refuses `useTrash` for a provider without the trash capability before it looks for the file, so nothing is moved.
 */
async function trashAvailable(probe: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.delete(vscode.Uri.file(probe), { recursive: false, useTrash: true });
  } catch (err) {
    return !isNoTrashError(err);
  }
  return true;
}

/**
 * Moves to the trash through VS Code; false only when this platform has no trash (the item is then reported as not
 * deleted). Any other failure throws with its real reason, which the result reports; nothing is then deleted.
 */
async function toTrash(p: string): Promise<boolean> {
  try {
    await vscode.workspace.fs.delete(vscode.Uri.file(p), { recursive: true, useTrash: true });
    return true;
  } catch (err) {
    if (isNoTrashError(err)) return false;
    throw new Error(trashErrorReason(err));
  }
}

/**
 * devServerDoctor.freeDisk: scans the workspace for large logs, rebuildable caches, stale node_modules,
 * the npm cache and our old reports (one entry that keeps the newest) with progress, cancellable; lets the user
 * pick, confirms the exact paths once (to the trash, or for good where there is no trash, saying so), deletes,
 * and says what was freed.
 */
export function freeDiskCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    const roots = workspaceFolderPaths();
    const settings = readFreeDiskSettings();
    const scan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Dev Server Doctor: looking for space to free', cancellable: true },
      (progress, token) => scanDiskCandidates(roots, {
        token,
        largeLogBytes: settings.largeLogBytes,
        staleNodeModulesDays: settings.staleNodeModulesDays,
        includeNpmCache: true,
        reportDirs: [path.join(ctx.storageDir, 'reports')],
        onProgress: (p) => progress.report({ message: `${p.scannedEntries.toLocaleString('en-US')} entries, ${formatBytes(p.foundBytes)} found · ${p.currentPath}` }),
      }),
    );
    for (const w of scan.warnings) ctx.log.info(w);
    if (scan.cancelled) return;
    if (scan.items.length === 0) {
      void vscode.window.showInformationMessage(`Dev Server Doctor: ${NOTHING_TO_FREE} No large logs, caches or stale node_modules.`);
      return;
    }
    const choices = diskChoices(scan.items, Date.now());
    if (choices.length === 0) {
      void vscode.window.showInformationMessage(`Dev Server Doctor: ${NOTHING_TO_FREE} Only the newest crash report, which is kept.`);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      // `item`: the first (or only) thing the entry deletes.
      choices.map((choice) => ({ label: choice.label, description: choice.description, detail: choice.detail, picked: choice.picked, choice, item: choice.items[0] })),
      { canPickMany: true, title: `Free Disk Space: ${formatBytes(choices.reduce((n, c) => n + c.bytes, 0))} in ${count(choices.length, 'place')}`, placeHolder: 'Pick what to delete (biggest first)' },
    );
    if (!picked?.length) return;
    const items: DiskItem[] = picked.flatMap((p) => p.choice.items);
    const total = items.reduce((n, i) => n + i.bytes, 0);
    const list = items.map((i) => `• ${i.path} (${formatBytes(i.bytes)})`).join('\n');
    const kept = picked.map((p) => p.choice.kept).filter((k): k is DiskItem => k !== null).map((k) => `\n\nKept: ${k.path} (the newest report)`).join('');
    // Asked once: to the trash where there is one, else (code-server, remote hosts) for good, saying so.
    const hasTrash = await trashAvailable(path.join(ctx.storageDir, `.trash-probe-${process.pid}-${Date.now()}`));
    const ok = hasTrash
      ? await confirm(`Move ${count(items.length, 'item')} (${formatBytes(total)}) to the trash?`, list + kept, 'Move to Trash')
      : await confirm(`Delete ${count(items.length, 'item')} (${formatBytes(total)}) permanently? There is no trash here, so this cannot be undone.`, list + kept, 'Delete Permanently');
    if (!ok) return;
    const result = await deletePaths(items, { toTrash: hasTrash ? toTrash : null });
    const problems = deleteProblems(result);
    const message = deleteReport(result, items.length).join(' ');
    ctx.log.info(`free disk: ${message}`);
    if (problems.length) void vscode.window.showWarningMessage(`Dev Server Doctor: ${message}`);
    else void vscode.window.showInformationMessage(`Dev Server Doctor: ${message}`);
    await ctx.refresh.refresh('manual');
  };
}
