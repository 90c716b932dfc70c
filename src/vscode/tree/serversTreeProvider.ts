import * as vscode from 'vscode';
import type { SupervisorState } from '../../core/supervisor/supervisor';
import type { Server, Snapshot } from '../../core/types';
import { MessageTreeItem } from './messageItem';
import { AlertTreeItem, type TreeAlert } from './alertItem';
import { PortTreeItem, ProcessTreeItem, ServerTreeItem, type ServerNote } from './serverItems';
import { ContainerTreeItem } from './containerItems';
import type { ContainerInfo } from '../../core/containers/model';

export type ServersNode = ServerTreeItem | ProcessTreeItem | PortTreeItem | ContainerTreeItem | MessageTreeItem | AlertTreeItem;

const ORDER: Record<Server['state'], number> = { unresponsive: 0, crashed: 0, orphaned: 0, up: 1, starting: 2, down: 3 };

/** Renders the last snapshot; never does I/O itself. */
export class ServersTreeProvider implements vscode.TreeDataProvider<ServersNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ServersNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private snapshot: Snapshot | undefined;
  private alerts: readonly TreeAlert[] = [];
  /** What a server's own row says about its state beyond up/down (why it is down), by server id. */
  private notes: ReadonlyMap<string, ServerNote> = new Map();
  private containers: readonly ContainerInfo[] = [];
  /** The rows handed to the tree, by server id, with what they showed: only rows that changed are redrawn. */
  private readonly rows = new Map<string, { item: ServerTreeItem; key: string }>();
  private topKey: string | null = null;
  /** Change events fired (the tests count them). */
  fired = 0;

  /** `supervision`: the supervisor's state of a server started supervised. */
  constructor(private readonly supervision: (serverId: string) => SupervisorState | undefined = () => undefined) {}

  /**
   * `alerts`: scan problems and warnings to show above the servers; `notes`: what a server's own row says about
   * why it is down (instead of a row of its own above the list).
   */
  update(snapshot: Snapshot, alerts: readonly TreeAlert[], notes: ReadonlyMap<string, ServerNote> = new Map()): void {
    this.snapshot = snapshot;
    this.alerts = alerts;
    this.notes = notes;
    const servers = this.sorted(snapshot);
    const topKey = JSON.stringify([alerts.map((a) => [a.kind, a.subject, a.message, a.severity]), servers.map((s) => s.id)]);
    const fresh = servers.map((s) => new ServerTreeItem(s, snapshot.takenAt, this.supervision(s.id), notes.get(s.id)));
    if (topKey !== this.topKey) {
      // Rows came, went or moved: the list is rebuilt once.
      this.topKey = topKey;
      this.rows.clear();
      for (const item of fresh) this.rows.set(item.server.id, { item, key: rowKey(item) });
      this.fire(undefined);
      return;
    }
    for (const item of fresh) {
      const row = this.rows.get(item.server.id);
      const key = rowKey(item);
      if (!row || row.key === key) {
        if (row) Object.assign(row.item, { server: item.server, supervision: item.supervision, note: item.note });
        continue;
      }
      // Same object, new content: the tree redraws this row (and its children) only.
      Object.assign(row.item, item);
      row.key = key;
      this.fire(row.item);
    }
  }

  private fire(node: ServersNode | undefined): void {
    this.fired++;
    this.changed.fire(node);
  }

  private sorted(snap: Snapshot): Server[] {
    return [...snap.servers].sort((a, b) => ORDER[a.state] - ORDER[b.state]);
  }

  /** The workspace's containers, shown after the servers (from the container engine's events, not the poll). */
  updateContainers(containers: readonly ContainerInfo[]): void {
    this.containers = containers;
    this.fire(undefined);
  }

  getTreeItem(node: ServersNode): vscode.TreeItem {
    return node;
  }

  resolveTreeItem(item: vscode.TreeItem, node: ServersNode): vscode.TreeItem {
    if (node instanceof ServerTreeItem) item.tooltip = node.resolveTooltip();
    return item;
  }

  getChildren(node?: ServersNode): ServersNode[] {
    const snap = this.snapshot;
    if (!node) {
      if (!snap) return [new MessageTreeItem('Reading processes and ports…', 'loading')];
      const items: ServersNode[] = this.alerts.map((a) => new AlertTreeItem(a));
      // With no servers and no problems the view's welcome content explains what we look for.
      const now = Date.now();
      return [...items, ...this.sorted(snap).map((s) => this.rows.get(s.id)?.item ?? new ServerTreeItem(s, snap.takenAt, this.supervision(s.id), this.notes.get(s.id))),
        ...this.containers.map((c) => new ContainerTreeItem(c, now))];
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

/** What a server row and its children show: when it is unchanged, nothing is redrawn. */
function rowKey(item: ServerTreeItem): string {
  const s = item.server;
  const icon = item.iconPath instanceof vscode.ThemeIcon ? `${item.iconPath.id}/${(item.iconPath.color as unknown as { id?: string } | undefined)?.id ?? ''}` : '';
  const children = [...s.ports, ...s.processes.map((p) => `${p.pid}|${p.ppid}|${p.depth}|${p.command}|${p.zombie}|${p.ports.join(',')}|${new ProcessTreeItem(s, p, false).description}`)];
  return JSON.stringify([item.label, item.description, icon, item.contextValue, item.collapsibleState, children]);
}
