// What "Free Disk Space…" offers to pick: each log, cache and node_modules on its own, and our own saved reports as
// one entry that keeps the newest (a fresh crash report is what the user may still want to read).
import * as path from 'node:path';
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
  /** What it keeps on purpose (the newest report; its .md when it has one). */
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
  // A report is its .md and .json together (same stem): kept or deleted as one.
  const byStem = new Map<string, DiskItem[]>();
  for (const i of items.filter((x) => x.kind === 'report')) {
    const stem = i.path.replace(/\.(md|json)$/, '');
    byStem.set(stem, [...(byStem.get(stem) ?? []), i]);
  }
  const changed = (files: readonly DiskItem[]): number => Math.max(...files.map((f) => f.lastUsed));
  const reports = [...byStem.values()].sort((a, b) => changed(b) - changed(a));
  if (reports.length > 1) {
    const [newest, ...older] = reports;
    const files = older.flat();
    const bytes = files.reduce((n, i) => n + i.bytes, 0);
    const youngest = changed(older[0]!);
    const kept = newest!.find((f) => f.path.endsWith('.md')) ?? newest![0]!;
    choices.push({
      label: `${formatBytes(bytes).padStart(8)}  ${count(reports.length, 'crash report')}, keep the newest`,
      description: `in ${[...new Set(files.map((i) => path.dirname(i.path)))].join(', ')}`,
      detail: `Dev Server Doctor's own saved reports: deletes ${count(older.length, 'older report')} (${count(files.length, 'file')}), keeps the newest (${formatDuration(now - changed(newest!))} old)`,
      items: files,
      bytes,
      picked: now - youngest >= FRESH_REPORT_MS,
      kept,
    });
  }
  return choices.sort((a, b) => b.bytes - a.bytes);
}
