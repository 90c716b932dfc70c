// A throwaway workspace with one live dev server (the root `dev` script, really running) and one
// declared server that is never started (packages/api `start`, port 4999), for the suites that run
// inside VS Code. Shared by runCodeServer.ts and runElectron.ts.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface FixtureWorkspace {
  dir: string;
  /** DSD_TEST_WORKSPACE, DSD_TEST_SERVER_PID, DSD_TEST_SERVER_PORT: handed to the extension host. */
  env: Record<string, string>;
  cleanup(): Promise<void>;
}

const PORT_FILE = '.fixture-port';
const READY_TIMEOUT_MS = 10_000;
const KILL_GRACE_MS = 2_000;

// Writes the port through a rename so a reader never sees a half-written file.
const SERVER_JS = `const http = require('node:http');
const fs = require('node:fs');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('fixture-shop dev server\\n');
});
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  fs.writeFileSync('${PORT_FILE}.tmp', String(server.address().port));
  fs.renameSync('${PORT_FILE}.tmp', '${PORT_FILE}');
});
`;

const API_JS = `const http = require('node:http');
const i = process.argv.indexOf('--port');
const port = i >= 0 ? Number(process.argv[i + 1]) : 4999;
http.createServer((req, res) => res.end('fixture-api\\n')).listen(port, '127.0.0.1');
`;

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2) + '\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startFixtureWorkspace(): Promise<FixtureWorkspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-fixture-'));
  writeJson(path.join(dir, 'package.json'), {
    name: 'fixture-shop',
    scripts: { dev: 'node server.js', build: 'echo build' },
  });
  fs.writeFileSync(path.join(dir, 'server.js'), SERVER_JS);
  writeJson(path.join(dir, 'packages', 'api', 'package.json'), {
    name: 'fixture-api',
    scripts: { start: 'node api.js --port 4999' },
  });
  fs.writeFileSync(path.join(dir, 'packages', 'api', 'api.js'), API_JS);

  // PORT is pinned to 0 so a PORT in the caller's environment cannot make the fixture collide.
  const child = spawn(process.execPath, ['server.js'], {
    cwd: dir,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const isRunning = () => child.exitCode === null && child.signalCode === null;

  const cleanup = async (): Promise<void> => {
    if (child.pid !== undefined && isRunning()) {
      child.kill('SIGTERM');
      const gone = await Promise.race([exited.then(() => true), sleep(KILL_GRACE_MS).then(() => false)]);
      if (!gone) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const portFile = path.join(dir, PORT_FILE);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!fs.existsSync(portFile)) {
    if (!isRunning() || Date.now() > deadline) {
      await cleanup();
      const why = isRunning() ? `no ${PORT_FILE} after ${READY_TIMEOUT_MS} ms` : `it exited (${child.exitCode ?? child.signalCode})`;
      throw new Error(`fixture server did not start: ${why}\n${stderr}`);
    }
    await sleep(50);
  }
  const port = fs.readFileSync(portFile, 'utf8').trim();
  return {
    dir,
    env: {
      DSD_TEST_WORKSPACE: dir,
      DSD_TEST_SERVER_PID: String(child.pid),
      DSD_TEST_SERVER_PORT: port,
    },
    cleanup,
  };
}
