// When a crashed supervised server is started again, and when the supervisor gives up.

export interface RestartOptions {
  /** Delay before the first restart (default 1 s). */
  readonly initialDelayMs?: number;
  /** Each further restart waits this much longer (default ×1.5). */
  readonly factor?: number;
  /** No delay is longer (default 15 s). */
  readonly maxDelayMs?: number;
  /** A run that lasted this long was healthy: the next crash starts from the first delay again (default 30 s). */
  readonly resetAfterMs?: number;
  /** Give up after this many restarts within the window (default 5). */
  readonly maxRestarts?: number;
  /** default 3 min */
  readonly windowMs?: number;
}

export const DEFAULT_RESTART: Required<RestartOptions> = {
  initialDelayMs: 1000,
  factor: 1.5,
  maxDelayMs: 15_000,
  resetAfterMs: 30_000,
  maxRestarts: 5,
  windowMs: 180_000,
};

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly attempt: number }
  | { readonly action: 'give-up'; readonly restarts: number; readonly windowMs: number };

/** The delay before restart number `attempt` (0-based) of a crash streak. */
export function backoffDelay(attempt: number, opts: RestartOptions = {}): number {
  const o = { ...DEFAULT_RESTART, ...opts };
  return Math.min(o.maxDelayMs, Math.round(o.initialDelayMs * o.factor ** attempt));
}

/** Decides, crash after crash, how long to wait or whether to stop trying. */
export class RestartPolicy {
  private readonly o: Required<RestartOptions>;
  private attempt = 0;
  private restarts: number[] = [];

  constructor(opts: RestartOptions = {}) {
    this.o = { ...DEFAULT_RESTART, ...opts };
  }

  /**
   * A run that started at `startedAt` ended at `endedAt` and is to be restarted: after a crash with the next
   * delay, otherwise (a restart the supervisor chose, e.g. over its RSS limit) at once. Either counts towards giving up.
   */
  decide(startedAt: number, endedAt: number, crashed = true): RestartDecision {
    if (endedAt - startedAt >= this.o.resetAfterMs) this.attempt = 0;
    this.restarts = this.restarts.filter((t) => endedAt - t < this.o.windowMs);
    if (this.restarts.length >= this.o.maxRestarts) {
      return { action: 'give-up', restarts: this.restarts.length, windowMs: this.o.windowMs };
    }
    this.restarts.push(endedAt);
    if (!crashed) return { action: 'restart', delayMs: 0, attempt: this.attempt };
    const delayMs = backoffDelay(this.attempt, this.o);
    this.attempt++;
    return { action: 'restart', delayMs, attempt: this.attempt };
  }

  /** Restarts counted in the window ending at `now`. */
  restartsInWindow(now: number): number {
    return this.restarts.filter((t) => now - t < this.o.windowMs).length;
  }

  reset(): void {
    this.attempt = 0;
    this.restarts = [];
  }
}
