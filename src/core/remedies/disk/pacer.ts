// Keeps long walks off the thread's back: yields every few milliseconds, checks for cancellation, reports progress.
import * as fs from 'node:fs';
import type { CancelToken } from './types';

/** Synchronous work between two yields to the event loop. */
const SLICE_MS = 10;
const PROGRESS_MS = 100;

export class Cancelled extends Error {}
export class LimitReached extends Error {}

export class Pacer {
  private sliceStart = Date.now();
  private lastProgress = 0;

  constructor(private readonly opts: { signal?: AbortSignal; token?: CancelToken; onProgress?: (path: string) => void }) {}

  get cancelled(): boolean {
    return this.opts.signal?.aborted === true || this.opts.token?.isCancellationRequested === true;
  }

  /** Between two directories. Throws Cancelled. */
  async step(currentPath: string): Promise<void> {
    if (Date.now() - this.sliceStart >= SLICE_MS) {
      await new Promise((r) => setImmediate(r));
      this.sliceStart = Date.now();
    }
    if (this.cancelled) throw new Cancelled();
    if (this.opts.onProgress && Date.now() - this.lastProgress >= PROGRESS_MS) {
      this.lastProgress = Date.now();
      this.opts.onProgress(currentPath);
    }
  }
}

export function lstat(p: string): fs.Stats | null {
  try {
    // A vanished entry (the common failure during a walk) costs no exception.
    return fs.lstatSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}
