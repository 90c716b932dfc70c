import * as vscode from 'vscode';
import { ProcessTreeItem } from '../tree/serverItems';
import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

/** devServerDoctor.copyPid: the PID of a process node, or of a server's root process. */
export function copyPidCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    const pid = arg instanceof ProcessTreeItem
      ? arg.process.pid
      : (await serverFromArg(ctx, arg, (s) => s.pid !== null, 'Copy the PID of which server?'))?.pid;
    if (pid === undefined || pid === null) return;
    await vscode.env.clipboard.writeText(String(pid));
    vscode.window.setStatusBarMessage(`Copied PID ${pid}`, 3000);
  };
}
