// Process trees read from /proc (Linux). Elsewhere the answers are empty.
import * as fs from 'node:fs';
import { parseStat, type ProcStat } from './procParsers';

/** The ids of a process a tree walk needs. */
export type ProcEntry = Pick<ProcStat, 'pid' | 'ppid' | 'pgrp' | 'comm' | 'state' | 'cpuTicks' | 'startTicks'>;

/** Every process's ids; empty when /proc cannot be read. */
export function readProcTable(procRoot = '/proc'): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  let names: string[];
  try {
    names = fs.readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return table;
  }
  for (const n of names) {
    try {
      const e = parseStat(fs.readFileSync(`${procRoot}/${n}/stat`, 'utf8'));
      if (e) table.set(e.pid, e);
    } catch {
      // Ended while being listed.
    }
  }
  return table;
}

/** `roots` and their descendants; `enter(e)` false leaves a process and everything under it out. */
export function descendants(table: ReadonlyMap<number, ProcEntry>, roots: readonly number[], enter: (e: ProcEntry) => boolean = () => true): number[] {
  const children = new Map<number, ProcEntry[]>();
  for (const e of table.values()) children.set(e.ppid, [...(children.get(e.ppid) ?? []), e]);
  const seen = new Set(roots);
  const queue = [...roots];
  while (queue.length > 0) {
    for (const c of children.get(queue.pop()!) ?? []) {
      if (seen.has(c.pid) || !enter(c)) continue;
      seen.add(c.pid);
      queue.push(c.pid);
    }
  }
  return [...seen];
}

/** The root, its descendants and the members of its process group (a child whose parent died keeps the group). */
export function treePids(root: number, procRoot = '/proc'): number[] {
  const table = readProcTable(procRoot);
  if (!table.has(root)) return [];
  const group = [...table.values()].filter((e) => e.pgrp === root).map((e) => e.pid);
  return descendants(table, [root, ...group]);
}

/**
 * Live members of a process group; null when /proc cannot tell (not Linux). Zombies are left out: they are
 * dead, and where PID 1 reaps lazily (containers) they linger for seconds.
 */
export function liveGroupMembers(pgid: number, procRoot = '/proc'): number[] | null {
  const table = readProcTable(procRoot);
  if (table.size === 0) return null;
  return [...table.values()].filter((e) => e.pgrp === pgid && e.state !== 'Z').map((e) => e.pid);
}

/** Resident memory of a whole tree (VmRSS of each member); null when none of it could be read. */
export function treeRssBytes(root: number, procRoot = '/proc'): number | null {
  let total = 0;
  let read = 0;
  for (const pid of treePids(root, procRoot)) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`${procRoot}/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
      read++;
    } catch {
      // Gone since the directory was listed.
    }
  }
  return read > 0 ? total : null;
}

/** CPU time (clock ticks, user + system) used so far by a whole tree; null when the root is gone. */
export function treeCpuTicks(root: number, procRoot = '/proc'): number | null {
  const table = readProcTable(procRoot);
  if (!table.has(root)) return null;
  const group = [...table.values()].filter((e) => e.pgrp === root).map((e) => e.pid);
  return descendants(table, [root, ...group]).reduce((sum, pid) => sum + (table.get(pid)?.cpuTicks ?? 0), 0);
}
