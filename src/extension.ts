import * as vscode from 'vscode';
import type { Verdict } from './core/crash/types';
import { createProbe } from './core/probe';
import type { Snapshot } from './core/types';
import type { CommandContext, ShownReport } from './vscode/commands/context';
import { registerCommands } from './vscode/commands/registerCommands';
import { readSettings } from './vscode/config';
import { CrashNotifier } from './vscode/crashNotifier';
import { CrashService } from './vscode/crashes';
import { PeakMemory } from './vscode/peakMemory';
import { RefreshManager } from './vscode/refreshManager';
import { ReportPanel } from './vscode/reportPanel';
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
  /** Crashes judged live since activation, oldest first. */
  verdicts(): readonly Verdict[];
  onDidVerdict: vscode.Event<Verdict>;
  /** Crash notifications shown (their messages). */
  notifications(): readonly string[];
  lastReport(): ShownReport | undefined;
  lastRestart(): CommandContext['lastRestart'];
}

export function activate(context: vscode.ExtensionContext): DevServerDoctorApi {
  const log = vscode.window.createOutputChannel('Dev Server Doctor', { log: true });
  const refresh = new RefreshManager(createProbe(), log);
  const serversProvider = new ServersTreeProvider();
  const systemProvider = new SystemTreeProvider(() => readSettings().thresholds);
  const statusBar = new StatusBar();
  const crashes = new CrashService(refresh.events, log);
  const notifier = new CrashNotifier(log);
  const ourCommands: string[] = (context.extension.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
  const reports = new ReportPanel(ourCommands);
  const peaks = new PeakMemory();
  const commandContext: CommandContext = {
    refresh,
    crashes,
    reports,
    log,
    storageDir: (context.storageUri ?? context.globalStorageUri).fsPath,
    peaks,
    snapshot: () => refresh.snapshot,
  };

  let lastCount = -1;
  const onUpdate = (snap: Snapshot) => {
    peaks.update(snap);
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
    crashes,
    reports,
    refresh.onDidUpdate(onUpdate),
    crashes.onDidVerdict((v) => void notifier.notify(v)),
    ...registerCommands(commandContext),
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
    verdicts: () => crashes.history().verdicts,
    onDidVerdict: crashes.onDidVerdict,
    notifications: () => notifier.shown,
    lastReport: () => commandContext.lastReport,
    lastRestart: () => commandContext.lastRestart,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
