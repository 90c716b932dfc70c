// Shared data shapes of the editor-free core. Everything here is plain data (JSON-serialisable),
// produced by a SystemProbe and the workspace scanner, joined into an immutable Snapshot.

/** One process as read from the OS. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** One letter as in /proc/PID/stat: R running, S sleeping, D disk wait, Z zombie, T stopped, I idle… */
  readonly state: string;
  /** Executable name (may contain spaces and parentheses). */
  readonly comm: string;
  /** argv; empty for zombies, kernel threads and processes whose cmdline is unreadable. */
  readonly cmdline: readonly string[];
  /** Working directory; null when unreadable (another user's process) or vanished. */
  readonly cwd: string | null;
  readonly rssBytes: number;
  /** Wall-clock start time, epoch milliseconds (0 when unknown). */
  readonly startTimeMs: number;
  /** Real uid; -1 when unknown. */
  readonly uid: number;
  /** CPU time used so far (user + system), in clock ticks of 1/100 s; absent when the probe cannot tell. */
  readonly cpuTicks?: number;
  /** Process group and session ids (Linux); absent when the probe cannot tell. */
  readonly pgid?: number;
  readonly sid?: number;
}

/** A listening TCP socket. */
export interface ListeningSocket {
  readonly family: 4 | 6;
  /** '127.0.0.1', '0.0.0.0', '::', '::1', … */
  readonly address: string;
  readonly port: number;
  /** Socket inode on Linux, 0 elsewhere. */
  readonly inode: number;
  /** Owning pid; null means "owner unknown" (another user's process), never "free". */
  readonly pid: number | null;
}

export interface MemoryInfo {
  readonly totalBytes: number;
  readonly availableBytes: number;
  /** (total - available) / total × 100, one decimal. */
  readonly usedPercent: number;
  readonly swapTotalBytes: number;
  readonly swapUsedBytes: number;
}

/** Memory cgroup of a process (v1 memory controller or v2 unified). */
export interface CgroupInfo {
  readonly version: 1 | 2;
  /** Path inside the cgroup hierarchy, e.g. '/user.slice/…' or '/process_api/abc'. */
  readonly path: string;
  /** Effective limit in bytes (the smallest along the path); null = unlimited. */
  readonly limitBytes: number | null;
  readonly usageBytes: number;
  /** OOM kills counted in this cgroup (v1 memory.oom_control oom_kill, v2 memory.events oom_kill). */
  readonly oomKills: number;
}

export interface DiskInfo {
  readonly mount: string;
  readonly fsType: string | null;
  readonly totalBytes: number;
  readonly freeBytes: number;
  /** (total - free) / total × 100, one decimal. Uses free-for-unprivileged (bavail) like df. */
  readonly usedPercent: number;
  /** The requested paths (workspace folders, temp dir) that live on this filesystem. */
  readonly forPaths: readonly string[];
}

export interface InotifyInfo {
  readonly maxUserWatches: number | null;
  readonly maxUserInstances: number | null;
  /**
   * Watches and instances this user's processes hold, counted at most every 30 s (it reads every fd of every
   * process). Present when the monitor was asked to count (the extension's poll worker); null when unreadable.
   */
  readonly usage?: InotifyWatchCount | null;
}

export interface InotifyWatchCount {
  readonly watches: number;
  readonly instances: number;
  /** The process holding the most watches. */
  readonly top: { readonly pid: number; readonly watches: number } | null;
  /** Wall time the count took. */
  readonly costMs: number;
}

/** Memory pressure stall information (/proc/pressure/memory), when the kernel has PSI. */
export interface PressureInfo {
  readonly someAvg10: number;
  readonly fullAvg10: number;
}

/** Raw facts of one poll, before any interpretation. */
export interface SystemSample {
  readonly takenAt: number;
  readonly platform: string;
  readonly processes: readonly ProcessInfo[];
  readonly sockets: readonly ListeningSocket[];
  readonly memory: MemoryInfo;
  readonly pressure: PressureInfo | null;
  readonly disks: readonly DiskInfo[];
  readonly inotify: InotifyInfo;
  /** Things that could not be read, as plain sentences for the user. Never thrown. */
  readonly warnings: readonly string[];
  /** 0–100 over the running servers (core/health/score.ts); null when none runs. */
  readonly healthScore?: number | null;
}

