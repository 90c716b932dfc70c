// Runs a bounded load test with autocannon: stages of concurrent connections, each ending at its duration or its
// request cap, whichever comes first; the server's RSS and CPU sampled from /proc during each; then the leak check
// (the same stage repeated, RSS read after each round). Stops at once when the server dies or the caller cancels.
import autocannon from 'autocannon';
import { treeCpuTicks, treeRssBytes } from '../system/procTree';
import { USER_HZ } from '../system/procParsers';
import { judgeLeak } from './leak';
import { LOAD_LIMITS, type LeakRound, type LoadTestOptions, type StageResult } from './types';

/** How often the server's memory is read during a stage. */
const SAMPLE_MS = 500;
/** Pause after a stage before reading memory (lets in-flight requests finish). */
const SETTLE_MS = 300;

export interface LoadProgress {
  readonly phase: 'stage' | 'leak';
  /** 1-based index and count within the phase. */
  readonly index: number;
  readonly of: number;
  readonly connections: number;
  readonly message: string;
}

export interface LoadRunDeps {
  /** Root pid of the server's tree (its RSS and CPU are read from /proc). */
  readonly pid: number | null;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: LoadProgress) => void;
  /** True while the server lives; the default asks whether its root pid still exists. */
  readonly alive?: () => boolean;
}

export interface LoadRunResult {
  readonly stages: StageResult[];
  readonly leak: { connections: number; rounds: LeakRound[]; verdict: ReturnType<typeof judgeLeak> } | null;
  readonly crashed: boolean;
  readonly cancelled: boolean;
  readonly problems: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number | null): boolean {
  if (pid === null) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Clamps options to LOAD_LIMITS. */
export function boundedOptions(o: LoadTestOptions): LoadTestOptions {
  const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, Math.round(x)));
  return {
    ...o,
    stages: o.stages.slice(0, LOAD_LIMITS.maxStages).map((c) => clamp(c, 1, LOAD_LIMITS.maxConnections)),
    durationMs: clamp(o.durationMs, 200, LOAD_LIMITS.maxDurationMs),
    maxRequestsPerStage: clamp(o.maxRequestsPerStage, 1, LOAD_LIMITS.maxRequestsPerStage),
    leakRounds: clamp(o.leakRounds, 0, LOAD_LIMITS.maxLeakRounds),
    ...(o.leakConnections !== undefined ? { leakConnections: clamp(o.leakConnections, 1, LOAD_LIMITS.maxConnections) } : {}),
    requestTimeoutMs: clamp(o.requestTimeoutMs, 100, 60_000),
  };
}

