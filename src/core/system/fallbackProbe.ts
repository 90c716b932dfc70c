// Probe for macOS, Windows and Linux without /proc, built on systeminformation. It spawns ps/netstat/PowerShell
// (≈ 400 ms a poll), which is acceptable only as a fallback. Every library call is guarded: failures become warnings.
import * as path from 'node:path';
import type { Systeminformation as SI } from 'systeminformation';
import type {
  CgroupInfo, DiskInfo, ListeningSocket, MemoryInfo, ProcessInfo, SampleOptions, SystemProbe, SystemSample,
} from '../types';
import { EMPTY_MEMORY, mountForPath, percent } from './procParsers';

const STATE_LETTERS: Record<string, string> = {
  running: 'R', sleeping: 'S', blocked: 'D', zombie: 'Z', stopped: 'T', paging: 'W', dead: 'X',
};

/** Windows paths compare case-insensitively with either slash; mount points like 'C:' then prefix 'c:/…'. */
function comparablePath(p: string): string {
  return process.platform === 'win32' ? p.replace(/\\/g, '/').replace(/\/$/, '').toLowerCase() : p;
}

/** ps prints a local time "YYYY-MM-DD HH:MM:SS", Windows a date; 0 when unparseable. */
function parseStarted(started: unknown): number {
  const ms = started instanceof Date ? started.getTime() : new Date(String(started)).getTime();
  return Number.isFinite(ms) ? ms : 0;
}

function toProcess(p: SI.ProcessesProcessData): ProcessInfo {
  // systeminformation splits the command line at its own guess of where arguments start; this argv is approximate.
  const exe = p.path && process.platform !== 'win32' ? `${p.path}/${p.command}` : p.command;
  return {
    pid: p.pid,
    ppid: p.parentPid,
    state: STATE_LETTERS[p.state] ?? '?',
    comm: p.name,
    cmdline: p.params ? [exe, ...p.params.split(/\s+/)] : exe ? [exe] : [],
    // Reading another process's cwd needs a spawn per process here (lsof, PowerShell): only our own is cheap.
    cwd: p.pid === process.pid ? process.cwd() : null,
    rssBytes: (p.memRss || 0) * 1024,
    startTimeMs: parseStarted(p.started),
    uid: -1,
  };
}

function toSocket(c: SI.NetworkConnectionsData): ListeningSocket | null {
  const port = Number(c.localPort);
  if (!Number.isInteger(port)) return null;
  const v6 = c.protocol.includes('6') || c.localAddress.includes(':');
  const address = c.localAddress === '*' || c.localAddress === '' ? (v6 ? '::' : '0.0.0.0') : c.localAddress;
  return { family: v6 ? 6 : 4, address, port, inode: 0, pid: Number.isInteger(c.pid) && c.pid > 0 ? c.pid : null };
}

export class FallbackProbe implements SystemProbe {
  private readonly warned = new Set<string>();
  // Required here, not imported: its module initialisation (≈ 13 ms) is wasted where ProcfsProbe is used.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deliberately lazy, see above
  private readonly si: typeof import('systeminformation') = require('systeminformation');

  async sample(opts: SampleOptions): Promise<SystemSample> {
    const warnings: string[] = [];
    const [procs, conns, mem, fsSizes] = await Promise.all([
      this.guard('processes', 'Cannot list processes', warnings, () => this.si.processes()),
      this.guard('ports', 'Cannot list listening ports', warnings, () => this.si.networkConnections()),
      this.guard('memory', 'Cannot read system memory', warnings, () => this.si.mem()),
      this.guard('disks', 'Cannot read disk space', warnings, () => this.si.fsSize()),
    ]);
    return {
      takenAt: Date.now(),
      platform: process.platform,
      processes: (procs?.list ?? []).map(toProcess),
      sockets: this.listening(conns ?? []),
      memory: mem ? this.memory(mem) : EMPTY_MEMORY,
      pressure: null,
      disks: this.disks(fsSizes ?? [], opts.diskPaths, warnings),
      inotify: { maxUserWatches: null, maxUserInstances: null },
      warnings,
    };
  }

  readEnviron(): Record<string, string> | null {
    return null;
  }

  readCgroup(): CgroupInfo | null {
    return null;
  }

  private warn(out: string[], kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    out.push(message);
  }

  private async guard<T>(kind: string, what: string, warnings: string[], call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (err) {
      this.warn(warnings, kind, `${what}: ${err instanceof Error ? err.message : String(err)}.`);
      return null;
    }
  }

  private listening(conns: SI.NetworkConnectionsData[]): ListeningSocket[] {
    const seen = new Set<string>();
    const sockets: ListeningSocket[] = [];
    for (const c of conns) {
      if (!c.state?.toUpperCase().startsWith('LISTEN') || !c.protocol?.toLowerCase().startsWith('tcp')) continue;
      const s = toSocket(c);
      // netstat lists a socket once per process sharing it on some systems.
      const key = s && `${s.family} ${s.address} ${s.port} ${s.pid}`;
      if (!s || !key || seen.has(key)) continue;
      seen.add(key);
      sockets.push(s);
    }
    return sockets;
  }

  private memory(m: SI.MemData): MemoryInfo {
    return {
      totalBytes: m.total,
      availableBytes: m.available,
      usedPercent: percent(m.total - m.available, m.total),
      swapTotalBytes: m.swaptotal,
      swapUsedBytes: m.swapused,
    };
  }

  private disks(sizes: SI.FsSizeData[], paths: readonly string[], warnings: string[]): DiskInfo[] {
    const mounts = sizes.map((s) => ({ mountPoint: comparablePath(s.mount), size: s }));
    const groups = new Map<SI.FsSizeData, string[]>();
    for (const p of paths) {
      const mount = mountForPath(mounts, comparablePath(path.resolve(p)));
      if (!mount) {
        this.warn(warnings, `disk:${p}`, `Cannot tell which disk holds ${p}.`);
        continue;
      }
      const forPaths = groups.get(mount.size) ?? [];
      forPaths.push(p);
      groups.set(mount.size, forPaths);
    }
    return [...groups].map(([s, forPaths]) => ({
      mount: s.mount,
      fsType: s.type || null,
      totalBytes: s.size,
      freeBytes: s.available,
      usedPercent: percent(s.used, s.used + s.available),
      forPaths,
    }));
  }
}
