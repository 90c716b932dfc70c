// Pure parsers of Linux /proc and cgroup files: text in, plain data out, no file system access.
import type { ListeningSocket, MemoryInfo, PressureInfo } from '../types';

/**
 * Clock ticks per second used by /proc/PID/stat times. The kernel always reports USER_HZ, which is 100 on every
 * architecture Node runs on; reading it for real needs sysconf(_SC_CLK_TCK), which Node does not expose.
 */
export const USER_HZ = 100;

const PF_KTHREAD = 0x00200000;

export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** Process group (the group a supervisor signals as a whole). */
  readonly pgrp: number;
  /** Session id: the pid of the session's leader (a terminal's shell, for what is typed in it). */
  readonly session: number;
  /** Start time in clock ticks since boot. */
  readonly startTicks: number;
  /** Resident set size in pages; 0 for zombies and kernel threads. */
  readonly rssPages: number;
  /** CPU time spent in user and kernel mode, in clock ticks (USER_HZ), for CPU-use deltas between polls. */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  readonly kernelThread: boolean;
  /** CPU time in user and kernel mode (clock ticks, USER_HZ): utime + stime. */
  readonly cpuTicks: number;
}

/** /proc/PID/stat. The comm field may hold spaces and parentheses, so it ends at the LAST ')'. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // Fields after comm, starting with field 3 (state): rest[k] is field k + 3 of proc(5).
  const rest = text.slice(close + 2).split(' ', 22);
  if (!Number.isInteger(pid) || rest.length < 22) return null;
  const ppid = Number(rest[1]);
  const flags = Number(rest[6]);
  const startTicks = Number(rest[19]);
  const rssPages = Number(rest[21]);
  if (!Number.isFinite(ppid) || !Number.isFinite(startTicks) || !Number.isFinite(rssPages)) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: rest[0],
    ppid,
    pgrp: Number(rest[2]),
    session: Number(rest[3]),
    startTicks,
    rssPages,
    utimeTicks: Number(rest[11]),
    stimeTicks: Number(rest[12]),
    kernelThread: (flags & PF_KTHREAD) !== 0,
    // Fields 14 (utime) and 15 (stime).
    cpuTicks: (Number(rest[11]) || 0) + (Number(rest[12]) || 0),
  };
}

const STATUS_UID = /^Uid:\s+(\d+)/m;

/** Real uid from /proc/PID/status ("Uid:\treal\teffective\tsaved\tfs"); -1 when absent. */
export function parseStatusUid(text: string): number {
  const m = STATUS_UID.exec(text);
  return m ? Number(m[1]) : -1;
}

function splitNul(data: Buffer | string): string[] {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** /proc/PID/cmdline: NUL-separated argv with a trailing NUL. Empty for zombies and kernel threads. */
export function parseCmdline(data: Buffer | string): string[] {
  return splitNul(data);
}

/** /proc/PID/environ: NUL-separated NAME=value entries; values may themselves contain '='. */
export function parseEnviron(data: Buffer | string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of splitNul(data)) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

export type RawSocket = Omit<ListeningSocket, 'pid'>;

const TCP_LISTEN = '0A';

/** The kernel prints each 32-bit word of an address as it lies in memory: little-endian on x86 and arm64. */
function wordBytes(hex8: string): number[] {
  const n = parseInt(hex8, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

/** RFC 5952 text form: lower case, no leading zeros, the longest run (≥ 2) of zero groups as '::'. */
function formatIpv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return '::ffff:' + bytes.slice(12).join('.');
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}

/** Decodes the hex address of /proc/net/tcp (8 hex digits) or /proc/net/tcp6 (32 hex digits). */
export function decodeProcAddress(hex: string): string | null {
  if (hex.length === 8) return wordBytes(hex).join('.');
  if (hex.length !== 32) return null;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8)));
  return formatIpv6(bytes);
}

/** LISTEN rows (st 0A) of /proc/net/tcp or /proc/net/tcp6. */
export function parseNetTcp(text: string, family: 4 | 6): RawSocket[] {
  const sockets: RawSocket[] = [];
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].trim().split(/\s+/);
    if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
    const colon = f[1].indexOf(':');
    const address = decodeProcAddress(f[1].slice(0, colon));
    const port = parseInt(f[1].slice(colon + 1), 16);
    const inode = Number(f[9]);
    if (address === null || !Number.isInteger(port) || !Number.isInteger(inode)) continue;
    sockets.push({ family, address, port, inode });
  }
  return sockets;
}

function kbFields(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([\w()]+):\s+(\d+)(?: kB)?$/.exec(line.trim());
    if (m) fields.set(m[1], Number(m[2]) * 1024);
  }
  return fields;
}

