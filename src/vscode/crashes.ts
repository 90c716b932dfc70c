// Live crash detection inside VS Code: the core's CrashWatcher on the monitor's events, fed with what
// the terminals and tasks printed, announcing each verdict once.
import * as vscode from 'vscode';
import { editorProcessIds } from '../core/history/sampleJournal';
import type { Verdict } from '../core/crash/types';
import type { Snapshot } from '../core/types';
import { CrashWatcher, MemoryOutputFeed, type MonitorLike, type WatcherHistory } from '../core/crash/watcher';
import { LogFollower } from '../core/crash/logFollower';
import { readCrashSettings, workspaceFolderPaths } from './config';
import type { ExpectedStopsLike } from '../core/crash/expectedStops';
import { TerminalCapture } from './terminalCapture';

/** Look for new log files this often besides the editor's file-created events. */
const LOG_DISCOVER_MS = 60_000;

export class CrashService implements vscode.Disposable {
  private readonly feed = new MemoryOutputFeed();
  private readonly watcher: CrashWatcher;
  private readonly capture: TerminalCapture;
  private readonly didVerdict = new vscode.EventEmitter<Verdict>();
  private readonly unsubscribe: (() => void)[];
  private readonly logs: LogFollower;
  private readonly newLogs: vscode.FileSystemWatcher;

  /** One event per crash. */
  readonly onDidVerdict = this.didVerdict.event;
  /** A terminal command the user stopped (Ctrl-C): the shell's pid. */
  readonly onDidUserStop: vscode.Event<number>;
  /** Runs outside terminals (the supervisor) report their output and exit here too. */
  get outputFeed(): MemoryOutputFeed {
    return this.feed;
  }

  /** `extraReportDirs`: where the opt-in crash capture makes Node write its reports. */
  /** `poll`: a fresh poll, so a crash line is judged against the process tree right after it. */
  constructor(events: MonitorLike, log: vscode.LogOutputChannel, expectedStops: ExpectedStopsLike, extraReportDirs: () => readonly string[] = () => [], poll?: () => Promise<Snapshot>) {
    let editorPids: number[] | undefined;
    this.capture = new TerminalCapture(this.feed);
    this.onDidUserStop = this.capture.onDidUserStop;
    // Getters: a settings change applies to the next crash without losing what was seen so far.
    this.watcher = new CrashWatcher(events, {
      feed: this.feed,
      expectedStops,
      ...(poll ? { poll } : {}),
      get logGlobs() { const g = readCrashSettings().logGlobs; return g.length ? g : undefined; },
      get reportDirs() { return [...readCrashSettings().nodeReportDirectories, ...extraReportDirs()]; },
      // Read at the first crash that needs it: an inspector port held by the editor is its own debugger.
      get editorPids() { return (editorPids ??= editorProcessIds()); },
    });
    // Log files (devServerDoctor.logGlobs) of each server's folder and of the workspace folders, followed as they are written.
    // Walking a big workspace costs tens of ms on this thread: rarely, and when the editor sees a log file created.
    this.logs = new LogFollower(this.feed, {
      globs: () => { const g = readCrashSettings().logGlobs; return g.length ? g : undefined; },
      onProblem: (p) => log.warn(p),
      discoverEveryMs: LOG_DISCOVER_MS,
    });
    this.logs.setFolders(workspaceFolderPaths());
    this.logs.start();
    this.newLogs = vscode.workspace.createFileSystemWatcher('**/*.log*', false, true, true);
    this.newLogs.onDidCreate(() => this.logs.rediscover());
    this.unsubscribe = [
      events.onSnapshot((snap) => this.logs.setFolders([...workspaceFolderPaths(), ...snap.servers.map((x) => x.cwd)])),
      this.watcher.onVerdict((v) => {
        log.warn(`crash: ${v.summary}`);
        this.didVerdict.fire(v);
      }),
      // Evidence that could not be read (no kernel log access…) goes to the log, once each; the report says it too.
      this.watcher.onProblem((p) => log.warn(p)),
      this.watcher.onExpectedEnd((e) => log.info(`${e.server} ended on purpose (${e.reason}, by ${e.by}): no crash.`)),
    ];
  }

  history(): WatcherHistory {
    return this.watcher.history();
  }

  /** Resolves when every exit seen so far has been judged. */
  idle(): Promise<void> {
    return this.watcher.idle();
  }

  dispose(): void {
    this.unsubscribe.forEach((u) => u());
    this.logs.dispose();
    this.newLogs.dispose();
    this.watcher.dispose();
    this.capture.dispose();
    this.didVerdict.dispose();
  }
}
