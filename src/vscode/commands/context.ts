import type * as vscode from 'vscode';
import type { Snapshot } from '../../core/types';
import type { RefreshManager } from '../refreshManager';

/** What commands may use; handed to each command's factory. */
export interface CommandContext {
  readonly refresh: RefreshManager;
  readonly log: vscode.LogOutputChannel;
  snapshot(): Snapshot | undefined;
}
