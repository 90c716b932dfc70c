import * as vscode from 'vscode';
import { confirm } from '../ui';
import type { CommandContext } from './context';

/** Asks, then types one exact line into a new terminal in `cwd` (the user's shell: nvm and fnm are shell functions). */
export async function runLineInTerminal(ctx: CommandContext, opts: { title: string; line: string; cwd: string | undefined; why: string; button: string }): Promise<boolean> {
  if (!(await confirm(opts.title, `Runs "${opts.line}"${opts.cwd ? ` in ${opts.cwd}` : ''}. ${opts.why}`, opts.button))) return false;
  const terminal = vscode.window.createTerminal({ name: opts.title, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  terminal.show();
  terminal.sendText(opts.line);
  ctx.log.info(`ran "${opts.line}"${opts.cwd ? ` in ${opts.cwd}` : ''}`);
  return true;
}

export function argsOf(arg: unknown): Record<string, unknown> {
  return typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>) : {};
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
