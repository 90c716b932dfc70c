// Shapes of a load and leak test. Plain data: the JSON report writes them as they are (field names are a contract).

export interface LoadTestOptions {
  /** A loopback URL of one of the workspace's servers (checked by target.ts). */
  readonly url: string;
  /** Concurrent connections per stage, e.g. [50, 100, 200, 500]. */
  readonly stages: readonly number[];
  /** Length of each stage (and of each leak round). */
  readonly durationMs: number;
  /** Requests per stage at most: a stage ends at whichever bound comes first. */
  readonly maxRequestsPerStage: number;
  /** Rounds of the leak check (the first stage repeated); 0 skips it. */
  readonly leakRounds: number;
  /** Connections of the leak check's stage (default: the first stage's). */
  readonly leakConnections?: number;
  /** Per-request timeout. */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_LOAD: Omit<LoadTestOptions, 'url'> = {
  stages: [50, 100, 200, 500],
  durationMs: 10_000,
  maxRequestsPerStage: 200_000,
  leakRounds: 5,
  requestTimeoutMs: 10_000,
};

/** Hard bounds whatever is asked: a load test must never turn into a denial of service of the machine. */
export const LOAD_LIMITS = { maxStages: 10, maxConnections: 2000, maxDurationMs: 120_000, maxLeakRounds: 20, maxRequestsPerStage: 2_000_000 } as const;

export interface ServerUsage {
  /** Largest RSS of the server's tree seen during the stage. */
  readonly peakRssBytes: number | null;
  /** RSS of the tree right after the stage. */
  readonly rssBytesAfter: number | null;
  /** CPU of the tree over the stage, percent of one core. */
  readonly cpuPercent: number | null;
}

export interface StageResult extends ServerUsage {
  readonly connections: number;
  readonly durationMs: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p97_5: number; readonly p99: number; readonly max: number };
  readonly non2xx: number;
  readonly non2xxPercent: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
  readonly errorsPercent: number;
  /** Why the stage ended early (the server died, cancelled), else null. */
  readonly stoppedBecause: string | null;
}

export interface LeakRound {
  readonly round: number;
  readonly requests: number;
  /** Requests sent in the leak check so far. */
  readonly cumulativeRequests: number;
  readonly rssBytes: number | null;
  /** V8 heap used, when reachable (not read today: null). */
  readonly heapUsedBytes: number | null;
}

export interface LeakVerdict {
  readonly likelyLeak: boolean;
  /** Least-squares slope of RSS over requests, MB per 1,000 requests. */
  readonly slopeMbPer1kRequests: number | null;
  readonly riseBytes: number | null;
  /** Plain words: "likely leak: +38 MB over 5 rounds, 2.1 MB per 1,000 requests" / "plateau: …". */
  readonly reason: string;
}

export interface LoadTestReport {
  readonly generatedAt: number;
  readonly url: string;
  readonly server: string;
  readonly pid: number | null;
  readonly options: Omit<LoadTestOptions, 'url'>;
  readonly stages: readonly StageResult[];
  readonly leak: { readonly connections: number; readonly rounds: readonly LeakRound[]; readonly verdict: LeakVerdict } | null;
  /** The server died during the test. */
  readonly crashed: boolean;
  /** Crash verdicts for it, when the verdict engine judged one (plain summaries). */
  readonly crashVerdicts: readonly { readonly cause: string; readonly summary: string }[];
  readonly cancelled: boolean;
  readonly problems: readonly string[];
}
