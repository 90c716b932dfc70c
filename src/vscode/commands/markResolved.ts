import * as vscode from 'vscode';
import { lineageKey } from '../../core/early/downDetector';
import { AlertTreeItem } from '../tree/alertItem';
import { CrashTreeItem } from '../tree/crashItems';
import { ServerTreeItem } from '../tree/serverItems';
import type { CommandContext } from './context';

/**
 * devServerDoctor.markResolved: marks a recorded crash as dealt with (it stays in the history, greyed), together
 * with its server's "down" warning. On an alert row it hides that alert until it happens again; on a down
 * server's row it resolves that server's warning and open crashes.
 */
export function markResolvedCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (arg instanceof AlertTreeItem) {
      ctx.early.dismiss(arg.alert.kind, arg.alert.subject);
      await ctx.refresh.refresh('manual');
      return;
    }
    if (arg instanceof ServerTreeItem) {
      const s = arg.server;
      ctx.early.dismissServer(s.id, s.name);
      for (const e of ctx.history.entries({ includeResolved: false })) {
        const id = e.verdict.detail?.serverId;
        if ((id && lineageKey(id) === lineageKey(s.id)) || e.verdict.server === s.name) ctx.history.markResolved(e.id);
      }
      ctx.crashesView.refresh();
      await ctx.refresh.refresh('manual');
      return;
    }
    let id = arg instanceof CrashTreeItem ? arg.entry.id : typeof arg === 'object' && arg !== null && typeof (arg as { id?: unknown }).id === 'string' ? (arg as { id: string }).id : undefined;
    if (!id) {
      const open = ctx.history.entries({ includeResolved: false });
      const picked = await vscode.window.showQuickPick(open.map((e) => ({ label: e.verdict.summary, description: new Date(e.time).toLocaleString(), id: e.id })), { title: 'Mark which crash as resolved?' });
      id = picked?.id;
    }
    if (!id) return;
    const entry = ctx.history.entries({ includeResolved: true }).find((e) => e.id === id);
    ctx.history.markResolved(id);
    ctx.crashesView.refresh();
    // The crash was its server's incident: the "down" warning it left is dealt with too.
    if (entry) {
      ctx.early.dismissServer(entry.verdict.detail?.serverId, entry.verdict.server);
      await ctx.refresh.refresh('manual');
    }
  };
}
