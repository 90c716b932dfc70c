// Every notification the extension shows about an incident goes through here: at most two actions as
// buttons and the rest behind "More…" (a quick pick), and a record of what was shown and when it ended.
//
// VS Code has no API to close a message toast (showWarningMessage). A progress notification is the one
// kind an extension can end: it disappears, toast and notification centre alike, when its task resolves.
// Warnings an incident may supersede (a server's OOM risk, "is down", unresponsive) are therefore shown as
// progress notifications whose actions are command links in the message, and withdrawn when the crash
// they predicted arrives, when their condition clears, or once acted on. Crash toasts stay ordinary
// (sticky) error messages with real buttons: nothing supersedes a crash.
import * as vscode from 'vscode';
import { terminalText } from '../core/terminalText';

export const MORE = 'More…';
/** Buttons shown before "More…". */
const MAX_BUTTONS = 2;
const ACTION_COMMAND = 'devServerDoctor.notificationAction';
const SHOWN_KEPT = 100;

export interface NotificationAction {
  readonly title: string;
  /** Said in More…'s list under the title (a remedy's full wording). */
  readonly detail?: string;
  run(): unknown;
}

export type Severity = 'info' | 'warning' | 'error';

/** A notification as it was shown (read by the integration tests). */
export interface ShownNotification {
  readonly id: number;
  /** 'crash', 'oom-risk', 'down', 'unresponsive', 'disk', 'preflight'… */
  readonly kind: string;
  /** The server (lineage) id it is about, or a mount point…; null when about nothing in particular. */
  readonly subject: string | null;
  readonly message: string;
  /** The buttons (or links of a withdrawable notification), "More…" included: never more than three. */
  readonly buttons: readonly string[];
  readonly withdrawable: boolean;
  readonly shownAt: number;
  closedAt: number | null;
  /** 'superseded by a crash', 'cleared', 'dismissed', 'acted on'… */
  closedWhy: string | null;
  chosen: string | null;
}

interface Open {
  readonly record: ShownNotification;
  readonly actions: readonly NotificationAction[];
  readonly close: (why: string) => void;
}

/** Up to two actions are buttons; with more, the first two and "More…" for the rest. */
export function splitActions<T extends { readonly title: string }>(actions: readonly T[]): { buttons: T[]; more: T[] } {
  if (actions.length <= MAX_BUTTONS) return { buttons: [...actions], more: [] };
  return { buttons: actions.slice(0, MAX_BUTTONS), more: actions.slice(MAX_BUTTONS) };
}

/**
 * For a plain message whose choices are strings: at most two buttons plus "More…", which opens a quick pick
 * with the rest. Returns the choice, or undefined.
 */
export async function chooseAmong(show: (message: string, ...items: string[]) => Thenable<string | undefined>, message: string, choices: readonly string[]): Promise<string | undefined> {
  const { buttons, more } = splitActions(choices.map((title) => ({ title })));
  const choice = await show(message, ...buttons.map((b) => b.title), ...(more.length ? [MORE] : []));
  if (choice !== MORE) return choice;
  return (await vscode.window.showQuickPick(more.map((m) => m.title), { placeHolder: 'What to do' })) ?? undefined;
}

