// A crash notification in plain words, with [Investigate] and the top remedy as buttons.
import * as vscode from 'vscode';
import { terminalText } from '../core/terminalText';
import type { Verdict } from '../core/crash/types';
import { REMEDY_COMMANDS } from './remedyCommands';
import { runRemedy } from './ui';

const INVESTIGATE = 'Investigate';

/** Shows a crash; whether to (once per crash, rate limit, muted) is the WarningPolicy's call. */
export class CrashNotifier {
  /** Messages shown, newest last (bounded; read by the integration tests). */
  readonly shown: string[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  async notify(v: Verdict): Promise<void> {
    this.shown.push(v.summary);
    if (this.shown.length > 50) this.shown.shift();
    // The top remedy becomes a button (Investigate is already one); the report lists every one.
    const remedy = v.remedies.find((r) => REMEDY_COMMANDS[r.id] !== REMEDY_COMMANDS.investigate);
    const buttons = remedy ? [INVESTIGATE, remedy.title] : [INVESTIGATE];
    const show = v.confidence === 'low' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    const choice = await show(terminalText(`Dev Server Doctor: ${v.summary}`), ...buttons);
    try {
      if (choice === INVESTIGATE) await vscode.commands.executeCommand('devServerDoctor.investigateCrash');
      else if (remedy && choice === remedy.title) await runRemedy(remedy);
    } catch (err) {
      this.log.error(`${choice} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
