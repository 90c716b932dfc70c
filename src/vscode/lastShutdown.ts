// After VS Code itself was killed, the next start tells the user what happened: was it the editor or the
// server the OOM killer took? The sample journal keeps the last minutes of memory samples for that.
import * as vscode from 'vscode';
import { terminalText } from '../core/terminalText';
import { readKernelOomRecords } from '../core/crash/kernelSources';
import { explainLastShutdown, type JournalSession } from '../core/history/sampleJournal';

/** Looks at how the previous session ended; says so when it did not end cleanly and the kernel knows why. */
export async function explainPreviousSession(previous: JournalSession | null, log: vscode.LogOutputChannel): Promise<string | null> {
  if (!previous || previous.endedAt !== null) return null;
  const lastSeen = previous.samples.at(-1)?.at ?? previous.startedAt;
  const kernel = await readKernelOomRecords({ sinceMs: lastSeen - 60_000 });
  const explanation = explainLastShutdown(previous, kernel.records);
  if (!explanation || explanation.kind === 'unknown') {
    log.info(`The previous session (pid ${previous.pid}) did not end cleanly; the kernel log has no OOM kill for it.`);
    return null;
  }
  log.warn(explanation.message);
  void vscode.window.showWarningMessage(terminalText(`Dev Server Doctor: ${explanation.message}`), 'Investigate').then((choice) => {
    if (choice) void vscode.commands.executeCommand('devServerDoctor.investigateCrash');
  });
  return explanation.message;
}
