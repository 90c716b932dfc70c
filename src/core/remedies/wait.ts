// Waiting for something on the machine to become true: a port to free up or listen, a URL to answer.
import * as net from 'node:net';
import { checkHealth, type HealthResult } from '../health/check';

/** How often the wait helpers look again. */
export const POLL_INTERVAL_MS = 200;
/** A connect or request to localhost that takes longer than this counts as "not answering" for one attempt. */
const ATTEMPT_TIMEOUT_MS = 1000;
const LOOPBACKS = ['127.0.0.1', '::1'] as const;

export interface WaitResult {
  readonly ok: boolean;
  readonly elapsedMs: number;
}

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

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ATTEMPT_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    // ECONNREFUSED, or EADDRNOTAVAIL where IPv6 is off.
    socket.once('error', () => done(false));
  });
}

/** Whether something accepts TCP connections on the port at 127.0.0.1 or ::1. */
export async function isListening(port: number): Promise<boolean> {
  const results = await Promise.all(LOOPBACKS.map((h) => canConnect(h, port)));
  return results.some(Boolean);
}

export async function waitForPortFree(port: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
  const { value, elapsedMs } = await pollUntil(async () => !(await isListening(port)), timeoutMs, POLL_INTERVAL_MS, signal);
  return { ok: value === true, elapsedMs };
}

export async function waitForListening(port: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
  const { value, elapsedMs } = await pollUntil(() => isListening(port), timeoutMs, POLL_INTERVAL_MS, signal);
  return { ok: value === true, elapsedMs };
}

export interface HealthWaitResult extends WaitResult {
  /** The last HTTP status seen, if any answer came. */
  readonly status: number | null;
  /** Why the last attempt failed, when it did. */
  readonly error: string | null;
}

/** Waits until `url` is healthy by the one health check (core/health/check.ts), each attempt bounded to a second. */
export async function waitForHealthy(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HealthWaitResult> {
  let last: HealthResult | null = null;
  const { value, elapsedMs } = await pollUntil(async () => {
    last = await checkHealth(url, { timeoutMs: ATTEMPT_TIMEOUT_MS });
    return last.ok;
  }, timeoutMs, POLL_INTERVAL_MS, signal);
  const seen = last as HealthResult | null;
  return { ok: value === true, elapsedMs, status: seen?.status ?? null, error: value ? null : seen?.error ?? null };
}
