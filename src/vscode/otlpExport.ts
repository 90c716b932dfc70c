// The optional OTLP export in VS Code: follows devServerDoctor.export.otlpEndpoint (off when empty), feeds
// the exporter each snapshot and verdict, and says in the log where it sends and what failed.
import * as vscode from 'vscode';
import type { Verdict } from '../core/crash/types';
import * as path from 'node:path';
import type { OtlpExport } from '../core/export/otlp';
import type { Snapshot } from '../core/types';
import { onSettingsChange, readOtlpEndpoint } from './config';

/** The exporters' own bundle (dist/otlp.js beside dist/extension.js), loaded on first use only. */
function loadOtlp(): typeof import('../core/export/otlp') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a separate bundle, loaded only when enabled
  return require(path.join(__dirname, 'otlp.js')) as typeof import('../core/export/otlp');
}

export class OtlpBridge implements vscode.Disposable {
  private exporter: OtlpExport | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly log: vscode.LogOutputChannel, private readonly version: string) {
    this.configure();
    this.subscription = onSettingsChange(['export'], () => this.configure());
  }

  private configure(): void {
    void this.exporter?.dispose();
    this.exporter = undefined;
    const endpoint = readOtlpEndpoint();
    if (!endpoint) return;
    const otlp = loadOtlp();
    const checked = otlp.checkEndpoint(endpoint);
    if ('problem' in checked) {
      this.log.warn(`OTLP export is off: ${checked.problem}`);
      return;
    }
    this.exporter = new otlp.OtlpExport({ endpoint: checked.url, version: this.version, onError: (m) => this.log.warn(m) });
    this.log.info(`Sending crash verdicts and server metrics to the OTLP collector at ${checked.url}.`);
  }

  observe(snapshot: Snapshot): void {
    this.exporter?.observe(snapshot);
  }

  verdict(v: Verdict): void {
    this.exporter?.verdict(v);
  }

  dispose(): void {
    this.subscription.dispose();
    void this.exporter?.dispose();
  }
}
