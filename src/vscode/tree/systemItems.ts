import * as vscode from 'vscode';
import { count, formatBytes } from '../../core/format';
import type { Threshold } from '../../core/settings';
import type { CgroupInfo, DiskInfo, InotifyInfo, MemoryInfo, PressureInfo } from '../../core/types';
import type { MemoryCeiling } from '../../core/system/memoryCeiling';

function severityColor(pct: number, t: Threshold): vscode.ThemeColor | undefined {
  if (pct >= t.error) return new vscode.ThemeColor('charts.red');
  if (pct >= t.warn) return new vscode.ThemeColor('charts.yellow');
  return undefined;
}

export class MemoryTreeItem extends vscode.TreeItem {
  constructor(m: MemoryInfo, pressure: PressureInfo | null, t: Threshold) {
    super('Memory', vscode.TreeItemCollapsibleState.None);
    this.id = 'system:memory';
    this.description = `${m.usedPercent}% used · ${formatBytes(m.availableBytes)} free of ${formatBytes(m.totalBytes)}`;
    this.tooltip = `${formatBytes(m.totalBytes - m.availableBytes)} used, ${formatBytes(m.availableBytes)} available (MemAvailable) of ${formatBytes(m.totalBytes)}.`
      + (pressure ? `\nMemory pressure (PSI, last 10 s): some ${pressure.someAvg10}%, full ${pressure.fullAvg10}%.` : '');
    this.iconPath = new vscode.ThemeIcon('circuit-board', severityColor(m.usedPercent, t));
    this.contextValue = 'system.memory';
  }
}

export class SwapTreeItem extends vscode.TreeItem {
  constructor(m: MemoryInfo) {
    super('Swap', vscode.TreeItemCollapsibleState.None);
    this.id = 'system:swap';
    this.description = m.swapTotalBytes > 0
      ? `${formatBytes(m.swapUsedBytes)} used of ${formatBytes(m.swapTotalBytes)}`
      : 'none';
    this.tooltip = m.swapTotalBytes > 0
      ? 'Heavy swap use makes dev servers crawl long before the OOM killer acts.'
      : 'This machine has no swap: when memory runs out, the kernel OOM killer acts at once.';
    this.iconPath = new vscode.ThemeIcon('arrow-swap');
    this.contextValue = 'system.swap';
  }
}

export class DiskTreeItem extends vscode.TreeItem {
  constructor(d: DiskInfo, t: Threshold) {
    super(`Disk ${d.mount}`, vscode.TreeItemCollapsibleState.None);
    this.id = `system:disk:${d.mount}`;
    this.description = `${d.usedPercent}% used · ${formatBytes(d.freeBytes)} free`;
    this.tooltip = `${d.mount}${d.fsType ? ` (${d.fsType})` : ''}: ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)}.\nHolds: ${d.forPaths.join(', ')}`;
    this.iconPath = new vscode.ThemeIcon('database', severityColor(d.usedPercent, t));
    this.contextValue = 'system.disk';
  }
}

export class CgroupTreeItem extends vscode.TreeItem {
  constructor(c: CgroupInfo) {
    super('Memory cgroup', vscode.TreeItemCollapsibleState.None);
    this.id = 'system:cgroup';
    const pct = c.limitBytes ? Math.round((c.usageBytes / c.limitBytes) * 100) : null;
    this.description = c.limitBytes
      ? `${formatBytes(c.usageBytes)} of ${formatBytes(c.limitBytes)} (${pct}%)${c.oomKills ? ` · ${count(c.oomKills, 'OOM kill')}` : ''}`
      : `no limit · ${formatBytes(c.usageBytes)} used${c.oomKills ? ` · ${c.oomKills} OOM kills` : ''}`;
    this.tooltip = `cgroup v${c.version} ${c.path}\nThe kernel OOM killer ends processes here when usage reaches the limit.`;
    this.iconPath = new vscode.ThemeIcon('package', pct !== null && pct >= 85 ? new vscode.ThemeColor('charts.yellow') : undefined);
    this.contextValue = 'system.cgroup';
  }
}

export class InotifyTreeItem extends vscode.TreeItem {
  /** Raising the limit is offered only when it is low for dev work or nearly used up (`tight`). */
  constructor(i: InotifyInfo, low: number, tight = false) {
    super('File watchers', vscode.TreeItemCollapsibleState.None);
    this.id = 'system:inotify';
    this.description = i.maxUserWatches === null ? 'unknown' : `max ${i.maxUserWatches.toLocaleString('en-US')} watches`;
    this.tooltip = `fs.inotify.max_user_watches = ${i.maxUserWatches ?? 'unknown'}, max_user_instances = ${i.maxUserInstances ?? 'unknown'}.`
      + '\nWatchers (vite, webpack, nodemon, tsc --watch) fail with ENOSPC when the limit is reached.';
    const short = (i.maxUserWatches !== null && i.maxUserWatches < low) || tight;
    this.iconPath = new vscode.ThemeIcon('eye', short ? new vscode.ThemeColor('charts.yellow') : undefined);
    this.contextValue = short ? 'system.inotify.low' : 'system.inotify';
  }
}

const ENVIRONMENT_ICONS: Record<MemoryCeiling['where'], string> = {
  wsl2: 'vm', devcontainer: 'remote', codespaces: 'github', 'docker-desktop': 'vm', gitpod: 'cloud', container: 'package', machine: 'device-desktop',
};

/** Where the servers run, and the memory ceiling that applies there (a WSL 2 VM, a dev container…), with its remedy. */
export class EnvironmentTreeItem extends vscode.TreeItem {
  constructor(c: MemoryCeiling) {
    super('Environment', vscode.TreeItemCollapsibleState.None);
    this.id = 'system:environment';
    this.description = `${c.label}${c.limitBytes !== null ? ` · memory ceiling ${formatBytes(c.limitBytes)}` : ''}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendText(`Memory ceiling: ${c.what}.`);
    if (c.remedy) {
      tip.appendMarkdown(`\n\n**${c.remedy.title}**${c.remedy.file ? ` (${c.remedy.file})` : ''}:\n`);
      tip.appendCodeblock(c.remedy.text, c.remedy.text.startsWith('---') ? 'diff' : 'ini');
      if (c.remedy.then.length) tip.appendText(`Then: ${c.remedy.then.join('; ')}.`);
    }
    this.tooltip = tip;
    this.iconPath = new vscode.ThemeIcon(ENVIRONMENT_ICONS[c.where]);
    this.contextValue = `system.environment.${c.where}`;
  }
}
