// How a server is started, said once (launchSpecOf: command line, folder, environment, package manager),
// for everything that starts one: Restart and Start in a VS Code terminal, the supervisor, the CLI's `run`,
// and agents (startServerDetached: detached from us, output kept in a log file in the workspace's temp
// state, the outcome measured: it listens on its port, or it died with its last lines, or neither yet).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scriptPath } from '../paths';
import { redactText } from '../redact';
import { shellQuote } from '../shell';
import type { Server } from '../types';
import { packageManagerOf, projectFolders, type PackageManager } from './preflight';
import { isListening, pollUntil } from './wait';

export interface StartedServer {
  /** The launched process (its own process group); null when it could not start at all. */
  readonly pid: number | null;
  readonly command: string;
  readonly logFile: string | null;
  /** It listened on its expected port within the wait. */
  readonly listening: boolean;
  /** It exited during the wait, with this code (null: by a signal). */
  readonly exited: { code: number | null; signal: string | null } | null;
  readonly elapsedMs: number;
  /** The log's last lines (redacted) when it exited or never listened. */
  readonly lastLines: readonly string[];
  /** One sentence for the agent or the user. */
  readonly message: string;
}

/** Where launches keep their logs: a folder per workspace folder in the temp dir. */
export function launchLogDir(workspaceFolder: string): string {
  const id = createHash('sha1').update(workspaceFolder).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), 'dev-server-doctor', id, 'launch');
}

/** What a server is started from: a declared one (a package.json script or a configured command) or a running tree. */
export type LaunchTarget = Pick<Server, 'script' | 'command' | 'cwd' | 'workspaceFolder' | 'source'>;

/** How a server is started. */
export interface LaunchSpec {
  /**
   * The line a shell runs to start it as the user would: `<package manager> run <script>`, the configured
   * command, or (for an undeclared tree) its running command line.
   */
  readonly command: string;
  /**
   * The script's own body (or the configured command), for a launcher that wants the server as its child with no
   * package manager between (the supervisor: its exit code and signal are then the server's own). For an
   * undeclared tree, the same as `command`.
   */
  readonly body: string;
  readonly cwd: string;
  readonly workspaceFolder: string;
  /** Our environment with node_modules/.bin from `cwd` up to the workspace folder first on PATH, as `npm run` sets it. */
  readonly env: NodeJS.ProcessEnv;
  /** The package manager that runs the script (from the lock files); null when no script is run. */
  readonly packageManager: PackageManager | null;
  readonly script: string | null;
}

/** The environment a server or a wrapped command starts with: `base` with node_modules/.bin up to `workspaceFolder` first on PATH. */
export function launchEnv(cwd: string, workspaceFolder: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, PATH: scriptPath(cwd, workspaceFolder, base.PATH ?? '') };
}

/**
 * How `server` is started: its script through the project's package manager, its configured command, or, for a
 * tree no script or setting declares, `runningCommandLine` (the real argv of its root process, read by the
 * caller) quoted word by word. Null when there is no known way.
 */
export function launchSpecOf(server: LaunchTarget, opts: { runningCommandLine?: readonly string[] | null; env?: NodeJS.ProcessEnv } = {}): LaunchSpec | null {
  const base = { cwd: server.cwd, workspaceFolder: server.workspaceFolder, env: launchEnv(server.cwd, server.workspaceFolder, opts.env) };
  if (server.script) {
    const pm = packageManagerOf(projectFolders(server.cwd, server.workspaceFolder));
    return { ...base, command: `${pm} run ${shellQuote(server.script)}`, body: server.command, packageManager: pm, script: server.script };
  }
  if (server.source === 'settings' && server.command) return { ...base, command: server.command, body: server.command, packageManager: null, script: null };
  const argv = opts.runningCommandLine;
  if (argv?.length) {
    const line = argv.map(shellQuote).join(' ');
    return { ...base, command: line, body: line, packageManager: null, script: null };
  }
  return null;
}

/** How the server is started: `<package manager> run <script>`, or its configured command (launchSpecOf's command). */
export function startCommandOf(server: Server): string | null {
  return launchSpecOf(server)?.command ?? null;
}

function lastLines(file: string, n = 20): string[] {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 16 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8').split(/\r?\n/).filter((l) => l.trim()).slice(-n).map(redactText);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return [];
  }
}

/**
 * Starts the server detached (it outlives us) and waits up to `timeoutMs` for its port (when it has one),
 * or for `settleMs` without dying when it has none. Never throws.
 */
export async function startServerDetached(server: Server, opts: { timeoutMs?: number; settleMs?: number } = {}): Promise<StartedServer> {
  const started = Date.now();
  const spec = launchSpecOf(server);
  const command = spec?.command;
  if (!spec || !command) {
    return { pid: null, command: '', logFile: null, listening: false, exited: null, elapsedMs: 0, lastLines: [], message: `${server.name} has no script or configured command to start it with.` };
  }
  const dir = launchLogDir(server.workspaceFolder);
  let logFile: string | null = path.join(dir, `${server.name.replace(/[^\w.-]+/g, '_')}.log`);
  let out: number | 'ignore' = 'ignore';
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    out = fs.openSync(logFile, 'w', 0o600);
  } catch {
    logFile = null;
  }
  let exited: StartedServer['exited'] = null;
  let pid: number | null = null;
  try {
    const child = spawn('/bin/sh', ['-c', command], { cwd: spec.cwd, detached: true, stdio: ['ignore', out, out], env: spec.env });
    pid = child.pid ?? null;
    child.once('exit', (code, signal) => { exited = { code, signal }; });
    child.once('error', () => { exited = { code: null, signal: null }; });
    child.unref();
  } catch (err) {
    return { pid: null, command, logFile, listening: false, exited: null, elapsedMs: Date.now() - started, lastLines: [], message: `Could not start ${server.name}: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (typeof out === 'number') fs.closeSync(out);
  }
  const port = server.expectedPort ?? server.ports[0] ?? null;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const wait = await pollUntil(async () => exited !== null || (port !== null && await isListening(port)), port !== null ? timeoutMs : (opts.settleMs ?? 3000));
  const listening = exited === null && port !== null && wait.value === true;
  const elapsedMs = Date.now() - started;
  const tail = listening || !logFile ? [] : lastLines(logFile);
  const ex = exited as StartedServer['exited'];
  const message = ex
    ? `${server.name} (${command}) exited ${ex.code !== null ? `with code ${ex.code}` : `by ${ex.signal ?? 'a signal'}`} after ${(elapsedMs / 1000).toFixed(1)} s${tail.length ? `; its last line: ${tail[tail.length - 1]}` : ''}.`
    : listening
      ? `${server.name} is up again on port ${port} after ${(elapsedMs / 1000).toFixed(1)} s (PID ${pid}; output in ${logFile ?? 'nowhere'}).`
      : port !== null
        ? `${server.name} started (PID ${pid}) but does not listen on port ${port} after ${(elapsedMs / 1000).toFixed(0)} s; output in ${logFile ?? 'nowhere'}.`
        : `${server.name} started (PID ${pid}); output in ${logFile ?? 'nowhere'}.`;
  return { pid, command, logFile, listening, exited: ex, elapsedMs, lastLines: tail, message: redactText(message) };
}
