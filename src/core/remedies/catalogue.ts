// The remedy catalogue: one id per remedy, with its arguments and one description. Verdicts, reports,
// warnings and pre-flight checks name remedies by id; the VS Code layer maps each id to its command
// (src/vscode/remedyCommands.ts) and the CLI to the line a terminal user types (src/cli/remedyLines.ts).
// The core never names a VS Code command.
//
// To add a remedy: add its id to RemedyId and its entry to REMEDIES, then its command in
// src/vscode/remedyCommands.ts and its line in src/cli/remedyLines.ts (both are Records over RemedyId,
// so a missing one does not compile).

export type RemedyId =
  | 'restart-server'
  | 'start-server'
  | 'raise-heap-limit'
  | 'kill-port-holder'
  | 'kill-zombies'
  | 'kill-process-tree'
  | 'free-disk'
  | 'raise-inotify-limit'
  | 'install-dependencies'
  | 'raise-fd-limit'
  | 'investigate'
  | 'open-file'
  | 'find-where-stuck'
  | 'load-test'
  | 'rebuild-native-module'
  | 'switch-node-version'
  | 'use-unprivileged-port'
  | 'use-ipv4-loopback'
  | 'use-other-inspector-port'
  | 'capture-heap-snapshot'
  | 'clear-build-cache'
  | 'raise-memory-ceiling'
  | 'raise-process-limit'
  | 'start-dependency'
  | 'wait-then-restart'
  | 'start-container'
  | 'stop-container'
  | 'restart-container'
  | 'raise-container-memory';

/** What a remedy acts on; every field optional, the remedy says which it reads. */
export interface RemedyArgs {
  /** The server's display name (redacted). */
  readonly server?: string | null;
  /** Stable server id (Server.id). */
  readonly serverId?: string;
  /** The server's folder. */
  readonly cwd?: string;
  readonly pid?: number | null;
  readonly pids?: readonly number[];
  readonly port?: number;
  /** A heap limit to set (raise-heap-limit). */
  readonly megabytes?: number;
  /** fs.inotify.max_user_watches to set (raise-inotify-limit). */
  readonly maxUserWatches?: number;
  /** A missing package (install-dependencies). */
  readonly package?: string;
  /** A path on the disk to free (free-disk). */
  readonly path?: string;
  /** A source file to open (open-file), with its 1-based line and column. */
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  /** switch-node-version: the version asked for, the manager found ('nvm', 'fnm', 'volta'). */
  readonly version?: string;
  readonly manager?: string;
  /** switch-node-version: the exact command to type. */
  readonly command?: string;
  /** use-ipv4-loopback: the address to connect to. */
  readonly address?: string;
  /** raise-memory-ceiling: where the servers run ('wsl2', 'devcontainer'…). */
  readonly where?: string;
  /** Advice shown by the editor as is (kind 'info'): its title and exact text. */
  readonly title?: string;
  readonly text?: string;
  /** start-dependency: what provides it ('compose' service or 'local' installation), the service, and the exact command (v1 `docker-compose` form too). */
  readonly via?: 'compose' | 'local';
  readonly service?: string | null;
  readonly commandV1?: string;
  /** wait-then-restart: the address the server connects to. */
  readonly host?: string | null;
  /** *-container: the container's id and name; raise-container-memory also `file` (the compose file), `service` and `megabytes`. */
  readonly container?: string;
  readonly name?: string;
}

/** A remedy as verdicts, reports and warnings carry it. */
export interface RemedyRef {
  readonly id: RemedyId;
  /** What the button or list says, e.g. "Raise the heap limit to 512 MB". */
  readonly title: string;
  /** The exact change or command, e.g. `NODE_OPTIONS=--max-old-space-size=512`. */
  readonly detail?: string;
  readonly args?: RemedyArgs;
}

/** What running a remedy does to the machine. */
export type RemedyKind = 'kill' | 'delete' | 'edit' | 'run' | 'info';

export interface RemedySpec {
  /** The default title. */
  readonly title: string;
  /** A short button label ("Restart", "Free Disk Space…"). */
  readonly button: string;
  /** One sentence: what it does. */
  readonly what: string;
  readonly kind: RemedyKind;
  /** Runs or edits workspace code: off in untrusted workspaces. */
  readonly needsTrust: boolean;
  /** An agent may apply it without the user's explicit allow-list (it still re-checks ownership). */
  readonly agentSafe: boolean;
}

