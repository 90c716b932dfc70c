// All refresh and poll policy lives here: the poll interval (fast while watched, slow while not), what makes the
// workspace be scanned again, and when to poll at once instead of waiting for the next tick. The poll itself runs
// in a worker thread (dist/pollWorker.js): the extension host's thread only receives the finished snapshot.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MonitorLike } from '../core/crash/watcher';
import type { MonitorEvent } from '../core/monitor';
import { anyServerRunning, isWatched, pollIntervalMs } from '../core/pollPolicy';
import { PollWorkerClient } from '../core/pollWorker/client';
import { InlinePoller, type Poller } from '../core/pollWorker/poller';
import { expectedId } from '../core/servers';
import { createProbe } from '../core/system/probe';
import type { ExpectedServer, Snapshot } from '../core/types';
import { applyHealth, type HealthAnnotator } from '../core/health/checker';
import { onSettingsChange, readSettings, workspaceFolderPaths } from './config';

/** Why a refresh happened (shown in the log, handy when a view looks stale). */
export type RefreshReason = 'start' | 'interval' | 'manual' | 'settings' | 'folders' | 'files' | 'focus' | 'visible' | 'activity';

/** Edits to package.json or .env files are saved in bursts (formatters, git checkouts): wait for quiet. */
const FILE_CHANGE_DEBOUNCE_MS = 500;
/** A terminal command or task start is followed by a poll this soon (the server it may start needs a moment). */
const ACTIVITY_POLL_DELAY_MS = 1000;

export interface PollStats {
  readonly mode: 'worker' | 'inline';
  /** Wall time of reading the system and building a snapshot (in the worker, or inline). */
  readonly averagePollMs: number | null;
  /** Time the extension host's thread spends handing a snapshot to the views, status bar and crash watcher. */
  readonly averageDeliveryMs: number | null;
  readonly intervalMs: number;
  readonly workerRestarts: number;
}

export interface RefreshManagerOptions {
  /** The bundled poll worker; when it does not exist (tests run from compiled sources) polls run inline. */
  readonly workerScript: string;
  /**
   * Health checks per server: they run here (network requests off the poll, never overlapping) and are applied
   * to each snapshot the worker sends (health, the unresponsive state, alerts, the score).
   */
  readonly health?: HealthAnnotator;
}

export class RefreshManager implements vscode.Disposable {
  private readonly poller: Poller;
  private readonly didUpdate = new vscode.EventEmitter<Snapshot>();
  private readonly didEvent = new vscode.EventEmitter<MonitorEvent>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly views = new Set<vscode.TreeView<unknown>>();
  private debounce: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private activityTimer: NodeJS.Timeout | undefined;
  private lastActivityAt: number | null = null;
  private configuredMs = readSettings().pollIntervalMs;
  private started = false;
  private disposed = false;
  private readonly health: HealthAnnotator | undefined;
  private raw: Snapshot | undefined;
  private last: Snapshot | undefined;

  /** Fires after every poll with the new snapshot. */
  readonly onDidUpdate = this.didUpdate.event;
  /** Fires for each server change the monitor saw. */
  readonly onDidEvent = this.didEvent.event;

