import * as path from 'node:path';
import * as vscode from 'vscode';
import { applyMemoryLimitChange, memoryLimitChange } from '../../core/deps/compose';
import { folderOf } from '../../core/paths';
import { workspaceFolderPaths } from '../config';
import { requireTrust } from '../ui';
import { containerFromArg } from './containerAction';
import type { CommandContext } from './context';

const MB = 1024 * 1024;

/**
 * devServerDoctor.raiseContainerMemory: shows the exact YAML change to a compose service's memory limit
 * (before and after, comments kept) and writes the compose file only after the user agrees; then offers
 * to recreate the container with it.
 */
export function raiseContainerMemoryCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Editing a compose file')) return;
    const c = await containerFromArg(ctx, arg, (x) => x.composeFile !== null && x.service !== null, 'Raise the memory limit of which container?');
    if (!c) return;
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { megabytes?: unknown };
    const file = c.composeFile;
    if (!file || !c.service || !folderOf(file, workspaceFolderPaths())) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${c.name} was not started from a compose file in this workspace; its memory limit is set where it was started (docker run --memory).`);
      return;
    }
    const current = c.memoryLimitBytes ? Math.round(c.memoryLimitBytes / MB) : null;
    const suggested = typeof a.megabytes === 'number' && a.megabytes > 0 ? a.megabytes : current ? Math.max(Math.ceil((current * 2) / 32) * 32, 128) : 512;
    const input = await vscode.window.showInputBox({
      title: `Memory limit for ${c.service}`, prompt: `In MB${current ? ` (now ${current} MB)` : ' (now: no limit)'}`, value: String(suggested),
      validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= 6 ? null : 'A whole number of megabytes, at least 6.'),
    });
    if (input === undefined) return;
    const { change, problem } = memoryLimitChange(file, c.service, Number(input.trim()));
    if (!change) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${problem}`);
      return;
    }
    const detail = `${path.basename(file)}, service ${c.service}: ${change.key} ${change.from ?? '(none)'} → ${change.to}\n\nBefore:\n${change.before}\n\nAfter:\n${change.after}\n\nNothing else in the file changes. The container keeps its old limit until it is recreated (docker compose up -d ${c.service}).`;
    const choice = await vscode.window.showWarningMessage(`Change ${c.service}'s memory limit to ${change.to} in ${path.basename(file)}?`, { modal: true, detail }, 'Edit File');
    if (choice !== 'Edit File') return;
    const written = applyMemoryLimitChange(change);
    ctx.log.info(`raise container memory: ${written.message}`);
    if (!written.ok) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${written.message}`);
      return;
    }
    const recreate = `docker compose -f ${path.basename(file)} up -d ${c.service}`;
    const next = await vscode.window.showInformationMessage(`Dev Server Doctor: ${written.message} Recreate the container with it now (${recreate})?`, 'Recreate', 'Open File');
    if (next === 'Open File') await vscode.window.showTextDocument(vscode.Uri.file(file));
    if (next === 'Recreate') {
      await vscode.commands.executeCommand('devServerDoctor.startDependency', { via: 'compose', service: c.service, file, cwd: path.dirname(file), command: recreate, commandV1: `docker-compose -f ${path.basename(file)} up -d ${c.service}` });
    }
  };
}
