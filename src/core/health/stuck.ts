// "Find where it's stuck": wakes the inspector of a Node process (SIGUSR1), connects to it on loopback, pauses the
// JavaScript it is running, reads the top frames, resumes and disconnects. Node's inspector answers from its own
// thread, and V8 serves a pause request between two JavaScript instructions, so this works on a blocked event loop.
// The process keeps its inspector port open until it exits (Node has no way to close it from outside).
import * as http from 'node:http';
import * as path from 'node:path';
import WebSocket from 'ws';
import type { Evidence, Verdict } from '../crash/types';
import { isNodeProcess } from '../heapLimit';
import { folderOf } from '../paths';
import { redactText } from '../redact';
import type { ProcessLookup } from '../remedies/processes';
import type { Server } from '../types';
import { remedy, type RemedyRef } from '../remedies/catalogue';
import { listeningSocketsOf, type PidSocket } from '../system/pidSockets';
import { isLoopbackHost } from './check';

export interface StuckFrame {
  readonly functionName: string;
  /** Absolute path for files, else the script URL (node:internal/…). */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
  /** In the user's code: a file inside the workspace, not under node_modules. */
  readonly own: boolean;
}

export interface StuckResult {
  readonly ok: boolean;
  /** Own frames first, then the rest, each in stack order (innermost first). */
  readonly frames: readonly StuckFrame[];
  readonly inspectorPort: number | null;
  /** Plain words: where it is stuck, or why that could not be found. */
  readonly message: string;
}

export interface FindStuckOptions {
  readonly workspaceFolders: readonly string[];
  /** How long to wait for the inspector to listen and for the pause (each). Default 5 s. */
  readonly timeoutMs?: number;
  /** Frames kept (default 10). */
  readonly maxFrames?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function getJson(host: string, port: number, pathname: string, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: pathname, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; if (body.length > 1_000_000) req.destroy(new Error('answer too large')); });
      res.on('end', () => { try { resolve(JSON.parse(body)); } catch { reject(new Error('not JSON')); } });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** The inspector's WebSocket URL on one of the process's loopback ports, if one of them is its inspector. */
async function inspectorOn(sockets: readonly PidSocket[], timeoutMs: number): Promise<{ port: number; ws: string } | null> {
  for (const s of sockets) {
    const host = s.family === 4 ? (s.address === '0.0.0.0' || s.address.startsWith('127.') ? '127.0.0.1' : null) : s.address === '::1' || s.address === '::' ? '::1' : null;
    if (!host) continue;
    try {
      const list = await getJson(host, s.port, '/json/list', Math.min(1000, timeoutMs));
      const first = Array.isArray(list) ? (list[0] as { webSocketDebuggerUrl?: unknown } | undefined) : undefined;
      const ws = typeof first?.webSocketDebuggerUrl === 'string' ? first.webSocketDebuggerUrl : null;
      if (ws && isLoopbackHost(new URL(ws).hostname)) return { port: s.port, ws };
    } catch {
      // Not an inspector (an HTTP server that is itself stuck does not answer either).
    }
  }
  return null;
}

function frameFile(url: string): string {
  if (url.startsWith('file://')) {
    try {
      return decodeURIComponent(new URL(url).pathname);
    } catch {
      return url;
    }
  }
  return url;
}

export function isOwnFile(file: string, workspaceFolders: readonly string[]): boolean {
  if (!path.isAbsolute(file) || file.split(/[\\/]/).includes('node_modules')) return false;
  return workspaceFolders.some((f) => {
    const rel = path.relative(f, file);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  });
}

/** Own frames first (stack order kept within each group). Pure. */
export function orderFrames(frames: readonly StuckFrame[]): StuckFrame[] {
  return [...frames.filter((f) => f.own), ...frames.filter((f) => !f.own)];
}

export function frameText(f: StuckFrame): string {
  return `at ${f.functionName || '(anonymous)'} (${f.file}:${f.line}:${f.column})`;
}

interface CdpFrame { functionName?: string; url?: string; location?: { scriptId?: string; lineNumber?: number; columnNumber?: number } }

