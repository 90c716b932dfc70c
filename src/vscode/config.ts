// Every setting is read here, and every change to one is routed from here (onSettingsChange) by the
// effect settingKeys.ts gives it. The rest of the extension never calls getConfiguration.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveWorkspaceFolder } from '../core/paths';
import { DAY_MS, parseDuration } from '../core/format';
import { DEFAULT_HEALTH, DEFAULT_SETTINGS, sanitizeThreshold, type CoreSettings, type HealthSettings } from '../core/settings';
import type { ConfiguredServer } from '../core/workspace/scan';
import { SETTING_EFFECTS, SETTING_KEYS, type SettingEffect } from './settingKeys';

export const SECTION = 'devServerDoctor';

/**
 * The one change dispatcher: calls `listener` with the effects (settingKeys.ts) of the settings a change
 * touched, when at least one of them is among `effects`.
 */
export function onSettingsChange(effects: readonly SettingEffect[], listener: (effects: ReadonlySet<SettingEffect>) => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (!e.affectsConfiguration(SECTION)) return;
    // Whichever listener runs first, none reads the settings as they were before this change.
    cachedSettings = undefined;
    const touched = new Set(SETTING_KEYS.filter((k) => e.affectsConfiguration(`${SECTION}.${k}`)).map((k) => SETTING_EFFECTS[k]));
    if (effects.some((x) => touched.has(x))) listener(touched);
  });
}

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

function configuredServers(cfg: vscode.WorkspaceConfiguration): ConfiguredServer[] {
  const raw = cfg.get<unknown>('servers');
  if (!Array.isArray(raw)) return [];
  return raw.filter((s): s is ConfiguredServer => !!s && typeof s === 'object' && typeof (s as ConfiguredServer).name === 'string');
}

/** readSettings' last answer while cacheSettings() holds; cleared by any change that could alter it. */
let cachedSettings: CoreSettings | undefined;
let cacheHolders = 0;

/**
 * Lets readSettings answer from memory until a setting of ours, the workspace's trust or its folders change. Reading
 * a dozen keys through getConfiguration costs about 0.1–1 ms of the extension host's thread, and the views, status bar
 * and early warnings ask on every snapshot.
 */
export function cacheSettings(): vscode.Disposable {
  cacheHolders++;
  const clear = () => { cachedSettings = undefined; };
  const subscriptions = [
    vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration(SECTION)) clear(); }),
    vscode.workspace.onDidGrantWorkspaceTrust(clear),
    vscode.workspace.onDidChangeWorkspaceFolders(clear),
  ];
  return new vscode.Disposable(() => {
    cacheHolders--;
    clear();
    for (const d of subscriptions) d.dispose();
  });
}

export function readSettings(): CoreSettings {
  if (cachedSettings) return cachedSettings;
  const settings = readSettingsNow();
  if (cacheHolders > 0) cachedSettings = settings;
  return settings;
}

function readSettingsNow(): CoreSettings {
  const cfg = section();
  const seconds = cfg.get<number>('pollIntervalSeconds', DEFAULT_SETTINGS.pollIntervalMs / 1000);
  return {
    pollIntervalMs: Math.round(Math.min(60, Math.max(0.5, Number.isFinite(seconds) ? seconds : 2)) * 1000),
    thresholds: {
      memory: sanitizeThreshold(cfg.get('thresholds.memory'), DEFAULT_SETTINGS.thresholds.memory),
      disk: sanitizeThreshold(cfg.get('thresholds.disk'), DEFAULT_SETTINGS.thresholds.disk),
    },
    configuredServers: configuredServers(cfg),
    excludeFolders: (cfg.get<unknown[]>('excludeFolders') ?? []).filter((x): x is string => typeof x === 'string'),
    health: readHealthSettings(cfg),
  };
}

/** Health URLs: `healthUrls` by server name, else a supervised server's `healthUrl` (one URL per server, one check). */
function healthUrls(cfg: vscode.WorkspaceConfiguration): Record<string, string> {
  const urls: Record<string, string> = {};
  const supervised = cfg.get<unknown>('supervisedServers');
  for (const e of Array.isArray(supervised) ? supervised as { name?: unknown; healthUrl?: unknown }[] : []) {
    if (e && typeof e.name === 'string' && typeof e.healthUrl === 'string' && e.healthUrl.trim()) urls[e.name] = e.healthUrl.trim();
  }
  const own = cfg.get<unknown>('healthUrls');
  if (own && typeof own === 'object' && !Array.isArray(own)) {
    for (const [name, url] of Object.entries(own as Record<string, unknown>)) if (typeof url === 'string' && url.trim()) urls[name] = url.trim();
  }
  return urls;
}

