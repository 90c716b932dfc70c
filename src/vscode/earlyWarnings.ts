// Early warnings in VS Code: OOM risk before the crash, servers that went down, full disks and watcher
// headroom, as notifications with actions — quiet by design (the core's WarningPolicy decides).
import * as vscode from 'vscode';
import { terminalText } from '../core/terminalText';
import type { Verdict } from '../core/crash/types';
import { DownDetector } from '../core/early/downDetector';
import type { ExpectedStops } from '../core/crash/expectedStops';
import { inotifyWarning } from '../core/early/inotify';
import { InotifyWatchCounter } from '../core/system/inotify';
import { diskWarnings, downWarning, healthWarnings, isServerWarning, oomRiskWarning, WARNING_REMEDIES, WarningPolicy, type EarlyWarning } from '../core/early/policy';
import { RssTrend } from '../core/early/rssTrend';
import type { Snapshot } from '../core/types';
import { onSettingsChange, readMaxNotificationsPerMinute, readSettings } from './config';
import { REMEDIES, remedy } from '../core/remedies/catalogue';
import { runRemedy } from './ui';

const MUTE = "Don't Show Again for This Workspace";


export class EarlyWarnings implements vscode.Disposable {
  private readonly trend = new RssTrend();
  private readonly down: DownDetector;
  private readonly inotify = new InotifyWatchCounter();
  private policy: WarningPolicy;
  private current: EarlyWarning[] = [];
  private lastRisks: ReturnType<RssTrend['risks']> = [];
  private readonly changed = new vscode.EventEmitter<readonly EarlyWarning[]>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Warnings notified, newest last (bounded; read by the integration tests). */
  readonly shown: EarlyWarning[] = [];

  /** Fires when the set of active warnings changes. */
  readonly onDidChange = this.changed.event;

  constructor(private readonly storageDir: string, private readonly log: vscode.LogOutputChannel, stops: ExpectedStops) {
    // Stops made on purpose (recorded by the kill remedies, Restart, the supervisor, a Ctrl-C seen) are no outage.
    this.down = new DownDetector({ expectedStops: stops });
    this.policy = this.newPolicy();
    this.disposables.push(
      this.changed,
      onSettingsChange(['notifications'], () => { this.policy = this.newPolicy(); }),
    );
  }

  private newPolicy(): WarningPolicy {
    return new WarningPolicy({ storageDir: this.storageDir, maxPerMinute: readMaxNotificationsPerMinute() });
  }

  /** What holds now (for the tree and the status bar). */
  active(): readonly EarlyWarning[] {
    return this.current;
  }

  /** One toast per crash, within the global rate limit. */
  offerCrash(v: Verdict): boolean {
    return this.policy.offerCrash(v);
  }

  /** The OOM-risk projections of the last snapshot (the dashboard draws them ahead of the curve). */
  risks(): readonly ReturnType<RssTrend['risks']>[number][] {
    return this.lastRisks;
  }

  observe(s: Snapshot): void {
    this.trend.observe(s);
    this.down.observe(s);
    this.lastRisks = this.trend.risks(s);
    const warnings: EarlyWarning[] = [
      ...this.lastRisks.map(oomRiskWarning),
      ...this.down.active().map(downWarning),
      ...diskWarnings(s.system, s.workspaceFolders, readSettings().thresholds.disk),
      ...healthWarnings(s),
    ];
    // The poll worker counts watches off this thread (a walk of every process's fds); count here only without it.
    const watches = inotifyWarning(s.system.inotify.usage !== undefined ? s.system.inotify.usage : this.inotify.read(), s.system.inotify);
    if (watches) warnings.push(watches);
    const before = this.current.map((w) => `${w.kind}:${w.subject}:${w.severity}`).join('|');
    this.current = warnings;
    if (warnings.map((w) => `${w.kind}:${w.subject}:${w.severity}`).join('|') !== before) this.changed.fire(warnings);
    for (const w of this.policy.evaluate(warnings)) void this.notify(w);
  }

  private async notify(w: EarlyWarning): Promise<void> {
    this.shown.push(w);
    if (this.shown.length > 50) this.shown.shift();
    this.log.warn(`${w.kind}: ${w.message}`);
    const actions = WARNING_REMEDIES[w.kind];
    const show = w.severity === 'critical' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const choice = await show(terminalText(`Dev Server Doctor: ${w.message}`), ...actions.map((id) => REMEDIES[id].button), MUTE);
    if (choice === MUTE) {
      this.policy.mute(w.kind, w.subject);
      return;
    }
    const action = actions.find((id) => REMEDIES[id].button === choice);
    if (!action) return;
    const arg = isServerWarning(w.kind) ? { serverId: w.subject } : undefined;
    try {
      await runRemedy(remedy(action, arg));
    } catch (err) {
      this.log.error(`${REMEDIES[action].button} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  dispose(): void {
    this.down.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
