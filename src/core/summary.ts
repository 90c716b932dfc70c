import { count } from './format';
import type { Thresholds } from './settings';
import type { Snapshot } from './types';

export interface StatusSummary {
  text: string;
  label: string;
  severity: 'ok' | 'warning' | 'error';
}

/** `1/2 up · mem 37% · disk 81%` and how bad it is. Pure, for tests. */
export function summarize(s: Snapshot, t: Thresholds): StatusSummary {
  const declared = s.servers.filter((v) => v.source !== 'process');
  const running = (v: { state: string }) => v.state === 'up' || v.state === 'orphaned' || v.state === 'unresponsive';
  const up = s.servers.filter(running).length;
  const servers = declared.length > 0 ? `${declared.filter(running).length}/${declared.length} up` : `${up} up`;
  const mem = Math.round(s.system.memory.usedPercent);
  const disk = Math.round(Math.max(0, ...s.system.disks.map((d) => d.usedPercent)));
  const worst = (pct: number, th: { warn: number; error: number }) => (pct >= th.error ? 2 : pct >= th.warn ? 1 : 0);
  const level = Math.max(
    worst(s.system.memory.usedPercent, t.memory),
    worst(Math.max(0, ...s.system.disks.map((d) => d.usedPercent)), t.disk),
    s.servers.some((v) => v.state === 'orphaned' || v.stuckStarting) ? 1 : 0,
    s.servers.some((v) => v.state === 'crashed' || v.state === 'unresponsive') ? 2 : 0,
  );
  const crashed = s.servers.filter((v) => v.state === 'crashed').length;
  return {
    text: `${servers}${crashed ? ` · ${crashed} crashed` : ''} · mem ${mem}% · disk ${disk}%`,
    label: `Dev Server Doctor: ${declared.length > 0 ? `${declared.filter(running).length} of ${count(declared.length, 'server')} up` : `${count(up, 'server')} up`}${crashed ? `, ${crashed} crashed` : ''}, memory ${mem}% used, disk ${disk}% used`,
    severity: level === 2 ? 'error' : level === 1 ? 'warning' : 'ok',
  };
}