function readHealthSettings(cfg: vscode.WorkspaceConfiguration): HealthSettings {
  const seconds = (key: string, fallbackMs: number, min: number, max: number): number => {
    const v = cfg.get<number>(key, fallbackMs / 1000);
    return Math.round(Math.min(max, Math.max(min, Number.isFinite(v) ? v : fallbackMs / 1000)) * 1000);
  };
  const interval = cfg.get<number>('healthIntervalSeconds', DEFAULT_HEALTH.intervalMs / 1000);
  return {
    intervalMs: interval === 0 ? 0 : seconds('healthIntervalSeconds', DEFAULT_HEALTH.intervalMs, 1, 3600),
    timeoutMs: seconds('healthTimeoutSeconds', DEFAULT_HEALTH.timeoutMs, 0.2, 120),
    urls: healthUrls(cfg),
    cpu: sanitizeThreshold(cfg.get('thresholds.cpu'), DEFAULT_HEALTH.cpu, 6400),
    latencyMs: sanitizeThreshold(cfg.get('thresholds.latency'), DEFAULT_HEALTH.latencyMs, 600_000),
    errorRate: sanitizeThreshold(cfg.get('thresholds.errorRate'), DEFAULT_HEALTH.errorRate),
    sustainMs: DEFAULT_HEALTH.sustainMs,
  };
}

/** The workspace's local folders, resolved as everywhere else (resolveWorkspaceFolder: real paths). */
export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => resolveWorkspaceFolder(f.uri.fsPath));
}

export interface CrashSettings {
  readonly logGlobs: readonly string[];
  readonly sinceMs: number;
  /** Extra folder (relative to the first workspace folder, or absolute) where reports are also saved; null = storage only. */
  readonly reportFolder: string | null;
  readonly nodeReportDirectories: readonly string[];
}

export function readCrashSettings(): CrashSettings {
  const cfg = section();
  const strings = (key: string) => (cfg.get<unknown[]>(key) ?? []).filter((x): x is string => typeof x === 'string' && x.trim() !== '');
  const folder = workspaceFolderPaths()[0];
  const resolve = (p: string) => (path.isAbsolute(p) || !folder ? p : path.join(folder, p));
  const reportFolder = cfg.get<string>('reportFolder', '').trim();
  return {
    logGlobs: strings('logGlobs'),
    sinceMs: parseDuration(cfg.get<string>('investigateSince', '24h')) ?? DAY_MS,
    reportFolder: reportFolder ? resolve(reportFolder) : null,
    nodeReportDirectories: strings('nodeReportDirectories').map(resolve),
  };
}

/** devServerDoctor.notifications.maxPerMinute, at least 1. */
export function readMaxNotificationsPerMinute(): number {
  const n = section().get<number>('notifications.maxPerMinute', 3);
  return Number.isFinite(n) && n >= 1 ? n : 3;
}

export interface FreeDiskSettings {
  readonly largeLogBytes: number;
  /** null: never list node_modules. */
  readonly staleNodeModulesDays: number | null;
}

export function readFreeDiskSettings(): FreeDiskSettings {
  const cfg = section();
  const largeLogMb = Math.max(1, cfg.get<number>('freeDisk.largeLogMb', 10));
  const staleDays = Math.max(0, cfg.get<number>('freeDisk.staleNodeModulesDays', 30));
  return { largeLogBytes: largeLogMb * 1024 * 1024, staleNodeModulesDays: staleDays > 0 ? staleDays : null };
}

export interface SupervisionSettings {
  readonly maxRestarts: number;
  readonly windowMs: number;
  readonly rssLimitBytes: number | null;
  readonly healthUrl: string | null;
  readonly autoStart: boolean;
}

interface SupervisedEntry { name?: unknown; autoStart?: unknown; healthUrl?: unknown; rssLimitMb?: unknown }

/** The supervisor settings for one server: the global defaults, refined by its devServerDoctor.supervisedServers entry. */
export function supervisionSettings(serverName: string): SupervisionSettings {
  const cfg = section();
  const g = cfg.get<{ maxRestarts?: number; windowSeconds?: number; rssLimitMb?: number }>('supervisor') ?? {};
  const entry = (cfg.get<SupervisedEntry[]>('supervisedServers') ?? []).find((e) => e && e.name === serverName) ?? {};
  const mb = typeof entry.rssLimitMb === 'number' ? entry.rssLimitMb : g.rssLimitMb ?? 0;
  return {
    maxRestarts: Math.max(1, Math.round(g.maxRestarts ?? 5)),
    windowMs: Math.max(10, g.windowSeconds ?? 180) * 1000,
    rssLimitBytes: mb > 0 ? mb * 1024 * 1024 : null,
    healthUrl: typeof entry.healthUrl === 'string' && entry.healthUrl.trim() ? entry.healthUrl.trim() : null,
    autoStart: entry.autoStart === true,
  };
}

/** Changes this workspace's terminal environment setting (terminal.integrated.env.<platform>, VS Code's own). */
export async function editTerminalEnvironment(edit: (env: Record<string, string | null>) => Record<string, string | null>): Promise<void> {
  const key = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'osx' : 'linux';
  const cfg = vscode.workspace.getConfiguration('terminal.integrated.env');
  await cfg.update(key, edit({ ...(cfg.get<Record<string, string | null>>(key) ?? {}) }), vscode.ConfigurationTarget.Workspace);
}

/** The OTLP collector to send verdicts and metrics to; empty: nothing leaves the machine. */
export function readOtlpEndpoint(): string {
  return (section().get<string>('export.otlpEndpoint', '') ?? '').trim();
}
