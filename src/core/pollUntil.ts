// The one "look again until it is true" loop: ports, URLs, processes, servers coming up.

/** How often waits look again unless they say otherwise. */
export const POLL_INTERVAL_MS = 200;

/**
 * Calls `check` every `intervalMs` until it returns a truthy value, the time is up or `signal` aborts.
 * `check` runs at least once; a throw counts as "not yet".
 */
export async function pollUntil<T>(
  check: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs: number,
  intervalMs = POLL_INTERVAL_MS,
  signal?: AbortSignal,
): Promise<{ value: T | null; elapsedMs: number }> {
  const start = Date.now();
  for (;;) {
    try {
      const value = await check();
      if (value) return { value, elapsedMs: Date.now() - start };
    } catch {
      // Not ready yet.
    }
    const left = timeoutMs - (Date.now() - start);
    if (left <= 0 || signal?.aborted) return { value: null, elapsedMs: Date.now() - start };
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, left)));
  }
}
