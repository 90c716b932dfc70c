import * as vscode from 'vscode';
import { PortTreeItem } from '../tree/serverItems';
import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

/** devServerDoctor.openInBrowser: opens http://localhost:PORT (forwarded when the window is remote). */
export function openInBrowserCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    let port: number | undefined;
    if (arg instanceof PortTreeItem) port = arg.port;
    else {
      const server = await serverFromArg(ctx, arg, (s) => s.ports.length > 0, 'Open which server in the browser?');
      port = server ? (server.expectedPort !== null && server.ports.includes(server.expectedPort) ? server.expectedPort : server.ports[0]) : undefined;
    }
    if (port === undefined) return;
    const uri = await vscode.env.asExternalUri(vscode.Uri.parse(`http://localhost:${port}/`));
    await vscode.env.openExternal(uri);
  };
}
