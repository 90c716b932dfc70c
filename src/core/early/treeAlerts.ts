// Where each warning shows in the Servers view: a down or unresponsive server says so on its own row;
// everything else is an alert row above the list. Pure, for tests.
import type { Snapshot } from '../types';
import { lineageKey } from './downDetector';
import type { EarlyWarning } from './policy';

export interface AlertRow {
  readonly kind: string;
  readonly subject: string;
  readonly message: string;
  readonly severity: 'info' | 'warning' | 'critical';
}

export interface RowNote {
  /** "crashed" (its crash has an entry and a toast), "stopped unexpectedly". */
  readonly words: string;
  readonly detail: string;
}

/**
 * `warnings`: those holding and not marked resolved; `crashCovers`: whether a recent crash of the warning's server
 * tells it; `dismissedScan`: scan problems marked resolved. A 'crashed' row (its watcher waits) already says it.
 */
export function treeAlerts(snap: Snapshot, warnings: readonly EarlyWarning[], crashCovers: (w: EarlyWarning) => boolean, dismissedScan: (message: string) => boolean = () => false): { alerts: AlertRow[]; notes: Map<string, RowNote> } {
  const alerts: AlertRow[] = snap.alerts.filter((a) => a.kind === 'scan' && !dismissedScan(a.message))
    .map((a) => ({ kind: 'scan', subject: a.message, message: a.message, severity: a.severity }));
  const notes = new Map<string, RowNote>();
  for (const w of warnings) {
    // An unresponsive server's row already says so (its icon and description): no second row.
    if (w.kind === 'unresponsive' && snap.servers.some((s) => s.id === w.subject && s.state === 'unresponsive')) continue;
    const row = w.kind === 'down' ? snap.servers.find((s) => lineageKey(s.id) === w.subject && (s.state === 'down' || s.state === 'crashed')) ?? folderRow(snap, w.subject) : undefined;
    if (row?.state === 'down') {
      if (!notes.has(row.id)) notes.set(row.id, { words: crashCovers(w) ? 'crashed' : 'stopped unexpectedly', detail: w.message });
    } else if (!row) alerts.push({ kind: w.kind, subject: w.subject, message: w.message, severity: w.severity });
  }
  return { alerts, notes };
}

/**
 * The declared server an unmatched tree that went down stood for: a `proc:` tree (`sh -c npm run dev`, `node app.js`
 * run by hand) in the folder of exactly one declared server that is down now. Its row says it; no alert row above.
 */
function folderRow(snap: Snapshot, subject: string): Snapshot['servers'][number] | undefined {
  if (!subject.startsWith('proc:')) return undefined;
  const hash = subject.indexOf('#');
  const cwd = subject.slice(5, hash > 5 ? hash : undefined);
  const here = snap.servers.filter((s) => !s.id.startsWith('proc:') && s.cwd === cwd);
  const down = here.filter((s) => s.state === 'down');
  return here.length > 0 && down.length === 1 ? down[0] : undefined;
}