export const REMEDIES: Readonly<Record<RemedyId, RemedySpec>> = {
  'restart-server': {
    title: 'Restart the server', button: 'Restart', kind: 'run', needsTrust: true, agentSafe: true,
    what: 'Stops the server\'s process tree, waits for its port, checks port, dependencies and disk, and starts its script again.',
  },
  'start-server': {
    title: 'Start the server', button: 'Start', kind: 'run', needsTrust: true, agentSafe: true,
    what: 'Starts the server\'s script in a terminal named after it.',
  },
  'raise-heap-limit': {
    title: 'Raise the heap limit', button: 'Raise Heap Limit', kind: 'edit', needsTrust: true, agentSafe: false,
    what: 'Sets --max-old-space-size where the server gets it (its script or the terminals\' NODE_OPTIONS), sized above the peak seen and below what the memory can hold.',
  },
  'kill-port-holder': {
    title: 'Stop the process holding the port', button: 'Kill Port Holder', kind: 'kill', needsTrust: false, agentSafe: true,
    what: 'Stops the process tree listening on the server\'s port, after checking it is still the same process.',
  },
  'kill-zombies': {
    title: 'Stop orphaned and zombie dev servers', button: 'Kill Zombies and Orphans…', kind: 'kill', needsTrust: false, agentSafe: true,
    what: 'Stops orphaned dev servers, duplicate watchers and parents of zombies of this workspace, tree by tree.',
  },
  'kill-process-tree': {
    title: 'Stop the process tree', button: 'Kill Process Tree', kind: 'kill', needsTrust: false, agentSafe: false,
    what: 'Stops one server\'s whole process tree (SIGTERM, then SIGKILL).',
  },
  'free-disk': {
    title: 'Free disk space', button: 'Free Disk Space…', kind: 'delete', needsTrust: false, agentSafe: false,
    what: 'Moves large logs, rebuildable caches, stale node_modules and old reports of the workspace to the trash.',
  },
  'raise-inotify-limit': {
    title: 'Raise the file watcher limit', button: 'Raise File Watcher Limit…', kind: 'info', needsTrust: false, agentSafe: false,
    what: 'Raises fs.inotify.max_user_watches now and after a reboot (needs an administrator).',
  },
  'install-dependencies': {
    title: 'Install dependencies', button: 'Install Dependencies', kind: 'run', needsTrust: true, agentSafe: false,
    what: 'Runs the project\'s package manager install (or adds the missing package) in the server\'s folder.',
  },
  'raise-fd-limit': {
    title: 'Raise the open file limit', button: 'Raise Open File Limit…', kind: 'info', needsTrust: false, agentSafe: false,
    what: 'Raises the descriptor limit (ulimit -n) in the shell that starts the server.',
  },
  'investigate': {
    title: 'Investigate the crash', button: 'Investigate', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Joins the kernel log, cgroup counters, output, logs and Node reports into a report with the cause.',
  },
  'open-file': {
    title: 'Open the file', button: 'Open File', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Opens the source file at the line where it failed.',
  },
  'find-where-stuck': {
    title: 'Find where it is stuck', button: "Find Where It's Stuck", kind: 'run', needsTrust: false, agentSafe: false,
    what: 'Opens the Node inspector of the server\'s process (SIGUSR1; the port stays open until it restarts), pauses it for a moment and reads the JavaScript frames it is running.',
  },
  'load-test': {
    title: 'Load test the server', button: 'Load Test…', kind: 'run', needsTrust: false, agentSafe: false,
    what: 'Sends bounded stages of concurrent requests to one of the server\'s loopback URLs and reports throughput, latency, errors, memory and a leak check.',
  },
  'rebuild-native-module': {
    title: 'Rebuild the native module', button: 'Rebuild Module', kind: 'run', needsTrust: true, agentSafe: false,
    what: 'Runs npm rebuild <module> in the server\'s folder so the module is compiled for the Node that runs it.',
  },
  'switch-node-version': {
    title: 'Switch the Node.js version', button: 'Switch Node Version', kind: 'run', needsTrust: true, agentSafe: false,
    what: 'Types the version manager\'s command (nvm, fnm or volta, whichever is installed) for the version the project asks for.',
  },
  'use-unprivileged-port': {
    title: 'Use a port of 1024 or above', button: 'Show How', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Shows the port to use instead, or the capability that lets node bind a low port (never running the server as root).',
  },
  'use-ipv4-loopback': {
    title: 'Use 127.0.0.1 instead of localhost', button: 'Show How', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Shows the address to connect to, or how to listen on both address families.',
  },
  'use-other-inspector-port': {
    title: 'Use another inspector port', button: 'Show How', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Shows the --inspect flag that lets the debugger pick a free port.',
  },
  'capture-heap-snapshot': {
    title: 'Capture a heap snapshot near the limit', button: 'Capture Heap Snapshot', kind: 'edit', needsTrust: true, agentSafe: false,
    what: 'Adds --heapsnapshot-near-heap-limit to the terminals\' NODE_OPTIONS so the next run writes one snapshot as the heap nears its limit.',
  },
  'clear-build-cache': {
    title: 'Clear the build cache', button: 'Clear Build Cache', kind: 'delete', needsTrust: true, agentSafe: false,
    what: 'Moves one framework build cache (.next, node_modules/.vite…) inside the workspace to the trash.',
  },
  'raise-memory-ceiling': {
    title: 'Raise the memory ceiling', button: 'Show How', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Shows the exact change for the ceiling that applies (.wslconfig, devcontainer.json, Docker Desktop, the cgroup).',
  },
  'raise-process-limit': {
    title: 'Raise the process limit', button: 'Show How', kind: 'info', needsTrust: false, agentSafe: true,
    what: 'Shows the ulimit -u or pids.max change for the shell or cgroup that starts the server.',
  },
  'start-dependency': {
    title: 'Start the service the server needs', button: 'Start Service…', kind: 'run', needsTrust: true, agentSafe: false,
    what: 'Runs the exact command that starts the database, cache or broker (its compose service, or its local installation) in a terminal.',
  },
  'wait-then-restart': {
    title: 'Wait until the service listens, then restart the server', button: 'Wait, then Restart', kind: 'run', needsTrust: true, agentSafe: true,
    what: 'Waits until something accepts connections on the service\'s port, then restarts the dev server once.',
  },
  'start-container': {
    title: 'Start the container', button: 'Start Container', kind: 'run', needsTrust: true, agentSafe: false,
    what: 'Starts a stopped container of this workspace (docker start).',
  },
  'stop-container': {
    title: 'Stop the container', button: 'Stop Container', kind: 'kill', needsTrust: false, agentSafe: false,
    what: 'Stops a container of this workspace (docker stop: SIGTERM, then SIGKILL after 10 s).',
  },
  'restart-container': {
    title: 'Restart the container', button: 'Restart Container', kind: 'run', needsTrust: true, agentSafe: false,
    what: 'Restarts a container of this workspace (docker restart).',
  },
  'raise-container-memory': {
    title: "Raise the container's memory limit", button: 'Raise Memory Limit…', kind: 'edit', needsTrust: true, agentSafe: false,
    what: 'Shows the exact change to the compose service\'s memory limit (mem_limit or deploy.resources.limits.memory) and writes it only after you agree.',
  },
};

