import * as vscode from 'vscode';
import { mdText } from '../../core/crash/report';
import { terminalText } from '../../core/terminalText';
import { causeWords } from '../../core/crash/verdict';
import type { Counts, CrashEntry } from '../../core/history/crashHistory';

function when(t: number, now: number): string {
  const d = new Date(t);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString() : d.toLocaleString();
}

/** One recorded crash. */
export class CrashTreeItem extends vscode.TreeItem {
  constructor(readonly entry: CrashEntry, now: number) {
    super(`${entry.server ?? 'unknown server'} — ${causeWords(entry.cause)}`, vscode.TreeItemCollapsibleState.None);
    this.id = `crash:${entry.id}`;
    const again = entry.count > 1 ? ` · ${entry.count}× (last ${when(entry.lastTime, now)})` : '';
    this.description = `${when(entry.time, now)}${entry.pid !== null ? ` · pid ${entry.pid}` : ''}${again}${entry.resolvedAt ? ' · resolved' : ''}`;
    const md = new vscode.MarkdownString(`**${mdText(terminalText(entry.verdict.summary))}**

`);
    md.appendMarkdown(`Cause: \`${entry.cause}\` (${entry.verdict.confidence} confidence), ${entry.severity}  \n`);
    if (entry.verdict.topFrame) md.appendMarkdown(`Top frame: \`${terminalText(entry.verdict.topFrame).replace(/`/g, "'")}\`  \n`);
    if (entry.verdict.remedies[0]) md.appendMarkdown(`Suggested: ${entry.verdict.remedies[0].title}`);
    this.tooltip = md;
    this.iconPath = entry.resolvedAt
      ? new vscode.ThemeIcon('pass', new vscode.ThemeColor('disabledForeground'))
      : new vscode.ThemeIcon(entry.severity === 'critical' ? 'error' : 'warning', new vscode.ThemeColor(entry.severity === 'critical' ? 'charts.red' : 'charts.yellow'));
    this.contextValue = entry.resolvedAt ? 'crash.resolved' : 'crash';
    // A click opens this crash's own report (verdict, evidence, remedies, the memory curve before it).
    this.command = { command: 'devServerDoctor.openCrashReport', title: 'Open Crash Report', arguments: [entry.id] };
  }
}

/** "Last 24 h: 3 crashes", with the counts per server and per cause as children. */
export class CrashCountsTreeItem extends vscode.TreeItem {
  constructor(readonly period: '24 h' | '7 days', readonly counts: Counts) {
    super(`Last ${period}: ${counts.total} crash${counts.total === 1 ? '' : 'es'}`, counts.total ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    this.id = `crash-counts:${period}`;
    this.description = counts.unresolved !== counts.total ? `${counts.unresolved} unresolved` : '';
    this.iconPath = new vscode.ThemeIcon('graph');
    this.contextValue = 'crashCounts';
  }

  rows(): CrashCountTreeItem[] {
    const by = (kind: 'server' | 'cause', rec: Readonly<Record<string, number | undefined>>) =>
      Object.entries(rec).filter((e): e is [string, number] => !!e[1]).sort((a, b) => b[1] - a[1])
        .map(([k, n]) => new CrashCountTreeItem(`${this.period}:${kind}:${k}`, kind === 'cause' ? causeWords(k as never) : k, n, kind));
    return [...by('server', this.counts.byServer), ...by('cause', this.counts.byCause)];
  }
}

export class CrashCountTreeItem extends vscode.TreeItem {
  constructor(id: string, label: string, n: number, kind: 'server' | 'cause') {
    super(label, vscode.TreeItemCollapsibleState.None);
    this.id = `crash-count:${id}`;
    this.description = `${n}×`;
    this.iconPath = new vscode.ThemeIcon(kind === 'server' ? 'server-process' : 'bug');
    this.contextValue = 'crashCount';
  }
}
