// Where the container engine listens: DOCKER_HOST when set, else Docker's and Podman's usual sockets.
// Pure except for stat calls; no connection is made here.
import * as fs from 'node:fs';
import * as path from 'node:path';

export type EngineAddress =
  | { readonly kind: 'socket'; readonly socketPath: string; readonly label: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly protocol: 'http' | 'https'; readonly label: string };

export interface EngineLookup {
  readonly address: EngineAddress | null;
  /** Why there is none, in one sentence (shown as the one line in the System view). */
  readonly reason: string | null;
}

function isSocket(p: string): boolean {
  try {
    return fs.statSync(p).isSocket();
  } catch {
    return false;
  }
}

/** The engine's address from DOCKER_HOST (`unix:///…`, `tcp://host:port`), else the first socket that exists. */
export function findEngine(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = isSocket): EngineLookup {
  const host = env.DOCKER_HOST?.trim();
  if (host) {
    if (host.startsWith('unix://')) {
      const socketPath = host.slice('unix://'.length);
      return exists(socketPath)
        ? { address: { kind: 'socket', socketPath, label: host }, reason: null }
        : { address: null, reason: `DOCKER_HOST is ${host}, but no socket is there.` };
    }
    const m = /^tcp:\/\/([^:/]+|\[[^\]]+\]):(\d+)\/?$/.exec(host);
    if (m) {
      const tls = env.DOCKER_TLS_VERIFY === '1';
      return { address: { kind: 'tcp', host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]), protocol: tls ? 'https' : 'http', label: host }, reason: null };
    }
    return { address: null, reason: `DOCKER_HOST=${host} is not a unix:// or tcp:// address this extension understands.` };
  }
  const runtime = env.XDG_RUNTIME_DIR;
  const candidates = [
    '/var/run/docker.sock',
    ...(runtime ? [path.join(runtime, 'docker.sock'), path.join(runtime, 'podman', 'podman.sock')] : []),
    ...(env.HOME ? [path.join(env.HOME, '.docker', 'run', 'docker.sock'), path.join(env.HOME, '.colima', 'default', 'docker.sock')] : []),
    '/run/podman/podman.sock',
  ];
  for (const socketPath of candidates) {
    if (exists(socketPath)) return { address: { kind: 'socket', socketPath, label: `unix://${socketPath}` }, reason: null };
  }
  return { address: null, reason: 'No Docker or Podman engine found (no socket at /var/run/docker.sock, and DOCKER_HOST is not set).' };
}
