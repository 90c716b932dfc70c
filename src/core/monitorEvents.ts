// The events every monitor exposes (the Monitor itself, the poll worker's client, the inline poller): one set of
// emitters, subscribed alike, delivered in one order (a poll's events before its snapshot) and cleared on dispose.
import { Emitter } from './emitter';
import type { MonitorEvent } from './monitor';
import type { Snapshot } from './types';

export abstract class MonitorEvents {
  private readonly snapshotEmitter = new Emitter<Snapshot>();
  private readonly eventEmitter = new Emitter<MonitorEvent>();
  private readonly errorEmitter = new Emitter<Error>();

  onSnapshot(listener: (s: Snapshot) => void): () => void {
    return this.snapshotEmitter.on(listener);
  }

  onEvent(listener: (e: MonitorEvent) => void): () => void {
    return this.eventEmitter.on(listener);
  }

  /** A poll that failed as a whole (the probe threw, the worker answered with an error). */
  onError(listener: (e: Error) => void): () => void {
    return this.errorEmitter.on(listener);
  }

  /** A poll's events, then its snapshot: listeners of the snapshot (the crash watcher) have the events by then. */
  protected publish(events: Iterable<MonitorEvent>, snapshot: Snapshot): void {
    this.publishEvents(events);
    this.publishSnapshot(snapshot);
  }

  protected publishEvents(events: Iterable<MonitorEvent>): void {
    for (const e of events) this.eventEmitter.fire(e);
  }

  protected publishSnapshot(snapshot: Snapshot): void {
    this.snapshotEmitter.fire(snapshot);
  }

  protected publishError(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    this.errorEmitter.fire(e);
    return e;
  }

  /** Drops every listener (on dispose). */
  protected clearListeners(): void {
    this.snapshotEmitter.clear();
    this.eventEmitter.clear();
    this.errorEmitter.clear();
  }
}
