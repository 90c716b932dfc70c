// Early warnings in VS Code: OOM risk before the crash, servers that went down, full disks and watcher
// headroom, as notifications with actions — quiet by design (the core's WarningPolicy decides).
import * as vscode from 'vscode';
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
import type { Notifications } from './notifications';
import { lineageKey } from '../core/early/downDetector';

const MUTE = "Don't Show Again for This Workspace";
/**
 * A server warning's notification is withdrawn once the warning has not held for this long. An OOM risk waits
 * longer: near its limit a leaking heap stalls in GC and stops growing for a while before it dies.
 */
const CLEARED_AFTER_MS = 15_000;
const OOM_RISK_CLEARED_AFTER_MS = 120_000;


export class EarlyWarnings implements vscode.Disposable {
  private readonly trend = new RssTrend();
  private readonly down: DownDetector;
  private readonly inotify = new InotifyWatchCounter();
  private readonly policy: WarningPolicy;
  private current: EarlyWarning[] = [];
  private lastRisks: ReturnType<RssTrend['risks']> = [];
  private readonly changed = new vscode.EventEmitter<readonly EarlyWarning[]>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Warnings notified, newest last (bounded; read by the integration tests). */
  readonly shown: EarlyWarning[] = [];

  /** Fires when the set of active warnings changes. */
  readonly onDidChange = this.changed.event;

  /** Withdrawable notifications of server warnings, by kind and subject, with when their warning was last active. */
  private readonly toasts = new Map<string, { close(why: string): void; lastActive: number }>();
  /** Warnings marked resolved, with the severity they had then (worse brings them back). */
  private readonly dismissed = new Map<string, string>();

  constructor(private readonly storageDir: string, private readonly log: vscode.LogOutputChannel, stops: ExpectedStops, private readonly notifications: Notifications) {
    // Stops made on purpose (recorded by the kill remedies, Restart, the supervisor, a Ctrl-C seen) are no outage.
    this.down = new DownDetector({ expectedStops: stops });
    this.policy = new WarningPolicy({ storageDir: this.storageDir, maxPerMinute: readMaxNotificationsPerMinute() });
    this.disposables.push(
      this.changed,
      // Only the rate changes: a new policy would forget the crashes that cover their servers' "is down" (the
      // incident's second toast came back when a notification setting was edited after a crash).
      onSettingsChange(['notifications'], () => this.policy.setMaxPerMinute(readMaxNotificationsPerMinute())),
    );
  }

  /** What holds now. */
  active(): readonly EarlyWarning[] {
    return this.current;
  }

  /** What holds now and was not marked resolved (the tree's rows, the status bar's colour). */
  visible(): readonly EarlyWarning[] {
    return this.current.filter((w) => !this.dismissed.has(`${w.kind}\u0000${w.subject}`));
  }

  /**
   * Mark Resolved on a warning (or a scan problem): hidden from the tree and the status bar until it stops holding
   * and comes back, or gets worse. Its notification, if showing, is withdrawn.
   */
  dismiss(kind: string, subject: string): void {
    const key = `${kind}\u0000${subject}`;
    this.dismissed.set(key, this.current.find((w) => `${w.kind}\u0000${w.subject}` === key)?.severity ?? 'info');
    this.toasts.get(key)?.close('marked resolved');
    this.toasts.delete(key);
    this.changed.fire(this.visible());
  }

  /** Whether Mark Resolved hides this (a scan problem's subject is its text). */
  isDismissed(kind: string, subject: string): boolean {
    return this.dismissed.has(`${kind}\u0000${subject}`);
  }

  /** Mark Resolved on a crash or on a down server's row: its server's "down" warning is dealt with too. */
  dismissServer(serverId: string | undefined, name: string | null | undefined): void {
    // An unmatched tree of the server's folder that went down shows on its row too (treeAlerts): dealt with alike.
    const folder = serverId && !serverId.startsWith('proc:') && serverId.includes('#') ? `proc:${serverId.slice(0, serverId.lastIndexOf('#'))}#` : null;
    for (const w of this.current) {
      if (w.kind !== 'down') continue;
      if ((serverId && (w.subject === serverId || w.subject === lineageKey(serverId))) || (name && w.server === name) || (folder && w.subject.startsWith(folder))) this.dismiss(w.kind, w.subject);
    }
  }

