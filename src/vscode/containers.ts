// The workspace's containers in the editor: one ContainerMonitor, driven by the engine's event stream
// (list/inspect only when an event says something changed; memory from cgroup files every few seconds,
// only while a workspace container runs). No engine: silently absent, one line in the System view.
import * as vscode from 'vscode';
import { ContainerMonitor, type EngineStatus } from '../core/containers/containerMonitor';
import type { ContainerInfo } from '../core/containers/model';
import type { Verdict } from '../core/crash/types';
import { workspaceFolderPaths } from './config';

/** Memory of running containers is read from their cgroup files this often (a few small file reads). */
const CONTAINER_MEMORY_REFRESH_MS = 5000;

export class ContainerService implements vscode.Disposable {
  private readonly monitor: ContainerMonitor;
  private readonly changed = new vscode.EventEmitter<void>();
  private readonly verdict = new vscode.EventEmitter<Verdict>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly unsubscribe: (() => void)[];
  readonly onDidChange = this.changed.event;
  readonly onDidVerdict = this.verdict.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.monitor = new ContainerMonitor({ workspaceFolders: workspaceFolderPaths, memoryRefreshMs: CONTAINER_MEMORY_REFRESH_MS });
    this.unsubscribe = [
      this.monitor.onDidChange(() => this.changed.fire()),
      this.monitor.onVerdict((v) => {
        this.log.info(`container verdict: ${v.cause}: ${v.summary}`);
        this.verdict.fire(v);
      }),
    ];
    this.disposables.push(this.changed, this.verdict, vscode.workspace.onDidChangeWorkspaceFolders(() => void this.monitor.refresh()));
  }

  start(): Promise<void> {
    return this.monitor.start().then(() => this.log.info(`containers: ${this.monitor.status().message}`));
  }

  status(): EngineStatus {
    return this.monitor.status();
  }

  containers(): readonly ContainerInfo[] {
    return this.monitor.containers();
  }

  verdicts(): readonly Verdict[] {
    return this.monitor.verdicts();
  }

  find(idOrName: string): ContainerInfo | undefined {
    return this.monitor.containers().find((c) => c.id === idOrName || c.name === idOrName);
  }

  act(action: 'start' | 'stop' | 'restart', id: string): Promise<{ ok: boolean; message: string }> {
    return this.monitor.act(action, id);
  }

  investigate(sinceMs: number): Promise<Verdict[]> {
    return this.monitor.investigate(sinceMs);
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
    this.monitor.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