export interface SampleOptions {
  /** Paths whose filesystems are reported (workspace folders and the temp dir). */
  readonly diskPaths: readonly string[];
  /**
   * Where ports can change: processes working inside these folders, and these pids (the servers of the last
   * poll). When either is given, a probe may reuse the last listening-socket list until one of these processes
   * opens or closes a socket (and re-reads it every few polls anyway). When neither is given, every sample is fresh.
   */
  readonly watchFolders?: readonly string[];
  readonly watchPids?: readonly number[];
}

/** Reads the system. Linux: /proc, no spawns per poll. Elsewhere: systeminformation & co. */
export interface SystemProbe {
  sample(opts: SampleOptions): Promise<SystemSample>;
  /** Environment of a process (for NODE_OPTIONS); null when unreadable. Not called every poll for every pid: callers cache by pid+start time. */
  readEnviron(pid: number): Record<string, string> | null;
  /** Memory cgroup of a process; null when none applies or unreadable. */
  readCgroup(pid: number): CgroupInfo | null;
}

export type Framework =
  | 'vite' | 'next' | 'nuxt' | 'astro' | 'remix' | 'react-scripts' | 'webpack-dev-server'
  | 'angular' | 'storybook' | 'nodemon' | 'tsx' | 'ts-node' | 'express' | 'node' | 'unknown';

export type PortSource = 'flag' | 'script-env' | 'dotenv' | 'config' | 'framework-default';

/** A server the workspace declares (package.json script or settings). */
export interface ExpectedServer {
  /** Display name: the package name (or folder name) plus the script, e.g. "web · dev". */
  readonly name: string;
  readonly workspaceFolder: string;
  /** Absolute folder the server runs in (the package.json's folder). */
  readonly cwd: string;
  /** Script name in package.json; null for servers from settings. */
  readonly script: string | null;
  /** Script body or configured command. */
  readonly command: string;
  readonly framework: Framework;
  readonly expectedPort: number | null;
  readonly portSource: PortSource | null;
  readonly source: 'package.json' | 'settings';
  /**
   * A package.json script that serves build output (`next start`, `vite preview`, `serve dist`): a production
   * server, listed (and counted) only while it runs.
   */
  readonly servesBuild?: boolean;
}

/** A problem found while scanning the workspace (malformed package.json, unreadable folder…). */
export interface ScanProblem {
  readonly path: string;
  readonly message: string;
}

export interface WorkspaceScan {
  readonly servers: readonly ExpectedServer[];
  readonly problems: readonly ScanProblem[];
}

export type HeapLimitSource = 'flag' | 'NODE_OPTIONS' | 'default';

export interface HeapLimit {
  readonly bytes: number;
  readonly source: HeapLimitSource;
}

/**
 * `crashed`: its watcher (nodemon, tsx watch, next dev…) is alive but the app it runs crashed and is not running.
 * `unresponsive`: listening and accepting connections, but no answer to its health check twice in a row (hung). */
export type ServerState = 'up' | 'starting' | 'down' | 'orphaned' | 'crashed' | 'unresponsive';

/** The last health check of a server (see core/health/check.ts for what "ok" means). */
export interface ServerHealth {
  /** Answered in time: any HTTP status below 500, or (plain TCP servers) the connect succeeded. */
  readonly ok: boolean;
  readonly latencyMs: number | null;
  /** HTTP status; null for a connect check or no answer. */
  readonly status: number | null;
  /** Epoch ms of the check. */
  readonly checkedAt: number;
  /** What was checked: `http://127.0.0.1:5173/` or `tcp://127.0.0.1:6379`. */
  readonly target: string;
  readonly mode: 'http' | 'tcp';
  /** Why it failed, in plain words; null when ok. */
  readonly error: string | null;
  /** Checks that failed among the recent ones (last 5 minutes), percent. */
  readonly errorRatePercent: number;
}