  constructor(private readonly log: vscode.LogOutputChannel, opts: RefreshManagerOptions) {
    this.health = opts.health;
    const settings = readSettings();
    const workspaceFolders = workspaceFolderPaths();
    if (fs.existsSync(opts.workerScript)) {
      const client = new PollWorkerClient({
        script: opts.workerScript,
        workspaceFolders,
        settings,
        log: (level, message) => log[level](message),
      });
      client.onRestart(() => log.info('The poll worker restarted.'));
      this.poller = client;
    } else {
      log.warn(`${path.basename(opts.workerScript)} not found: polling on the extension host's thread.`);
      this.poller = new InlinePoller({ probe: createProbe(), workspaceFolders, settings });
    }
    const unsubscribe = [
      this.poller.onSnapshot((s) => this.didUpdate.fire(this.withHealth(s))),
      // A server that stopped (or started again) answering shows at once, not at the next poll.
      ...(this.health ? [this.health.onChange(() => { if (this.raw) this.didUpdate.fire(this.withHealth(this.raw)); })] : []),
      this.poller.onEvent((e) => {
        this.log.info(`${e.type}: ${e.server}`);
        this.didEvent.fire(e);
      }),
    ];
    const activity = () => this.noteActivity();
    this.disposables.push(
      this.didUpdate,
      this.didEvent,
      { dispose: () => unsubscribe.forEach((u) => u()) },
      onSettingsChange(['poll', 'rescan'], (effects) => {
        const next = readSettings();
        this.configuredMs = next.pollIntervalMs;
        this.poller.update({ settings: next });
        if (effects.has('rescan')) this.poller.rescan();
        void this.refresh('settings');
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.poller.update({ workspaceFolders: workspaceFolderPaths() });
        void this.refresh('folders');
      }),
      vscode.window.onDidChangeWindowState((w) => {
        if (w.focused) void this.refresh('focus');
      }),
      // A command typed in a terminal or a task may be starting a server: poll fast for a while.
      vscode.window.onDidOpenTerminal(activity),
      vscode.window.onDidStartTerminalShellExecution(activity),
      vscode.tasks.onDidStartTaskProcess(activity),
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
    return this.last ?? this.poller.snapshot;
  }

  /** The snapshot with health applied, and the checker told which servers to check next. */
  private withHealth(s: Snapshot): Snapshot {
    this.raw = s;
    if (!this.health) return (this.last = s);
    const annotated = applyHealth(s, this.health);
    this.health.observe(annotated);
    return (this.last = annotated);
  }

  /** The declared server behind a server id, with its raw (unredacted) command, as package.json or settings say. */
  expected(serverId: string): ExpectedServer | undefined {
    return this.poller.workspaceScan?.servers.find((e) => expectedId(e) === serverId);
  }

  /** The editor's processes, read where the poll runs (a read of the whole process table, off this thread). */
  editorProcessIds(): Promise<readonly number[]> {
    return this.poller.editorProcessIds();
  }

  /** Subscriptions to every poll and event, for the crash watcher. */
  get events(): MonitorLike {
    return this.poller;
  }

  /** How polling goes: where it runs, what a poll costs, the current interval (for the API, tests and benches). */
  get stats(): PollStats {
    return {
      mode: this.poller instanceof PollWorkerClient ? 'worker' : 'inline',
      averagePollMs: this.poller.averagePollMs,
      averageDeliveryMs: this.poller.averageDeliveryMs,
      intervalMs: this.intervalMs,
      workerRestarts: this.poller instanceof PollWorkerClient ? this.poller.restarts : 0,
    };
  }

  /** The delay before the next interval poll, as the policy says now. */
  get intervalMs(): number {
    const watched = isWatched({
      viewVisible: [...this.views].some((v) => v.visible),
      serverRunning: anyServerRunning(this.poller.snapshot),
      sinceActivityMs: this.lastActivityAt === null ? null : Date.now() - this.lastActivityAt,
    });
    return pollIntervalMs(this.configuredMs, watched, this.poller.averagePollMs);
  }

  /** Views whose visibility speeds polling up (and that get a fresh poll when they appear after a slow spell). */
  watchVisibility(...views: vscode.TreeView<unknown>[]): void {
    for (const view of views) {
      this.views.add(view);
      this.disposables.push(view.onDidChangeVisibility((e) => {
        if (!e.visible) return;
        const age = Date.now() - (this.poller.snapshot?.takenAt ?? 0);
        if (age >= this.configuredMs) void this.refresh('visible');
        else this.schedule();
      }));
    }
  }

  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    void this.refresh('start');
  }

  /** Polls now (joining a poll already under way) and returns the resulting snapshot. */
  async refresh(reason: RefreshReason): Promise<Snapshot | undefined> {
    try {
      const snap = await this.poller.poll();
      this.log.debug(`refreshed (${reason}): ${snap.servers.length} servers`);
      return snap === this.raw && this.last ? this.last : this.withHealth(snap);
    } catch (err) {
      if (!this.disposed) this.log.error(`Refresh (${reason}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return this.snapshot;
    } finally {
      this.schedule();
    }
  }

  /** Reads package.json and .env files again, then polls. */
  rescanAndRefresh(reason: RefreshReason): Promise<Snapshot | undefined> {
    this.poller.rescan();
    return this.refresh(reason);
  }

  /** The next interval poll, counted from now. */
  private schedule(): void {
    if (!this.started || this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh('interval'), this.intervalMs);
  }

  private noteActivity(): void {
    this.lastActivityAt = Date.now();
    if (this.activityTimer || this.disposed) return;
    this.activityTimer = setTimeout(() => {
      this.activityTimer = undefined;
      void this.refresh('activity');
    }, ACTIVITY_POLL_DELAY_MS);
  }

  private scheduleRescan(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.rescanAndRefresh('files'), FILE_CHANGE_DEBOUNCE_MS);
  }

  dispose(): void {
    this.disposed = true;
    for (const t of [this.debounce, this.timer, this.activityTimer]) if (t) clearTimeout(t);
    this.poller.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
