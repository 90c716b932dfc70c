// When to poll: fast while someone is looking or a server runs, slowly otherwise, and never so often that
// polling itself becomes the load (like VS Code's own port finder: the interval is at least 20× the scan).
// Pure; the RefreshManager feeds it what it knows.
import type { Snapshot } from './types';

/** While nothing is watched (no server running, no view visible, no recent terminal activity). */
export const IDLE_POLL_INTERVAL_MS = 10_000;
/** The interval is at least this many times the average poll time. */
export const SCAN_TIME_MULTIPLE = 20;
/** A terminal command or task started this recently may be starting a server: keep polling fast. */
export const ACTIVITY_WINDOW_MS = 60_000;

export interface WatchState {
  /** One of the extension's views is visible. */
  readonly viewVisible: boolean;
  /** A server is up, starting or orphaned: it can crash or hold a port. */
  readonly serverRunning: boolean;
  /** Milliseconds since a terminal command or task started; null when none did. */
  readonly sinceActivityMs: number | null;
}

export function isWatched(w: WatchState): boolean {
  return w.viewVisible || w.serverRunning || (w.sinceActivityMs !== null && w.sinceActivityMs < ACTIVITY_WINDOW_MS);
}

/** Whether a snapshot has a server with processes (up, starting or orphaned). */
export function anyServerRunning(snapshot: Snapshot | undefined): boolean {
  return snapshot?.servers.some((s) => s.state !== 'down') ?? false;
}

/**
 * The delay before the next poll: the configured interval while watched, at least IDLE_POLL_INTERVAL_MS while not,
 * and in both cases at least SCAN_TIME_MULTIPLE × the average poll time.
 */
export function pollIntervalMs(configuredMs: number, watched: boolean, averagePollMs: number | null): number {
  const base = watched ? configuredMs : Math.max(configuredMs, IDLE_POLL_INTERVAL_MS);
  return Math.round(Math.max(base, SCAN_TIME_MULTIPLE * (averagePollMs ?? 0)));
}

/**
 * The typical poll time: the median of the last few. A median, not a mean, so one poll stretched by a busy machine
 * (the thread not scheduled for a second) does not slow polling down for the next dozen.
 */
export class PollTimeAverage {
  private readonly recent: number[] = [];

  constructor(private readonly size = 9) {}

  add(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.recent.push(ms);
    if (this.recent.length > this.size) this.recent.shift();
  }

  get value(): number | null {
    if (this.recent.length === 0) return null;
    const sorted = [...this.recent].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  }
}