export const REMEDY_IDS = Object.keys(REMEDIES) as RemedyId[];

export function isRemedyId(x: unknown): x is RemedyId {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(REMEDIES, x);
}

/** A remedy by id; the title defaults to the catalogue's. */
export function remedy(id: RemedyId, args?: RemedyArgs, title?: string, detail?: string): RemedyRef {
  return {
    id,
    title: title ?? REMEDIES[id].title,
    ...(detail !== undefined ? { detail } : {}),
    ...(args !== undefined ? { args } : {}),
  };
}

/** The ids crash history written before the catalogue used (VS Code command ids), by their last segment. */
const LEGACY_COMMANDS: Readonly<Record<string, RemedyId>> = {
  restartServer: 'restart-server',
  raiseHeapLimit: 'raise-heap-limit',
  killPortHolder: 'kill-port-holder',
  killZombies: 'kill-zombies',
  killProcessTree: 'kill-process-tree',
  freeDisk: 'free-disk',
  raiseInotifyLimit: 'raise-inotify-limit',
  npmInstall: 'install-dependencies',
  investigateCrash: 'investigate',
};

/** A stored remedy (current, or from before the catalogue as `{ command: '<VS Code command id>' }`); null when unknown. */
export function readRemedy(x: unknown): RemedyRef | null {
  if (!x || typeof x !== 'object') return null;
  const r = x as { id?: unknown; command?: unknown; title?: unknown; detail?: unknown; args?: unknown };
  let id: RemedyId | undefined;
  if (isRemedyId(r.id)) id = r.id;
  else if (typeof r.command === 'string') id = LEGACY_COMMANDS[r.command.slice(r.command.lastIndexOf('.') + 1)];
  if (!id) return null;
  return {
    id,
    title: typeof r.title === 'string' ? r.title : REMEDIES[id].title,
    ...(typeof r.detail === 'string' ? { detail: r.detail } : {}),
    ...(r.args && typeof r.args === 'object' ? { args: r.args as RemedyArgs } : {}),
  };
}

/** The same remedy for the same arguments (to list each once). */
export function remedyKey(r: RemedyRef): string {
  return `${r.id}|${JSON.stringify(r.args ?? null)}`;
}

// --- The file watcher limit: one figure and one piece of advice everywhere. ---

/** What we advise for fs.inotify.max_user_watches (the figure most distributions and IDEs recommend). */
export const RECOMMENDED_MAX_USER_WATCHES = 524_288;
/** …and for fs.inotify.max_user_instances. */
export const RECOMMENDED_MAX_USER_INSTANCES = 1024;

const SYSCTL_FILE = '/etc/sysctl.d/60-dev-server-doctor-inotify.conf';

/**
 * The exact commands that raise an inotify limit now and keep it after a reboot. `asRoot`: no sudo
 * (root needs none, and sudo would not ask it for a password).
 */
export function inotifyRaiseLines(opts: { watches?: number; instances?: number; asRoot?: boolean } = {}): string[] {
  const sudo = opts.asRoot ? '' : 'sudo ';
  const settings = [
    ...(opts.instances === undefined || opts.watches !== undefined ? [`fs.inotify.max_user_watches=${opts.watches ?? RECOMMENDED_MAX_USER_WATCHES}`] : []),
    ...(opts.instances !== undefined ? [`fs.inotify.max_user_instances=${opts.instances}`] : []),
  ];
  return [
    ...settings.map((s) => `${sudo}sysctl ${s}`),
    `printf '%s\\n' ${settings.map((s) => `'${s}'`).join(' ')} | ${sudo}tee ${SYSCTL_FILE}`,
  ];
}

/** Running as root (no sudo needed); false where there are no uids. */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}
