// The main thread's side of the poll worker: starts it, asks it to poll, re-emits its snapshots and events,
// and restarts it when it dies or hangs. Meanwhile the last good snapshot stays current.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Emitter } from '../emitter';
import { MonitorEvents } from '../monitorEvents';
import { PollTimeAverage } from '../pollPolicy';
import { rememberSecretValues } from '../redact';
import type { CoreSettings } from '../settings';
import type { Snapshot, WorkspaceScan } from '../types';
import type { Poller } from './poller';
import type { FromWorker, PollWorkerData, ToWorker } from './protocol';

/** A poll not answered within this long means the worker hangs (a /proc read stuck in the kernel): it is replaced. */
export const POLL_TIMEOUT_MS = 30_000;
/** Restart delays grow from this, doubling while restarted workers keep dying before their first snapshot. */
const RESTART_DELAY_MS = 250;
const RESTART_DELAY_MAX_MS = 30_000;
/** The worker holds a few snapshots and caches; this bounds a leak instead of growing the extension host. */
const WORKER_HEAP_MB = 256;

export type LogLevel = 'info' | 'warn' | 'error';

export interface PollWorkerClientOptions {
  /** The worker script (dist/pollWorker.js in the extension's folder). */
  readonly script: string;
  readonly workspaceFolders: readonly string[];
  readonly settings: CoreSettings;
  readonly selfPid?: number;
  readonly pollTimeoutMs?: number;
  readonly log: (level: LogLevel, message: string) => void;
}

interface Pending {
  readonly resolve: (s: Snapshot) => void;
  readonly reject: (e: Error) => void;
}

export class PollWorkerClient extends MonitorEvents implements Poller {
  private readonly restartEmitter = new Emitter<string>();
  private readonly average = new PollTimeAverage();
  private readonly delivery = new PollTimeAverage();
  private readonly pending = new Map<number, Pending>();
  private readonly pendingPids = new Map<number, { resolve: (pids: readonly number[]) => void; reject: (e: Error) => void }>();
  private worker: Worker | null = null;
  private nextId = 1;
  private folders: readonly string[];
  private settings: CoreSettings;
  private current: Snapshot | undefined;
  private scan: WorkspaceScan | null = null;
  private lastError: string | null = null;
  private failuresInARow = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private restartCount = 0;
  private snapshotsFromWorker = 0;
  private disposed = false;

  constructor(private readonly opts: PollWorkerClientOptions) {
    super();
    if (!fs.existsSync(opts.script)) throw new Error(`poll worker script not found: ${opts.script}`);
    this.folders = opts.workspaceFolders;
    this.settings = opts.settings;
    this.spawn();
  }

  get snapshot(): Snapshot | undefined {
    return this.current;
  }

  get workspaceScan(): WorkspaceScan | null {
    return this.scan;
  }

  get averagePollMs(): number | null {
    return this.average.value;
  }

  get averageDeliveryMs(): number | null {
    return this.delivery.value;
  }

  /** How many times the worker was replaced. */
  get restarts(): number {
    return this.restartCount;
  }

  /** The worker's thread id (for tests and benches); null while it is being replaced. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** Fires with the reason each time a dead or hung worker is replaced. */
  onRestart(listener: (reason: string) => void): () => void {
    return this.restartEmitter.on(listener);
  }

  update(change: { workspaceFolders?: readonly string[]; settings?: CoreSettings }): void {
    if (change.workspaceFolders) this.folders = change.workspaceFolders;
    if (change.settings) this.settings = change.settings;
    this.send({ type: 'update', ...change });
  }

  rescan(): void {
    this.send({ type: 'rescan' });
  }

  poll(): Promise<Snapshot> {
    if (this.disposed) return Promise.reject(new Error('the poll worker is disposed'));
    const id = this.nextId++;
    const done = new Promise<Snapshot>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // While the worker is being replaced the request waits; the new worker gets it when it starts.
    if (this.worker) this.send({ type: 'poll', id });
    this.armWatchdog();
    return done;
  }

  /** Asked of the worker (it reads the whole process table); rejected if the worker stops before answering. */
  editorProcessIds(): Promise<readonly number[]> {
    if (this.disposed || !this.worker) return Promise.reject(new Error('the poll worker is not running'));
    const id = this.nextId++;
    const done = new Promise<readonly number[]>((resolve, reject) => this.pendingPids.set(id, { resolve, reject }));
    this.send({ type: 'editorPids', id });
    return done;
  }

