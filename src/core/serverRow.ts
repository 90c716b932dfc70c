// What a server's row and tooltip say about it, with every number labelled for what it is: the RSS of the
// whole process tree (npm + sh + node) or of its node process, the heap limit (from the one resolver,
// core/heapLimit.ts, as the snapshot carries it) and where it comes from. Heap used is never guessed from RSS.
import { count, formatBytes } from './format';
import type { HeapLimitSource, Server } from './types';

/**
 * Memory as a row shows it: to two significant figures (312 MB → 310 MB), so that the few kilobytes a live
 * process gains or frees each poll do not redraw the row under the pointer; the tooltip keeps the exact figure.
 */
export function rowBytes(bytes: number): string {
  if (bytes <= 0) return formatBytes(bytes);
  const step = 10 ** Math.max(0, Math.floor(Math.log10(bytes)) - 1);
  return formatBytes(Math.round(bytes / step) * step);
}

/** Where a heap limit comes from, in the words rows, tooltips and the dashboard use. */
export const HEAP_FROM: Record<HeapLimitSource, string> = { default: "V8's default", flag: '--max-old-space-size', NODE_OPTIONS: 'NODE_OPTIONS' };

/** "heap limit 128 MB" when the limit was set (a flag or NODE_OPTIONS); nothing for V8's default (the tooltip says it). */
export function rowHeap(s: Pick<Server, 'heapLimitBytes' | 'heapLimitSource'>): string {
  return s.heapLimitBytes !== null && s.heapLimitSource !== null && s.heapLimitSource !== 'default' ? `heap limit ${formatBytes(s.heapLimitBytes)}` : '';
}

/** `:5173 · RSS 310 MB · pid 4242`; with a set heap limit `:4000 · heap limit 128 MB · RSS 200 MB · pid 42`. */
export function serverDescription(s: Server): string {
  const port = s.ports.length ? s.ports.map((p) => `:${p}`).join(' ') : s.expectedPort ? `:${s.expectedPort}` : '';
  if (s.state === 'down') return [port, 'down'].filter(Boolean).join(' · ');
  // CPU, health and score live in the tooltip: this line's shape is what users (and tests) read at a glance.
  if (s.state === 'crashed') return [port, 'crashed', s.crashReason ?? ''].filter(Boolean).join(' · ');
  return [port, rowHeap(s), `RSS ${rowBytes(s.rssBytes)}`, s.pid !== null ? `pid ${s.pid}` : '', s.state === 'up' ? '' : s.stuckStarting ? 'starting for too long' : s.state]
    .filter(Boolean).join(' · ');
}

/** The tooltip's memory lines, each number said for what it is. */
export function memoryRows(s: Server): [string, string][] {
  const rows: [string, string][] = [];
  const live = s.processes.filter((p) => !p.zombie);
  if (s.state !== 'down') {
    const names = live.map((p) => p.comm).filter(Boolean);
    rows.push(['RSS (whole tree)', live.length > 1
      ? `${formatBytes(s.rssBytes)} in ${count(live.length, 'process', 'processes')} (${names.slice(0, 5).join(' + ')}${names.length > 5 ? ' + …' : ''})`
      : `${formatBytes(s.rssBytes)}`]);
    const heapProc = s.heapPid !== null ? live.find((p) => p.pid === s.heapPid) : undefined;
    if (heapProc && live.length > 1) rows.push(['RSS (node process)', `${formatBytes(heapProc.rssBytes)} (PID ${heapProc.pid}, the one the heap limit belongs to)`]);
  }
  if (s.heapLimitBytes !== null && s.heapLimitSource !== null) {
    rows.push(['Heap limit', `${formatBytes(s.heapLimitBytes)} (${HEAP_FROM[s.heapLimitSource]})`]);
    if (s.state !== 'down') rows.push(['Heap used', 'not measured while it runs (RSS is not the heap; a Node report or --trace-gc measures it)']);
  }
  return rows;
}
