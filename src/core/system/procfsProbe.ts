// Linux probe reading /proc directly. Reads are synchronous on purpose: thousands of tiny /proc files cost 2–6× the
// CPU through fs.promises (docs: poll-cost.md), and a poll takes a few milliseconds.
// Why this file is long (~650 lines): it is the one hand-written per-poll reader, and its caches (a process's cwd,
// command line and owner per pid + start time) and the socket-table gate are state shared by every read of a poll;
// the pure parsing of /proc formats lives in procParsers.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { learnSecretValues } from '../redact';
import type {
  CgroupInfo, DiskInfo, InotifyInfo, ListeningSocket, MemoryInfo, PressureInfo, ProcessInfo, SampleOptions,
  SystemProbe, SystemSample,
} from '../types';
import {
  EMPTY_MEMORY, MountEntry, RawSocket, USER_HZ, mountForPath, parseBtime, parseCmdline, parseEnviron, parseIntFile,
  parseKernelPageSize, parseKeyedCount, parseMeminfo, parseMountinfo, parseNetTcp, parsePressure, parseProcCgroup,
  parseStat, parseStatusUid, percent,
} from './procParsers';
import { NetTableGate, type NetTableDecision, type WatchedSockets } from './netTableGate';

/** Mount table re-read at least this often (in polls); also whenever a watched path changes file system type. */
const MOUNTINFO_REFRESH_POLLS = 30;
/** Younger processes may still exec, set process.title or drop privileges, so their argv and uid are not cached yet. */
const IDENTITY_CACHE_MIN_AGE_MS = 2000;
/** cgroup v1 reports "no limit" as a huge page-aligned number near 2^63. */
const V1_UNLIMITED = 2 ** 62;
/**
 * Processes that cannot be part of a workspace server (not working in a watched folder, not a watched pid, not a
 * descendant of one, not younger than the identity cache) have their stat read only every this many polls, staggered
 * by pid. Only a new fork can join a server's tree (a new pid, always read), and a pid is reused only after the
 * kernel's cyclic allocator wraps around pid_max, so what is skipped is their memory and state, which nothing shows.
 */
const UNRELATED_STAT_POLLS = 5;
/** Approximate length of one /proc/net/tcp{,6} row, to size reads (see readListeningTable). */
const TCP_ROW_BYTES = 160;
/** A complete row whose state is not LISTEN. */
const NON_LISTEN_ROW = /^\s*\d+: \S+ \S+ (?!0A )/m;

/** CPU and start times of one process as its stat said at the last poll (clock ticks, USER_HZ). */
export interface ProcTimes {
  readonly startTicks: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
}

interface ProcRecord extends ProcTimes {
  readonly info: ProcessInfo;
  readonly kernelThread: boolean;
}

/** What rarely changes during a process's life: argv, working directory and real uid. */
interface Identity {
  readonly startTicks: number;
  readonly comm: string;
  readonly cmdline: readonly string[];
  readonly cwd: string | null;
  readonly uid: number;
}

/** What the last poll did about the TCP tables, for tests and benches. */
export interface NetTableStats {
  readonly decision: NetTableDecision | 'always';
  /** Processes whose socket inodes were compared. */
  readonly watched: number;
}

interface SocketOwner {
  readonly pid: number;
  readonly startTicks: number;
}

/** Whether a working directory is one of the folders or inside one. */
function inFolders(cwd: string | null, folders: readonly string[]): boolean {
  return cwd !== null && folders.some((f) => cwd === f || cwd.startsWith(f.endsWith('/') ? f : `${f}/`));
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}

