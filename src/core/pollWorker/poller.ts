// What the RefreshManager polls through: a worker thread (PollWorkerClient) in the extension, or the monitor
// inline (InlinePoller) where no worker script exists. Both give the same snapshots and events.
import { performance } from 'node:perf_hooks';
import type { MonitorLike } from '../crash/watcher';
import { editorProcessIds } from '../history/sampleJournal';
import type { Monitor } from '../monitor';
import { MonitorEvents } from '../monitorEvents';
import { PollTimeAverage } from '../pollPolicy';
import type { CoreSettings } from '../settings';
import type { Snapshot, SystemProbe, WorkspaceScan } from '../types';
import { timedMonitor } from './timedMonitor';

export interface Poller extends MonitorLike {
  readonly snapshot: Snapshot | undefined;
  readonly workspaceScan: WorkspaceScan | null;
  /** Average wall time of a poll (reading the system and building the snapshot); null before the first. */
  readonly averagePollMs: number | null;
  /**
   * Average time the calling thread spent handing a finished snapshot to its listeners (events, views, status bar);
   * with the worker this is all a poll costs the extension host's thread besides receiving the message.
   */
  readonly averageDeliveryMs: number | null;
  /** A poll that failed as a whole. */
  onError(listener: (e: Error) => void): () => void;
  update(change: { workspaceFolders?: readonly string[]; settings?: CoreSettings }): void;
  rescan(): void;
  /** Polls now (joining a poll under way) and resolves with the resulting snapshot. */
  poll(): Promise<Snapshot>;
  /** The editor's processes (core/history/sampleJournal's editorProcessIds, for the journal's session). */
  editorProcessIds(): Promise<readonly number[]>;
  dispose(): void;
}

export interface InlinePollerOptions {
  readonly probe: SystemProbe;
  readonly workspaceFolders: readonly string[];
  readonly settings: CoreSettings;
  readonly selfPid?: number;
}

/** The monitor on the calling thread. */
export class InlinePoller extends MonitorEvents implements Poller {
  private readonly monitor: Monitor;
  private readonly average = new PollTimeAverage();
  private readonly delivery = new PollTimeAverage();
  private polls = 0;
  private readonly selfPid: number;

  constructor(opts: InlinePollerOptions) {
    super();
    this.selfPid = opts.selfPid ?? process.pid;
    const { monitor, sampleStartedAt } = timedMonitor({
      probe: opts.probe,
      workspaceFolders: opts.workspaceFolders,
      settings: opts.settings,
      selfPid: opts.selfPid,
    });
    this.monitor = monitor;
    this.monitor.onEvent((e) => this.publishEvents([e]));
    this.monitor.onSnapshot((s) => {
      const t0 = performance.now();
      // The first poll reads every process's argv and folder once: not what a poll costs.
      if (this.polls++ > 0) this.average.add(t0 - sampleStartedAt());
      this.publishSnapshot(s);
      this.delivery.add(performance.now() - t0);
    });
  }

  get snapshot(): Snapshot | undefined {
    return this.monitor.snapshot;
  }

  get workspaceScan(): WorkspaceScan | null {
    return this.monitor.workspaceScan;
  }

  get averagePollMs(): number | null {
    return this.average.value;
  }

  get averageDeliveryMs(): number | null {
    return this.delivery.value;
  }

  update(change: { workspaceFolders?: readonly string[]; settings?: CoreSettings }): void {
    this.monitor.update(change);
  }

  rescan(): void {
    this.monitor.rescan();
  }

  async poll(): Promise<Snapshot> {
    try {
      return await this.monitor.pollOnce();
    } catch (err) {
      throw this.publishError(err);
    }
  }

  editorProcessIds(): Promise<readonly number[]> {
    return Promise.resolve(editorProcessIds(this.selfPid));
  }

  dispose(): void {
    this.monitor.dispose();
    this.clearListeners();
  }
}
