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

export interface CoreSettings {
  readonly pollIntervalMs: number;
  readonly thresholds: Thresholds;
  readonly configuredServers: readonly ConfiguredServer[];
  readonly excludeFolders: readonly string[];
}

export const DEFAULT_SETTINGS: CoreSettings = {
  pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
  thresholds: DEFAULT_THRESHOLDS,
  configuredServers: [],
  excludeFolders: [],
};

/** Accepts a user's `{ warn, error }` object leniently: missing or nonsensical values fall back to the default. */
export function sanitizeThreshold(value: unknown, fallback: Threshold): Threshold {
  const v = (value ?? {}) as Partial<Record<'warn' | 'error', unknown>>;
  const num = (x: unknown, d: number) => (typeof x === 'number' && x > 0 && x <= 100 ? x : d);
  const warn = num(v.warn, fallback.warn);
  const error = num(v.error, fallback.error);
  return warn <= error ? { warn, error } : { warn: error, error };
}
