import * as vscode from 'vscode';
import type { Thresholds } from '../core/settings';
import type { Snapshot } from '../core/types';

export interface StatusSummary {
  text: string;
  label: string;
  severity: 'ok' | 'warning' | 'error';
}

/** `1/2 up · mem 37% · disk 81%` and how bad it is. Pure, for tests. */
export function summarize(s: Snapshot, t: Thresholds): StatusSummary {
  const declared = s.servers.filter((v) => v.source !== 'process');
  const running = (v: { state: string }) => v.state === 'up' || v.state === 'orphaned';
  const up = s.servers.filter(running).length;
  const servers = declared.length > 0 ? `${declared.filter(running).length}/${declared.length} up` : `${up} up`;
  const mem = Math.round(s.system.memory.usedPercent);
  const disk = Math.round(Math.max(0, ...s.system.disks.map((d) => d.usedPercent)));
  const worst = (pct: number, th: { warn: number; error: number }) => (pct >= th.error ? 2 : pct >= th.warn ? 1 : 0);
  const level = Math.max(
    worst(s.system.memory.usedPercent, t.memory),
    worst(Math.max(0, ...s.system.disks.map((d) => d.usedPercent)), t.disk),
    s.servers.some((v) => v.state === 'orphaned') ? 1 : 0,
  );
  return {
    text: `${servers} · mem ${mem}% · disk ${disk}%`,
    label: `Dev Server Doctor: ${servers.replace('/', ' of ')} servers, memory ${mem}% used, disk ${disk}% used`,
    severity: level === 2 ? 'error' : level === 1 ? 'warning' : 'ok',
  };
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('devServerDoctor.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Dev Server Doctor';
    this.item.command = 'devServerDoctor.focus';
    this.item.text = '$(pulse) Dev Server Doctor';
    this.item.accessibilityInformation = { label: 'Dev Server Doctor: reading processes' };
    this.item.show();
  }

  get text(): string {
    return this.item.text;
  }

  update(s: Snapshot, t: Thresholds): void {
    const sum = summarize(s, t);
    const icon = sum.severity === 'error' ? '$(error)' : sum.severity === 'warning' ? '$(warning)' : '$(pulse)';
    this.item.text = `${icon} ${sum.text}`;
    this.item.accessibilityInformation = { label: sum.label };
    this.item.backgroundColor = sum.severity === 'ok' ? undefined
      : new vscode.ThemeColor(sum.severity === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    const md = new vscode.MarkdownString(`**Dev Server Doctor**\n\n${sum.label.replace(/^Dev Server Doctor: /, '')}`);
    for (const a of s.alerts.slice(0, 5)) md.appendMarkdown(`\n\n$(${a.severity === 'info' ? 'info' : 'warning'}) ${a.message}`);
    md.supportThemeIcons = true;
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
