import * as vscode from 'vscode';
import type { EarlyWarning } from '../core/early/policy';
import type { Thresholds } from '../core/settings';
import { summarize } from '../core/summary';
import type { Snapshot } from '../core/types';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  /** What the item shows now (text, colour and tooltip), to skip updates that change nothing. */
  private shown: string | null = null;

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

  /** `warnings`: the early warnings active now; they raise the colour and are listed in the tooltip. */
  update(s: Snapshot, t: Thresholds, warnings: readonly EarlyWarning[] = []): void {
    const base = summarize(s, t);
    const warned = warnings.some((w) => w.severity === 'critical') ? 'error' : warnings.some((w) => w.severity === 'warning') ? 'warning' : 'ok';
    const rank = { ok: 0, warning: 1, error: 2 } as const;
    const sum = { ...base, severity: rank[warned] > rank[base.severity] ? warned : base.severity };
    const icon = sum.severity === 'error' ? '$(error)' : sum.severity === 'warning' ? '$(warning)' : '$(pulse)';
    const lines = [`**Dev Server Doctor**\n\n${sum.label.replace(/^Dev Server Doctor: /, '')}`];
    if (typeof s.healthScore === 'number') lines.push(`Health score ${s.healthScore}/100`);
    for (const v of s.servers.filter((x) => x.state !== 'down').slice(0, 8)) {
      const bits = [
        typeof v.cpuPercent === 'number' ? `CPU ${Math.round(v.cpuPercent)} %` : null,
        v.state === 'unresponsive' ? 'unresponsive' : v.health ? (v.health.ok ? `health ${v.health.latencyMs ?? '?'} ms` : 'health failing') : null,
        typeof v.healthScore === 'number' ? `score ${v.healthScore}` : null,
      ].filter(Boolean);
      lines.push(`${v.name.replace(/[\\`*_[\]<>$]/g, '\\$&')}: ${bits.join(', ') || v.state}`);
    }
    for (const w of warnings.slice(0, 5)) lines.push(`$(${w.severity === 'critical' ? 'error' : 'warning'}) ${w.message}`);
    for (const a of s.alerts.slice(0, 5)) lines.push(`$(${a.severity === 'info' ? 'info' : 'warning'}) ${a.message}`);
    lines.push('[$(graph-line) Open Dashboard](command:devServerDoctor.openDashboard)');
    // Each property set is a message to the window: an unchanged item (most polls) sends nothing.
    const key = JSON.stringify([icon, sum.text, sum.label, sum.severity, lines]);
    if (key === this.shown) return;
    this.shown = key;
    this.item.text = `${icon} ${sum.text}`;
    this.item.accessibilityInformation = { label: sum.label };
    this.item.backgroundColor = sum.severity === 'ok' ? undefined
      : new vscode.ThemeColor(sum.severity === 'error' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    const md = new vscode.MarkdownString(lines.join('\n\n'));
    md.supportThemeIcons = true;
    md.isTrusted = { enabledCommands: ['devServerDoctor.openDashboard'] };
    this.item.tooltip = md;
  }

  dispose(): void {
    this.item.dispose();
  }
}
