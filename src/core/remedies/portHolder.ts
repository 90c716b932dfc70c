// On-demand port-holder lookup where the poll's socket table has no owner (macOS and Windows without
// privileges, where systeminformation leaves pids out): find-process asks lsof / netstat. It spawns
// tools, so it is never used in the poll, only when the user acts on a port.
import findProcess from 'find-process';
import { redactText } from '../redact';
import type { CrashEntry } from '../history/crashHistory';
import type { ListeningSocket, Server, Snapshot } from '../types';

export interface PortHolder {
  readonly pid: number;
  readonly command: string;
}

/** The process listening on `port`, or null when none is found or the lookup fails. */
export async function lookupPortHolder(port: number): Promise<PortHolder | null> {
  try {
    const found = await findProcess('port', port);
    const p = found.find((x) => x.pid > 0);
    return p ? { pid: p.pid, command: redactText(p.cmd || p.name) } : null;
  } catch {
    return null;
  }
}

/** The snapshot with the holder of `port` filled in when its socket had no owner; unchanged otherwise. */
export async function withPortHolder(snapshot: Snapshot, port: number, lookup = lookupPortHolder): Promise<Snapshot> {
  const sockets = snapshot.sockets.filter((s) => s.port === port);
  if (sockets.some((s) => s.pid !== null)) return snapshot;
  const holder = await lookup(port);
  if (!holder) return snapshot;
  const known: ListeningSocket[] = sockets.length
    ? sockets.map((s) => ({ ...s, pid: holder.pid }))
    : [{ family: 4, address: '0.0.0.0', port, inode: 0, pid: holder.pid }];
  return { ...snapshot, sockets: [...snapshot.sockets.filter((s) => s.port !== port), ...known] };
}

/**
 * The port a server's Kill Port Holder offers: the one its last port-in-use crash named, else the port it expects,
 * else the first it listens on. `entries`: crash history, newest first.
 */
export function portToFree(server: Pick<Server, 'id' | 'name' | 'expectedPort' | 'ports'>, entries: readonly Pick<CrashEntry, 'serverId' | 'server' | 'cause' | 'verdict'>[]): number | null {
  const crash = entries.find((e) => e.cause === 'port-in-use' && (e.serverId === server.id || (e.serverId === null && e.server === server.name)) && typeof e.verdict.detail?.port === 'number');
  return crash?.verdict.detail?.port ?? server.expectedPort ?? server.ports[0] ?? null;
}
