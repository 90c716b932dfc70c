// Settings the core understands, with the defaults package.json declares. The VS Code layer and
// the CLI both fill this in; the core never reads configuration itself.
import type { ConfiguredServer } from './workspace/scan';

export interface Threshold {
  readonly warn: number;
  readonly error: number;
}

export interface Thresholds {
  readonly memory: Threshold;
  readonly disk: Threshold;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  memory: { warn: 85, error: 95 },
  disk: { warn: 80, error: 90 },
};

export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** Health probes (core/health): how often, how long to wait, where, and when an alert is due. */
export interface HealthSettings {
  /** `healthIntervalSeconds`; 0 turns the probes off. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Per server name: the URL to check (loopback, one of its ports), or `tcp://127.0.0.1:PORT` for a connect check. */
  readonly urls: Readonly<Record<string, string>>;
  /** CPU of a server's tree, percent of one core. */
  readonly cpu: Threshold;
  /** Health check latency, milliseconds. */
  readonly latencyMs: Threshold;
  /** Failed health checks among the last 5 minutes', percent. */
  readonly errorRate: Threshold;
  /** An alert is raised only once its condition has held this long. */
  readonly sustainMs: number;
}

export const DEFAULT_HEALTH: HealthSettings = {
  intervalMs: 10_000,
  timeoutMs: 5000,
  urls: {},
  cpu: { warn: 80, error: 95 },
  latencyMs: { warn: 1000, error: 5000 },
  errorRate: { warn: 5, error: 25 },
  sustainMs: 30_000,
};

export interface CoreSettings {
  readonly pollIntervalMs: number;
  readonly thresholds: Thresholds;
  readonly configuredServers: readonly ConfiguredServer[];
  readonly excludeFolders: readonly string[];
  /** Absent: the defaults. */
  readonly health?: HealthSettings;
}

export const DEFAULT_SETTINGS: CoreSettings = {
  pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
  thresholds: DEFAULT_THRESHOLDS,
  configuredServers: [],
  excludeFolders: [],
  health: DEFAULT_HEALTH,
};

/** Accepts a user's `{ warn, error }` object leniently: missing or nonsensical values fall back to the default. */
export function sanitizeThreshold(value: unknown, fallback: Threshold, max = 100): Threshold {
  const v = (value ?? {}) as Partial<Record<'warn' | 'error', unknown>>;
  const num = (x: unknown, d: number) => (typeof x === 'number' && x > 0 && x <= max ? x : d);
  const warn = num(v.warn, fallback.warn);
  const error = num(v.error, fallback.error);
  return warn <= error ? { warn, error } : { warn: error, error };
}
