// Starting a server without an editor (for agents, through the MCP server): its script or configured
// command in its folder, detached from us, output kept in a log file in the workspace's temp state, and
// the outcome measured: it listens on its port, or it died (with its last lines, redacted), or neither yet.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { redactText } from '../redact';
import type { Server } from '../types';
import { packageManagerOf, projectFolders } from './preflight';
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

/** How the server is started: `<package manager> run <script>`, or its configured command. */
export function startCommandOf(server: Server): string | null {
  if (server.script) return `${packageManagerOf(projectFolders(server.cwd, server.workspaceFolder))} run ${server.script}`;
  if (server.source === 'settings' && server.command) return server.command;
  return null;
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
  const command = startCommandOf(server);
  if (!command) {
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
    const child = spawn('/bin/sh', ['-c', command], { cwd: server.cwd, detached: true, stdio: ['ignore', out, out], env: process.env });
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
