// All refresh and poll policy lives here: the poll interval, what makes the workspace be scanned
// again, and when to poll at once instead of waiting for the next tick.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Monitor, type MonitorEvent } from '../core/monitor';
import { expectedId } from '../core/servers';
import type { ExpectedServer, Snapshot, SystemProbe } from '../core/types';
import { onSettingsChange, readSettings, workspaceFolderPaths } from './config';

/** Why a refresh happened (shown in the log, handy when a view looks stale). */
export type RefreshReason = 'start' | 'interval' | 'manual' | 'settings' | 'folders' | 'files' | 'focus';

/** Edits to package.json or .env files are saved in bursts (formatters, git checkouts): wait for quiet. */
const FILE_CHANGE_DEBOUNCE_MS = 500;

export class RefreshManager implements vscode.Disposable {
  private readonly monitor: Monitor;
  private readonly didUpdate = new vscode.EventEmitter<Snapshot>();
  private readonly didEvent = new vscode.EventEmitter<MonitorEvent>();
  private readonly disposables: vscode.Disposable[] = [];
  private debounce: NodeJS.Timeout | undefined;

  /** Fires after every poll with the new snapshot. */
  readonly onDidUpdate = this.didUpdate.event;
  /** Fires for each server change the monitor saw. */
  readonly onDidEvent = this.didEvent.event;

  constructor(probe: SystemProbe, private readonly log: vscode.LogOutputChannel) {
    this.monitor = new Monitor({ probe, workspaceFolders: workspaceFolderPaths(), settings: readSettings() });
    const unsubscribe = [
      this.monitor.onSnapshot((s) => this.didUpdate.fire(s)),
      this.monitor.onEvent((e) => {
        this.log.info(`${e.type}: ${e.server}`);
        this.didEvent.fire(e);
      }),
      this.monitor.onError((e) => this.log.error(`Poll failed: ${e.message}`)),
    ];
    this.disposables.push(
      this.didUpdate,
      this.didEvent,
      { dispose: () => unsubscribe.forEach((u) => u()) },
      onSettingsChange(['poll', 'rescan'], (effects) => {
        this.monitor.update({ settings: readSettings() });
        if (effects.has('rescan')) this.monitor.rescan();
        void this.refresh('settings');
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.monitor.update({ workspaceFolders: workspaceFolderPaths() });
        void this.refresh('folders');
      }),
      vscode.window.onDidChangeWindowState((w) => {
        if (w.focused) void this.refresh('focus');
      }),
    );
    for (const glob of ['**/package.json', '**/.env*']) {
      const watcher = vscode.workspace.createFileSystemWatcher(glob);
      const changed = (uri: vscode.Uri) => {
        if (uri.fsPath.includes(`${path.sep}node_modules${path.sep}`)) return;
        this.scheduleRescan();
      };
      this.disposables.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), watcher.onDidDelete(changed));
    }
  }

  get snapshot(): Snapshot | undefined {
    return this.monitor.snapshot;
  }

  /** The declared server behind a server id, with its raw (unredacted) command, as package.json or settings say. */
  expected(serverId: string): ExpectedServer | undefined {
    return this.monitor.workspaceScan?.servers.find((e) => expectedId(e) === serverId);
  }

  /** Subscriptions to every poll and event, for the crash watcher. */
  get events(): Pick<Monitor, 'onEvent' | 'onSnapshot'> {
    return this.monitor;
  }

  start(): void {
    this.monitor.start();
  }

  /** Polls now (joining a poll already under way) and returns the resulting snapshot. */
  async refresh(reason: RefreshReason): Promise<Snapshot | undefined> {
    try {
      const snap = await this.monitor.pollOnce();
      this.log.debug(`refreshed (${reason}): ${snap.servers.length} servers`);
      return snap;
    } catch (err) {
      this.log.error(`Refresh (${reason}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return this.monitor.snapshot;
    }
  }

  /** Reads package.json and .env files again, then polls. */
  rescanAndRefresh(reason: RefreshReason): Promise<Snapshot | undefined> {
    this.monitor.rescan();
    return this.refresh(reason);
  }

  private scheduleRescan(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.rescanAndRefresh('files'), FILE_CHANGE_DEBOUNCE_MS);
  }

  dispose(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.monitor.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
