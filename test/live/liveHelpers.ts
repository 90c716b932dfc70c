// Real processes for live tests: started in their own process group, tracked, and killed by PID.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..', '..');

export class ProcessJar {
  private readonly groups = new Set<number>();
  private readonly dirs = new Set<string>();

  /** Spawns detached (own process group) so the whole tree can be killed later. */
  start(cmd: string, args: readonly string[], opts: SpawnOptions & { cwd: string }): ChildProcess {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    this.groups.add(child.pid);
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    (child as ChildProcess & { output: () => string }).output = () => out;
    return child;
  }

  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  /** SIGKILLs every process group started here, then removes the temp dirs. */
  async cleanup(): Promise<void> {
    for (const pgid of this.groups) {
      try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
    }
    this.groups.clear();
    await new Promise((r) => setTimeout(r, 100));
    for (const d of this.dirs) fs.rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}

export function output(child: ChildProcess): string {
  return (child as ChildProcess & { output?: () => string }).output?.() ?? '';
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A port the OS considers free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A node http server on 127.0.0.1:0 that writes its port to PORTFILE once listening. */
export const HTTP_SERVER_JS = `
const http = require('http');
const srv = http.createServer((q, s) => s.end('ok'));
srv.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  require('fs').writeFileSync(process.env.PORTFILE || '.port', String(srv.address().port));
});
`;

/**
 * A server that writes its pid to .pid, listens on 127.0.0.1:0, then waits for a file named `go` next to
 * it before running `crash` (so a monitor has seen it alive first).
 */
export const crashingAppSource = (crash: string): string => `
const fs = require('fs');
const http = require('http');
fs.writeFileSync(__dirname + '/.pid', String(process.pid));
const srv = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
const wait = setInterval(() => {
  if (!fs.existsSync(__dirname + '/go')) return;
  clearInterval(wait);
  ${crash}
}, 50);
`;

/** Every process (but this one) whose working folder is inside `dir`, by pid: the last-resort cleanup of a test's tree. */
export function pidsInside(dir: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${name}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) out.push(Number(name));
    } catch { /* gone, or another user's */ }
  }
  return out;
}
