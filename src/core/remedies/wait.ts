// Waiting for something on the machine to become true: a port to free up or listen, a URL to answer.
import * as net from 'node:net';
import { checkHealth, type HealthResult } from '../health/check';
import { POLL_INTERVAL_MS, pollUntil } from '../pollUntil';

// The one poll-until helper lives in core/pollUntil.ts; re-exported for the remedies that wait with it.
export { POLL_INTERVAL_MS, pollUntil };

/** A connect or request to localhost that takes longer than this counts as "not answering" for one attempt. */
const ATTEMPT_TIMEOUT_MS = 1000;
const LOOPBACKS = ['127.0.0.1', '::1'] as const;

export interface WaitResult {
  readonly ok: boolean;
  readonly elapsedMs: number;
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
