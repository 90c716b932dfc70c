// Small readers of one live process and of who holds a port, for crash evidence and reports. None throws.
import * as fs from 'node:fs';
import type { ListeningSocket } from '../types';
import { redactArgs } from '../redact';
import { parseCmdline } from './procParsers';

/** A process holding a port now; pid null = another user's process (its socket has no visible owner). */
export interface PortHolder {
  readonly port: number;
  readonly pid: number | null;
  readonly command: string | null;
}

/** A live process's command line, redacted; null when gone or unreadable (or not Linux). */
export function processCommand(pid: number): string | null {
  try {
    const argv = parseCmdline(fs.readFileSync(`/proc/${pid}/cmdline`));
    return argv.length ? redactArgs(argv).join(' ') : null;
  } catch {
    return null;
  }
}

/** Who holds each port now, from the socket table; `commandOf` names known pids (the snapshot's), the rest are read. */
export function portHolders(ports: readonly number[], sockets: readonly ListeningSocket[], commandOf: (pid: number) => string | null = () => null): PortHolder[] {
  const holders: PortHolder[] = [];
  for (const port of new Set(ports)) {
    const s = sockets.find((x) => x.port === port && x.pid !== null) ?? sockets.find((x) => x.port === port);
    if (!s) continue;
    holders.push({ port, pid: s.pid, command: s.pid === null ? null : commandOf(s.pid) ?? processCommand(s.pid) });
  }
  return holders;
}

