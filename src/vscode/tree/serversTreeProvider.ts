import * as vscode from 'vscode';
import type { SupervisorState } from '../../core/supervisor/supervisor';
import type { Server, Snapshot } from '../../core/types';
import { MessageTreeItem } from './messageItem';
import { PortTreeItem, ProcessTreeItem, ServerTreeItem } from './serverItems';

export type ServersNode = ServerTreeItem | ProcessTreeItem | PortTreeItem | MessageTreeItem;

const ORDER: Record<Server['state'], number> = { crashed: 0, orphaned: 0, up: 1, starting: 2, down: 3 };

/** Renders the last snapshot; never does I/O itself. */
export class ServersTreeProvider implements vscode.TreeDataProvider<ServersNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServersNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private snapshot: Snapshot | undefined;
  private problems: readonly string[] = [];

  /** `supervision`: the supervisor's state of a server started supervised. */
  constructor(private readonly supervision: (serverId: string) => SupervisorState | undefined = () => undefined) {}

  /** `problems`: scan problems and read failures to show above the servers. */
  update(snapshot: Snapshot, problems: readonly string[]): void {
    this.snapshot = snapshot;
    this.problems = problems;
    this.changed.fire(undefined);
  }

  getTreeItem(node: ServersNode): vscode.TreeItem {
    return node;
  }

  getChildren(node?: ServersNode): ServersNode[] {
    const snap = this.snapshot;
    if (!node) {
      if (!snap) return [new MessageTreeItem('Reading processes and ports…', 'loading')];
      const items: ServersNode[] = this.problems.map((p, i) => new MessageTreeItem(p, 'warning', p, `problem:${i}`));
      const servers = [...snap.servers].sort((a, b) => ORDER[a.state] - ORDER[b.state]);
      // With no servers and no problems the view's welcome content explains what we look for.
      return [...items, ...servers.map((s) => new ServerTreeItem(s, snap.takenAt, this.supervision(s.id)))];
    }
    if (node instanceof ServerTreeItem) {
      const s = node.server;
      const root = s.processes[0];
      return [
        ...s.ports.map((p) => new PortTreeItem(s, p)),
        ...(root ? [new ProcessTreeItem(s, root, s.processes.some((p) => p.ppid === root.pid))] : []),
      ];
    }
    if (node instanceof ProcessTreeItem) {
      const s = node.server;
      return s.processes
        .filter((p) => p.ppid === node.process.pid && p.depth === node.process.depth + 1)
        .map((p) => new ProcessTreeItem(s, p, s.processes.some((c) => c.ppid === p.pid)));
    }
    return [];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
