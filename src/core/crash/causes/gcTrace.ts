// V8's GC trace lines, as printed in the "Last few GCs" block of a heap OOM and by --trace-gc:
//   [16917:0x2824eca0]     1586 ms: Mark-Compact (reduce) 62.3 (64.9) -> 62.3 (65.2) MB, 219.99 / 0.00 ms …
// The fatal block is written while other output is still being flushed, so a line may be glued to the
// previous one ("oc[16917:…"): the text is scanned, not split into lines. Pure.

export interface GcEvent {
  readonly pid: number;
  /** Milliseconds since the isolate started. */
  readonly ms: number;
  /** 'Scavenge', 'Mark-Compact', 'Mark-Compact (reduce)', 'Minor Mark-Sweep'… */
  readonly kind: string;
  readonly beforeMB: number;
  readonly afterMB: number;
}

const GC_LINE = /\[(\d+):0x[0-9a-f]+\]\s+(\d+) ms: ([A-Z][A-Za-z-]*(?: [A-Z][A-Za-z-]*)?(?: \(reduce\))?) (\d+(?:\.\d+)?) \(\d+(?:\.\d+)?\) -> (\d+(?:\.\d+)?) \(\d+(?:\.\d+)?\) MB/g;

/** Every GC event in the text, in order. */
export function parseGcTrace(text: string): GcEvent[] {
  const out: GcEvent[] = [];
  for (const m of text.matchAll(GC_LINE)) {
    out.push({ pid: Number(m[1]), ms: Number(m[2]), kind: m[3], beforeMB: Number(m[4]), afterMB: Number(m[5]) });
  }
  return out;
}

export function isFullGc(e: GcEvent): boolean {
  return /^Mark-Compact|^Mark-Sweep/.test(e.kind);
}

/** The events of the last process the trace names (a log may hold several runs). */
export function lastRunEvents(events: readonly GcEvent[]): GcEvent[] {
  const last = events[events.length - 1];
  if (!last) return [];
  let start = events.length - 1;
  // A run's clock only goes forward: an earlier, larger time starts another run of the same pid.
  while (start > 0 && events[start - 1].pid === last.pid && events[start - 1].ms <= events[start].ms) start--;
  return events.slice(start);
}
