import * as vscode from 'vscode';

const LIMIT = 65_536;

/**
 * devServerDoctor.raiseFdLimit: EMFILE means the server's shell gave it too few descriptors. Shows the
 * exact line for the shell that starts it (a per-shell limit: no administrator needed up to the hard
 * limit), and copies it or opens a terminal with it.
 */
export function raiseFdLimitCommand() {
  return async (): Promise<void> => {
    const line = `ulimit -n ${LIMIT}`;
    const choice = await vscode.window.showInformationMessage(
      'Raise the open file limit for the dev server?',
      { modal: true, detail: `Run this in the shell that starts the server, then start it from there:\n\n${line}\n\nIt applies to that shell and what it starts, up to the hard limit (ulimit -Hn).` },
      'Open Terminal With It', 'Copy Command',
    );
    if (choice === 'Open Terminal With It') {
      const t = vscode.window.createTerminal({ name: 'raise open file limit' });
      t.show();
      t.sendText(line);
    } else if (choice === 'Copy Command') {
      await vscode.env.clipboard.writeText(line);
      vscode.window.setStatusBarMessage('Copied the ulimit command', 3000);
    }
  };
}
