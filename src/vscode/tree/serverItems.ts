import * as vscode from 'vscode';
import { mdText } from '../../core/crash/report';
import { terminalText } from '../../core/terminalText';
import { formatBytes, formatDuration } from '../../core/format';
import { memoryRows, rowBytes, serverDescription } from '../../core/serverRow';
import type { SupervisorState } from '../../core/supervisor/supervisor';
import type { RowNote } from '../../core/early/treeAlerts';
import type { Server, ServerProcess, ServerState } from '../../core/types';


const STATE_ICON: Record<ServerState, [string, string]> = {
  up: ['circle-filled', 'charts.green'],
  starting: ['loading~spin', 'charts.yellow'],
  orphaned: ['warning', 'charts.orange'],
  down: ['circle-outline', 'disabledForeground'],
  unresponsive: ['watch', 'charts.red'],
  crashed: ['error', 'errorForeground'],
};

const STATE_WORDS: Record<ServerState, string> = {
  up: 'running',
  starting: 'starting (running, not listening yet)',
  orphaned: 'orphaned',
  down: 'not running',
  unresponsive: 'unresponsive (listening, but not answering)',
  crashed: 'crashed (its watcher waits for a file change)',
};

function serverTooltip(s: Server, now: number): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${mdText(terminalText(s.name))}** — ${STATE_WORDS[s.state]}\n\n`);
  const rows: [string, string][] = [
    ['Command', s.command],
    ['Folder', s.cwd],
    ['Framework', s.framework],
    ['Ports', s.ports.length ? s.ports.join(', ') : s.expectedPort ? `expects ${s.expectedPort}` : '—'],
  ];
  if (s.pid !== null) rows.push(['PID', `${s.pid}${s.pids.length > 1 ? ` (+${s.pids.length - 1} in its tree)` : ''}`]);
  rows.push(...memoryRows(s));
  if (s.cgroup?.limitBytes) rows.push(['cgroup limit', `${formatBytes(s.cgroup.limitBytes)} (${formatBytes(s.cgroup.usageBytes)} used)`]);
  if (s.startTimeMs) rows.push(['Uptime', formatDuration(now - s.startTimeMs)]);
  if (typeof s.cpuPercent === 'number') rows.push(['CPU', `${s.cpuPercent} % of a core (whole tree)`]);
  if (s.health) {
    const h = s.health;
    rows.push(['Health', `${h.ok ? 'ok' : 'failing'}${h.status !== null ? `, HTTP ${h.status}` : h.mode === 'tcp' ? ', TCP connect' : ''}${h.latencyMs !== null ? `, ${h.latencyMs} ms` : ''}${h.error ? ` — ${h.error}` : ''} (${h.target || 'not checked'}, ${formatDuration(Math.max(0, now - h.checkedAt))} ago; ${h.errorRatePercent} % failed in 5 min)`]);
  }
  if (typeof s.healthScore === 'number') rows.push(['Health score', `${s.healthScore}/100`]);
  if (s.orphanReason) rows.push(['Orphaned', s.orphanReason]);
  if (s.crashReason) rows.push(['Crashed', s.crashReason]);
  if (s.stuckStarting) rows.push(['Starting', s.stuckStarting]);
  if (s.zombiePids.length) rows.push(['Zombies', s.zombiePids.join(', ')]);
  for (const [k, v] of rows) md.appendMarkdown(`${k}: \`${terminalText(v).replace(/`/g, "'")}\`  \n`);
  if (s.unresponsive) md.appendMarkdown(`\n**Unresponsive:** ${s.unresponsive.message.replace(/[\\`*_[\]<>]/g, '\\$&')}\n`);
  return md;
}

/** `· supervised, 12 ms` / `· supervised, restart in 3 s` */
function supervisionWords(sup: SupervisorState, now: number): string {
  const health = sup.health ? (sup.health.ok ? `, ${sup.health.latencyMs ?? '?'} ms` : ', health check failing') : '';
  if (sup.status === 'waiting' && sup.nextRestartAt) return `supervised, restart in ${Math.max(0, Math.ceil((sup.nextRestartAt - now) / 1000))} s`;
  if (sup.status === 'gave-up') return 'supervised, gave up';
  return `supervised${health}`;
}

/** Why a server is down, said on its own row: "crashed" (its crash has an entry), "stopped unexpectedly". */
export type ServerNote = RowNote;

export class ServerTreeItem extends vscode.TreeItem {
  /** The tooltip is made when the pointer rests on the row (resolveTreeItem): always current, never a redraw. */
  resolveTooltip(now = Date.now()): vscode.MarkdownString {
    const md = serverTooltip(this.server, now);
    if (this.note) md.appendMarkdown(`\n**${mdText(this.note.words)}:** ${mdText(terminalText(this.note.detail))}\n`);
    return md;
  }

  constructor(readonly server: Server, now: number, readonly supervision?: SupervisorState, readonly note?: ServerNote) {
    super(server.name, server.state === 'down' ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Collapsed);
    this.id = `server:${server.id}`;
    this.description = serverDescription(server) + (supervision ? ` · ${supervisionWords(supervision, now)}` : '');
    const [icon, color] = server.stuckStarting ? ['watch', 'charts.orange'] : STATE_ICON[server.state];
    this.iconPath = new vscode.ThemeIcon(supervision ? 'shield' : icon, new vscode.ThemeColor(color));
    if (note) {
      // Down when it should not be: said on its own row, in the warning colour (Mark Resolved clears it).
      this.description = `${this.description} · ${note.words}`;
      this.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    }
    // e.g. "server.up.port.supervised": menus match /^server\.(up|orphaned)/, /\.port/, /\.alert/ and /\.supervised/.
    this.contextValue = `server.${server.state}${server.ports.length ? '.port' : ''}${note ? '.alert' : ''}${supervision ? '.supervised' : ''}`;
    this.accessibilityInformation = { label: `${server.name}, ${STATE_WORDS[server.state]}, ${this.description}` };
  }
}

export class ProcessTreeItem extends vscode.TreeItem {
  constructor(readonly server: Server, readonly process: ServerProcess, hasChildren: boolean) {
    // `/usr/bin/node server.js` reads better as `node server.js`; the tooltip keeps the full line.
    super(process.command.replace(/^\S*\//, ''), hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    this.id = `process:${server.id}/${process.pid}`;
    this.description = process.zombie
      ? `pid ${process.pid} · zombie`
      : [`pid ${process.pid}`, `RSS ${rowBytes(process.rssBytes)}`, ...process.ports.map((p) => `:${p}`)].join(' · ');
    this.tooltip = process.zombie
      ? `PID ${process.pid} is a zombie: it exited but its parent (PID ${process.ppid}) never collected its exit status.`
      : `${process.command}\nPID ${process.pid}, parent ${process.ppid}, state ${process.state}\n${process.cwd ?? ''}`;
    this.iconPath = process.zombie
      ? new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('charts.red'))
      : new vscode.ThemeIcon('terminal');
    this.contextValue = process.zombie ? 'process.zombie' : 'process';
  }
}

export class PortTreeItem extends vscode.TreeItem {
  constructor(readonly server: Server, readonly port: number) {
    super(`:${port}`, vscode.TreeItemCollapsibleState.None);
    this.id = `port:${server.id}/${port}`;
    this.description = `http://localhost:${port}`;
    this.tooltip = `Listening on port ${port}. Click to open it in the browser.`;
    this.iconPath = new vscode.ThemeIcon('plug');
    this.contextValue = 'port';
    this.command = { command: 'devServerDoctor.openInBrowser', title: 'Open in Browser', arguments: [this] };
  }
}
