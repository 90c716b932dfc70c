// A crash notification in plain words: [Investigate] and the top remedy as buttons, the other remedies
// behind "More…". Nothing supersedes a crash: it is an ordinary (sticky) error toast.
import * as vscode from 'vscode';
import type { Verdict } from '../core/crash/types';
import { REMEDY_COMMANDS } from './remedyCommands';
import { REMEDIES, type RemedyRef } from '../core/remedies/catalogue';
import type { Notifications } from './notifications';
import { runRemedy } from './ui';

const INVESTIGATE = 'Investigate';
/** Longer remedy titles ("Capture a heap snapshot near the limit on the next run, then restart") use the catalogue's button label. */
const BUTTON_MAX_CHARS = 24;

function buttonLabel(r: RemedyRef): string {
  // The size on the button is the one the input box proposes and the one written (its args carry it).
  const mb = r.id === 'raise-heap-limit' ? (r.args as { megabytes?: unknown } | undefined)?.megabytes : undefined;
  if (typeof mb === 'number') return `Raise Heap to ${mb} MB…`;
  return r.title.length <= BUTTON_MAX_CHARS ? r.title : REMEDIES[r.id]?.button ?? r.title;
}

/** Shows a crash; whether to (once per crash, rate limit, muted) is the WarningPolicy's call. */
export class CrashNotifier {
  /** Messages shown, newest last (bounded; read by the integration tests). */
  readonly shown: string[] = [];

  constructor(private readonly notifications: Notifications) {}

  async notify(v: Verdict): Promise<void> {
    this.shown.push(v.summary);
    if (this.shown.length > 50) this.shown.shift();
    // Investigate and the top remedy are buttons; the report lists every remedy, "More…" the rest.
    const remedies = v.remedies.filter((r) => REMEDY_COMMANDS[r.id] !== REMEDY_COMMANDS.investigate);
    const actions = [
      { title: INVESTIGATE, run: () => vscode.commands.executeCommand('devServerDoctor.investigateCrash') },
      // Short labels on buttons (a long title squeezes every button to "Inve…"); the full title in More…'s list.
      ...remedies.map((r) => ({ title: buttonLabel(r), detail: r.title, run: () => runRemedy(r) })),
    ].filter((a, i, all) => all.findIndex((b) => b.title === a.title) === i);
    await this.notifications.message('crash', v.confidence === 'low' ? 'warning' : 'error', v.detail?.serverId ?? v.server ?? null, v.summary, actions);
  }
}
