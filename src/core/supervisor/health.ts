// One GET of a health URL, with its latency.
import * as http from 'node:http';
import * as https from 'node:https';

export interface HealthResult {
  readonly url: string;
  readonly at: number;
  /** A 2xx or 3xx answer came back in time. */
  readonly ok: boolean;
  readonly status: number | null;
  readonly latencyMs: number | null;
  /** Why it failed, in plain words. */
  readonly error: string | null;
}

/** Never rejects: a refused connection, a timeout or a bad URL are results with ok false. */
export function checkHealth(url: string, timeoutMs = 5000, now: () => number = Date.now): Promise<HealthResult> {
  const at = now();
  const started = performance.now();
  const fail = (error: string, status: number | null = null): HealthResult => ({ url, at, ok: false, status, latencyMs: null, error });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.resolve(fail(`"${url}" is not a URL`));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return Promise.resolve(fail(`${parsed.protocol} URLs cannot be checked`));
  const get = parsed.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve) => {
    const req = get(parsed, { timeout: timeoutMs }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const latencyMs = Math.round(performance.now() - started);
      const ok = status >= 200 && status < 400;
      resolve({ url, at, ok, status, latencyMs, error: ok ? null : `answered HTTP ${status}` });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(fail(err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens)' : err.message)));
  });
}
