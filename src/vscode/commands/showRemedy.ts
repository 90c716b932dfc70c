import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { argsOf, str } from './runLine';

/**
 * devServerDoctor.showRemedy ({ title, detail }): a remedy that is advice to apply by hand (another port,
 * 127.0.0.1 instead of localhost, another inspector port, a .wslconfig or devcontainer.json change):
 * shows the exact text and copies it on request. Changes nothing itself.
 */
export function showRemedyCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    const a = argsOf(arg);
    const title = str(a.title) ?? 'Remedy';
    const text = str(a.text) ?? str(a.detail);
    if (!text) {
      void vscode.window.showInformationMessage(`Dev Server Doctor: ${title}`);
      return;
    }
    const choice = await vscode.window.showInformationMessage(`Dev Server Doctor: ${title}`, { modal: true, detail: text }, 'Copy');
    if (choice === 'Copy') {
      await vscode.env.clipboard.writeText(text);
      ctx.log.info(`copied the remedy "${title}"`);
    }
  };
}