/** Pauses the JavaScript running in the inspector at `wsUrl`, returns its frames, resumes, closes. */
async function pauseAndRead(wsUrl: string, opts: Required<FindStuckOptions>): Promise<{ frames: StuckFrame[] } | { error: string }> {
  const ws = new WebSocket(wsUrl, { handshakeTimeout: opts.timeoutMs, perMessageDeflate: false });
  const scripts = new Map<string, string>();
  let nextId = 1;
  const pending = new Map<number, (ok: boolean) => void>();
  let onPaused: ((frames: CdpFrame[]) => void) | null = null;
  const send = (method: string, params: object = {}): Promise<boolean> => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    ws.send(JSON.stringify({ id, method, params }), (err) => { if (err) { pending.delete(id); resolve(false); } });
  });
  ws.on('message', (data) => {
    let msg: { id?: number; method?: string; params?: { scriptId?: string; url?: string; callFrames?: CdpFrame[] }; error?: unknown };
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    if (msg.id !== undefined) {
      pending.get(msg.id)?.(msg.error === undefined);
      pending.delete(msg.id);
    } else if (msg.method === 'Debugger.scriptParsed' && msg.params?.scriptId) scripts.set(msg.params.scriptId, msg.params.url ?? '');
    else if (msg.method === 'Debugger.paused') onPaused?.(msg.params?.callFrames ?? []);
  });
  const opened = await new Promise<string | null>((resolve) => {
    ws.once('open', () => resolve(null));
    ws.once('error', (err) => resolve(err.message));
  });
  if (opened !== null) return { error: `could not connect to its inspector (${opened})` };
  ws.on('error', () => undefined);
  try {
    const paused = new Promise<CdpFrame[] | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), opts.timeoutMs);
      onPaused = (frames) => { clearTimeout(timer); resolve(frames); };
    });
    await Promise.race([send('Debugger.enable'), sleep(opts.timeoutMs)]);
    void send('Debugger.pause');
    const callFrames = await paused;
    if (callFrames === null) {
      return { error: `no JavaScript ran within ${opts.timeoutMs / 1000} s: it is waiting in native code or in the kernel (a synchronous call, a lock), not in a JavaScript loop` };
    }
    const frames = callFrames.slice(0, opts.maxFrames).map((f): StuckFrame => {
      const file = frameFile(f.url || scripts.get(f.location?.scriptId ?? '') || '');
      return {
        functionName: f.functionName ?? '',
        file: file || '(unknown script)',
        line: (f.location?.lineNumber ?? 0) + 1,
        column: (f.location?.columnNumber ?? 0) + 1,
        own: isOwnFile(file, opts.workspaceFolders),
      };
    });
    return { frames };
  } finally {
    // Resume before anything else: the process must run on whatever happened above.
    await Promise.race([send('Debugger.resume'), sleep(1000)]);
    await Promise.race([send('Debugger.disable'), sleep(1000)]);
    ws.close();
    ws.terminate();
  }
}

/**
 * Finds where a Node process is stuck. The caller has made sure it is a Node process of the workspace and the user
 * confirmed. Never throws.
 */
