import * as path from 'node:path';
import * as vscode from 'vscode';
import { count, formatBytes, formatDuration } from '../../core/format';
import { deletePaths, scanDiskCandidates, type DiskItem } from '../../core/remedies/disk';
import { deleteProblems, freedNotice, NOTHING_TO_FREE } from '../../core/remedies/results';
import { readFreeDiskSettings, workspaceFolderPaths } from '../config';
import { confirm } from '../ui';
import { isNoTrashError, trashErrorReason } from '../trash';
import type { CommandContext } from './context';

/**
 * Moves to the trash through VS Code; false only when this platform has no trash (then we ask again, about deleting
 * for good). Any other failure throws with its real reason, which the result reports; nothing is then deleted.
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
 * the npm cache and our old reports (with progress, cancellable), lets the user pick, confirms the exact
 * paths, deletes to the trash (or, asked again, for good), and says what was freed.
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
    const now = Date.now();
    const picked = await vscode.window.showQuickPick(
      scan.items.map((item) => ({
        label: `${formatBytes(item.bytes).padStart(8)}  ${item.label}`,
        description: item.path,
        detail: `${item.kind}, ${count(item.files, 'file')}, last changed ${formatDuration(now - item.lastUsed)} ago`,
        picked: item.kind === 'cache' || item.kind === 'log' || item.kind === 'report',
        item,
      })),
      { canPickMany: true, title: `Free Disk Space: ${formatBytes(scan.totalBytes)} in ${count(scan.items.length, 'place')}`, placeHolder: 'Pick what to delete (biggest first)' },
    );
    if (!picked?.length) return;
    const items: DiskItem[] = picked.map((p) => p.item);
    const total = items.reduce((n, i) => n + i.bytes, 0);
    const list = items.map((i) => `• ${i.path} (${formatBytes(i.bytes)})`).join('\n');
    if (!(await confirm(`Move ${count(items.length, 'item')} (${formatBytes(total)}) to the trash?`, list, 'Move to Trash'))) return;
    let result = await deletePaths(items, { toTrash });
    const noTrash = result.skipped.filter((s) => s.code === 'no-trash').map((s) => items.find((i) => i.path === s.path)!).filter(Boolean);
    if (noTrash.length) {
      const again = noTrash.map((i) => `• ${i.path} (${formatBytes(i.bytes)})`).join('\n');
      // Asked a second time, because there is no undo: only when VS Code says this platform has no trash at all.
      if (await confirm('There is no trash here, so this cannot be undone. Delete these permanently?', again, 'Delete Permanently')) {
        const permanent = await deletePaths(noTrash, { toTrash: null });
        result = { ...permanent, deleted: [...result.deleted, ...permanent.deleted], freedBytes: result.freedBytes + permanent.freedBytes, listedBytes: result.listedBytes + permanent.listedBytes, trashedBytes: result.trashedBytes, skipped: [...result.skipped.filter((s) => s.code !== 'no-trash'), ...permanent.skipped] };
      }
    }
    // Items the user chose to keep when there was no trash are not problems.
    const problems = deleteProblems({ ...result, skipped: result.skipped.filter((s) => s.code !== 'no-trash') });
    const message = [`${freedNotice(result)}.`, ...problems].join(' ');
    ctx.log.info(`free disk: ${message}`);
    if (problems.length) void vscode.window.showWarningMessage(`Dev Server Doctor: ${message}`);
    else void vscode.window.showInformationMessage(`Dev Server Doctor: ${message}`);
    await ctx.refresh.refresh('manual');
  };
}