const oneDecimal = (x: number): number => Math.round(x * 10) / 10;

/** Percentage with one decimal; 0 when the whole is 0. */
export function percent(part: number, whole: number): number {
  return whole > 0 ? oneDecimal((part / whole) * 100) : 0;
}

/** Memory figures when none could be read. */
export const EMPTY_MEMORY: MemoryInfo = { totalBytes: 0, availableBytes: 0, usedPercent: 0, swapTotalBytes: 0, swapUsedBytes: 0 };

/**
 * /proc/meminfo. Kernels before 3.14 lack MemAvailable: estimated as MemFree + Buffers + Cached, which is what
 * `free` did then. Null when MemTotal is missing.
 */
export function parseMeminfo(text: string): MemoryInfo | null {
  const f = kbFields(text);
  const total = f.get('MemTotal');
  if (total === undefined) return null;
  const available = f.get('MemAvailable') ?? (f.get('MemFree') ?? 0) + (f.get('Buffers') ?? 0) + (f.get('Cached') ?? 0);
  const swapTotal = f.get('SwapTotal') ?? 0;
  return {
    totalBytes: total,
    availableBytes: available,
    usedPercent: percent(total - available, total),
    swapTotalBytes: swapTotal,
    swapUsedBytes: Math.max(0, swapTotal - (f.get('SwapFree') ?? swapTotal)),
  };
}

/** /proc/pressure/memory: avg10 of the "some" and "full" lines. Null when there is no "some" line. */
export function parsePressure(text: string): PressureInfo | null {
  const avg10 = (kind: string): number | null => {
    const m = new RegExp(`^${kind} .*\\bavg10=([\\d.]+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const some = avg10('some');
  return some === null ? null : { someAvg10: some, fullAvg10: avg10('full') ?? 0 };
}

export interface ProcCgroup {
  /** Path in the v1 memory controller's hierarchy, when the memory controller is mounted as v1. */
  readonly v1Memory: string | null;
  /** Path in the v2 unified hierarchy (the '0::' line). */
  readonly v2: string | null;
}

/** /proc/PID/cgroup: lines "hierarchy-id:controller,list:/path". */
export function parseProcCgroup(text: string): ProcCgroup {
  let v1Memory: string | null = null;
  let v2: string | null = null;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === '0' && controllers === '') v2 = path;
    else if (controllers.split(',').includes('memory')) v1Memory = path;
  }
  return { v1Memory, v2 };
}

export interface MountEntry {
  readonly mountPoint: string;
  /** Root of the mount inside its file system ('/' unless a subtree is bind-mounted, e.g. in a cgroup namespace). */
  readonly root: string;
  readonly fsType: string;
  readonly superOptions: readonly string[];
}

/** Mountinfo escapes space, tab, newline and backslash as octal (\040, \011, \012, \134). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** /proc/PID/mountinfo: "id parent maj:min root mountpoint options [optional…] - fstype source superoptions". */
export function parseMountinfo(text: string): MountEntry[] {
  const mounts: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-', 6);
    if (f.length < 7 || dash < 0 || dash + 1 >= f.length) continue;
    mounts.push({
      mountPoint: unescapeOctal(f[4]),
      root: unescapeOctal(f[3]),
      fsType: f[dash + 1],
      superOptions: (f[dash + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/**
 * The mount holding an absolute path: the longest mount point that is a prefix at a path-component boundary.
 * Later entries win ties because a later mount on the same point hides the earlier one.
 */
export function mountForPath<T extends { readonly mountPoint: string }>(mounts: readonly T[], path: string): T | null {
  let best: T | null = null;
  for (const m of mounts) {
    const mp = m.mountPoint;
    const inside = mp === '/' ? path.startsWith('/') : path === mp || path.startsWith(mp + '/');
    if (inside && (best === null || mp.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** Boot time in epoch seconds (the "btime" line of /proc/stat); null when absent. */
export function parseBtime(procStat: string): number | null {
  const m = /^btime (\d+)$/m.exec(procStat);
  return m ? Number(m[1]) : null;
}

/** Page size from the first mapping of /proc/self/smaps ("KernelPageSize: 4 kB"); null when absent. */
export function parseKernelPageSize(smaps: string): number | null {
  const m = /^KernelPageSize:\s+(\d+) kB$/m.exec(smaps);
  return m ? Number(m[1]) * 1024 : null;
}

/** First number of a one-value file such as /proc/sys/fs/inotify/max_user_watches; null when not a number. */
export function parseIntFile(text: string): number | null {
  const n = parseInt(text.trim(), 10);
  return Number.isFinite(n) ? n : null;
}

/** The value of a "key N" line in flat keyed files like memory.events or memory.oom_control; 0 when absent. */
export function parseKeyedCount(text: string, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
