// Which URL a load test may target: only loopback URLs on a port one of the workspace's running servers listens on.
import { isLoopbackHost } from '../health/check';
import { loopbackFor } from '../health/checker';
import type { Server, Snapshot } from '../types';

export type LoadTarget = { readonly url: string; readonly server: Server } | { readonly refused: string };

const RUNNING = new Set<Server['state']>(['up', 'unresponsive', 'orphaned']);

/** The server behind `url` (or, without one, the only running server's first loopback port). Pure. */
export function loadTarget(url: string | null, snap: Snapshot): LoadTarget {
  const running = snap.servers.filter((s) => RUNNING.has(s.state) && s.ports.length > 0);
  if (url === null) {
    if (running.length === 0) return { refused: 'No server of this workspace is listening: start one, or pass --url.' };
    if (running.length > 1) {
      return { refused: `Several servers are listening (${running.map((s) => `${s.name} :${s.ports.join(',')}`).join('; ')}): pass --url http://127.0.0.1:PORT/ for one of them.` };
    }
    const s = running[0]!;
    for (const port of s.ports) {
      const socket = snap.sockets.find((k) => k.port === port && k.pid !== null && s.pids.includes(k.pid) && loopbackFor(k));
      if (socket) {
        const host = loopbackFor(socket)!;
        return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`, server: s };
      }
    }
    return { refused: `${s.name} listens on no loopback address.` };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { refused: `"${url}" is not a URL.` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { refused: `Only http and https URLs can be load tested, not ${u.protocol}` };
  if (!isLoopbackHost(u.hostname)) {
    return { refused: `Refused: ${u.hostname} is not this machine's loopback. Load tests only target loopback URLs (localhost, 127.0.0.1, ::1) of this workspace's own servers.` };
  }
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  const server = running.find((s) => s.ports.includes(port));
  if (!server) {
    const list = running.map((s) => `${s.name} :${s.ports.join(',')}`).join('; ') || 'none is running';
    return { refused: `Refused: nothing of this workspace listens on port ${port} (its servers: ${list}). Load tests only target the workspace's own servers.` };
  }
  if (u.hostname === 'localhost') {
    // "localhost" may resolve to the family the server does not listen on: use the address it does.
    const socket = snap.sockets.find((k) => k.port === port && k.pid !== null && server.pids.includes(k.pid) && loopbackFor(k));
    if (socket) u.hostname = loopbackFor(socket)!.includes(':') ? `[${loopbackFor(socket)}]` : loopbackFor(socket)!;
  }
  return { url: u.href, server };
}
