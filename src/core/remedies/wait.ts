// Waiting for something on the machine to become true: a port to free up or listen, a URL to answer.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
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

export interface HealthResult extends WaitResult {
  /** The last HTTP status seen, if any answer came. */
  readonly status: number | null;
  /** Why the last attempt failed, when it did. */
  readonly error: string | null;
}

/** One GET; resolves to the status code or an error message. `host` overrides where to connect. */
function get(url: URL, host: string | null): Promise<number | string> {
  return new Promise((resolve) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, {
      ...(host ? { host, headers: { host: url.host } } : {}),
      timeout: ATTEMPT_TIMEOUT_MS,
      // A dev server's self-signed certificate must not make it look unhealthy.
      rejectUnauthorized: false,
    }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy(new Error('no answer within a second')));
    req.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/**
 * Waits until a GET of `url` answers with a status below 500. For localhost both 127.0.0.1 and ::1 are tried:
 * dev servers listen on either, and "localhost" may resolve to the other one.
 */
export async function waitForHealthy(url: string, timeoutMs: number, signal?: AbortSignal): Promise<HealthResult> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, elapsedMs: 0, status: null, error: `"${url}" is not a URL` };
  }
  const hosts = parsed.hostname === 'localhost' ? [...LOOPBACKS] : [null];
  let status: number | null = null;
  let error: string | null = null;
  const { value, elapsedMs } = await pollUntil(async () => {
    const answers = await Promise.all(hosts.map((h) => get(parsed, h)));
    const codes = answers.filter((a): a is number => typeof a === 'number');
    if (codes.length > 0) status = codes.find((c) => c < 500) ?? codes[0];
    error = codes.length === 0 ? String(answers[0]) : null;
    return status !== null && status < 500;
  }, timeoutMs, POLL_INTERVAL_MS, signal);
  return { ok: value === true, elapsedMs, status, error: value ? null : error ?? (status !== null ? `HTTP ${status}` : null) };
}
