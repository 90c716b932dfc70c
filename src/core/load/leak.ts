// Is the memory of a server growing with the requests it serves? Pure.
import type { LeakRound, LeakVerdict } from './types';

const MB = 1024 * 1024;
/** A rise smaller than this over all rounds is noise (GC, allocator pages), whatever its slope. */
const MIN_RISE_BYTES = 4 * MB;

/** Least-squares slope of y over x; null with fewer than two distinct x. */
export function slope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den > 0 ? num / den : null;
}

/**
 * A likely leak is a steady rise of RSS after each round of the same load:
 * - the rise from the first round to the last is at least 4 MB;
 * - RSS grew in all steps between rounds but at most one;
 * - the second half of the rounds rose at least 40 % as much as the first half (a plateau rises early, then stops).
 * The slope (MB per 1,000 requests) is reported either way.
 */
export function judgeLeak(rounds: readonly LeakRound[]): LeakVerdict {
  const pts = rounds.filter((r): r is LeakRound & { rssBytes: number } => r.rssBytes !== null);
  if (pts.length < 3) {
    return { likelyLeak: false, slopeMbPer1kRequests: null, riseBytes: null, reason: 'too few rounds with a memory reading to judge (3 needed)' };
  }
  const s = slope(pts.map((p) => p.cumulativeRequests / 1000), pts.map((p) => p.rssBytes / MB));
  const slopeMb = s === null ? null : Math.round(s * 1000) / 1000;
  const rise = pts[pts.length - 1]!.rssBytes - pts[0]!.rssBytes;
  const steps = pts.slice(1).map((p, i) => p.rssBytes - pts[i]!.rssBytes);
  const ups = steps.filter((d) => d > 0).length;
  const mid = Math.floor((pts.length - 1) / 2);
  const firstHalf = pts[mid]!.rssBytes - pts[0]!.rssBytes;
  const secondHalf = pts[pts.length - 1]!.rssBytes - pts[mid]!.rssBytes;
  const risesMb = `${rise >= 0 ? '+' : ''}${(rise / MB).toFixed(1)} MB over ${pts.length} rounds`;
  const per = slopeMb === null ? '' : `, ${slopeMb} MB per 1,000 requests`;
  if (rise < MIN_RISE_BYTES) return { likelyLeak: false, slopeMbPer1kRequests: slopeMb, riseBytes: rise, reason: `no leak: memory is flat (${risesMb}${per})` };
  if (ups < steps.length - 1) return { likelyLeak: false, slopeMbPer1kRequests: slopeMb, riseBytes: rise, reason: `no steady rise: memory went up in only ${ups} of ${steps.length} rounds (${risesMb})` };
  if (secondHalf < 0.4 * firstHalf) {
    return { likelyLeak: false, slopeMbPer1kRequests: slopeMb, riseBytes: rise, reason: `plateau: memory rose at first, then levelled off (${(firstHalf / MB).toFixed(1)} MB, then ${(secondHalf / MB).toFixed(1)} MB; ${risesMb})` };
  }
  return { likelyLeak: true, slopeMbPer1kRequests: slopeMb, riseBytes: rise, reason: `likely leak: memory rose after every round of the same load (${risesMb}${per})` };
}
