// "Wait until it listens, then restart": the remedy for a dev server that started before its database.
import { waitForListening, type WaitResult } from '../remedies/wait';

/** How long the remedy waits for the service by default. */
export const DEPENDENCY_WAIT_MS = 5 * 60_000;

export interface WaitThenRestartResult {
  readonly listened: WaitResult;
  /** What the restart said; null when it was not attempted (the port never answered, or the wait was cancelled). */
  readonly restarted: string | null;
}

/**
 * Waits until something accepts connections on `port` (127.0.0.1 or ::1), then calls `restart` once.
 * Cancelling through `signal` stops the wait without restarting.
 */
export async function waitThenRestart(port: number, restart: () => Promise<string>, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<WaitThenRestartResult> {
  const listened = await waitForListening(port, opts.timeoutMs ?? DEPENDENCY_WAIT_MS, opts.signal);
  if (!listened.ok || opts.signal?.aborted) return { listened, restarted: null };
  return { listened, restarted: await restart() };
}
