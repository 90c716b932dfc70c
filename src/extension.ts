import * as vscode from 'vscode';
import { createProbe } from './core/probe';
import type { Snapshot } from './core/types';
import { registerCommands } from './vscode/commands/registerCommands';
import { readSettings } from './vscode/config';
import { RefreshManager } from './vscode/refreshManager';
import { StatusBar } from './vscode/statusBar';
import { ServersTreeProvider } from './vscode/tree/serversTreeProvider';
import { SystemTreeProvider } from './vscode/tree/systemTreeProvider';

/** What activate() returns: used by the integration tests, and by other extensions if they wish. */
export interface DevServerDoctorApi {
  snapshot(): Snapshot | undefined;
  refresh(): Promise<Snapshot | undefined>;
  onDidUpdate: vscode.Event<Snapshot>;
  serversProvider: ServersTreeProvider;
  systemProvider: SystemTreeProvider;
  statusBarText(): string;
}

export function activate(context: vscode.ExtensionContext): DevServerDoctorApi {
  const log = vscode.window.createOutputChannel('Dev Server Doctor', { log: true });
  const refresh = new RefreshManager(createProbe(), log);
  const serversProvider = new ServersTreeProvider();
  const systemProvider = new SystemTreeProvider(() => readSettings().thresholds);
  const statusBar = new StatusBar();

  let lastCount = -1;
  const onUpdate = (snap: Snapshot) => {
    serversProvider.update(snap, snap.alerts.filter((a) => a.kind === 'scan').map((a) => a.message));
    systemProvider.update(snap);
    statusBar.update(snap, readSettings().thresholds);
    if (snap.servers.length !== lastCount) {
      lastCount = snap.servers.length;
      void vscode.commands.executeCommand('setContext', 'devServerDoctor.serverCount', lastCount);
      void vscode.commands.executeCommand('setContext', 'devServerDoctor.ready', true);
    }
  };

  context.subscriptions.push(
    log,
    refresh,
    serversProvider,
    systemProvider,
    statusBar,
    vscode.window.createTreeView('devServerDoctor.servers', { treeDataProvider: serversProvider, showCollapseAll: true }),
    vscode.window.createTreeView('devServerDoctor.system', { treeDataProvider: systemProvider }),
    refresh.onDidUpdate(onUpdate),
    ...registerCommands({ refresh, log, snapshot: () => refresh.snapshot }),
  );
  refresh.start();
  log.info(`Dev Server Doctor started (pid ${process.pid}, ${process.platform}).`);

  return {
    snapshot: () => refresh.snapshot,
    refresh: () => refresh.refresh('manual'),
    onDidUpdate: refresh.onDidUpdate,
    serversProvider,
    systemProvider,
    statusBarText: () => statusBar.text,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
