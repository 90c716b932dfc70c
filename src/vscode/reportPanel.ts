// Shows a crash report (Markdown) in a webview: the built-in Markdown preview disables command links,
// and the report's remedies are command links. No scripts run in it; only our own commands are enabled.
import MarkdownIt from 'markdown-it';
import * as vscode from 'vscode';
import type { ReportChart } from '../core/crash/report';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Full HTML page for the report. `commands`: the command ids whose links stay clickable. Pure. */
export function reportHtml(markdown: string, title: string, cspSource: string, charts: readonly ReportChart[] = []): string {
  // Charts are our own SVG, shown as images (no script runs in an <img>), after the text.
  const figures = charts.map((c) => `<figure><img alt="${escapeHtml(c.title)}" src="data:image/svg+xml;base64,${Buffer.from(c.svg).toString('base64')}"><figcaption>${escapeHtml(c.title)}</figcaption></figure>`).join('\n');
  const body = md.render(markdown) + (figures ? `\n<h2>Memory before the crashes</h2>\n${figures}` : '');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline' ${cspSource}; img-src ${cspSource} data:;">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(title)}</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 24px 32px; max-width: 980px; line-height: 1.5; }
  h1, h2, h3 { font-weight: 600; }
  h2 { border-bottom: 1px solid var(--vscode-panel-border); padding-bottom: 4px; margin-top: 28px; }
  code, pre { font-family: var(--vscode-editor-font-family); font-size: 0.95em; }
  pre { background: var(--vscode-textCodeBlock-background); padding: 8px 12px; overflow-x: auto; border-radius: 4px; }
  blockquote { border-left: 3px solid var(--vscode-textBlockQuote-border); margin: 8px 0; padding: 2px 12px; background: var(--vscode-textBlockQuote-background); }
  a { color: var(--vscode-textLink-foreground); }
  table { border-collapse: collapse; }
  th, td { border: 1px solid var(--vscode-panel-border); padding: 3px 8px; text-align: left; }
  figure { margin: 12px 0; } figure img { max-width: 100%; border-radius: 4px; }
</style>
</head>
<body>
${body}
</body>
</html>`;
}

export class ReportPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  /** Charts in the report shown last (the tests read it). */
  lastCharts = 0;

  constructor(private readonly enabledCommands: readonly string[]) {}

  /** Opens (or reuses) the report view beside the editor. */
  show(markdown: string, title: string, charts: readonly ReportChart[] = []): vscode.WebviewPanel {
    if (!this.panel) {
      this.panel = vscode.window.createWebviewPanel('devServerDoctor.report', title, vscode.ViewColumn.Active, {
        enableScripts: false,
        enableCommandUris: [...this.enabledCommands],
        localResourceRoots: [],
      });
      this.panel.onDidDispose(() => { this.panel = undefined; });
    }
    this.panel.title = title;
    this.panel.webview.html = reportHtml(markdown, title, this.panel.webview.cspSource, charts);
    this.lastCharts = charts.length;
    this.panel.reveal();
    return this.panel;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