  /** One toast per crash, within the global rate limit. */
  offerCrash(v: Verdict): boolean {
    return this.policy.offerCrash(v);
  }

  /**
   * A crash supersedes what warned about its server: the OOM-risk, health and "is down" notifications are
   * withdrawn (the crash toast tells what happened), and its "down" warning is not toasted afterwards.
   */
  supersede(v: Verdict): void {
    this.policy.noteCrash(v);
    const id = v.detail?.serverId;
    const subjects = new Set([...(id ? [id, lineageKey(id)] : []),
      ...this.current.filter((w) => isServerWarning(w.kind) && w.server !== null && w.server === v.server).map((w) => w.subject)]);
    for (const [key, t] of [...this.toasts]) {
      const subject = key.slice(key.indexOf('\u0000') + 1);
      if (!subjects.has(subject) && !subjects.has(lineageKey(subject))) continue;
      t.close(`superseded by the crash: ${v.summary}`);
      this.toasts.delete(key);
    }
  }

  /** Whether a recent crash of this warning's server already tells it (the tree then shows no separate row). */
  coveredByCrash(w: EarlyWarning): boolean {
    return this.policy.crashCovers(w);
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
    // A resolved warning that stopped holding may come back as new; one that got worse comes back now.
    const rank = { info: 0, warning: 1, critical: 2 } as Record<string, number>;
    for (const [key, severity] of [...this.dismissed]) {
      const w = warnings.find((x) => `${x.kind}\u0000${x.subject}` === key);
      if (key.startsWith('scan\u0000')) continue;
      if (!w || (rank[w.severity] ?? 0) > (rank[severity] ?? 0)) this.dismissed.delete(key);
    }
    if (warnings.map((w) => `${w.kind}:${w.subject}:${w.severity}`).join('|') !== before) this.changed.fire(warnings);
    for (const w of this.policy.evaluate(warnings)) void this.notify(w);
    // A warning that no longer holds (the server answers again, is back up, the risk passed) is withdrawn.
    const now = s.takenAt;
    const holding = new Set(warnings.map((w) => `${w.kind}\u0000${w.subject}`));
    for (const [key, t] of [...this.toasts]) {
      if (holding.has(key)) { t.lastActive = now; continue; }
      if (now - t.lastActive < (key.startsWith('oom-risk\u0000') ? OOM_RISK_CLEARED_AFTER_MS : CLEARED_AFTER_MS)) continue;
      t.close('cleared');
      this.toasts.delete(key);
    }
  }

  private async notify(w: EarlyWarning): Promise<void> {
    this.shown.push(w);
    if (this.shown.length > 50) this.shown.shift();
    this.log.warn(`${w.kind}: ${w.message}`);
    const arg = isServerWarning(w.kind) ? { serverId: w.subject } : undefined;
    // The best two remedies as buttons; the others and "Don't show again" behind More….
    const actions = [
      ...WARNING_REMEDIES[w.kind].map((id) => ({ title: REMEDIES[id].button, run: () => runRemedy(remedy(id, arg)) })),
      { title: MUTE, run: () => this.policy.mute(w.kind, w.subject) },
    ];
    if (!isServerWarning(w.kind)) {
      await this.notifications.message(w.kind, w.severity === 'critical' ? 'error' : 'warning', w.subject, w.message, actions);
      return;
    }
    // About a server: a crash of it (or its recovery) withdraws this notification.
    const key = `${w.kind}\u0000${w.subject}`;
    this.toasts.get(key)?.close('updated');
    const handle = this.notifications.withdrawable(w.kind, w.subject, w.message, actions);
    this.toasts.set(key, { close: (why) => handle.close(why), lastActive: Date.now() });
  }

  dispose(): void {
    this.down.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
