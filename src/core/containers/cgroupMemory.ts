// A container's memory use and limit from its own cgroup files, found from its id (cgroupfs and
// systemd drivers, Docker and Podman, cgroup v1 and v2), else from its main pid. A few small sync
// reads: no stats request to the engine.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKeyedCount, parseMountinfo, parseProcCgroup, type MountEntry } from '../system/procParsers';

/** v1 reports "no limit" as a page-rounded 2^63. */
const V1_UNLIMITED = 2 ** 62;

export interface ContainerMemory {
  /** Usage minus inactive file cache, as `docker stats` shows it. */
  readonly usageBytes: number;
  readonly limitBytes: number | null;
  readonly oomKills: number | null;
  /** The cgroup folder read. */
  readonly dir: string;
}

let mountCache: MountEntry[] | null = null;
function mounts(): MountEntry[] {
  if (mountCache) return mountCache;
  try {
    mountCache = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    mountCache = [];
  }
  return mountCache;
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function relative(m: MountEntry, cgPath: string): string {
  return m.root !== '/' && cgPath.startsWith(m.root) ? cgPath.slice(m.root.length) : cgPath;
}

/** Cgroup folders a container with this id lives in, by driver and engine. */
function candidates(id: string): string[] {
  return [
    `/docker/${id}`, `/system.slice/docker-${id}.scope`,
    `/machine.slice/libpod-${id}.scope`, `/libpod_parent/libpod-${id}`,
    `/kubepods/${id}`,
  ];
}

function readDir(dir: string, version: 1 | 2): ContainerMemory | null {
  const usageText = read(path.join(dir, version === 1 ? 'memory.usage_in_bytes' : 'memory.current'));
  if (usageText === null) return null;
  const usage = Number(usageText.trim());
  const stat = read(path.join(dir, 'memory.stat')) ?? '';
  const inactive = parseKeyedCount(stat, version === 1 ? 'total_inactive_file' : 'inactive_file');
  const limitText = (read(path.join(dir, version === 1 ? 'memory.limit_in_bytes' : 'memory.max')) ?? '').trim();
  const limitNum = Number(limitText);
  const limitBytes = limitText === '' || limitText === 'max' || !Number.isFinite(limitNum) || limitNum >= V1_UNLIMITED ? null : limitNum;
  const oomText = read(path.join(dir, version === 1 ? 'memory.oom_control' : 'memory.events'));
  return {
    usageBytes: Math.max(0, usage - (inactive < usage ? inactive : 0)),
    limitBytes,
    oomKills: oomText === null ? null : parseKeyedCount(oomText, 'oom_kill'),
    dir,
  };
}

/** Memory of a container by id (and its main pid as a fallback); null when no cgroup folder is readable. */
export function readContainerMemory(id: string, pid: number | null): ContainerMemory | null {
  const all = mounts();
  const v1 = all.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
  const v2 = all.find((m) => m.fsType === 'cgroup2');
  for (const [m, version] of [[v1, 1], [v2, 2]] as const) {
    if (!m) continue;
    for (const c of candidates(id)) {
      const found = readDir(path.posix.join(m.mountPoint, relative(m, c)), version);
      if (found) return found;
    }
  }
  if (pid === null) return null;
  const text = read(`/proc/${pid}/cgroup`);
  if (text === null) return null;
  const cg = parseProcCgroup(text);
  if (cg.v1Memory !== null && v1) return readDir(path.posix.join(v1.mountPoint, relative(v1, cg.v1Memory)), 1);
  if (cg.v2 !== null && v2) return readDir(path.posix.join(v2.mountPoint, relative(v2, cg.v2)), 2);
  return null;
}
