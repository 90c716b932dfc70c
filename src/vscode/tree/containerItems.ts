import * as vscode from 'vscode';
import type { EngineStatus } from '../../core/containers/containerMonitor';
import type { ContainerInfo } from '../../core/containers/model';
import { count, formatBytes, formatDuration } from '../../core/format';

function icon(c: ContainerInfo): vscode.ThemeIcon {
  if (c.state === 'running' && c.health === 'unhealthy') return new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('charts.red'));
  if (c.state === 'running' && c.health === 'starting') return new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('charts.yellow'));
  if (c.state === 'running') return new vscode.ThemeIcon('vm-running', new vscode.ThemeColor('charts.green'));
  if (c.state === 'restarting') return new vscode.ThemeIcon('vm-active', new vscode.ThemeColor('charts.orange'));
  if (c.oomKilled || (c.exitCode !== null && c.exitCode !== 0)) return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('charts.red'));
  return new vscode.ThemeIcon('vm-outline', new vscode.ThemeColor('disabledForeground'));
}

/** `running · healthy · :5432 · 41 MB / 256 MB · up 3 min` */
export function containerDescription(c: ContainerInfo, now: number): string {
  const mem = c.memoryBytes !== null ? `${formatBytes(c.memoryBytes)}${c.memoryLimitBytes ? ` / ${formatBytes(c.memoryLimitBytes)}` : ''}` : '';
  return [
    c.state,
    c.health ?? '',
    c.ports.map((p) => `:${p.hostPort}`).join(' '),
    mem,
    c.restartCount ? count(c.restartCount, 'restart') : '',
    c.state === 'running' && c.startedAt ? `up ${formatDuration(now - c.startedAt)}` : '',
    c.state !== 'running' && c.exitCode !== null ? `exit ${c.exitCode}${c.oomKilled ? ', OOM-killed' : ''}` : '',
  ].filter(Boolean).join(' · ');
}

function tooltip(c: ContainerInfo, now: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${c.service ?? c.name}** — container \`${c.name}\`\n\n`);
  const rows: [string, string][] = [
    ['Image', c.image],
    ['Project', c.project ?? '—'],
    ['State', `${c.state}${c.health ? ` (${c.health})` : ''}`],
    ['Ports', c.ports.length ? c.ports.map((p) => `${p.hostIp}:${p.hostPort} → ${p.containerPort}/${p.protocol}`).join(', ') : '—'],
    ['Memory', `${c.memoryBytes !== null ? formatBytes(c.memoryBytes) : '—'} used, limit ${c.memoryLimitBytes ? formatBytes(c.memoryLimitBytes) : 'none'}`],
    ['Restarts', String(c.restartCount)],
  ];
  if (c.startedAt && c.state === 'running') rows.push(['Uptime', formatDuration(now - c.startedAt)]);
  if (c.exitCode !== null) rows.push(['Exit', `${c.exitCode}${c.oomKilled ? ' (OOMKilled: killed by its memory limit)' : ''}`]);
  rows.push(['Belongs by', c.belongsBy === 'compose' ? `compose labels (${c.composeFile ?? c.composeWorkingDir ?? '?'})` : 'a bind mount inside the workspace']);
  for (const [k, v] of rows) md.appendMarkdown(`${k}: \`${v.replace(/`/g, "'")}\`  \n`);
  return md;
}

/** A container of the workspace in the Servers view. contextValue e.g. "container.running.compose". */
export class ContainerTreeItem extends vscode.TreeItem {
  constructor(readonly container: ContainerInfo, now: number) {
    super(container.service ?? container.name, vscode.TreeItemCollapsibleState.None);
    this.id = `container:${container.id}`;
    this.description = containerDescription(container, now);
    this.tooltip = tooltip(container, now);
    this.iconPath = icon(container);
    const running = container.state === 'running' || container.state === 'restarting';
    // Menus match /^container\.running/, /^container\.(exited|created|dead)/ and /\.compose$/ (memory limit in a compose file).
    this.contextValue = `container.${running ? 'running' : container.state}${container.composeFile && container.service ? '.compose' : ''}`;
    this.accessibilityInformation = { label: `container ${container.name}, ${this.description}` };
  }
}

/** The one line in the System view about the container engine. */
export class ContainerEngineTreeItem extends vscode.TreeItem {
  constructor(status: EngineStatus, count: number) {
    super('Containers', vscode.TreeItemCollapsibleState.None);
    this.id = 'system.containers';
    this.description = status.available ? `${count} in this workspace · ${status.message}` : 'no engine';
    this.tooltip = status.message;
    this.iconPath = new vscode.ThemeIcon(status.available ? 'vm' : 'vm-outline');
    this.contextValue = status.available ? 'system.containers' : 'system.containers.absent';
  }
}