export class ProcfsProbe implements SystemProbe {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private btimeSec: number | null | undefined;
  private readonly warned = new Set<string>();
  private polls = 0;
  private mounts: MountEntry[] | null = null;
  private mountsReadAtPoll = 0;
  private readonly pathFsTypes = new Map<string, number>();
  private readonly identities = new Map<number, Identity>();
  private pageSize: number | undefined;
  private readonly socketOwners = new Map<number, SocketOwner>();
  /**
   * Listening inodes whose owner was not found (another user's process, another pid namespace), with the newest
   * process start (ticks) already searched: later polls only search processes started since.
   */
  private readonly unresolvedSockets = new Map<number, number>();
  private readonly lastListenCount = { 4: 0, 6: 0 };
  private readonly ownUid = process.getuid?.() ?? -1;
  private readonly gate = new NetTableGate();
  private lastRaw: RawSocket[] = [];
  private netStats: NetTableStats = { decision: 'always', watched: 0 };
  /** Last poll's record of every process, reused for unrelated ones between their stat reads. */
  private records = new Map<number, ProcRecord>();
  /** Pids whose stat is read every poll (see UNRELATED_STAT_POLLS); null: every process. */
  private related: Set<number> | null = null;
  private statReads = 0;

  /**
   * Start and CPU times of every process of the last sample, by pid (for CPU-use deltas between polls). With a watch
   * scope, those of processes unrelated to it are refreshed only every UNRELATED_STAT_POLLS polls.
   */
  get processTimes(): ReadonlyMap<number, ProcTimes> {
    return this.records;
  }

  /** How many /proc/PID/stat files the last sample read. */
  get lastStatReads(): number {
    return this.statReads;
  }

  /** What the last sample did about the TCP tables. */
  get lastNetTables(): NetTableStats {
    return this.netStats;
  }

  async sample(opts: SampleOptions): Promise<SystemSample> {
    const warnings: string[] = [];
    this.polls++;
    let raw: RawSocket[];
    let procs: ProcRecord[];
    if (opts.watchFolders === undefined && opts.watchPids === undefined) {
      // Sockets before processes: every socket's owner then already exists when /proc is listed.
      raw = this.readTables(warnings);
      this.related = null;
      procs = this.readProcesses(warnings);
      this.netStats = { decision: 'always', watched: 0 };
    } else {
      // Processes first: their socket inodes decide whether the tables are read at all. A socket whose owner
      // started after the listing gets its owner at the next poll (searchOwners looks at newer processes again).
      procs = this.readProcesses(warnings);
      const folders = opts.watchFolders ?? [];
      const pids = new Set(opts.watchPids ?? []);
      const watched = this.watchedSockets(procs, folders, pids);
      const decision = this.gate.decide(watched, this.ownerGone(procs));
      raw = decision === 'unchanged' ? this.lastRaw : this.readTables(warnings);
      this.netStats = { decision, watched: watched.length };
      this.related = this.relatedPids(procs, folders, pids);
    }
    this.lastRaw = raw;
    return {
      takenAt: Date.now(),
      platform: process.platform,
      processes: procs.map((p) => p.info),
      sockets: this.assignOwners(raw, procs),
      memory: this.readMemory(warnings),
      pressure: this.readPressure(),
      disks: this.readDisks(opts.diskPaths, warnings),
      inotify: this.readInotify(warnings),
      warnings,
    };
  }

  readEnviron(pid: number): Record<string, string> | null {
    try {
      const env = parseEnviron(this.read(`/proc/${pid}/environ`, false));
      // Its secret values are then redacted wherever they show up (a log line printing its own API key).
      learnSecretValues(env);
      return env;
    } catch {
      return null;
    }
  }

