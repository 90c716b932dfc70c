// The dashboard: a webview panel (strict CSP, no remote content, theme colours) that draws the series store
// and the crash history with uPlot, updated in place with each snapshot while it is visible. Mark Resolved
// and a crash's own report are messages back to us; nothing else from the webview is acted on.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { dashboardModel, type DashboardModel } from '../core/dashboard/model';
import { DEFAULT_WINDOW_MS, KEEP_MS, type Projection, type SeriesStore } from '../core/dashboard/series';
import type { CrashHistory } from '../core/history/crashHistory';

export interface RenderTiming {
  readonly ms: number;
  readonly servers: number;
  readonly points: number;
}

export class DashboardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private windowMs = DEFAULT_WINDOW_MS;
  private ready = false;
  /** Render times the webview reported (newest last, bounded): the benchmark and the tests read them. */
  readonly timings: RenderTiming[] = [];
  /** The last model sent (the tests read it). */
  lastModel: DashboardModel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: SeriesStore,
    private readonly history: CrashHistory,
    private readonly projections: () => readonly Projection[],
    private readonly onMarkResolved: (id: string) => void,
    private readonly onOpenCrash: (id: string) => void,
  ) {}

  get visible(): boolean {
    return !!this.panel?.visible;
  }

  show(): void {
    if (this.panel) {
      this.panel.reveal();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    this.panel = vscode.window.createWebviewPanel('devServerDoctor.dashboard', 'Dev Server Doctor', vscode.ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: false,
      localResourceRoots: [media],
    });
    this.ready = false;
    const w = this.panel.webview;
    w.html = this.html(w, media);
    w.onDidReceiveMessage((m: unknown) => this.onMessage(m));
    this.panel.onDidChangeViewState(() => { if (this.panel?.visible) this.update(); });
    this.panel.onDidDispose(() => { this.panel = undefined; this.ready = false; });
  }

  private onMessage(m: unknown): void {
    if (!m || typeof m !== 'object') return;
    const msg = m as { type?: unknown; id?: unknown; ms?: unknown; servers?: unknown; points?: unknown };
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.update();
        break;
      case 'rendered':
        if (typeof msg.ms === 'number') {
          this.timings.push({ ms: msg.ms, servers: Number(msg.servers) || 0, points: Number(msg.points) || 0 });
          if (this.timings.length > 200) this.timings.shift();
        }
        break;
      case 'markResolved':
        if (typeof msg.id === 'string') { this.onMarkResolved(msg.id); this.update(); }
        break;
      case 'openCrash':
        if (typeof msg.id === 'string') this.onOpenCrash(msg.id);
        break;
      case 'window':
        if (typeof msg.ms === 'number' && msg.ms >= 60_000 && msg.ms <= KEEP_MS) { this.windowMs = msg.ms; this.update(); }
        break;
    }
  }

  /** Draws a given model (the tests' and the benchmark's synthetic workloads); resolves with its render time. */
  async post(model: DashboardModel, timeoutMs = 10_000): Promise<RenderTiming | null> {
    if (!this.panel || !this.ready) return null;
    const before = this.timings.length;
    await this.panel.webview.postMessage({ type: 'update', model });
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (this.timings.length > before) return this.timings[this.timings.length - 1];
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  }

  get loaded(): boolean {
    return this.ready;
  }

  /** Sends the current model (no-op while hidden or not loaded: the next reveal sends it). */
  update(now = Date.now()): void {
    if (!this.panel || !this.ready || !this.panel.visible) return;
    const series = this.store.series({ to: now, windowMs: this.windowMs, projections: this.projections() });
    this.lastModel = dashboardModel(series, this.history.entries({ includeResolved: true }), now, this.windowMs);
    void this.panel.webview.postMessage({ type: 'update', model: this.lastModel });
  }

  private html(w: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const js = w.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.js'));
    const css = w.asWebviewUri(vscode.Uri.joinPath(media, 'dashboard.css'));
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${w.cspSource} data:; style-src ${w.cspSource} 'unsafe-inline'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>Dev Server Doctor</title>
<style>
  body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); background: var(--vscode-editor-background); padding: 0 16px 24px; }
  h2 { font-weight: 600; font-size: 1.15em; margin: 18px 0 8px; }
  h3 { font-weight: 600; font-size: 1em; margin: 0 0 4px; }
  header { display: flex; align-items: baseline; gap: 16px; }
  header h2 { margin-right: auto; }
  .card { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); border-radius: 4px; padding: 10px 12px; margin-bottom: 12px; background: var(--vscode-sideBar-background, transparent); }
  .muted, .limits { color: var(--vscode-descriptionForeground); }
  .markers { list-style: none; padding: 0; margin: 4px 0 0; font-size: .92em; color: var(--vscode-descriptionForeground); }
  .marker.crash { color: var(--vscode-errorForeground); }
  .marker.warning { color: var(--vscode-editorWarning-foreground); }
  a { color: var(--vscode-textLink-foreground); }
  select, button, input { font: inherit; color: var(--vscode-input-foreground); background: var(--vscode-input-background); border: 1px solid var(--vscode-input-border, transparent); }
  button { color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 2px 8px; cursor: pointer; }
  .filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin-bottom: 8px; }
  .stats { display: flex; gap: 28px; flex-wrap: wrap; }
  .stats ul { margin: 0; padding-left: 16px; }
  .stats h4 { margin: 4px 0; }
  table { border-collapse: collapse; width: 100%; margin-top: 8px; }
  th, td { border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,.3)); padding: 3px 6px; text-align: left; vertical-align: top; }
  tr.resolved { opacity: .55; }
  .sev.critical { color: var(--vscode-errorForeground); font-weight: 600; }
  .sev.high { color: var(--vscode-editorWarning-foreground); }
  .u-legend { color: var(--vscode-foreground); font-size: .9em; }
  .no-data .mem, .no-data .cpu, .no-cpu .cpu { display: none; }
  .note:empty { display: none; }
</style>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${js}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