/** Why a server is unresponsive, with the CPU reading that tells a busy loop from a wait. */
export interface Unresponsive {
  readonly since: number;
  readonly cpuPercent: number | null;
  /** 'blocked': ≈100 % of a core (a busy loop or long synchronous work); 'waiting': ≈0 % (a lock, a dependency). */
  readonly reading: 'blocked' | 'waiting' | 'busy' | 'unknown';
  readonly message: string;
}

export interface ServerProcess {
  readonly pid: number;
  readonly ppid: number;
  readonly state: string;
  readonly zombie: boolean;
  readonly comm: string;
  readonly command: string;
  readonly cwd: string | null;
  readonly rssBytes: number;
  readonly startTimeMs: number;
  readonly ports: readonly number[];
  /** Depth in the server's process tree (0 = root). */
  readonly depth: number;
}

export interface Server {
  /** Stable identity across polls: "cwd#script" for expected servers, "proc:cwd#command" for unmatched running trees. */
  readonly id: string;
  readonly name: string;
  readonly workspaceFolder: string;
  readonly cwd: string;
  readonly script: string | null;
  readonly command: string;
  readonly framework: Framework;
  readonly state: ServerState;
  /** Root pid of the running tree; null when down. */
  readonly pid: number | null;
  readonly pids: readonly number[];
  readonly ports: readonly number[];
  readonly expectedPort: number | null;
  /** Where expectedPort comes from (a framework's default is no claim on the port); absent for undeclared trees. */
  readonly portSource?: PortSource | null;
  readonly rssBytes: number;
  readonly heapLimitBytes: number | null;
  readonly heapLimitSource: HeapLimitSource | null;
  /** Pid of the process the heap limit belongs to (the main node process). */
  readonly heapPid: number | null;
  readonly startTimeMs: number | null;
  readonly processes: readonly ServerProcess[];
  readonly zombiePids: readonly number[];
  readonly source: 'package.json' | 'settings' | 'process';
  /** Memory cgroup the server runs in, when one applies. */
  readonly cgroup: CgroupInfo | null;
  /** Why the server is orphaned (set only then). */
  readonly orphanReason?: string;
  /** CPU use of its whole process tree since the previous poll (100 = one core); null on the first poll or unknown. */
  readonly cpuPercent?: number | null;
  /** Last health check; null when none ran (down, starting, no loopback port). */
  readonly health?: ServerHealth | null;
  /** Set when the state is `unresponsive`. */
  readonly unresponsive?: Unresponsive;
  /** 0–100 (core/health/score.ts); null when down. */
  readonly healthScore?: number | null;
  /** Why it is `crashed` ("waiting for file changes — Error: connect ECONNREFUSED 127.0.0.1:5432"); set only then. */
  readonly crashReason?: string;
  /** When the crash that made it `crashed` was seen, epoch ms (null when only the process tree tells). */
  readonly crashedAt?: number | null;
  /** Set while it has been `starting` far longer than it usually takes to listen: in plain words. */
  readonly stuckStarting?: string;
}

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface Alert {
  readonly severity: AlertSeverity;
  /** Stable id: 'disk', 'memory', 'swap', 'cgroup-memory', 'inotify', 'orphan', 'zombie', 'scan', 'probe', … */
  readonly kind: string;
  readonly message: string;
  /** Server name, when the alert concerns one. */
  readonly server: string | null;
}

export interface SystemState {
  readonly memory: MemoryInfo;
  readonly pressure: PressureInfo | null;
  /** The memory cgroup the servers run in (the first running server's, else this process's); null when none applies. */
  readonly cgroup: CgroupInfo | null;
  readonly disks: readonly DiskInfo[];
  readonly inotify: InotifyInfo;
}

/** One immutable picture of the workspace's servers and the machine. */
export interface Snapshot {
  readonly takenAt: number;
  readonly platform: string;
  readonly workspaceFolders: readonly string[];
  readonly servers: readonly Server[];
  readonly system: SystemState;
  readonly alerts: readonly Alert[];
  /** Every listening socket seen (for port-holder lookups). */
  readonly sockets: readonly ListeningSocket[];
  readonly warnings: readonly string[];
  /** 0–100 over the running servers (core/health/score.ts); null when none runs. */
  readonly healthScore?: number | null;
}