  readCgroup(pid: number): CgroupInfo | null {
    try {
      const cg = parseProcCgroup(this.read(`/proc/${pid}/cgroup`, true));
      const mounts = this.mountTable();
      const v1 = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes('memory'));
      if (cg.v1Memory !== null && v1) return this.readCgroupV1(v1, cg.v1Memory);
      const v2 = mounts.find((m) => m.fsType === 'cgroup2');
      if (cg.v2 !== null && v2) return this.readCgroupV2(v2, cg.v2);
    } catch {
      // The process vanished or the cgroup files are unreadable: no cgroup applies as far as we can tell.
    }
    return null;
  }

  private readTables(warnings: string[]): RawSocket[] {
    return [...this.readListeningTable(4, warnings), ...this.readListeningTable(6, warnings)];
  }

  /**
   * Socket inodes of the processes that can open the ports the user cares about: those given by pid (the last
   * snapshot's servers) and those working inside a watched folder. This process itself is left out: the
   * extension host opens and closes sockets all the time and is never a server.
   */
  private watchedSockets(procs: readonly ProcRecord[], folders: readonly string[], wanted: ReadonlySet<number>): WatchedSockets[] {
    const watched: WatchedSockets[] = [];
    for (const p of procs) {
      if (p.kernelThread || p.info.state === 'Z' || p.info.pid === process.pid) continue;
      if (!wanted.has(p.info.pid) && !inFolders(p.info.cwd, folders)) continue;
      if (this.ownUid !== 0 && p.info.uid !== this.ownUid) continue;
      watched.push({ pid: p.info.pid, startTicks: p.startTicks, inodes: this.socketInodes(p.info.pid) });
    }
    return watched;
  }

  /**
   * Processes whose stat is read every poll: those working in a watched folder or watched by pid, their
   * descendants (a server's children may work elsewhere), and those whose identity is not cached yet.
   */
  private relatedPids(procs: readonly ProcRecord[], folders: readonly string[], wanted: ReadonlySet<number>): Set<number> {
    const children = new Map<number, number[]>();
    for (const p of procs) {
      const list = children.get(p.info.ppid);
      if (list) list.push(p.info.pid);
      else children.set(p.info.ppid, [p.info.pid]);
    }
    const related = new Set<number>();
    const stack: number[] = [];
    for (const p of procs) {
      // This process is never a server (nor are its children for being its children: its cwd may be a workspace folder).
      if (p.kernelThread || p.info.pid === process.pid) continue;
      const pid = p.info.pid;
      const uncached = this.identities.get(pid)?.startTicks !== p.startTicks;
      if (uncached || wanted.has(pid) || inFolders(p.info.cwd, folders)) stack.push(pid);
    }
    while (stack.length > 0) {
      const pid = stack.pop()!;
      // Not through this process: the shell that started the editor may work in the workspace folder.
      if (related.has(pid) || pid === process.pid) continue;
      related.add(pid);
      for (const c of children.get(pid) ?? []) if (c !== 0) stack.push(c);
    }
    return related;
  }

  /** Inodes of the sockets among a process's open files; null when its fd folder is unreadable or gone. */
  private socketInodes(pid: number): number[] | null {
    const dir = `/proc/${pid}/fd`;
    let fds: string[];
    try {
      fds = fs.readdirSync(dir);
    } catch {
      return null;
    }
    const inodes: number[] = [];
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`${dir}/${fd}`);
      } catch {
        continue;
      }
      if (target.startsWith('socket:[')) inodes.push(Number(target.slice(8, -1)));
    }
    return inodes;
  }

  /** True when a listening socket of the last read had a known owner that is no longer alive. */
  private ownerGone(procs: readonly ProcRecord[]): boolean {
    if (this.lastRaw.length === 0) return false;
    const alive = new Map<number, number>();
    for (const p of procs) alive.set(p.info.pid, p.startTicks);
    for (const s of this.lastRaw) {
      const owner = this.socketOwners.get(s.inode);
      if (owner && alive.get(owner.pid) !== owner.startTicks) return true;
    }
    return false;
  }

  private warn(out: string[], kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    out.push(message);
  }

  /**
   * Reads a file with one open into the shared buffer. Files holding a single record (per-process files, sysctls)
   * arrive whole in one read, so a short read means the end; others are read until end-of-file.
   */
  private read(file: string, untilEof: boolean): string {
    const fd = fs.openSync(file, 'r');
    try {
      let len = 0;
      for (;;) {
        if (len === this.buf.length) this.grow();
        const n = fs.readSync(fd, this.buf, len, this.buf.length - len, null);
        len += n;
        if (n === 0 || (!untilEof && len < this.buf.length)) break;
      }
      return this.buf.toString('utf8', 0, len);
    } finally {
      fs.closeSync(fd);
    }
  }

  private grow(): void {
    const bigger = Buffer.allocUnsafe(this.buf.length * 2);
    this.buf.copy(bigger);
    this.buf = bigger;
  }

  /**
   * LISTEN rows of /proc/net/tcp{,6}. The kernel lists listening sockets before all others (since 4.4; older kernels
   * interleave pending SYN_RECV rows), and reaching the end of the file walks the whole established-connection hash
   * table (≈ 2–5 ms per file however few sockets there are). So reads are sized to last poll's listener count and stop
   * at the first complete non-LISTEN row: the walk then ends at the first connection instead of the table's end.
   */
  private readListeningTable(family: 4 | 6, warnings: string[]): RawSocket[] {
    const file = family === 4 ? '/proc/net/tcp' : '/proc/net/tcp6';
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      this.warn(warnings, `tcp${family}`, `Cannot read IPv${family} listening ports (${file}: ${errorCode(err)}); ` +
        (family === 6 ? 'IPv6 is probably disabled.' : 'ports will show as unknown.'));
      return [];
    }
    let len = 0;
    let complete = 0;
    try {
      let want = TCP_ROW_BYTES * (this.lastListenCount[family] + 2);
      for (;;) {
        while (len + want > this.buf.length) this.grow();
        const n = fs.readSync(fd, this.buf, len, want, null);
        if (n === 0) break;
        len += n;
        const lastNewline = this.buf.lastIndexOf(0x0a, len - 1);
        if (lastNewline >= complete) {
          const rows = this.buf.toString('latin1', complete, lastNewline + 1);
          complete = lastNewline + 1;
          if (NON_LISTEN_ROW.test(rows)) break;
        }
        want = TCP_ROW_BYTES * 2;
      }
    } catch (err) {
      this.warn(warnings, `tcp${family}-read`, `Reading ${file} failed (${errorCode(err)}); some ports may be missing.`);
    } finally {
      fs.closeSync(fd);
    }
    const sockets = parseNetTcp(this.buf.toString('latin1', 0, complete), family);
    this.lastListenCount[family] = sockets.length;
    return sockets;
  }

  private bootTimeSec(warnings: string[]): number | null {
    if (this.btimeSec === undefined) {
      try {
        this.btimeSec = parseBtime(this.read('/proc/stat', false));
      } catch {
        this.btimeSec = null;
      }
    }
    if (this.btimeSec === null) this.warn(warnings, 'btime', 'The boot time is unreadable (/proc/stat), so process start times are unknown.');
    return this.btimeSec;
  }

  private readProcesses(warnings: string[]): ProcRecord[] {
    let names: string[];
    try {
      names = fs.readdirSync('/proc');
    } catch (err) {
      this.warn(warnings, 'proc', `Cannot list processes (/proc: ${errorCode(err)}).`);
      return [];
    }
    const btime = this.bootTimeSec(warnings);
    const now = Date.now();
    const records: ProcRecord[] = [];
    const alive = new Set<number>();
    const next = new Map<number, ProcRecord>();
    const related = this.related;
    let reads = 0;
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      const prev = this.records.get(pid);
      let record: ProcRecord | null;
      if (related !== null && prev !== undefined && !related.has(pid) && (pid + this.polls) % UNRELATED_STAT_POLLS !== 0) {
        record = prev;
      } else {
        record = this.readProcess(pid, btime, now);
        reads++;
      }
      if (!record) continue;
      records.push(record);
      next.set(pid, record);
      alive.add(record.info.pid);
    }
    for (const pid of this.identities.keys()) if (!alive.has(pid)) this.identities.delete(pid);
    this.records = next;
    this.statReads = reads;
    return records;
  }

  /** One process; null when it vanished before its stat could be read. Other unreadable fields get defaults. */
  private readProcess(pid: number, btime: number | null, now: number): ProcRecord | null {
    let stat;
    try {
      stat = parseStat(this.read(`/proc/${pid}/stat`, false));
    } catch {
      return null;
    }
    if (!stat) return null;
    const startTimeMs = btime === null ? 0 : Math.round((btime + stat.startTicks / USER_HZ) * 1000);
    const base = { pid, ppid: stat.ppid, state: stat.state, comm: stat.comm, startTimeMs, cpuTicks: stat.cpuTicks, pgid: stat.pgrp, sid: stat.session };
    const times = { startTicks: stat.startTicks, utimeTicks: stat.utimeTicks, stimeTicks: stat.stimeTicks };
    if (stat.kernelThread) {
      const info: ProcessInfo = { ...base, cmdline: [], cwd: null, rssBytes: 0, uid: 0 };
      return { info, ...times, kernelThread: true };
    }
    const cacheable = btime !== null && stat.state !== 'Z' && now - startTimeMs >= IDENTITY_CACHE_MIN_AGE_MS;
    const { cmdline, cwd, uid } = this.identity(pid, stat.startTicks, stat.comm, cacheable);
    const info: ProcessInfo = { ...base, cmdline, cwd, rssBytes: stat.rssPages * this.kernelPageSize(), uid };
    return { info, ...times, kernelThread: false };
  }

  /**
   * argv, working directory and uid, read once per pid + start time + comm (exec changes comm, pid reuse changes
   * start time): this saves reading cmdline, status and the cwd link of every process on every poll. A dev server
   * does not change folder once started; processes younger than IDENTITY_CACHE_MIN_AGE_MS are read every poll.
   */
  private identity(pid: number, startTicks: number, comm: string, cacheable: boolean): Identity {
    const cached = this.identities.get(pid);
    if (cached && cached.startTicks === startTicks && cached.comm === comm) return cached;
    let uid = -1;
    let cmdline: string[] = [];
    let cwd: string | null = null;
    try {
      cwd = fs.readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // Another user's process, a zombie, or gone.
    }
    try {
      uid = parseStatusUid(this.read(`/proc/${pid}/status`, false));
      cmdline = parseCmdline(this.read(`/proc/${pid}/cmdline`, false));
    } catch {
      // Vanished between two reads: the next poll drops it.
    }
    const identity = { startTicks, comm, cmdline, cwd, uid };
    if (cacheable && cmdline.length > 0 && uid >= 0) this.identities.set(pid, identity);
    return identity;
  }

  private kernelPageSize(): number {
    if (this.pageSize === undefined) {
      try {
        // Only the first mapping is needed, and one read returns at least that.
        this.pageSize = parseKernelPageSize(this.read('/proc/self/smaps', false)) ?? 4096;
      } catch {
        this.pageSize = 4096;
      }
    }
    return this.pageSize;
  }

  /**
   * Maps socket inodes to pids incrementally: a known owner is kept while it lives; /proc/PID/fd folders are only
   * searched for inodes not seen before, newest processes first, and only until every such inode is found.
   */
  private assignOwners(raw: RawSocket[], procs: ProcRecord[]): ListeningSocket[] {
    const byPid = new Map<number, ProcRecord>();
    for (const p of procs) byPid.set(p.info.pid, p);
    const listening = new Set<number>();
    const unknown = new Set<number>();
    for (const s of raw) {
      if (s.inode === 0) continue;
      listening.add(s.inode);
      const owner = this.socketOwners.get(s.inode);
      if (owner && byPid.get(owner.pid)?.startTicks === owner.startTicks) continue;
      this.socketOwners.delete(s.inode);
      unknown.add(s.inode);
    }
    for (const inode of this.socketOwners.keys()) if (!listening.has(inode)) this.socketOwners.delete(inode);
    for (const inode of this.unresolvedSockets.keys()) if (!listening.has(inode)) this.unresolvedSockets.delete(inode);
    if (unknown.size > 0) this.searchOwners(unknown, procs);
    const seen = new Set<number>();
    const sockets: ListeningSocket[] = [];
    for (const s of raw) {
      // A table read in several pieces can repeat a row if the hash changed in between.
      if (s.inode !== 0 && seen.has(s.inode)) continue;
      seen.add(s.inode);
      sockets.push({ ...s, pid: this.socketOwners.get(s.inode)?.pid ?? null });
    }
    return sockets;
  }

  private searchOwners(unknown: Set<number>, procs: ProcRecord[]): void {
    let searchedFrom = Infinity;
    for (const inode of unknown) searchedFrom = Math.min(searchedFrom, this.unresolvedSockets.get(inode) ?? -1);
    const newest = procs.reduce((max, p) => Math.max(max, p.startTicks), 0);
    // Other users' fd folders are unreadable unless we are root; zombies and kernel threads hold no files.
    const candidates = procs
      .filter((p) => !p.kernelThread && p.info.state !== 'Z' && p.startTicks >= searchedFrom &&
        (this.ownUid === 0 || p.info.uid === this.ownUid))
      .sort((a, b) => b.startTicks - a.startTicks);
    for (const p of candidates) {
      if (unknown.size === 0) break;
      this.searchFds(p, unknown);
    }
    // Same-tick starts are searched again next time (>= above), so a process started right after listing is not missed.
    for (const inode of unknown) this.unresolvedSockets.set(inode, newest);
  }

  private searchFds(p: ProcRecord, unknown: Set<number>): void {
    const dir = `/proc/${p.info.pid}/fd`;
    let fds: string[];
    try {
      fds = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = fs.readlinkSync(`${dir}/${fd}`);
      } catch {
        continue;
      }
      if (!target.startsWith('socket:[')) continue;
      const inode = Number(target.slice(8, -1));
      if (!unknown.has(inode)) continue;
      unknown.delete(inode);
      this.unresolvedSockets.delete(inode);
      this.socketOwners.set(inode, { pid: p.info.pid, startTicks: p.startTicks });
    }
  }

  private readMemory(warnings: string[]): MemoryInfo {
    let memory: MemoryInfo | null = null;
    try {
      memory = parseMeminfo(this.read('/proc/meminfo', false));
    } catch {
      // Reported below.
    }
    if (!memory) this.warn(warnings, 'meminfo', 'System memory is unreadable (/proc/meminfo).');
    return memory ?? EMPTY_MEMORY;
  }

  /** Null when the kernel has no pressure stall information (before 4.20, or booted with psi=0): not worth a warning. */
  private readPressure(): PressureInfo | null {
    try {
      return parsePressure(this.read('/proc/pressure/memory', false));
    } catch {
      return null;
    }
  }

  private readInotify(warnings: string[]): InotifyInfo {
    const sysctl = (name: string): number | null => {
      try {
        return parseIntFile(this.read(`/proc/sys/fs/inotify/${name}`, false));
      } catch {
        return null;
      }
    };
    const info = { maxUserWatches: sysctl('max_user_watches'), maxUserInstances: sysctl('max_user_instances') };
    if (info.maxUserWatches === null) this.warn(warnings, 'inotify', 'The file watcher limit is unreadable (/proc/sys/fs/inotify).');
    return info;
  }

  private mountTable(): MountEntry[] {
    if (this.mounts === null || this.polls - this.mountsReadAtPoll >= MOUNTINFO_REFRESH_POLLS) {
      this.mountsReadAtPoll = this.polls;
      try {
        this.mounts = parseMountinfo(this.read('/proc/self/mountinfo', true));
      } catch {
        this.mounts = [];
      }
    }
    return this.mounts;
  }

  /** statfs per path (one syscall each), grouped by the mount holding it, like df. */
  private readDisks(paths: readonly string[], warnings: string[]): DiskInfo[] {
    const stats: { path: string; real: string; st: fs.StatsFs }[] = [];
    let typeChanged = false;
    for (const p of paths) {
      try {
        const real = fs.realpathSync.native(p);
        const st = fs.statfsSync(real);
        typeChanged ||= this.pathFsTypes.has(real) && this.pathFsTypes.get(real) !== st.type;
        this.pathFsTypes.set(real, st.type);
        stats.push({ path: p, real, st });
      } catch (err) {
        this.warn(warnings, `disk:${p}`, `Cannot read the disk space of ${p} (${errorCode(err)}).`);
      }
    }
    if (typeChanged) this.mounts = null;
    const mounts = this.mountTable();
    const groups = new Map<string, { mount: MountEntry | null; st: fs.StatsFs; forPaths: string[] }>();
    for (const { path: p, real, st } of stats) {
      const mount = mountForPath(mounts, real);
      const key = mount?.mountPoint ?? real;
      const group = groups.get(key);
      if (group) group.forPaths.push(p);
      else groups.set(key, { mount, st, forPaths: [p] });
    }
    return [...groups].map(([key, { mount, st, forPaths }]) => {
      const used = (st.blocks - st.bfree) * st.bsize;
      const free = st.bavail * st.bsize;
      return {
        mount: key,
        fsType: mount?.fsType ?? null,
        totalBytes: st.blocks * st.bsize,
        freeBytes: free,
        usedPercent: percent(used, used + free),
        forPaths,
      };
    });
  }

  /** Folder of a cgroup path on its mount; the mount root differs from '/' inside a cgroup namespace. */
  private cgroupDir(mount: MountEntry, cgPath: string): string {
    const rel = mount.root !== '/' && cgPath.startsWith(mount.root) ? cgPath.slice(mount.root.length) : cgPath;
    return path.posix.join(mount.mountPoint, rel);
  }

  /** The smallest limit in the folder and its ancestors up to the mount point; null when none is set. */
  private smallestLimit(mount: MountEntry, leaf: string, file: string, parse: (text: string) => number | null): number | null {
    let limit: number | null = null;
    for (let dir = leaf; ; dir = path.posix.dirname(dir)) {
      try {
        const value = parse(this.read(path.posix.join(dir, file), false));
        if (value !== null && (limit === null || value < limit)) limit = value;
      } catch {
        // The root cgroup has no limit file in v2.
      }
      if (dir === mount.mountPoint || dir === '/') return limit;
    }
  }

  private readCgroupV1(mount: MountEntry, cgPath: string): CgroupInfo {
    const dir = this.cgroupDir(mount, cgPath);
    const usage = Number(this.read(`${dir}/memory.usage_in_bytes`, false).trim());
    const limitBytes = this.smallestLimit(mount, dir, 'memory.limit_in_bytes', (text) => {
      const n = Number(text.trim());
      return Number.isFinite(n) && n < V1_UNLIMITED ? n : null;
    });
    const oomKills = parseKeyedCount(this.read(`${dir}/memory.oom_control`, false), 'oom_kill');
    return { version: 1, path: cgPath, limitBytes, usageBytes: usage, oomKills };
  }

  private readCgroupV2(mount: MountEntry, cgPath: string): CgroupInfo {
    const dir = this.cgroupDir(mount, cgPath);
    const usage = Number(this.read(`${dir}/memory.current`, false).trim());
    const limitBytes = this.smallestLimit(mount, dir, 'memory.max', (text) => (text.trim() === 'max' ? null : parseIntFile(text)));
    const oomKills = parseKeyedCount(this.read(`${dir}/memory.events`, false), 'oom_kill');
    return { version: 2, path: cgPath, limitBytes, usageBytes: usage, oomKills };
  }
}
