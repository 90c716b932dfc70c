import * as vscode from 'vscode';
import { inotifyRaiseLines, RECOMMENDED_MAX_USER_WATCHES, runningAsRoot } from '../../core/remedies/catalogue';
import type { CommandContext } from './context';


/**
 * devServerDoctor.raiseInotifyLimit: the exact sysctl lines (now, and persisted across reboots), run in a
 * terminal where sudo can ask for the password, or copied.
 */
export function raiseInotifyLimitCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    const now = ctx.snapshot()?.system.inotify.maxUserWatches;
    const root = runningAsRoot();
    const lines = inotifyRaiseLines({ asRoot: root });
    const choice = await vscode.window.showInformationMessage(
      `Raise the file watcher limit from ${now?.toLocaleString('en-US') ?? 'its current value'} to ${RECOMMENDED_MAX_USER_WATCHES.toLocaleString('en-US')}?`,
      { modal: true, detail: `These commands set it now and keep it after a reboot:\n\n${lines.join('\n')}\n\n${root ? 'They run as root here.' : 'They need an administrator (sudo asks for your password in the terminal).'}` },
      'Run in Terminal', 'Copy Commands',
    );
    if (choice === 'Run in Terminal') {
      const t = vscode.window.createTerminal({ name: 'raise inotify limit' });
      t.show();
      t.sendText(lines.join(' && '));
    } else if (choice === 'Copy Commands') {
      await vscode.env.clipboard.writeText(lines.join('\n'));
      vscode.window.setStatusBarMessage('Copied the sysctl commands', 3000);
    }
  };
}
