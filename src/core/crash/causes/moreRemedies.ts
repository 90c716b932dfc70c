// Ranked remedies for the newer causes and for each memory kind: what to do first, with the exact line
// a user would type. Pure; the catalogue turns each into a clickable remedy.

import * as path from 'node:path';
import { formatBytes } from '../../format';
import { isInside } from '../../paths';
import type { CauseId, VerdictDetail } from '../types';
import type { MemoryKind } from './memoryKind';
import type { RemedyArgs, RemedyId } from '../../remedies/catalogue';
import { switchCommand } from './verdictCauses';

/** A remedy by catalogue id, before the server's identity is added. */
export interface MoreRemedy {
  readonly id: RemedyId;
  readonly title: string;
  readonly detail?: string;
  readonly args?: RemedyArgs;
}

const MB = 1024 * 1024;

/** The heap-limit raise of today: twice the limit (or use), rounded up to 256 MB, at least 512 MB. */
export function raisedHeapMB(limitBytes: number | undefined, usedBytes: number | undefined): number {
  const base = (limitBytes ?? usedBytes ?? 0) / MB;
  return base ? Math.max(Math.ceil((base * 2) / 256) * 256, 512) : 4096;
}

/** Flags that make the next run write a heap snapshot as V8 nears its limit (one snapshot, in the server's folder). */
export function snapshotFlags(cwd: string | undefined, maxOldSpaceMB?: number): string {
  return [`--heapsnapshot-near-heap-limit=1`, ...(cwd ? [`--diagnostic-dir=${cwd}`] : []), ...(maxOldSpaceMB ? [`--max-old-space-size=${maxOldSpaceMB}`] : [])].join(' ');
}

function ceilingRemedy(k: MemoryKind | undefined): MoreRemedy | null {
  const c = k?.ceiling;
  if (!c) return null;
  if (c.remedy) return { id: 'raise-memory-ceiling', title: c.remedy.title, detail: [c.remedy.text, ...c.remedy.then.map((t) => `→ ${t}`)].join('\n'), args: { where: c.where, ...(c.remedy.file ? { file: c.remedy.file } : {}) } };
  if (c.where === 'machine') return null;
  return { id: 'raise-memory-ceiling', title: `Raise the memory limit: ${c.what}`, args: { where: c.where } };
}

/**
 * Remedies of a memory verdict by its kind; null = keep the cause's usual ones. A leak's snapshot comes
 * first only when memory and disk can hold it; a native growth never gets a heap raise.
 */
export function memoryRemedies(cause: CauseId, k: MemoryKind | undefined, detail: VerdictDetail): MoreRemedy[] | null {
  if (!k) return null;
  const mb = raisedHeapMB(detail.heapLimitBytes, detail.heapUsedBytes);
  const raise = (stopgap: boolean): MoreRemedy => ({
    id: 'raise-heap-limit', title: `Raise the heap limit to ${mb} MB${stopgap ? ' (stopgap: a leak only takes longer)' : ''}`,
    detail: `--max-old-space-size=${mb}, set where the script sets it`, args: { megabytes: mb },
  });
  const ceiling = ceilingRemedy(k);
  if (k.kind === 'leak') {
    // Killed by the kernel: V8 must reach its own limit first, below the ceiling, to write the snapshot.
    const below = cause !== 'heap-oom' && k.ceilingBytes ? Math.max(256, Math.floor((k.ceilingBytes * 0.75) / MB / 64) * 64) : undefined;
    const snap: MoreRemedy[] = k.snapshot?.possible
      ? [{ id: 'capture-heap-snapshot', title: 'Capture a heap snapshot near the limit on the next run, then restart',
        detail: `NODE_OPTIONS=${snapshotFlags(detail.cwd, below)}${below ? ` (heap limit below the ${formatBytes(k.ceilingBytes!)} ceiling so V8 stops first)` : ''}`,
        args: { ...(below ? { megabytes: below } : {}), ...(detail.cwd ? { path: detail.cwd } : {}) } }]
      : [];
    return cause === 'heap-oom' ? [...snap, raise(true)] : [...snap, ...(ceiling ? [ceiling] : []), { id: 'kill-zombies', title: 'Stop orphaned and zombie dev servers to free memory' }];
  }
  if (k.kind === 'native-growth') {
    return [...(ceiling ? [ceiling] : []), { id: 'kill-zombies', title: 'Stop orphaned and zombie dev servers to free memory' }];
  }
  if (k.kind === 'undersized') return [raise(false)];
  return null;
}

