// Messages between the extension host's main thread and the poll worker. Everything crossing is plain data
// (structured clone): snapshots, events and scans are built from plain objects and arrays only — see
// plainDataProblems, which the tests run on real snapshots.
import type { MonitorEvent } from '../monitor';
import type { CoreSettings } from '../settings';
import type { Snapshot, WorkspaceScan } from '../types';

/** What a worker starts with (workerData). */
export interface PollWorkerData {
  readonly workspaceFolders: readonly string[];
  readonly settings: CoreSettings;
  readonly selfPid: number;
  /** The last snapshot before a restart: the first poll is diffed against it. */
  readonly previous?: Snapshot;
}

export type ToWorker =
  | { readonly type: 'update'; readonly workspaceFolders?: readonly string[]; readonly settings?: CoreSettings }
  | { readonly type: 'rescan' }
  | { readonly type: 'poll'; readonly id: number };

export type FromWorker =
  | {
      readonly type: 'snapshot';
      readonly snapshot: Snapshot;
      /** The monitor's events of this poll, in order, fired before the snapshot. */
      readonly events: readonly MonitorEvent[];
      /** The workspace scan, when it changed since the last message. */
      readonly scan?: WorkspaceScan;
      /** Wall time of reading the system and building the snapshot, in the worker. */
      readonly pollMs: number;
      /**
       * Secret values the worker learned since its last message (from the servers' environments): the main thread
       * redacts them too, in crash output, notifications and the log, where it never read those environments.
       */
      readonly secrets?: readonly string[];
    }
  | { readonly type: 'polled'; readonly id: number; readonly error?: string };
