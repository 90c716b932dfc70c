// The early warning for inotify watches near their per-user limit (the count is read in system/inotify.ts).
import type { Threshold } from '../settings';
import type { InotifyInfo } from '../types';
import type { InotifyCount } from '../system/inotify';
import type { EarlyWarning } from './policy';
import { inotifyRaiseLines, RECOMMENDED_MAX_USER_INSTANCES, runningAsRoot } from '../remedies/catalogue';

/** Default share of fs.inotify.max_user_watches (and max_user_instances), in percent, that is "near the limit". */
export const INOTIFY_THRESHOLD: Threshold = { warn: 80, error: 95 };

const RAISE = (): string => inotifyRaiseLines({ asRoot: runningAsRoot() }).join(' && ');
const RAISE_INSTANCES = (): string => inotifyRaiseLines({ instances: RECOMMENDED_MAX_USER_INSTANCES, asRoot: runningAsRoot() }).join(' && ');

/** A warning when watches or instances near their per-user limit; null when fine or unknown. */
export function inotifyWarning(count: InotifyCount | null, limits: InotifyInfo, t: Threshold = INOTIFY_THRESHOLD): EarlyWarning | null {
  if (!count) return null;
  const checks = [
    { used: count.watches, max: limits.maxUserWatches, what: 'inotify watches', raise: RAISE() },
    { used: count.instances, max: limits.maxUserInstances, what: 'inotify instances', raise: RAISE_INSTANCES() },
  ];
  let worst: EarlyWarning | null = null;
  for (const c of checks) {
    if (!c.max || c.max <= 0) continue;
    const pct = (c.used / c.max) * 100;
    const severity = pct >= t.error ? 'critical' : pct >= t.warn ? 'warning' : null;
    if (!severity || (worst && (severity !== 'critical' || worst.severity === 'critical'))) continue;
    const holder = count.top && c.what.endsWith('watches') ? ` PID ${count.top.pid} holds ${count.top.watches.toLocaleString('en-US')}.` : '';
    worst = {
      kind: 'inotify', subject: c.what, severity, server: null,
      message: `This user holds ${c.used.toLocaleString('en-US')} of ${c.max.toLocaleString('en-US')} ${c.what} (${Math.floor(pct)}%): file watchers will soon fail with ENOSPC.${holder} Raise the limit with: ${c.raise}`,
    };
  }
  return worst;
}

/**
 * Whether raising the watcher limit is called for when the user asks for it unprompted (the command palette):
 * watches or instances at the warning share, or a server that failed on the limit. Otherwise the words say how
 * far from the limit this user is ("20 of 192,536 file watches (0%)"). Unknown usage counts as short: it may be.
 */
export function inotifyNeed(count: InotifyCount | null | undefined, limits: InotifyInfo, crashedOnIt: boolean, t: Threshold = INOTIFY_THRESHOLD): { readonly short: boolean; readonly usage: string | null } {
  if (!count || !limits.maxUserWatches) return { short: true, usage: null };
  const share = (used: number, max: number | null) => (max && max > 0 ? (used / max) * 100 : 0);
  const pctWatches = share(count.watches, limits.maxUserWatches);
  const pctInstances = share(count.instances, limits.maxUserInstances);
  const n = (x: number) => x.toLocaleString('en-US');
  const usage = `this user holds ${n(count.watches)} of ${n(limits.maxUserWatches)} file watches (${Math.floor(pctWatches)}%)`
    + (limits.maxUserInstances ? ` and ${n(count.instances)} of ${n(limits.maxUserInstances)} watcher instances (${Math.floor(pctInstances)}%)` : '');
  return { short: crashedOnIt || Math.max(pctWatches, pctInstances) >= t.warn, usage };
}
