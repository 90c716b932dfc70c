import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes, formatDuration } from '../../core/format';
import { deletePaths, scanDiskCandidates, type DiskItem } from '../../core/remedies/disk';
import { SECTION, workspaceFolderPaths } from '../config';
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
    const cfg = vscode.workspace.getConfiguration(SECTION);
    const largeLogMb = Math.max(1, cfg.get<number>('freeDisk.largeLogMb', 10));
    const staleDays = Math.max(0, cfg.get<number>('freeDisk.staleNodeModulesDays', 30));
    const scan = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Dev Server Doctor: looking for space to free', cancellable: true },
      (progress, token) => scanDiskCandidates(roots, {
        token,
        largeLogBytes: largeLogMb * 1024 * 1024,
        staleNodeModulesDays: staleDays > 0 ? staleDays : null,
        includeNpmCache: true,
        reportDirs: [path.join(ctx.storageDir, 'reports')],
        onProgress: (p) => progress.report({ message: `${p.scannedEntries.toLocaleString('en-US')} entries, ${formatBytes(p.foundBytes)} found · ${p.currentPath}` }),
      }),
    );
    for (const w of scan.warnings) ctx.log.info(w);
    if (scan.cancelled) return;
    if (scan.items.length === 0) {
      void vscode.window.showInformationMessage('Dev Server Doctor: nothing to free: no large logs, caches or stale node_modules found.');
      return;
    }
    const now = Date.now();
    const picked = await vscode.window.showQuickPick(
      scan.items.map((item) => ({
        label: `${formatBytes(item.bytes).padStart(8)}  ${item.label}`,
        description: item.path,
        detail: `${item.kind}, ${item.files.toLocaleString('en-US')} files, last changed ${formatDuration(now - item.lastUsed)} ago`,
        picked: item.kind === 'cache' || item.kind === 'log' || item.kind === 'report',
        item,
      })),
      { canPickMany: true, title: `Free Disk Space: ${formatBytes(scan.totalBytes)} in ${scan.items.length} places`, placeHolder: 'Pick what to delete (biggest first)' },
    );
    if (!picked?.length) return;
    const items: DiskItem[] = picked.map((p) => p.item);
    const total = items.reduce((n, i) => n + i.bytes, 0);
    const list = items.map((i) => `• ${i.path} (${formatBytes(i.bytes)})`).join('\n');
    if (!(await confirm(`Move ${items.length} item${items.length > 1 ? 's' : ''} (${formatBytes(total)}) to the trash?`, list, 'Move to Trash'))) return;
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
    const disk = result.disks[0];
    const said = [
      result.freedBytes ? `freed ${formatBytes(result.freedBytes)}` : '',
      result.trashedBytes ? `moved ${formatBytes(result.trashedBytes)} to the trash (freed once it is emptied)` : '',
      disk ? `disk now ${disk.usedPercent}% used, ${formatBytes(disk.freeBytes)} free` : '',
    ].filter(Boolean).join('; ');
    const skipped = result.skipped.filter((s) => s.code !== 'no-trash').map((s) => `${s.path}: ${s.reason}`);
    ctx.log.info(`free disk: ${said}. ${skipped.join(' ')}`);
    const message = `Dev Server Doctor: ${said || 'nothing was deleted'}.${skipped.length ? ` Left alone: ${skipped.join('; ')}.` : ''}`;
    if (skipped.length) void vscode.window.showWarningMessage(message);
    else void vscode.window.showInformationMessage(message);
    await ctx.refresh.refresh('manual');
  };
}
