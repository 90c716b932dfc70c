import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../core/format';
import * as fs from 'node:fs';
import { applyHeapLimitToEnvFile, applyHeapLimitToScript, heapLimitOfScript, mergeNodeOptions, proposeHeapLimit, scriptEnvFiles, scriptSetsHeapFlag } from '../../core/remedies/heap';
import { MAX_DOTENV_BYTES, readWorkspaceFile } from '../../core/workspace/readWorkspaceFile';
import { pollUntil } from '../../core/pollUntil';
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
/** The heap limit read back from the restarted server (what the command returns after a restart). */
export interface HeapCheck {
  readonly server: string;
  readonly requestedMb: number;
  readonly actualMb: number;
  readonly source: string | null;
}

export function raiseHeapLimitCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<HeapCheck | undefined> => {
    if (!requireTrust('Raising the heap limit')) return;
    const server = await serverFromArg(ctx, arg, (s) => s.heapLimitSource !== null || s.framework !== 'unknown', 'Raise the heap limit of which server?');
    const snap = ctx.snapshot();
    if (!server || !snap) return;
    const mem = snap.system.memory;
    const peak = Math.max(ctx.peaks.peakOf(server.id), server.rssBytes);
    const cgroupLimit = server.cgroup?.limitBytes ?? snap.system.cgroup?.limitBytes ?? null;
    const scriptText = server.script ? scriptOf(server.cwd, server.script) : null;
    // A running server's limit is read from its process; a down one's from the script that would start it.
    const current = server.heapLimitBytes !== null
      ? { bytes: server.heapLimitBytes, source: server.heapLimitSource ?? 'default' as const }
      : scriptText !== null ? heapLimitOfScript(scriptText, Math.min(mem.totalBytes, cgroupLimit ?? Infinity), process.env.NODE_OPTIONS ?? null, server.cwd) : null;
    const proposal = proposeHeapLimit({
      currentBytes: current?.bytes ?? null, source: current?.source ?? null, peakRssBytes: peak,
      totalMemBytes: mem.totalBytes, availableBytes: mem.availableBytes, cgroupLimitBytes: cgroupLimit,
    });
    const now = current ? `${formatBytes(current.bytes)} (${SOURCE_WORDS[current.source]}${server.heapLimitBytes === null ? ', read from its script' : ''})` : 'unknown';
    const flagOnCommandLine = scriptText !== null && scriptSetsHeapFlag(scriptText);
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
    // NODE_OPTIONS cannot change a limit node's own command line sets: then only the script is offered. An env file
    // the script's node loads (--env-file) that already sets NODE_OPTIONS is where the limit is: offered first.
    const envFiles = (flagOnCommandLine || scriptText === null ? [] : scriptEnvFiles(scriptText)).flatMap((f) => {
      const file = path.resolve(server.cwd, f);
      const text = envFileText(file);
      // Where the edit would rewrite a NODE_OPTIONS line (not add one), the limit already lives in this file.
      return text === null ? [] : [{ label: `${path.basename(file)} (NODE_OPTIONS, loaded by --env-file)`, description: file, target: 'env-file' as const, file, has: applyHeapLimitToEnvFile(text, sizeMb).oldLine !== null }];
    });
    const targets = [
      ...envFiles.filter((f) => f.has),
      ...(server.script ? [{ label: `package.json script "${server.script}"`, description: path.join(server.cwd, 'package.json'), target: 'script' as const, file: path.join(server.cwd, 'package.json') }] : []),
      ...envFiles.filter((f) => !f.has),
      ...(flagOnCommandLine ? [] : [{ label: 'Workspace terminals (NODE_OPTIONS)', description: 'terminal.integrated.env setting of this workspace', target: 'terminal' as const, file: null }]),
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
      ctx.log.info(`heap limit: "${planned.oldScript}" → "${planned.newScript}"${planned.nested.map((n) => `; "${n.script}": "${n.oldScript}" → "${n.newScript}"`).join('')}`);
    } else if (where.target === 'env-file' && where.file) {
      const uri = vscode.Uri.file(where.file);
      const doc = await vscode.workspace.openTextDocument(uri);
      const planned = applyHeapLimitToEnvFile(doc.getText(), sizeMb);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(uri, new vscode.Range(doc.positionAt(planned.edit.offset), doc.positionAt(planned.edit.offset + planned.edit.length)), planned.edit.content);
      if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`${where.file} could not be edited.`);
      await doc.save();
      // The env file may hold secrets: only the NODE_OPTIONS line is logged.
      ctx.log.info(`heap limit: ${where.file}: ${planned.oldLine === null ? 'added' : `"${planned.oldLine}" →`} "${planned.newLine}"`);
    } else {
      await editTerminalEnvironment((env) => ({ ...env, NODE_OPTIONS: mergeNodeOptions(env.NODE_OPTIONS ?? null, sizeMb) }));
    }
    const choice = await vscode.window.showInformationMessage(
      `Dev Server Doctor: ${server.name} gets --max-old-space-size=${sizeMb} from its next start (${where.file ? `Undo with Ctrl+Z in ${path.basename(where.file)}` : 'edit the setting to undo'}).`,
      ...(server.state === 'down' ? [] : ['Restart Server']),
    );
    if (!choice) return;
    const oldPid = server.pid;
    await vscode.commands.executeCommand('devServerDoctor.restartServer', { serverId: server.id });
    // Read the real limit back from the new process (its command line and environment), not from what we wrote.
    const { value: fresh } = await pollUntil(async () => (await ctx.refresh.refresh('manual'))?.servers
      .find((s) => s.id === server.id && s.pid !== null && s.pid !== oldPid && s.heapLimitBytes !== null), 20_000, 500);
    if (!fresh) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${server.name} did not come back within 20 s, so its new heap limit could not be read.`);
      return;
    }
    const got = Math.round(fresh.heapLimitBytes! / 1024 / 1024);
    const words = `${server.name} now runs with a ${got} MB heap limit (${SOURCE_WORDS[fresh.heapLimitSource ?? 'default']}, pid ${fresh.heapPid ?? fresh.pid}).`;
    if (got === sizeMb) void vscode.window.showInformationMessage(`Dev Server Doctor: ${words}`);
    else void vscode.window.showWarningMessage(`Dev Server Doctor: ${words} Not the ${sizeMb} MB that was set: something else sets it (another NODE_OPTIONS, a wrapper script).`);
    return { server: server.name, requestedMb: sizeMb, actualMb: got, source: fresh.heapLimitSource };
  };
}

/** The text of a package.json script, or null. */
function scriptOf(cwd: string, script: string): string | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(cwd, 'package.json'), 'utf8')) as { scripts?: Record<string, unknown> };
    const s = pkg.scripts?.[script];
    return typeof s === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** An env file's text, or null when it is missing or no regular, small file. */
function envFileText(file: string): string | null {
  const read = readWorkspaceFile(file, MAX_DOTENV_BYTES);
  return 'text' in read ? read.text : null;
}
