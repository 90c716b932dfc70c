// The TCP ports one process listens on, read on demand (not part of the poll): its socket inodes from
// /proc/PID/fd matched against the LISTEN rows of /proc/net/tcp and tcp6.
import * as fs from 'node:fs';
import { parseNetTcp } from './procParsers';

export interface PidSocket {
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
}

/** Listening sockets of `pid`; null when its fd folder is unreadable (gone, another user's). */
export function listeningSocketsOf(pid: number, procRoot = '/proc'): PidSocket[] | null {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = fs.readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of fds) {
    try {
      const target = fs.readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
      if (target.startsWith('socket:[')) inodes.add(Number(target.slice(8, -1)));
    } catch {
      // Closed meanwhile.
    }
  }
  const out: PidSocket[] = [];
  for (const family of [4, 6] as const) {
    let text: string;
    try {
      text = fs.readFileSync(`${procRoot}/net/${family === 4 ? 'tcp' : 'tcp6'}`, 'latin1');
    } catch {
      continue;
    }
    for (const s of parseNetTcp(text, family)) if (inodes.has(s.inode)) out.push({ family, address: s.address, port: s.port });
  }
  return out;
}
