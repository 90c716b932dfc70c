import * as vscode from 'vscode';
import type { Server } from '../../core/types';
import { PortTreeItem, ProcessTreeItem, ServerTreeItem } from '../tree/serverItems';
import type { CommandContext } from './context';

/** The server a tree node or `{ serverId }` stands for; from the palette, a quick pick of those that fit. */
export async function serverFromArg(
  ctx: CommandContext,
  arg: unknown,
  fits: (s: Server) => boolean,
  placeHolder: string,
): Promise<Server | undefined> {
  if (arg instanceof ServerTreeItem || arg instanceof ProcessTreeItem || arg instanceof PortTreeItem) return arg.server;
  // From a verdict's remedy link or another command: { serverId }.
  const id = typeof arg === 'object' && arg !== null ? (arg as { serverId?: unknown }).serverId : undefined;
  const byId = typeof id === 'string' ? ctx.snapshot()?.servers.find((s) => s.id === id) : undefined;
  if (byId) return byId;
  const candidates = (ctx.snapshot()?.servers ?? []).filter(fits);
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage('Dev Server Doctor: no server fits. Start one, then try again.');
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((s) => ({ label: s.name, description: [s.ports.map((p) => `:${p}`).join(' '), s.pid ? `pid ${s.pid}` : ''].join(' '), server: s })),
    { placeHolder },
  );
  return picked?.server;
}
