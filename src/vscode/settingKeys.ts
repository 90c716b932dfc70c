// Every setting of the extension (package.json contributes.configuration, without the section) and the
// one thing a change to it does. config.ts reads them and routes changes by this table.
// To add a setting: declare it in package.json, add it here with its effect, read it in config.ts.

/**
 * - `poll`: the monitor's settings (interval, thresholds) change: update them and poll again.
 * - `rescan`: which servers are declared changes: scan the workspace again, then poll.
 * - `notifications`: the notification policy is rebuilt.
 * - `export`: the OTLP exporter is set up again (or turned off).
 * - `health`: the health checks per server are set up again (URLs, interval, timeout, thresholds).
 * - `on-use`: read each time it is used (an investigation, a remedy, a supervised start): nothing to do.
 */
export type SettingEffect = 'poll' | 'rescan' | 'notifications' | 'export' | 'health' | 'on-use';

export const SETTING_EFFECTS = {
  pollIntervalSeconds: 'poll',
  'thresholds.memory': 'poll',
  'thresholds.disk': 'poll',
  servers: 'rescan',
  excludeFolders: 'rescan',
  'notifications.maxPerMinute': 'notifications',
  logGlobs: 'on-use',
  investigateSince: 'on-use',
  reportFolder: 'on-use',
  nodeReportDirectories: 'on-use',
  supervisor: 'on-use',
  supervisedServers: 'on-use',
  'freeDisk.largeLogMb': 'on-use',
  'freeDisk.staleNodeModulesDays': 'on-use',
  'export.otlpEndpoint': 'export',
  healthIntervalSeconds: 'health',
  healthTimeoutSeconds: 'health',
  healthUrls: 'health',
  'thresholds.cpu': 'health',
  'thresholds.latency': 'health',
  'thresholds.errorRate': 'health',
} as const satisfies Readonly<Record<string, SettingEffect>>;

export type SettingKey = keyof typeof SETTING_EFFECTS;

export const SETTING_KEYS = Object.keys(SETTING_EFFECTS) as SettingKey[];
