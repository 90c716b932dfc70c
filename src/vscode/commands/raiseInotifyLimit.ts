import * as vscode from 'vscode';
import { inotifyRaiseLines, RECOMMENDED_MAX_USER_WATCHES, runningAsRoot } from '../../core/remedies/catalogue';
import { inotifyNeed } from '../../core/early/inotify';
import type { CommandContext } from './context';

/** An unresolved crash on the watcher limit this recent makes the raise called for, whatever the count says now. */
const CRASH_RECENT_MS = 24 * 3600_000;
export const RAISE_ANYWAY = 'Raise Anyway…';

/**
 * devServerDoctor.raiseInotifyLimit: the exact sysctl lines (now, and persisted across reboots), run in a
 * terminal where sudo can ask for the password, or copied. From a crash, a warning or the System view's low
 * row it goes straight to them; from the palette, far from the limit, it first says how far and that no raise
 * is needed ("20 of 192,536 file watches (0%)"), with Raise Anyway for who knows better.
 */
export function raiseInotifyLimitCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    const inotify = ctx.snapshot()?.system.inotify;
    if (arg === undefined && inotify) {
      const now = Date.now();
      const crashed = ctx.history.entries().some((e) => e.cause === 'inotify-limit' && e.resolvedAt === null && now - e.time < CRASH_RECENT_MS);
      const need = inotifyNeed(inotify.usage, inotify, crashed);
      if (!need.short && need.usage) {
        const choice = await vscode.window.showInformationMessage(
          `No need to raise the file watcher limit now: ${need.usage}. Dev Server Doctor offers it when watches run short or a server fails on the limit.`,
          RAISE_ANYWAY,
        );
        if (choice !== RAISE_ANYWAY) return;
      }
    }
    const max = inotify?.maxUserWatches;
    const root = runningAsRoot();
    const lines = inotifyRaiseLines({ asRoot: root });
    const choice = await vscode.window.showInformationMessage(
      `Raise the file watcher limit from ${max?.toLocaleString('en-US') ?? 'its current value'} to ${RECOMMENDED_MAX_USER_WATCHES.toLocaleString('en-US')}?`,
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
