import type * as vscode from 'vscode';
import type { CrashHistory } from '../../core/history/crashHistory';
import type { Snapshot } from '../../core/types';
import type { CrashService } from '../crashes';
import type { ContainerService } from '../containers';
import type { EarlyWarnings } from '../earlyWarnings';
import type { SupervisedServers } from '../supervised';
import type { CrashesTreeProvider } from '../tree/crashesTreeProvider';
import type { PeakMemory } from '../peakMemory';
import type { RefreshManager } from '../refreshManager';
import type { ReportPanel } from '../reportPanel';
import type { DashboardPanel } from '../dashboardPanel';
import type { RunningChildren } from './running';
import type { SeriesStore } from '../../core/dashboard/series';

/** What commands may use; handed to each command's factory. */
export interface CommandContext {
  readonly refresh: RefreshManager;
  readonly crashes: CrashService;
  /** The workspace's containers (absent engine: an empty list and a status saying why). */
  readonly containers: ContainerService;
  readonly reports: ReportPanel;
  /** The dashboard panel and the series it draws (created after the context, hence functions). */
  readonly dashboard: () => DashboardPanel;
  readonly series: () => SeriesStore;
  readonly log: vscode.LogOutputChannel;
  /** The extension's own storage folder (reports are saved there). */
  readonly storageDir: string;
  readonly peaks: PeakMemory;
  readonly early: EarlyWarnings;
  readonly supervised: SupervisedServers;
  readonly history: CrashHistory;
  readonly crashesView: CrashesTreeProvider;
  /** Where the opt-in crash capture makes Node write its reports. */
  readonly crashCaptureDir: string;
  /** This workspace's terminal environment (the opt-in crash capture). */
  readonly environment: vscode.EnvironmentVariableCollection;
  /** Child processes commands run now (the load test's). */
  readonly running: RunningChildren;
  snapshot(): Snapshot | undefined;
}
