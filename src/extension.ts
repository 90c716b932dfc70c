import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Verdict } from './core/crash/types';
import type { EarlyWarning } from './core/early/policy';
import { CrashHistory } from './core/history/crashHistory';
import { sharedExpectedStops } from './core/crash/expectedStops';
import type { ExpectedEnd } from './core/crash/watcher';
import { ServerStates } from './core/serverStates';
import { editorProcessIds, SampleJournal } from './core/history/sampleJournal';
import type { Snapshot } from './core/types';
import type { CommandContext } from './vscode/commands/context';
import type { ShownReport } from './vscode/commands/investigateCrash';
import type { HeapCheck } from './vscode/commands/raiseHeapLimit';
import type { RestartOutcome } from './vscode/commands/restartServer';
import { LastResults } from './vscode/commands/results';
import { RunningChildren } from './vscode/commands/running';
import type { LoadTestReport } from './core/load/types';
import { registerCommands } from './vscode/commands/registerCommands';
import { cacheSettings, onSettingsChange, readSettings, supervisionSettings } from './vscode/config';
import { HealthChecker } from './core/health/checker';
import { DEFAULT_HEALTH } from './core/settings';
import { CrashNotifier } from './vscode/crashNotifier';
import { Notifications, type ShownNotification } from './vscode/notifications';
import { CrashService } from './vscode/crashes';
import { ContainerService } from './vscode/containers';
import type { ContainerInfo } from './core/containers/model';
import type { EngineStatus } from './core/containers/containerMonitor';
import { EarlyWarnings } from './vscode/earlyWarnings';
import { explainPreviousSession } from './vscode/lastShutdown';
import { PeakMemory } from './vscode/peakMemory';
import { RefreshManager, type PollStats } from './vscode/refreshManager';
import { ReportPanel } from './vscode/reportPanel';
import { redactingLog } from './vscode/redactingLog';
import { registerLanguageModelTools } from './vscode/lmTools';
import { OtlpBridge } from './vscode/otlpExport';
import { DashboardPanel } from './vscode/dashboardPanel';
import { SeriesStore } from './core/dashboard/series';
import { StatusBar } from './vscode/statusBar';
import { DevServerTaskProvider, TASK_TYPE } from './vscode/devServerTasks';
import { SupervisedServers } from './vscode/supervised';
import { CrashesTreeProvider } from './vscode/tree/crashesTreeProvider';
import { ServersTreeProvider } from './vscode/tree/serversTreeProvider';
import { treeAlerts } from './core/early/treeAlerts';
import { SystemTreeProvider } from './vscode/tree/systemTreeProvider';

/** What activate() returns: used by the integration tests, and by other extensions if they wish. */
export interface DevServerDoctorApi {
  snapshot(): Snapshot | undefined;
  refresh(): Promise<Snapshot | undefined>;
  onDidUpdate: vscode.Event<Snapshot>;
  serversProvider: ServersTreeProvider;
  systemProvider: SystemTreeProvider;
  crashesProvider: CrashesTreeProvider;
  statusBarText(): string;
  /** Crashes judged live since activation, oldest first. */
  verdicts(): readonly Verdict[];
  onDidVerdict: vscode.Event<Verdict>;
  /** Server ends explained by a stop made on purpose (Restart, supervised stop, a confirmed kill): no verdict. */
  expectedEnds(): readonly ExpectedEnd[];
  /** Crash notifications shown (their messages). */
  notifications(): readonly string[];
  /** Every incident notification shown (crashes, warnings), with its buttons and how it ended. */
  notificationsShown(): readonly ShownNotification[];
  /** Early warnings active now, and those notified. */
  warnings(): readonly EarlyWarning[];
  warningsShown(): readonly EarlyWarning[];
  /** The crash history kept in the workspace storage (survives reloads). */
  history: CrashHistory;
  supervisedState(serverId: string): ReturnType<SupervisedServers['state']>;
  lastReport(): ShownReport | undefined;
  /** The report the report view showed last (an investigation, or a crash entry's own), with its title. */
  shownReport(): { readonly title: string; readonly markdown: string } | null;
  lastRestart(): RestartOutcome | undefined;
  lastHeapCheck(): HeapCheck | undefined;
  /** The workspace's containers, the engine's status, and the verdicts about them. */
  containers(): readonly ContainerInfo[];
  containerEngine(): EngineStatus;
  containerVerdicts(): readonly Verdict[];
  /** The last Find Where It's Stuck verdict, the last load test report, the load process running now. */
  lastStuck(): Verdict | undefined;
  lastLoadTest(): LoadTestReport | undefined;
  loadTestPid(): number | null;
  /** What the start said about the previous session, if it ended badly. */
  previousSession(): Promise<string | null>;
  /**
   * Milliseconds from activate() entry to its return, and to the first snapshot rendered (null until then); and the
   * CPU the extension host's thread spent in activate() (Linux; null elsewhere), which a loaded machine does not inflate.
   */
  activationTimes(): { readonly activateMs: number; readonly firstRenderMs: number | null; readonly activateCpuMs: number | null };
  /** Where the poll runs (a worker thread, normally), what it costs, and the current interval. */
  pollStats(): PollStats;
  /** The dashboard panel (the tests read its model and render times). */
  dashboard(): DashboardPanel;
  /** The folder VS Code writes this extension's log (the Output channel) into; the tests search it for secrets. */
  logFolder(): string;
}

