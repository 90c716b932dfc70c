// The one health check. The supervisor's health URL, Restart's wait for it and the per-server health probe all
// ask this module, so "healthy" means the same everywhere:
//   ok  = an HTTP answer with a status below 500 within the timeout (a 404 from `/` is a live server; a 503 is not),
//         or, for a plain TCP server (it answered, but not in HTTP), a successful connect.
// It also tells "connected but silent" (a hung event loop: the kernel accepts the connection, nobody answers)
// from "refused" (nothing listens).
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';

/** Statuses at or above this are server errors: alive, but not healthy. */
export const UNHEALTHY_STATUS = 500;
export const DEFAULT_HEALTH_TIMEOUT_MS = 5000;
const LOOPBACKS = ['127.0.0.1', '::1'] as const;

export interface HealthResult {
  readonly url: string;
  readonly at: number;
  readonly ok: boolean;
  readonly status: number | null;
  readonly latencyMs: number | null;
  /** Why it failed, in plain words (with the error code, e.g. ECONNREFUSED). */
  readonly error: string | null;
  /** The TCP connection was accepted. */
  readonly connected: boolean;
  /** Connected, then nothing came back within the timeout. */
  readonly timedOut: boolean;
  /** Something answered, but not in HTTP: a plain TCP server. */
  readonly notHttp: boolean;
}

export interface CheckOptions {
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/** Loopback host names and addresses; the only hosts the health probe and the load test may target. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::ffff:127.0.0.1';
}

/** A server that answers in a protocol other than HTTP, or hangs up at once, is alive but not an HTTP server. */
function notHttpError(err: NodeJS.ErrnoException): boolean {
  return (err.code ?? '').startsWith('HPE_') || err.code === 'ECONNRESET' || err.message === 'socket hang up';
}

function httpOnce(url: URL, host: string | null, timeoutMs: number, at: number): Promise<HealthResult> {
  const started = performance.now();
  const base = { url: url.href, at };
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const done = (r: Omit<HealthResult, 'url' | 'at' | 'connected'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve({ ...base, connected, ...r });
    };
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, {
      ...(host ? { host, headers: { host: url.host } } : {}),
      agent: false,
      // A dev server's self-signed certificate must not make it look unhealthy.
      rejectUnauthorized: false,
    }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const ok = status < UNHEALTHY_STATUS;
      done({ ok, status, latencyMs: Math.round(performance.now() - started), error: ok ? null : `answered HTTP ${status}`, timedOut: false, notHttp: false });
    });
    // One deadline for connect + answer (the socket's idle timeout would restart on every byte).
    const timer = setTimeout(() => done({
      ok: false, status: null, latencyMs: null, timedOut: connected, notHttp: false,
      error: connected ? `connected, but no answer within ${timeoutMs / 1000} s` : `could not connect within ${timeoutMs / 1000} s`,
    }), timeoutMs);
    req.on('socket', (s) => {
      if (!s.connecting) connected = true;
      else s.once('connect', () => { connected = true; });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (connected && notHttpError(err)) {
        done({ ok: true, status: null, latencyMs: Math.round(performance.now() - started), error: null, timedOut: false, notHttp: true });
        return;
      }
      const code = err.code ?? '';
      const words = code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED: nothing listens)' : code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
      done({ ok: false, status: null, latencyMs: null, error: words, timedOut: false, notHttp: false });
    });
  });
}

/**
 * One GET of `url`. For `localhost` both 127.0.0.1 and ::1 are tried (dev servers listen on either, and the name may
 * resolve to the other). Never rejects: a refusal, a timeout or a bad URL are results with ok false.
 */
export async function checkHealth(url: string, opts: CheckOptions = {}): Promise<HealthResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const at = (opts.now ?? Date.now)();
  const fail = (error: string): HealthResult => ({ url, at, ok: false, status: null, latencyMs: null, error, connected: false, timedOut: false, notHttp: false });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`"${url}" is not a URL`);
  }
  if (parsed.protocol === 'tcp:') return checkTcp(parsed.hostname.replace(/^\[|\]$/g, ''), Number(parsed.port), opts);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return fail(`${parsed.protocol} URLs cannot be checked`);
  const hosts = parsed.hostname === 'localhost' ? [...LOOPBACKS] : [null];
  let last: HealthResult | null = null;
  for (const h of hosts) {
    last = await httpOnce(parsed, h, timeoutMs, at);
    if (last.connected) return last;
  }
  return last!;
}

/** A connect to host:port: ok when it is accepted within the timeout. */
export function checkTcp(host: string, port: number, opts: CheckOptions = {}): Promise<HealthResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
  const at = (opts.now ?? Date.now)();
  const url = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean, error: string | null): void => {
      socket.destroy();
      resolve({ url, at, ok, status: null, latencyMs: ok ? Math.round(performance.now() - started) : null, error, connected: ok, timedOut: false, notHttp: true });
    };
    socket.setTimeout(timeoutMs, () => done(false, `could not connect within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(true, null));
    socket.once('error', (err: NodeJS.ErrnoException) => done(false, err.code === 'ECONNREFUSED' ? 'connection refused (ECONNREFUSED: nothing listens)' : err.message));
  });
}
