import * as path from 'node:path';
import * as vscode from 'vscode';
import { folderOf } from '../../core/paths';
import { workspaceFolderPaths } from '../config';

/**
 * devServerDoctor.openFile ({ file, line, column } from a verdict's top frame): opens the file where the
 * server failed at that line. Only files inside the workspace (a frame can name any path).
 */
export function openFileCommand() {
  return async (arg?: unknown): Promise<void> => {
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { file?: unknown; line?: unknown; column?: unknown };
    if (typeof a.file !== 'string' || !path.isAbsolute(a.file)) {
      void vscode.window.showWarningMessage('Dev Server Doctor: this crash names no file to open.');
      return;
    }
    if (!folderOf(a.file, workspaceFolderPaths())) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${a.file} is outside the workspace; not opened.`);
      return;
    }
    const line = typeof a.line === 'number' && a.line > 0 ? a.line - 1 : 0;
    const col = typeof a.column === 'number' && a.column > 0 ? a.column - 1 : 0;
    const pos = new vscode.Position(line, col);
    await vscode.window.showTextDocument(vscode.Uri.file(a.file), { selection: new vscode.Range(pos, pos) });
  };
}