const HOUR_MS = 3_600_000;

/** CPU time of the calling thread in ms (Linux: the scheduler's nanosecond clock), null where unreadable. */
function threadCpuMs(): number | null {
  try {
    return Number(fs.readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return null;
  }
}

export function activate(context: vscode.ExtensionContext): DevServerDoctorApi {
  const activateStart = performance.now();
  const activateCpuStart = threadCpuMs();
  let firstRenderMs: number | null = null;
  // Settings are read on every snapshot (views, status bar, warnings): from memory until one changes.
  context.subscriptions.push(cacheSettings());
  const storageDir = (context.storageUri ?? context.globalStorageUri).fsPath;
  // Redacted whoever writes to it (redactingLog).
  const log = redactingLog(vscode.window.createOutputChannel('Dev Server Doctor', { log: true }));
  const crashCaptureDir = path.join(storageDir, 'node-reports');
  const history = new CrashHistory({ dir: storageDir });
  const health = new HealthChecker({
    settings: readSettings().health,
    crashesLastHour: (s) => history.entries().filter((e) => e.serverId === s.id && e.time > Date.now() - HOUR_MS).length,
  });
  const refresh = new RefreshManager(log, { workerScript: context.asAbsolutePath(path.join('dist', 'pollWorker.js')), health });
  // Every stop the extension (or the CLI) makes on purpose, recorded before the signal: the crash judgement and
  // the outage warnings read the same registry.
  const stops = sharedExpectedStops();
  const crashes = new CrashService(refresh.events, log, stops, () => [crashCaptureDir], async () => {
    const snap = await refresh.refresh('manual');
    if (!snap) throw new Error('no snapshot');
    return snap;
  });
  const states = new ServerStates();
  const notifications = new Notifications(log);
  const early = new EarlyWarnings(storageDir, log, stops, notifications);
  const supervised = new SupervisedServers(crashes.outputFeed, storageDir, log, stops);
  const devTasks = new DevServerTaskProvider(crashes.outputFeed, () => refresh.snapshot, stops);
  const journal = new SampleJournal({ dir: storageDir });
  const serversProvider = new ServersTreeProvider((id) => supervised.state(id));
  const systemProvider = new SystemTreeProvider(() => readSettings().thresholds);
  const crashesProvider = new CrashesTreeProvider(history);
  const statusBar = new StatusBar();
  const notifier = new CrashNotifier(notifications);
  const ourCommands: string[] = (context.extension.packageJSON.contributes?.commands ?? []).map((c: { command: string }) => c.command);
  const reports = new ReportPanel(ourCommands);
  const peaks = new PeakMemory();
  const containers = new ContainerService(log);
  const results = new LastResults();
  const running = new RunningChildren();
  const otlp = new OtlpBridge(log, String(context.extension.packageJSON.version ?? '0'));
  const commandContext: CommandContext = {
    refresh, crashes, containers, reports, log, storageDir, peaks, early, supervised, history, running,
    dashboard: () => dashboard,
    series: () => series,
    crashesView: crashesProvider,
    crashCaptureDir,
    environment: context.environmentVariableCollection,
    snapshot: () => refresh.snapshot,
  };
  for (const p of [...history.problems, ...journal.problems]) log.warn(p);
  const previous = journal.previous;
  // The dashboard's series: the previous run's journal first (drawn with a gap), then every snapshot.
  const series = new SeriesStore();
  let warned = new Set<string>();
  series.seed(previous?.samples ?? []);
  for (const e of history.entries({ includeResolved: true })) series.crash(e.verdict, e.id);
  const dashboard = new DashboardPanel(context.extensionUri, series, history,
    () => early.risks().map((r) => {
      const server = refresh.snapshot?.servers.find((s) => s.id === r.serverId);
      const now = server?.rssBytes ?? r.currentBytes;
      return { serverId: r.serverId, currentBytes: now, limitBytes: now + r.slopeBytesPerMin * r.minutesToLimit, minutesToLimit: r.minutesToLimit };
    }),
    (id) => { if (history.markResolved(id)) crashesProvider.refresh(); },
    (id) => void vscode.commands.executeCommand('devServerDoctor.openCrashReport', id));

  let lastCount = -1;
  const render = (raw: Snapshot) => {
    // Crashed apps under a live watcher, and servers starting for too long, as the tree and status bar show them.
    const snap = states.apply(raw);
    // Marked resolved: neither a row nor the status bar's colour until it happens again.
    const warnings = early.visible();
    // A down server says so on its own row (crashed, or stopped unexpectedly), not in a second row above the list.
    const { alerts, notes } = treeAlerts(snap, warnings, (w) => early.coveredByCrash(w), (m) => early.isDismissed('scan', m));
    serversProvider.update(snap, alerts, notes);
    statusBar.update(snap, readSettings().thresholds, warnings);
  };
  const onUpdate = (snap: Snapshot) => {
    series.add(snap);
    peaks.update(snap);
    otlp.observe(snap);
    early.observe(snap);
    journal.record(snap);
    render(snap);
    systemProvider.update(snap, early.active().some((w) => w.kind === 'inotify'));
    dashboard.update(snap.takenAt);
    if (firstRenderMs === null) {
      firstRenderMs = performance.now() - activateStart;
      log.info(`First snapshot rendered ${firstRenderMs.toFixed(0)} ms after activation started.`);
    }
    if (snap.servers.length !== lastCount) {
      lastCount = snap.servers.length;
      void vscode.commands.executeCommand('setContext', 'devServerDoctor.serverCount', lastCount);
      void vscode.commands.executeCommand('setContext', 'devServerDoctor.ready', true);
    }
  };
  const onVerdict = (v: Verdict) => {
    states.noteCrash(v);
    const snap = refresh.snapshot;
    if (snap) render(snap);
    otlp.verdict(v);
    const entry = history.add(v);
    if (entry) {
      series.crash(v, entry.id);
      crashesProvider.refresh();
    }
    // One incident, one toast: what warned about this server is withdrawn, its "is down" is not toasted after.
    early.supersede(v);
    if (early.offerCrash(v)) void notifier.notify(v);
  };

  const serversView = vscode.window.createTreeView('devServerDoctor.servers', { treeDataProvider: serversProvider, showCollapseAll: true });
  const systemView = vscode.window.createTreeView('devServerDoctor.system', { treeDataProvider: systemProvider });
  const crashesView = vscode.window.createTreeView('devServerDoctor.crashes', { treeDataProvider: crashesProvider });
  refresh.watchVisibility(serversView, systemView, crashesView);
  const updateCrashBadge = () => {
    const day = history.counts().day;
    crashesView.badge = day.unresolved ? { value: day.unresolved, tooltip: `${day.unresolved} unresolved crash${day.unresolved > 1 ? 'es' : ''} in the last 24 h` } : undefined;
  };
  updateCrashBadge();
  context.subscriptions.push(
    log, health, refresh, crashes, early, notifications, supervised, devTasks, vscode.tasks.registerTaskProvider(TASK_TYPE, devTasks), serversProvider, systemProvider, crashesProvider, statusBar, reports, otlp, dashboard,
    early.onDidChange((ws) => {
      // A marker when a server's warning appears or gets worse, not on every change of the set.
      for (const w of ws) {
        const key = `${w.kind}:${w.subject}:${w.severity}`;
        if ((w.kind === 'oom-risk' || w.kind === 'down') && !warned.has(key)) series.warning(w.subject, Date.now(), w.message);
      }
      warned = new Set(ws.map((w) => `${w.kind}:${w.subject}:${w.severity}`));
    }),
    serversView,
    systemView,
    crashesView,
    crashesProvider.onDidChangeTreeData(updateCrashBadge),
    refresh.onDidUpdate(onUpdate),
    onSettingsChange(['health'], () => health.update(readSettings().health ?? DEFAULT_HEALTH)),
    crashes.onDidVerdict(onVerdict),
    containers,
    containers.onDidVerdict(onVerdict),
    containers.onDidChange(() => {
      serversProvider.updateContainers(containers.containers());
      systemProvider.updateContainers(containers.status(), containers.containers().length);
      void vscode.commands.executeCommand('setContext', 'devServerDoctor.containerCount', containers.containers().length);
    }),
    // Ctrl-C in a terminal: its command's processes (the shell's children) ended on purpose.
    crashes.onDidUserStop((pid) => stops.expect([{ pid }], 'user-interrupt', 'vscode', { children: true })),
    supervised.onDidChange(() => { const s = refresh.snapshot; if (s) render(s); }),
    { dispose: () => journal.end() },
    running,
    ...registerCommands(commandContext, results),
    ...registerLanguageModelTools(commandContext),
  );
  refresh.start();
  // The journal's session names the editor's processes: the poll worker reads the whole process table for it.
  // What the first paint does not need runs after activate() returns: the container engine (its client is a bundle of
  // its own, loaded when an engine's socket exists) and what ended the previous session (the kernel log).
  // Event-driven from there on: the engine's stream says when to list again.
  let settlePrevious: (explained: Promise<string | null> | null) => void = () => undefined;
  const previousSession = new Promise<string | null>((resolve) => { settlePrevious = resolve; });
  let deactivated = false;
  // After deactivation (the journal ended) a late answer must not start a session that never ends.
  void refresh.editorProcessIds().then(
    (pids) => { if (!deactivated) journal.startSession(process.pid, [...pids]); },
    () => { if (!deactivated) journal.startSession(process.pid, editorProcessIds()); },
  );
  const afterActivation = setTimeout(() => {
    void containers.start();
    settlePrevious(explainPreviousSession(previous, log).catch(() => null));
  }, 0);
  context.subscriptions.push({ dispose: () => { deactivated = true; clearTimeout(afterActivation); settlePrevious(null); } });
  log.info(`Dev Server Doctor started (pid ${process.pid}, ${process.platform}).`);

  // Servers the settings say to supervise from the start (trusted workspaces only: it runs their scripts).
  if (vscode.workspace.isTrusted) {
    void refresh.refresh('start').then((snap) => {
      for (const s of snap?.servers ?? []) {
        const declared = refresh.expected(s.id);
        if (s.state === 'down' && declared && supervisionSettings(s.name).autoStart) supervised.start(s.id, declared);
      }
    });
  }

  const activateMs = performance.now() - activateStart;
  const cpuEnd = threadCpuMs();
  const activateCpuMs = activateCpuStart === null || cpuEnd === null ? null : cpuEnd - activateCpuStart;
  log.info(`Activated in ${activateMs.toFixed(1)} ms${activateCpuMs === null ? '' : ` (${activateCpuMs.toFixed(1)} ms of CPU)`}.`);
  return {
    activationTimes: () => ({ activateMs, firstRenderMs, activateCpuMs }),
    pollStats: () => refresh.stats,
    snapshot: () => refresh.snapshot,
    refresh: () => refresh.refresh('manual'),
    onDidUpdate: refresh.onDidUpdate,
    serversProvider,
    systemProvider,
    crashesProvider,
    statusBarText: () => statusBar.text,
    verdicts: () => crashes.history().verdicts,
    onDidVerdict: crashes.onDidVerdict,
    expectedEnds: () => crashes.history().expectedEnds ?? [],
    notifications: () => notifier.shown,
    notificationsShown: () => notifications.shown,
    warnings: () => early.active(),
    warningsShown: () => early.shown,
    history,
    supervisedState: (id) => supervised.state(id),
    lastReport: () => results.report(),
    shownReport: () => reports.lastShown,
    lastRestart: () => results.get('devServerDoctor.restartServer'),
    lastHeapCheck: () => results.get('devServerDoctor.raiseHeapLimit'),
    lastStuck: () => results.get('devServerDoctor.findWhereStuck')?.verdict,
    lastLoadTest: () => results.get('devServerDoctor.loadTest')?.report,
    loadTestPid: () => running.pid('devServerDoctor.loadTest'),
    previousSession: () => previousSession,
    containers: () => containers.containers(),
    containerEngine: () => containers.status(),
    containerVerdicts: () => containers.verdicts(),
    logFolder: () => context.logUri.fsPath,
    dashboard: () => dashboard,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
