import * as vscode from 'vscode';
import { CrashTreeItem } from '../tree/crashItems';
import type { CommandContext } from './context';

/** devServerDoctor.markResolved: marks a recorded crash as dealt with (it stays in the history, greyed). */
export function markResolvedCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    let id = arg instanceof CrashTreeItem ? arg.entry.id : typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string' ? (arg as { id: string }).id : undefined;
    if (!id) {
      const open = ctx.history.entries({ includeResolved: false });
      const picked = await vscode.window.showQuickPick(open.map((e) => ({ label: e.verdict.summary, description: new Date(e.time).toLocaleString(), id: e.id })), { title: 'Mark which crash as resolved?' });
      id = picked?.id;
    }
    if (!id) return;
    ctx.history.markResolved(id);
    ctx.crashesView.refresh();
  };
}
