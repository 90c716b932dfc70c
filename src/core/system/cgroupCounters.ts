// A memory cgroup's OOM-kill counter by path (v1 and v2), read when something crashed, never per poll.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKeyedCount, parseMountinfo, type MountEntry } from './procParsers';

let mountCache: MountEntry[] | null = null;

function mounts(): MountEntry[] {
  mountCache ??= (() => {
    try {
      return parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
    } catch {
      return [];
    }
  })();
  return mountCache;
}

/** The oom_kill counter of a memory cgroup by its path (v1 memory.oom_control, v2 memory.events); null when gone or unreadable. */
export function readCgroupOomKills(version: 1 | 2, cgPath: string): number | null {
  const m = mounts().find((x) => (version === 1 ? x.fsType === 'cgroup' && x.superOptions.includes('memory') : x.fsType === 'cgroup2'));
  if (!m) return null;
  const rel = m.root !== '/' && cgPath.startsWith(m.root) ? cgPath.slice(m.root.length) : cgPath;
  const file = path.posix.join(m.mountPoint, rel, version === 1 ? 'memory.oom_control' : 'memory.events');
  try {
    return parseKeyedCount(fs.readFileSync(file, 'utf8'), 'oom_kill');
  } catch {
    return null;
  }
}

