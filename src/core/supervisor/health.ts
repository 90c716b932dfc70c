// The one health check of a dev server's URL, used by the supervisor (its health URL, polled) and by
// Restart (waiting until the server is healthy again): a GET that answers with a status below 500 in time.
// A 404 is healthy (the server answers; the path may simply not exist); a 503, a refused connection or a
// timeout is not. For localhost both 127.0.0.1 and ::1 are tried (dev servers listen on either, and
// "localhost" may resolve to the other); a dev server's self-signed certificate does not count against it.
import * as http from 'node:http';
import * as https from 'node:https';

export interface HealthResult {
  readonly url: string;
  readonly at: number;
  /** An answer below HTTP 500 came back in time. */
  readonly ok: boolean;
  readonly status: number | null;
  readonly latencyMs: number | null;
  /** Why it failed, in plain words. */
  readonly error: string | null;
}

/** The rule: what counts as a healthy answer. */
export function isHealthyStatus(status: number): boolean {
  return status > 0 && status < 500;
}

const LOOPBACKS = ['127.0.0.1', '::1'] as const;

function getOnce(url: URL, host: string | null, timeoutMs: number): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const lib = url.protocol === 'https:' ? https : http;
    const req = lib.get(url, {
      ...(host ? { host, headers: { host: url.host } } : {}),
      timeout: timeoutMs,
      rejectUnauthorized: false,
    }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.once('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code === 'ECONNREFUSED' ? 'connection refused (nothing listens)' : err.message }));
  });
}

/** One check. Never rejects: a refused connection, a timeout or a bad URL are results with ok false. */
export async function checkHealth(url: string, timeoutMs = 5000, now: () => number = Date.now): Promise<HealthResult> {
  const at = now();
  const started = performance.now();
  const fail = (error: string, status: number | null = null): HealthResult => ({ url, at, ok: false, status, latencyMs: null, error });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(`"${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return fail(`${parsed.protocol} URLs cannot be checked`);
  const hosts = parsed.hostname === 'localhost' ? [...LOOPBACKS] : [null];
  const answers = await Promise.all(hosts.map((h) => getOnce(parsed, h, timeoutMs)));
  const statuses = answers.flatMap((a) => ('status' in a ? [a.status] : []));
  if (statuses.length === 0) return fail((answers[0] as { error: string }).error);
  const status = statuses.find(isHealthyStatus) ?? statuses[0];
  const ok = isHealthyStatus(status);
  return { url, at, ok, status, latencyMs: Math.round(performance.now() - started), error: ok ? null : `answered HTTP ${status}` };
}
