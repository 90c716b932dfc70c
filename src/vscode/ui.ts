// Small shared pieces of the remedies' UI: trust gating and modal confirmations.
import * as vscode from 'vscode';
import type { RemedyRef } from '../core/remedies/catalogue';
import { remedyCommand } from './remedyCommands';

/**
 * Remedies that run or edit workspace code (restart, npm install, editing package.json) need a trusted
 * workspace; monitoring and reports never do. Says why when it refuses.
 */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showWarningMessage(
    `Dev Server Doctor: ${what} is off in an untrusted workspace because it runs or edits the workspace's code. Monitoring and crash reports keep working.`,
    'Manage Workspace Trust',
  ).then((choice) => {
    if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  return false;
}

/** A modal question listing exactly what will happen; true only when the user picked `action`. */
export async function confirm(message: string, detail: string, action: string): Promise<boolean> {
  return (await vscode.window.showWarningMessage(message, { modal: true, detail }, action)) === action;
}

/** Applies a remedy through its command (each command asks before anything destructive). */
export async function runRemedy(r: RemedyRef): Promise<unknown> {
  const { command, arg } = remedyCommand(r);
  return vscode.commands.executeCommand(command, arg);
}
