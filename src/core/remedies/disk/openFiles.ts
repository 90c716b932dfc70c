// Which running processes hold a file open: deleting such a file frees nothing until they close it.
import * as fs from 'node:fs';
import { processCommand } from '../../system/processInfo';
import type { OpenHolder } from './types';

/**
 * For each path, the processes with it open now (matched by /proc/PID/fd link text, confirmed by device and inode).
 * Linux only; elsewhere, and for processes we may not look into, nothing is found. Never throws.
 */
export function openHolders(paths: readonly string[]): Map<string, OpenHolder[]> {
  const out = new Map<string, OpenHolder[]>();
  if (process.platform !== 'linux' || paths.length === 0) return out;
  const wanted = new Map<string, { dev: number; ino: number }>();
  for (const p of paths) {
    try {
      const st = fs.lstatSync(p);
      wanted.set(p, { dev: st.dev, ino: st.ino });
    } catch {
      // gone: nobody holds it by this name
    }
  }
  let pids: string[];
  try {
    pids = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const id = wanted.get(target);
      if (!id) continue;
      try {
        const st = fs.statSync(`/proc/${pid}/fd/${fd}`);
        if (st.dev !== id.dev || st.ino !== id.ino) continue;
      } catch {
        continue;
      }
      const list = out.get(target) ?? [];
      if (!list.some((h) => h.pid === Number(pid))) list.push({ pid: Number(pid), command: processCommand(Number(pid)) ?? `pid ${pid}` });
      out.set(target, list);
    }
  }
  return out;
}