async function stage(url: string, connections: number, o: LoadTestOptions, deps: LoadRunDeps): Promise<StageResult> {
  const alive = deps.alive ?? (() => pidAlive(deps.pid));
  const ticksBefore = deps.pid !== null ? treeCpuTicks(deps.pid) : null;
  const started = performance.now();
  let peak: number | null = null;
  let stoppedBecause: string | null = null;
  let finish: (r: autocannon.Result) => void = () => undefined;
  let fail: (e: Error) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => { finish = resolve; fail = reject; });
  const instance = autocannon({
    url,
    connections,
    duration: o.durationMs / 1000,
    // autocannon refuses a cap below the number of connections.
    maxOverallRequests: Math.max(o.maxRequestsPerStage, connections),
    timeout: o.requestTimeoutMs / 1000,
  }, (err: Error | null, result: autocannon.Result) => (err ? fail(err) : finish(result)));
  // autocannon keeps its own duration; this is the backstop and the place for the server and cancel checks.
  const hardStop = setTimeout(() => { stoppedBecause ??= 'the stage overran its time'; instance.stop(); }, o.durationMs + 5000);
  const sampler = setInterval(() => {
    if (deps.signal?.aborted) { stoppedBecause = 'cancelled'; instance.stop(); return; }
    if (!alive()) { stoppedBecause = 'the server died'; instance.stop(); return; }
    const rss = deps.pid !== null ? treeRssBytes(deps.pid) : null;
    if (rss !== null) peak = Math.max(peak ?? 0, rss);
  }, SAMPLE_MS);
  const onAbort = () => { stoppedBecause = 'cancelled'; instance.stop(); };
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  let r: autocannon.Result;
  try {
    r = await done;
  } finally {
    clearTimeout(hardStop);
    clearInterval(sampler);
    deps.signal?.removeEventListener('abort', onAbort);
  }
  const elapsedMs = performance.now() - started;
  await sleep(SETTLE_MS);
  const after = deps.pid !== null && alive() ? treeRssBytes(deps.pid) : null;
  const ticksAfter = deps.pid !== null && alive() ? treeCpuTicks(deps.pid) : null;
  if (!alive()) stoppedBecause ??= 'the server died';
  const requests = r.requests.total;
  const answered = requests + r.errors;
  const pct = (n: number, of: number) => (of > 0 ? Math.round((n / of) * 1000) / 10 : 0);
  return {
    connections,
    durationMs: Math.round(elapsedMs),
    requests,
    requestsPerSecond: Math.round(requests / Math.max(0.001, r.duration)),
    latencyMs: { p50: r.latency.p50, p97_5: r.latency.p97_5, p99: r.latency.p99, max: r.latency.max },
    non2xx: r.non2xx,
    non2xxPercent: pct(r.non2xx, requests),
    errors: r.errors,
    timeouts: r.timeouts,
    errorsPercent: pct(r.errors, answered),
    peakRssBytes: peak === null && after === null ? null : Math.max(peak ?? 0, after ?? 0),
    rssBytesAfter: after,
    cpuPercent: ticksBefore !== null && ticksAfter !== null
      ? Math.round((((ticksAfter - ticksBefore) / USER_HZ) / ((elapsedMs + SETTLE_MS) / 1000)) * 1000) / 10
      : null,
    stoppedBecause,
  };
}

/** The whole test. Never throws for what the server does (dies, refuses); a setup error of autocannon is a problem. */
export async function runLoadTest(options: LoadTestOptions, deps: LoadRunDeps): Promise<LoadRunResult> {
  const o = boundedOptions(options);
  const stages: StageResult[] = [];
  const problems: string[] = [];
  const alive = deps.alive ?? (() => pidAlive(deps.pid));
  let crashed = false;
  let cancelled = false;
  const ended = (s: StageResult) => {
    if (s.stoppedBecause === 'the server died') crashed = true;
    if (s.stoppedBecause === 'cancelled' || deps.signal?.aborted) cancelled = true;
    return crashed || cancelled;
  };
  try {
    for (let i = 0; i < o.stages.length; i++) {
      const c = o.stages[i]!;
      deps.onProgress?.({ phase: 'stage', index: i + 1, of: o.stages.length, connections: c, message: `stage ${i + 1}/${o.stages.length}: ${c} connections for ${o.durationMs / 1000} s` });
      const s = await stage(o.url, c, o, deps);
      stages.push(s);
      if (ended(s)) break;
    }
    let leak: LoadRunResult['leak'] = null;
    if (!crashed && !cancelled && o.leakRounds > 0) {
      const connections = o.leakConnections ?? o.stages[0] ?? 50;
      const rounds: LeakRound[] = [];
      let cumulative = 0;
      for (let i = 0; i < o.leakRounds; i++) {
        deps.onProgress?.({ phase: 'leak', index: i + 1, of: o.leakRounds, connections, message: `leak check ${i + 1}/${o.leakRounds}: ${connections} connections for ${o.durationMs / 1000} s` });
        const s = await stage(o.url, connections, o, deps);
        cumulative += s.requests;
        rounds.push({ round: i + 1, requests: s.requests, cumulativeRequests: cumulative, rssBytes: s.rssBytesAfter, heapUsedBytes: null });
        if (ended(s)) break;
      }
      leak = { connections, rounds, verdict: judgeLeak(rounds) };
    }
    if (!alive()) crashed = true;
    return { stages, leak, crashed, cancelled, problems };
  } catch (err) {
    problems.push(`The load test could not run: ${err instanceof Error ? err.message : String(err)}`);
    return { stages, leak: null, crashed: crashed || !alive(), cancelled, problems };
  }
}
