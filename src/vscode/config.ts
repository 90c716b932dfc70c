import * as path from 'node:path';
import * as vscode from 'vscode';
import { DAY_MS, parseDuration } from '../core/format';
import { DEFAULT_SETTINGS, sanitizeThreshold, type CoreSettings } from '../core/settings';
import type { ConfiguredServer } from '../core/workspace/scan';

export const SECTION = 'devServerDoctor';

/** Settings whose change means the workspace must be scanned again. */
export const SCAN_KEYS = ['servers', 'excludeFolders'].map((k) => `${SECTION}.${k}`);

function configuredServers(cfg: vscode.WorkspaceConfiguration): ConfiguredServer[] {
  const raw = cfg.get<unknown>('servers');
  if (!Array.isArray(raw)) return [];
  return raw.filter((s): s is ConfiguredServer => !!s && typeof s === 'object' && typeof (s as ConfiguredServer).name === 'string');
}

export function readSettings(): CoreSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const seconds = cfg.get<number>('pollIntervalSeconds', DEFAULT_SETTINGS.pollIntervalMs / 1000);
  return {
    pollIntervalMs: Math.round(Math.min(60, Math.max(0.5, Number.isFinite(seconds) ? seconds : 2)) * 1000),
    thresholds: {
      memory: sanitizeThreshold(cfg.get('thresholds.memory'), DEFAULT_SETTINGS.thresholds.memory),
      disk: sanitizeThreshold(cfg.get('thresholds.disk'), DEFAULT_SETTINGS.thresholds.disk),
    },
    configuredServers: configuredServers(cfg),
    excludeFolders: (cfg.get<unknown[]>('excludeFolders') ?? []).filter((x): x is string => typeof x === 'string'),
  };
}

export function workspaceFolderPaths(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

export interface CrashSettings {
  readonly logGlobs: readonly string[];
  readonly sinceMs: number;
  /** Extra folder (relative to the first workspace folder, or absolute) where reports are also saved; null = storage only. */
  readonly reportFolder: string | null;
  readonly nodeReportDirectories: readonly string[];
}

export function readCrashSettings(): CrashSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION);
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

/** The OTLP collector to send verdicts and metrics to; empty: nothing leaves the machine. */
export function readOtlpEndpoint(): string {
  return (vscode.workspace.getConfiguration(SECTION).get<string>('export.otlpEndpoint', '') ?? '').trim();
}
