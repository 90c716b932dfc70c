import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { copyPidCommand } from './copyPid';
import { focusCommand } from './focus';
import { investigateCrashCommand } from './investigateCrash';
import { openInBrowserCommand } from './openInBrowser';
import { refreshCommand } from './refresh';

/** Every command of the extension, wired in one place. Failures are logged and shown, never thrown at the user. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const commands: Record<string, (...args: unknown[]) => Promise<void>> = {
    'devServerDoctor.refresh': refreshCommand(ctx),
    'devServerDoctor.openInBrowser': openInBrowserCommand(ctx),
    'devServerDoctor.copyPid': copyPidCommand(ctx),
    'devServerDoctor.focus': focusCommand(),
    'devServerDoctor.investigateCrash': investigateCrashCommand(ctx),
  };
  return Object.entries(commands).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        await run(...args);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        ctx.log.error(`${id} failed: ${message}`);
        void vscode.window.showErrorMessage(`Dev Server Doctor: ${message}`, 'Open Log').then((choice) => {
          if (choice) ctx.log.show();
        });
      }
    }));
}