/** Remedies of the newer causes, best first (the restart is added by the caller); null for the first fifteen. */
export function moreRemedies(cause: CauseId, d: VerdictDetail): MoreRemedy[] | null {
  switch (cause) {
    case 'native-abi-mismatch': {
      const pkg = d.package;
      if (d.builtAbi === undefined && pkg) {
        return [{ id: 'install-dependencies', title: `Reinstall dependencies on this machine (${pkg} was installed for another platform)`, detail: 'npm ci', args: { package: pkg } }];
      }
      return [
        { id: 'rebuild-native-module', title: pkg ? `Rebuild ${pkg} for this Node` : 'Rebuild native modules for this Node', detail: pkg ? `npm rebuild ${pkg}` : 'npm rebuild', args: pkg ? { package: pkg } : {} },
        { id: 'install-dependencies', title: 'Reinstall dependencies', detail: 'npm ci' },
      ];
    }
    case 'node-version-mismatch': {
      const req = d.requiredNode;
      if (!req) return [{ id: 'switch-node-version', title: 'Use a newer Node.js (the project declares no version: add engines.node or .nvmrc)' }];
      const manager = d.versionManager ? { name: d.versionManager as 'nvm' | 'fnm' | 'volta', at: '' } : null;
      const cmd = switchCommand({ source: req.source as 'engines.node' | '.nvmrc' | '.node-version', file: req.file, range: req.range }, manager);
      return [{ id: 'switch-node-version', title: `Switch to Node ${req.range}${manager ? ` with ${manager.name}` : ''}`, detail: cmd, args: { version: req.range, ...(manager ? { manager: manager.name } : {}) } }];
    }
    case 'port-permission': {
      const port = d.port;
      const alt = port === undefined ? 3000 : port < 1024 ? (port === 443 ? 8443 : port === 80 ? 8080 : 3000) : port + 1;
      return [{
        id: 'use-unprivileged-port', title: `Use port ${alt} instead${port !== undefined ? ` of ${port}` : ''}`, args: { port: alt },
        detail: port !== undefined && port < 1024
          ? `PORT=${alt} (or grant node the capability, never run the dev server as root: sudo setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")")`
          : `PORT=${alt} (Windows: netsh interface ipv4 show excludedportrange protocol=tcp lists the reserved ranges)`,
      }];
    }
    case 'process-limit': {
      const p = d.processes;
      const zombieParents = (p?.holders ?? []).filter((h) => h.zombieChildren > 0);
      const lines = [p?.cgroup ? `pids.max ${p.cgroup.max} (cgroup ${p.cgroup.path})` : null, p?.ulimit ? `ulimit -u ${p.ulimit}` : null].filter(Boolean).join(', ');
      const kill: MoreRemedy = zombieParents.length
        ? { id: 'kill-zombies', title: `Stop the parents of ${zombieParents.reduce((n, h) => n + h.zombieChildren, 0)} zombie processes`, args: { pids: zombieParents.map((h) => h.pid) } }
        : { id: 'kill-zombies', title: 'Stop orphaned dev servers and reap zombies' };
      return [kill, { id: 'raise-process-limit', title: 'Raise the process limit', detail: `${lines ? `now ${lines}; ` : ''}ulimit -u 8192 in the shell that starts it, or a larger pids.max / TasksMax= for its cgroup` }];
    }
    case 'localhost-ipv6': {
      const port = d.port ?? 0;
      const v4 = d.address === '::1';
      return [{
        id: 'use-ipv4-loopback', title: v4 ? `Connect to 127.0.0.1:${port} instead of localhost` : `Connect to [::1]:${port}, or make the service listen on both`,
        detail: v4 ? `http://127.0.0.1:${port} — or listen on both families (host '::'), or NODE_OPTIONS=--dns-result-order=ipv4first` : `http://[::1]:${port} — or listen on both families (host '::' or '0.0.0.0')`,
        args: { port, address: v4 ? '127.0.0.1' : '::1' },
      }];
    }
    case 'stale-build-cache': {
      const writers = d.otherWriters ?? [];
      return [
        ...writers.slice(0, 1).map((w): MoreRemedy => ({ id: 'kill-process-tree', title: `Stop the other build writing the cache (pid ${w.pid})`, detail: w.command, args: { pid: w.pid } })),
        { id: 'clear-build-cache', title: `Move ${d.cacheDir ?? 'the build cache'} to the trash`, ...(d.cacheDir ? { args: { path: d.cacheDir } } : {}) },
      ];
    }
    case 'inspector-port-in-use': {
      const other: MoreRemedy = { id: 'use-other-inspector-port', title: 'Let the debugger pick a free port', detail: '--inspect=0 (or --inspect=9230)', args: { port: 0 } };
      const h = d.holder;
      if (!h || h.pid === null || d.holderIsEditor) return [other];
      return [{ id: 'kill-port-holder', title: `Stop the process holding inspector port ${d.port}`, args: { port: d.port, pid: h.pid } }, other];
    }
    default:
      return null;
  }
}

/** Framework caches a stale-build-cache remedy may move to the trash (never anything else). */
export const BUILD_CACHE_DIRS: readonly string[] = ['.next', 'node_modules/.vite', '.nuxt', '.svelte-kit', '.parcel-cache', 'node_modules/.cache', '.turbo', '.angular/cache'];

/** Why `dir` may not be cleared, or null when it is a framework cache inside a workspace folder. */
export function buildCacheRefusal(dir: string, workspaceFolders: readonly string[]): string | null {
  const abs = path.resolve(dir);
  const p = abs.replace(/\\/g, '/');
  if (!BUILD_CACHE_DIRS.some((c) => p.endsWith(`/${c}`))) return `${dir} is not a framework build cache (${BUILD_CACHE_DIRS.join(', ')})`;
  if (!workspaceFolders.some((f) => abs !== path.resolve(f) && isInside(abs, path.resolve(f)))) return `${dir} is outside the workspace folders`;
  return null;
}

/** NODE_OPTIONS with the heap-snapshot flags (earlier ones replaced), and the heap limit when given. */
export function withSnapshotFlags(existing: string | null | undefined, cwd: string | undefined, maxOldSpaceMB?: number): string {
  const kept = (existing ?? '').split(/\s+/).filter((t) => t && !/^--heapsnapshot-near-heap-limit(?:=|$)|^--diagnostic-dir(?:=|$)/.test(t) && !(maxOldSpaceMB && /^--max[-_]old[-_]space[-_]size(?:=|$)/.test(t)));
  return [...kept, snapshotFlags(cwd, maxOldSpaceMB)].join(' ');
}
