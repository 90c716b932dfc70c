import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../core/format';
import { applyHeapLimitToScript, mergeNodeOptions, proposeHeapLimit } from '../../core/remedies/heap';
import { editTerminalEnvironment } from '../config';
import { requireTrust } from '../ui';
import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

const SOURCE_WORDS = { flag: '--max-old-space-size on its command line', NODE_OPTIONS: 'NODE_OPTIONS', default: "V8's default" } as const;

/** A size the verdict already suggested ({ megabytes }). */
function requestedMb(arg: unknown): number | undefined {
  const v = typeof arg === 'object' && arg !== null ? (arg as { megabytes?: unknown }).megabytes : undefined;
  return typeof v === 'number' && v > 0 ? Math.round(v) : undefined;
}


/**
 * devServerDoctor.raiseHeapLimit: shows the current limit, where it comes from, the peak seen and the
 * headroom; proposes a size the machine and cgroup can hold (refusing one that only trades a heap OOM
 * for a kernel OOM kill); writes it into the package.json script (undoable edit, formatting kept) or the
 * workspace terminals' NODE_OPTIONS; then offers a restart.
 */
export function raiseHeapLimitCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Raising the heap limit')) return;
    const server = await serverFromArg(ctx, arg, (s) => s.heapLimitSource !== null || s.framework !== 'unknown', 'Raise the heap limit of which server?');
    const snap = ctx.snapshot();
    if (!server || !snap) return;
    const mem = snap.system.memory;
    const peak = Math.max(ctx.peaks.peakOf(server.id), server.rssBytes);
    const cgroupLimit = server.cgroup?.limitBytes ?? snap.system.cgroup?.limitBytes ?? null;
    const proposal = proposeHeapLimit({
      currentBytes: server.heapLimitBytes, source: server.heapLimitSource, peakRssBytes: peak,
      totalMemBytes: mem.totalBytes, availableBytes: mem.availableBytes, cgroupLimitBytes: cgroupLimit,
    });
    const now = server.heapLimitBytes !== null
      ? `${formatBytes(server.heapLimitBytes)} (${SOURCE_WORDS[server.heapLimitSource ?? 'default']})` : 'unknown';
    const headroom = `peak seen ${formatBytes(peak)}; ${formatBytes(mem.availableBytes)} of ${formatBytes(mem.totalBytes)} RAM free${cgroupLimit ? `; cgroup limit ${formatBytes(cgroupLimit)}` : ''}`;
    if ('refused' in proposal) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${server.name}'s heap limit is ${now}; ${headroom}. ${proposal.refused}`);
      return;
    }
    const max = Math.floor((cgroupLimit ?? mem.totalBytes) / 1024 / 1024);
    const typed = await vscode.window.showInputBox({
      title: `Raise Heap Limit: ${server.name}`,
      prompt: `Now ${now}; ${headroom}. ${proposal.reason}${proposal.warning ? ` ${proposal.warning}` : ''}`,
      value: String(requestedMb(arg) ?? proposal.proposedMb),
      validateInput: (v) => {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 64) return 'A size in MB (at least 64).';
        return n >= max ? `Above the ${cgroupLimit ? 'cgroup limit' : "machine's memory"} (${max} MB): the kernel would kill the server before V8 reached it.` : null;
      },
    });
    if (!typed) return;
    const sizeMb = Number(typed);
    const targets = [
      ...(server.script ? [{ label: `package.json script "${server.script}"`, description: path.join(server.cwd, 'package.json'), target: 'script' as const }] : []),
      { label: 'Workspace terminals (NODE_OPTIONS)', description: 'terminal.integrated.env setting of this workspace', target: 'terminal' as const },
    ];
    const where = await vscode.window.showQuickPick(targets, { title: `Set --max-old-space-size=${sizeMb} in…` });
    if (!where) return;
    if (where.target === 'script') {
      const uri = vscode.Uri.file(path.join(server.cwd, 'package.json'));
      const doc = await vscode.workspace.openTextDocument(uri);
      const planned = applyHeapLimitToScript(doc.getText(), server.script!, sizeMb);
      if ('error' in planned) {
        void vscode.window.showWarningMessage(`Dev Server Doctor: ${planned.error}`);
        return;
      }
      const edit = new vscode.WorkspaceEdit();
      for (const e of planned.edits) edit.replace(uri, new vscode.Range(doc.positionAt(e.offset), doc.positionAt(e.offset + e.length)), e.content);
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error('package.json could not be edited.');
      await doc.save();
      ctx.log.info(`heap limit: "${planned.oldScript}" → "${planned.newScript}"`);
    } else {
      await editTerminalEnvironment((env) => ({ ...env, NODE_OPTIONS: mergeNodeOptions(env.NODE_OPTIONS ?? null, sizeMb) }));
    }
    const choice = await vscode.window.showInformationMessage(
      `Dev Server Doctor: ${server.name} gets --max-old-space-size=${sizeMb} from its next start (Undo with Ctrl+Z in package.json, or edit the setting).`,
      ...(server.state === 'down' ? [] : ['Restart Server']),
    );
    if (choice) await vscode.commands.executeCommand('devServerDoctor.restartServer', { serverId: server.id });
  };
}