  /** Ends the worker thread as a crash would (tests use it to check the restart). */
  async crashWorkerForTest(): Promise<void> {
    await this.worker?.terminate();
  }

  dispose(): void {
    this.disposed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchdog) clearTimeout(this.watchdog);
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
    this.failPending(new Error('the poll worker is disposed'));
    this.clearListeners();
    this.restartEmitter.clear();
  }

  private spawn(): void {
    const data: PollWorkerData = {
      workspaceFolders: this.folders,
      settings: this.settings,
      selfPid: this.opts.selfPid ?? process.pid,
      ...(this.current ? { previous: this.current } : {}),
    };
    const worker = new Worker(this.opts.script, {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      // The worker only reads /proc; it has nothing to say on the extension host's stdio.
      stdout: true,
      stderr: true,
    });
    worker.stderr.on('data', (d: Buffer) => { this.lastError = d.toString().trim().split('\n').slice(-3).join(' '); });
    worker.stdout.resume();
    worker.on('message', (m: FromWorker) => { if (worker === this.worker) this.receive(m); });
    worker.on('error', (err) => { if (worker === this.worker) this.lastError = err.message; });
    worker.on('messageerror', (err) => this.opts.log('error', `A message from the poll worker could not be read: ${err.message}`));
    worker.on('exit', (code) => { if (worker === this.worker) this.died(`exit code ${code}`); });
    this.worker = worker;
    this.lastError = null;
    this.snapshotsFromWorker = 0;
    for (const id of this.pending.keys()) this.send({ type: 'poll', id });
  }

  private receive(m: FromWorker): void {
    if (m.type === 'snapshot') {
      // A worker's first poll reads every process's argv and folder once: not what a poll costs.
      if (this.snapshotsFromWorker++ > 0) this.average.add(m.pollMs);
      this.failuresInARow = 0;
      if (m.scan) this.scan = m.scan;
      // Before the events: a crash judged from them is redacted with what the worker read in the servers' environments.
      if (m.secrets) rememberSecretValues(m.secrets);
      this.current = m.snapshot;
      const t0 = performance.now();
      this.publish(m.events, m.snapshot);
      this.delivery.add(performance.now() - t0);
      return;
    }
    if (m.type === 'editorPids') {
      this.pendingPids.get(m.id)?.resolve(m.pids);
      this.pendingPids.delete(m.id);
      return;
    }
    const p = this.pending.get(m.id);
    this.pending.delete(m.id);
    this.armWatchdog();
    if (!p) return;
    if (m.error !== undefined) {
      p.reject(this.publishError(new Error(m.error)));
    } else if (this.current) {
      p.resolve(this.current);
    } else {
      p.reject(new Error('the poll worker answered without a snapshot'));
    }
  }

  private send(m: ToWorker): void {
    this.worker?.postMessage(m);
  }

  /** One timer for the oldest unanswered poll: a worker silent that long is replaced. */
  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    if (this.pending.size === 0 || this.disposed) return;
    this.watchdog = setTimeout(() => {
      this.watchdog = null;
      const w = this.worker;
      if (!w || this.pending.size === 0) return;
      this.lastError = `no answer to a poll within ${Math.round((this.opts.pollTimeoutMs ?? POLL_TIMEOUT_MS) / 1000)} s`;
      void w.terminate();
    }, this.opts.pollTimeoutMs ?? POLL_TIMEOUT_MS);
  }

  private died(how: string): void {
    this.worker = null;
    if (this.disposed) return;
    const reason = this.lastError ? `${how}: ${this.lastError}` : how;
    const delay = Math.min(RESTART_DELAY_MAX_MS, RESTART_DELAY_MS * 2 ** this.failuresInARow);
    this.failuresInARow++;
    this.restartCount++;
    this.opts.log('warn', `The poll worker stopped (${reason}); restarting it in ${delay} ms. The views keep the last snapshot meanwhile.`);
    // Callers of a lost poll get the last snapshot from their error handling; the next interval polls the new worker.
    this.failPending(new Error(`the poll worker stopped (${reason})`));
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.disposed) return;
      try {
        this.spawn();
        this.restartEmitter.fire(reason);
      } catch (err) {
        this.lastError = err instanceof Error ? err.message : String(err);
        this.died('could not start');
      }
    }, delay);
  }

  private failPending(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const p of this.pendingPids.values()) p.reject(err);
    this.pendingPids.clear();
  }
}