export async function findWhereStuck(pid: number, options: FindStuckOptions): Promise<StuckResult> {
  const opts: Required<FindStuckOptions> = { timeoutMs: 5000, maxFrames: 10, ...options };
  const fail = (message: string, port: number | null = null): StuckResult => ({ ok: false, frames: [], inspectorPort: port, message });
  const before = listeningSocketsOf(pid);
  if (before === null) return fail(`PID ${pid} is gone or its sockets are unreadable.`);
  let inspector = await inspectorOn(before, opts.timeoutMs);
  if (!inspector) {
    try {
      process.kill(pid, 'SIGUSR1');
    } catch (err) {
      return fail(`Could not signal PID ${pid}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
    }
    const known = new Set(before.map((s) => `${s.address}:${s.port}`));
    const deadline = Date.now() + opts.timeoutMs;
    while (!inspector && Date.now() < deadline) {
      await sleep(100);
      const now = listeningSocketsOf(pid);
      if (now === null) return fail(`PID ${pid} exited after SIGUSR1 (it may not be a Node process, or it handles SIGUSR1 itself).`);
      const fresh = now.filter((s) => !known.has(`${s.address}:${s.port}`));
      if (fresh.length) inspector = await inspectorOn(fresh, deadline - Date.now());
    }
  }
  if (!inspector) {
    return fail(`PID ${pid} opened no inspector within ${opts.timeoutMs / 1000} s of SIGUSR1 (the default port 9229 may be taken by another process, or the process handles SIGUSR1 itself).`);
  }
  const read = await pauseAndRead(inspector.ws, opts);
  if ('error' in read) return fail(`Its inspector on 127.0.0.1:${inspector.port} was reached, but ${read.error}.`, inspector.port);
  const frames = orderFrames(read.frames).map((f) => ({ ...f, file: redactText(f.file), functionName: redactText(f.functionName) }));
  const top = frames[0];
  const message = top
    ? `It is running ${top.functionName || 'an anonymous function'} at ${path.basename(top.file)}:${top.line}${top.own ? '' : ' (not in your code)'}.`
    : 'It was paused, but no JavaScript frame was on the stack.';
  return { ok: frames.length > 0, frames, inspectorPort: inspector.port, message };
}

/** The `hang` verdict for a server whose stack was read: the frames as evidence, own frame first. */
export function hangVerdict(
  server: { readonly id: string; readonly name: string; readonly cwd: string; readonly unresponsive?: { readonly message: string } },
  pid: number, result: StuckResult, now = Date.now(),
): Verdict {
  const own = result.frames.find((f) => f.own) ?? null;
  const top = own ?? result.frames[0] ?? null;
  const topFrame = top ? `${top.file}:${top.line}:${top.column}` : null;
  const evidence: Evidence[] = [];
  if (server.unresponsive) evidence.push({ source: 'health-check', text: redactText(server.unresponsive.message), time: null });
  if (result.frames.length) {
    evidence.push({ source: 'inspector', text: result.frames.map(frameText).join('\n'), time: now, location: `inspector 127.0.0.1:${result.inspectorPort}` });
  } else {
    evidence.push({ source: 'inspector', text: redactText(result.message), time: now });
  }
  const where = top ? ` in ${top.functionName || 'an anonymous function'} (${path.basename(top.file)}:${top.line})` : '';
  const remedies: RemedyRef[] = [];
  if (own) remedies.push(remedy('open-file', { file: own.file, line: own.line, column: own.column }, `Open ${path.basename(own.file)}:${own.line}`));
  remedies.push(remedy('restart-server', { server: server.name, serverId: server.id, pid }));
  return {
    cause: 'hang',
    confidence: own ? 'high' : result.frames.length ? 'medium' : 'low',
    server: server.name,
    pid,
    time: now,
    summary: result.frames.length
      ? `${server.name} is stuck${where}${own ? '' : ' (no frame of your code on the stack)'}: its event loop runs this JavaScript and answers nothing else.`
      : `${server.name} is not answering; ${result.message}`,
    evidence,
    topFrame,
    remedies,
    detail: { serverId: server.id, cwd: server.cwd },
  };
}

/**
 * The process of a server whose stack to read: a Node process of the server's tree that still is the one the snapshot
 * saw (same start time), runs inside the workspace, and preferably listens on the checked port. Pure over `lookup`.
 */
export function stuckTarget(
  server: Server, lookup: ProcessLookup, workspaceFolders: readonly string[],
): { readonly pid: number; readonly command: string } | { readonly refused: string } {
  let port = NaN;
  try {
    if (server.health?.target) port = Number(new URL(server.health.target.replace(/^tcp:/, 'http:')).port);
  } catch {
    // No checked port: any listening Node process will do.
  }
  const ranked = [...server.processes]
    .filter((p) => !p.zombie)
    .sort((a, b) => Number(b.ports.includes(port)) - Number(a.ports.includes(port))
      || Number(b.pid === server.heapPid) - Number(a.pid === server.heapPid) || Number(b.ports.length > 0) - Number(a.ports.length > 0));
  // The first Node process by that rank, as the snapshot saw it; never a fall-back to another one.
  const p = ranked.find((x) => isNodeProcess(x.command.split(' '), x.comm));
  if (!p) return { refused: `${server.name} has no running Node.js process (Find Where It's Stuck reads Node's inspector).` };
  const now = lookup.get(p.pid);
  if (!now || now.startTimeMs !== p.startTimeMs || !isNodeProcess(now.cmdline, now.comm)) {
    return { refused: `PID ${p.pid} of ${server.name} has exited or restarted since the last look; try again.` };
  }
  if (now.cwd === null || folderOf(now.cwd, workspaceFolders) === null) {
    return { refused: `PID ${p.pid} does not run inside the workspace (${now.cwd ?? 'its folder is unreadable'}): Find Where It's Stuck only touches the workspace's own processes.` };
  }
  return { pid: p.pid, command: p.command };
}
