import * as vscode from 'vscode';

/** devServerDoctor.focus: shows the Servers view (the status bar item runs this). */
export function focusCommand() {
  return async (): Promise<void> => {
    await vscode.commands.executeCommand('devServerDoctor.servers.focus');
  };
}
