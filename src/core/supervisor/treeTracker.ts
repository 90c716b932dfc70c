// Every process a supervised run started, so that stop and crash clean-up end all of them, including
// those that left the process group (setsid, a double fork, a daemonising tool): a leftover must never
// keep the port and doom every restart. Where a cgroup may be created (root, or a delegated cgroup v2
// subtree) the run gets its own, which no descendant can leave; everywhere else the descendants seen
// while the run was alive are remembered (pid and start time) together with the process group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseMountinfo, parseStat } from '../system/procParsers';
import { descendants, readProcTable } from '../system/procTree';

let runs = 0;

/** A folder for a new cgroup under our own, in cgroup v2 or else a v1 hierarchy without limits (pids, name=systemd); null when none may be made. */
function makeCgroup(): string | null {
  if (process.platform !== 'linux') return null;
  let own: string;
  let mounts;
  try {
    own = fs.readFileSync('/proc/self/cgroup', 'utf8');
    mounts = parseMountinfo(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return null;
  }
  const places: string[] = [];
  for (const line of own.split('\n')) {
    const [id, controllers, cgPath] = [line.slice(0, line.indexOf(':')), line.split(':')[1] ?? '', line.split(':').slice(2).join(':')];
    if (!cgPath) continue;
    const v2 = id === '0' && controllers === '';
    const mount = v2
      ? mounts.find((m) => m.fsType === 'cgroup2')
      : mounts.find((m) => m.fsType === 'cgroup' && controllers.split(',').some((c) => (c === 'pids' || c === 'name=systemd') && m.superOptions.includes(c)));
    if (!mount) continue;
    const rel = path.posix.relative(mount.root, cgPath);
    if (rel.startsWith('..')) continue;
    places[v2 ? 'unshift' : 'push'](path.join(mount.mountPoint, rel));
  }
  const name = `dev-server-doctor-${process.pid}-${++runs}`;
  for (const base of places) {
    const dir = path.join(base, name);
    try {
      fs.mkdirSync(dir);
      if (fs.existsSync(path.join(dir, 'cgroup.procs'))) return dir;
      fs.rmdirSync(dir);
    } catch {
      // Not ours to create here (no delegation): try the next hierarchy, or track by descendants.
    }
  }
  return null;
}

function startTicks(pid: number): number | null {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.startTicks ?? null;
  } catch {
    return null;
  }
}

function live(pid: number): boolean {
  try {
    const st = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    return st !== null && st.state !== 'Z' && st.state !== 'X';
  } catch {
    return false;
  }
}

export class TreeTracker {
  /** pid → start ticks of every descendant seen while the run was alive. */
  private readonly seen = new Map<number, number>();
  private root: number | null = null;

  private constructor(private cgroupDir: string | null) {}

  /** The run's own cgroup folder, or null when tracking by descendants. */
  get cgroup(): string | null {
    return this.cgroupDir;
  }

  /** A tracker for one run; `useCgroup` false forces tracking by descendants (as without privileges). */
  static create(useCgroup = true): TreeTracker {
    return new TreeTracker(useCgroup ? makeCgroup() : null);
  }

  get mode(): 'cgroup' | 'descendants' {
    return this.cgroup ? 'cgroup' : 'descendants';
  }

  /**
   * The spawn arguments that put the run's first process into the cgroup before it runs anything (then exec: the
   * same process becomes the command, so its exit status is the command's own); null = run `command` as before.
   */
  spawnArgs(command: string): { file: string; args: string[] } | null {
    if (!this.cgroup) return null;
    return { file: '/bin/sh', args: ['-c', 'echo $$ > "$0" 2>/dev/null; exec /bin/sh -c "$1"', path.join(this.cgroup, 'cgroup.procs'), command] };
  }

  /**
   * Checks that the run's first process did join its cgroup (a v2 cgroup may refuse members, e.g. a threaded or
   * invalid domain); when it did not, the cgroup is given up and the run is tracked by descendants instead.
   */
  confirmJoined(pid: number): void {
    if (!this.cgroupDir) return;
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      return; // exited already: its cgroup still holds what it left behind
    }
    const name = path.basename(this.cgroupDir);
    if (text.split('\n').some((l) => l.endsWith(`/${name}`))) return;
    try { fs.rmdirSync(this.cgroupDir); } catch { /* not empty after all: leave it */ }
    this.cgroupDir = null;
  }

  /** Remembers the run's current descendants and group members (called while it runs, and before every signal). */
  note(root: number): void {
    this.root = root;
    if (process.platform !== 'linux') return;
    const table = readProcTable();
    const group = [...table.values()].filter((e) => e.pgrp === root).map((e) => e.pid);
    for (const pid of descendants(table, [root, ...group])) {
      const e = table.get(pid);
      if (e && pid !== process.pid) this.seen.set(pid, e.startTicks);
    }
  }

  /** The run's processes alive now: its cgroup's, the remembered ones still the same process, its group's. */
  members(): number[] {
    const out = new Set<number>();
    if (this.cgroup) {
      try {
        for (const l of fs.readFileSync(path.join(this.cgroup, 'cgroup.procs'), 'utf8').split('\n')) if (l) out.add(Number(l));
      } catch {
        // Removed already.
      }
    }
    for (const [pid, ticks] of this.seen) if (startTicks(pid) === ticks) out.add(pid);
    if (this.root !== null) for (const e of readProcTable().values()) if (e.pgrp === this.root) out.add(e.pid);
    out.delete(process.pid);
    return [...out].filter(live);
  }

  alive(): boolean {
    return this.members().length > 0;
  }

  /** Signals every member; SIGKILL goes through cgroup.kill where the kernel has it (nothing can fork past it). */
  signal(sig: NodeJS.Signals): void {
    if (sig === 'SIGKILL' && this.cgroup) {
      try { fs.writeFileSync(path.join(this.cgroup, 'cgroup.kill'), '1'); } catch { /* cgroup v1 or before Linux 5.14 */ }
    }
    for (const pid of this.members()) {
      const ticks = this.seen.get(pid);
      if (ticks !== undefined && startTicks(pid) !== ticks) continue; // that pid is another process now
      try { process.kill(pid, sig); } catch { /* exited meanwhile */ }
    }
  }

  /** Removes the cgroup once it is empty (it is left for the system when something in it survived). */
  dispose(): void {
    if (this.cgroupDir) {
      try { fs.rmdirSync(this.cgroupDir); } catch { /* still has processes, or gone */ }
    }
    this.seen.clear();
  }
}
