import * as vscode from 'vscode';
import type { CrashHistory } from '../../core/history/crashHistory';
import { CrashCountsTreeItem, CrashCountTreeItem, CrashTreeItem } from './crashItems';

export type CrashesNode = CrashTreeItem | CrashCountsTreeItem | CrashCountTreeItem;

/** Recorded crashes, newest first, under the counts of the last day and week. Reads only the in-memory history. */
export class CrashesTreeProvider implements vscode.TreeDataProvider<CrashesNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<CrashesNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly history: CrashHistory) {}

  refresh(): void {
    this.changed.fire(undefined);
  }

  getTreeItem(node: CrashesNode): vscode.TreeItem {
    return node;
  }

  getChildren(node?: CrashesNode): CrashesNode[] {
    if (node instanceof CrashCountsTreeItem) return node.rows();
    if (node) return [];
    const entries = this.history.entries({ includeResolved: true });
    if (entries.length === 0) return []; // the view's welcome content says no crash was recorded
    const now = Date.now();
    const { day, week } = this.history.counts(now);
    return [new CrashCountsTreeItem('24 h', day), new CrashCountsTreeItem('7 days', week), ...entries.map((e) => new CrashTreeItem(e, now))];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
