// What "Free Disk Space…" offers to pick: each log, cache and node_modules on its own, and our own saved reports as
// one entry that keeps the newest (a fresh crash report is what the user may still want to read).
import { count, formatBytes, formatDuration } from '../../format';
import type { DiskItem } from './types';

/** Reports younger than this are never ticked in advance. */
export const FRESH_REPORT_MS = 7 * 86_400_000;

export interface DiskChoice {
  readonly label: string;
  readonly description: string;
  readonly detail: string;
  /** What picking it deletes. */
  readonly items: readonly DiskItem[];
  readonly bytes: number;
  /** Ticked in advance. */
  readonly picked: boolean;
  /** What it keeps on purpose (the newest report). */
  readonly kept: DiskItem | null;
}

/** The scan's items as pick entries, biggest first; our reports grouped into one that keeps the newest (none when there is only one). */
export function diskChoices(items: readonly DiskItem[], now: number): DiskChoice[] {
  const choices: DiskChoice[] = items.filter((i) => i.kind !== 'report').map((item) => ({
    label: `${formatBytes(item.bytes).padStart(8)}  ${item.label}`,
    description: item.path,
    detail: `${item.kind}, ${count(item.files, 'file')}, last changed ${formatDuration(now - item.lastUsed)} ago`,
    items: [item],
    bytes: item.bytes,
    picked: item.kind === 'cache' || item.kind === 'log',
    kept: null,
  }));
  const reports = items.filter((i) => i.kind === 'report').sort((a, b) => b.lastUsed - a.lastUsed);
  if (reports.length > 1) {
    const [newest, ...older] = reports;
    const bytes = older.reduce((n, i) => n + i.bytes, 0);
    const youngest = older[0]!;
    choices.push({
      label: `${formatBytes(bytes).padStart(8)}  ${count(reports.length, 'crash report')}, keep the newest`,
      description: older.length === 1 ? older[0]!.path : `in ${[...new Set(older.map((i) => i.root))].join(', ')}`,
      detail: `Dev Server Doctor's own saved reports: deletes ${count(older.length, 'older report')}, keeps the newest (${formatDuration(now - newest!.lastUsed)} old)`,
      items: older,
      bytes,
      picked: now - youngest.lastUsed >= FRESH_REPORT_MS,
      kept: newest!,
    });
  }
  return choices.sort((a, b) => b.bytes - a.bytes);
}