export class Notifications implements vscode.Disposable {
  readonly shown: ShownNotification[] = [];
  private readonly open = new Map<number, Open>();
  private next = 1;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables = [
      // The links of a withdrawable notification run its actions (not in the palette: it takes the notification's id).
      vscode.commands.registerCommand(ACTION_COMMAND, (id: unknown, index: unknown) => this.act(Number(id), Number(index))),
    ];
  }

  /**
   * A message toast with at most two buttons plus "More…". Resolves once the user chose (or dismissed it).
   * `subject`: what it is about, for the record.
   */
  async message(kind: string, severity: Severity, subject: string | null, message: string, actions: readonly NotificationAction[]): Promise<void> {
    const { buttons, more } = splitActions(actions);
    const titles = [...buttons.map((a) => a.title), ...(more.length ? [MORE] : [])];
    const record = this.record(kind, subject, message, titles, false);
    const show = severity === 'error' ? vscode.window.showErrorMessage : severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
    const choice = await show(terminalText(`Dev Server Doctor: ${message}`), ...titles);
    record.closedAt = Date.now();
    record.closedWhy = choice ? 'acted on' : 'dismissed';
    const action = choice === MORE ? await this.pickMore(more, message) : actions.find((a) => a.title === choice);
    record.chosen = action?.title ?? null;
    if (action) await this.run(action);
  }

  /**
   * A notification that can be withdrawn: shown until `withdraw(subject)` (or the handle's close), the user
   * dismissing it, or an action run from it. Its actions are links in the message: two, then "More…".
   */
  withdrawable(kind: string, subject: string, message: string, actions: readonly NotificationAction[]): { close(why: string): void } {
    const { buttons, more } = splitActions(actions);
    const titles = [...buttons.map((a) => a.title), ...(more.length ? [MORE] : [])];
    const record = this.record(kind, subject, message, titles, true);
    const links = titles.map((t, i) => `[${t.replace(/[[\]]/g, '')}](command:${ACTION_COMMAND}?${encodeURIComponent(JSON.stringify([record.id, i]))})`);
    let close: (why: string) => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      close = (why: string) => {
        if (record.closedAt !== null) return;
        record.closedAt = Date.now();
        record.closedWhy = why;
        this.open.delete(record.id);
        resolve();
      };
    });
    this.open.set(record.id, { record, actions: [...buttons, ...(more.length ? [{ title: MORE, run: async () => { const a = await this.pickMore(more, message); if (a) { record.chosen = a.title; await this.run(a); } } }] : [])], close });
    // The links follow the text (a progress notification's title and message are shown as one line anyway).
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `${terminalText(`Dev Server Doctor: ${message}`)} ${links.join(' · ')}`, cancellable: true },
      (_progress, token) => {
        token.onCancellationRequested(() => close('dismissed'));
        return ended;
      },
    );
    return { close };
  }

  /** Ends every withdrawable notification about `subject` (of `kinds`, or all); returns how many. */
  withdraw(subject: string, why: string, kinds?: readonly string[]): number {
    let n = 0;
    for (const o of [...this.open.values()]) {
      if (o.record.subject !== subject || (kinds && !kinds.includes(o.record.kind))) continue;
      o.close(why);
      n++;
    }
    return n;
  }

  /** The withdrawable notifications still showing. */
  openOnes(): readonly ShownNotification[] {
    return [...this.open.values()].map((o) => o.record);
  }

  private async act(id: number, index: number): Promise<void> {
    const o = this.open.get(id);
    const action = o?.actions[index];
    if (!o || !action) return;
    if (action.title !== MORE) o.record.chosen = action.title;
    o.close('acted on');
    await this.run(action);
  }

  private async pickMore(more: readonly NotificationAction[], message: string): Promise<NotificationAction | undefined> {
    const picked = await vscode.window.showQuickPick(more.map((a) => ({ label: a.title, ...(a.detail && a.detail !== a.title ? { detail: a.detail } : {}), action: a })), { title: message.length > 90 ? `${message.slice(0, 87)}…` : message, placeHolder: 'What to do' });
    return picked?.action;
  }

  private async run(action: NotificationAction): Promise<void> {
    try {
      await action.run();
    } catch (err) {
      this.log.error(`${action.title} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private record(kind: string, subject: string | null, message: string, buttons: readonly string[], withdrawable: boolean): ShownNotification {
    const record: ShownNotification = { id: this.next++, kind, subject, message, buttons, withdrawable, shownAt: Date.now(), closedAt: null, closedWhy: null, chosen: null };
    this.shown.push(record);
    if (this.shown.length > SHOWN_KEPT) this.shown.shift();
    return record;
  }

  dispose(): void {
    for (const o of [...this.open.values()]) o.close('disposed');
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
