// What the RefreshManager polls through: a worker thread (PollWorkerClient) in the extension, or the monitor
// inline (InlinePoller) where no worker script exists. Both give the same snapshots and events.
import { performance } from 'node:perf_hooks';
import type { MonitorLike } from '../crash/watcher';
import { Emitter } from '../emitter';
import { editorProcessIds } from '../history/sampleJournal';
import { Monitor } from '../monitor';
import { PollTimeAverage } from '../pollPolicy';
import type { CoreSettings } from '../settings';
import type { Snapshot, SystemProbe, WorkspaceScan } from '../types';

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
export class InlinePoller implements Poller {
  private readonly monitor: Monitor;
  private readonly average = new PollTimeAverage();
  private readonly errors = new Emitter<Error>();
  private readonly snapshots = new Emitter<Snapshot>();
  private readonly delivery = new PollTimeAverage();
  private polls = 0;
  private readonly selfPid: number;

  constructor(opts: InlinePollerOptions) {
    this.selfPid = opts.selfPid ?? process.pid;
    let sampleStart = 0;
    const { probe } = opts;
    this.monitor = new Monitor({
      probe: {
        sample: (o) => {
          sampleStart = performance.now();
          return probe.sample(o);
        },
        readEnviron: (pid) => probe.readEnviron(pid),
        readCgroup: (pid) => probe.readCgroup(pid),
      },
      workspaceFolders: opts.workspaceFolders,
      settings: opts.settings,
      selfPid: opts.selfPid,
      countInotifyWatches: true,
    });
    this.monitor.onSnapshot((s) => {
      const t0 = performance.now();
      // The first poll reads every process's argv and folder once: not what a poll costs.
      if (this.polls++ > 0) this.average.add(t0 - sampleStart);
      this.snapshots.fire(s);
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

  onEvent: Monitor['onEvent'] = (l) => this.monitor.onEvent(l);
  onSnapshot: Monitor['onSnapshot'] = (l) => this.snapshots.on(l);

  onError(listener: (e: Error) => void): () => void {
    return this.errors.on(listener);
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
      const e = err instanceof Error ? err : new Error(String(err));
      this.errors.fire(e);
      throw e;
    }
  }

  editorProcessIds(): Promise<readonly number[]> {
    return Promise.resolve(editorProcessIds(this.selfPid));
  }

  dispose(): void {
    this.monitor.dispose();
    this.errors.clear();
    this.snapshots.clear();
  }
}
