// Shows a crash report (Markdown) in a webview: the built-in Markdown preview disables command links,
// and the report's remedies are command links. No scripts run in it; only our own commands are enabled, and only
// the links the report built itself are links at all (reportHtml.ts).
import * as vscode from 'vscode';
import type { ReportChart } from '../core/crash/report';
import { reportHtml } from './reportHtml';

export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** Charts in the report shown last (the tests read it). */
  lastCharts = 0;
  /** The report shown last: its title and Markdown (the tests read it). */
  lastShown: { readonly title: string; readonly markdown: string } | null = null;

  constructor(private readonly enabledCommands: readonly string[]) {}

  /** Opens (or reuses) the report view beside the editor; only `links` (the report's own) are clickable. */
  show(markdown: string, title: string, links: readonly string[], charts: readonly ReportChart[] = []): vscode.WebviewPanel {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('devServerDoctor.report', title, vscode.ViewColumn.Active, {
        enableScripts: false,
        enableCommandUris: [...this.enabledCommands],
        localResourceRoots: [],
      });
      this.panel.onDidDispose(() => { this.panel = undefined; });
    }
    this.panel.title = title;
    this.panel.webview.html = reportHtml(markdown, title, this.panel.webview.cspSource, links, charts);
    this.lastCharts = charts.length;
    this.lastShown = { title, markdown };
    this.panel.reveal();
    return this.panel;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
