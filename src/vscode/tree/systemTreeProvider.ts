import * as vscode from 'vscode';
import { LOW_INOTIFY_WATCHES } from '../../core/alerts';
import type { Thresholds } from '../../core/settings';
import type { Snapshot } from '../../core/types';
import { MessageTreeItem } from './messageItem';
import { CgroupTreeItem, DiskTreeItem, EnvironmentTreeItem, InotifyTreeItem, MemoryTreeItem, SwapTreeItem } from './systemItems';
import { readMemoryCeiling, type MemoryCeiling } from '../../core/system/memoryCeiling';
import { ContainerEngineTreeItem } from './containerItems';
import type { EngineStatus } from '../../core/containers/containerMonitor';

/** Where the servers run changes rarely: the environment is read again at most this often. */
const ENVIRONMENT_TTL_MS = 60_000;

export type SystemNode = EnvironmentTreeItem | MemoryTreeItem | SwapTreeItem | DiskTreeItem | CgroupTreeItem | InotifyTreeItem | ContainerEngineTreeItem | MessageTreeItem;

/** Memory, swap, disks, cgroup and watcher headroom from the last snapshot. */
export class SystemTreeProvider implements vscode.TreeDataProvider<SystemNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SystemNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private snapshot: Snapshot | undefined;
  private environment: { ceiling: MemoryCeiling; key: string; at: number } | undefined;
  private engine: { status: EngineStatus; count: number } | undefined;
  private inotifyTight = false;

  constructor(private thresholds: () => Thresholds) {}

  /** `inotifyTight`: watches in use are near the limit (an early warning holds): only then is raising it offered. */
  update(snapshot: Snapshot, inotifyTight = false): void {
    this.snapshot = snapshot;
    const key = `${snapshot.system.cgroup?.limitBytes ?? ''}|${snapshot.workspaceFolders.join(',')}`;
    if (!this.environment || this.environment.key !== key || snapshot.takenAt - this.environment.at > ENVIRONMENT_TTL_MS) {
      const ceiling = readMemoryCeiling({ cgroupLimitBytes: snapshot.system.cgroup?.limitBytes ?? null, workspaceFolders: snapshot.workspaceFolders });
      this.environment = { ceiling, key, at: snapshot.takenAt };
    }
    this.inotifyTight = inotifyTight;
    this.changed.fire(undefined);
  }

  /** The container engine's one line: what answers and how many containers are the workspace's, or why there is none. */
  updateContainers(status: EngineStatus, count: number): void {
    this.engine = { status, count };
    this.changed.fire(undefined);
  }

  getTreeItem(node: SystemNode): vscode.TreeItem {
    return node;
  }

  getChildren(node?: SystemNode): SystemNode[] {
    if (node) return [];
    const snap = this.snapshot;
    if (!snap) return [new MessageTreeItem('Reading memory and disks…', 'loading')];
    const { memory, pressure, disks, cgroup, inotify } = snap.system;
    const t = this.thresholds();
    return [
      ...(this.environment ? [new EnvironmentTreeItem(this.environment.ceiling)] : []),
      new MemoryTreeItem(memory, pressure, t.memory),
      new SwapTreeItem(memory),
      ...(cgroup ? [new CgroupTreeItem(cgroup)] : []),
      ...disks.map((d) => new DiskTreeItem(d, t.disk)),
      new InotifyTreeItem(inotify, LOW_INOTIFY_WATCHES, this.inotifyTight),
      ...(this.engine ? [new ContainerEngineTreeItem(this.engine.status, this.engine.count)] : []),
      ...snap.warnings.map((w, i) => new MessageTreeItem(w, 'info', w, `warning:${i}`)),
    ];
  }

  dispose(): void {
    this.changed.dispose();
  }
}
