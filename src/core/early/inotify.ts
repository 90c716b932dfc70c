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
    const holder = count.top && c.what.endsWith('watches') ? ` PID ${count.top.pid} holds ${count.top.watches}.` : '';
    worst = {
      kind: 'inotify', subject: c.what, severity, server: null,
      message: `This user holds ${c.used} of ${c.max} ${c.what} (${Math.floor(pct)}%): file watchers will soon fail with ENOSPC.${holder} Raise the limit with: ${c.raise}`,
    };
  }
  return worst;
}
