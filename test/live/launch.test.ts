// The agents' start (startServerDetached) on a real npm script: the launch spec's command in its folder, with
// node_modules/.bin first on PATH, measured until it listens; cleaned up by its process group.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServerDetached } from '../../src/core/remedies/launch';
import type { Server } from '../../src/core/types';
import { freePort, waitFor, writeFiles } from './liveHelpers';

describe('live: starting a server the one way (startServerDetached)', function () {
  this.timeout(60_000);
  let dir: string;
  let pgid: number | null = null;
  beforeEach(() => { dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-launch-live-'))); });
  afterEach(() => {
    if (pgid !== null) { try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ } }
    pgid = null;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const server = (over: Partial<Server>): Server => ({
    id: `${dir}#dev`, name: 'shop · dev', workspaceFolder: dir, cwd: dir, script: 'dev', command: '', framework: 'node', state: 'down',
    pid: null, pids: [], ports: [], expectedPort: null, rssBytes: 0, heapLimitBytes: null, heapLimitSource: null, heapPid: null,
    startTimeMs: null, processes: [], zombiePids: [], source: 'package.json', cgroup: null, ...over,
  });

  it('runs `npm run dev` in its folder with node_modules/.bin on PATH and reports when it listens', async () => {
    const port = await freePort();
    // A tool in node_modules/.bin that only the launch PATH finds: the script runs it by name.
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'shop', scripts: { dev: 'shop-serve' } }),
      'node_modules/.bin/shop-serve': `#!/bin/sh\nexec node -e "require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')"\n`,
    });
    fs.chmodSync(path.join(dir, 'node_modules/.bin/shop-serve'), 0o755);
    const started = await startServerDetached(server({ command: 'shop-serve', expectedPort: port }), { timeoutMs: 30_000 });
    pgid = started.pid;
    assert.equal(started.command, 'npm run dev');
    assert.ok(started.listening, started.message);
    assert.match(started.message, new RegExp(`^shop · dev is up again on port ${port} after \\d+\\.\\d s \\(PID \\d+; output in `));
    assert.ok(started.logFile && fs.existsSync(started.logFile));
  });

  it('a script that dies says so with its exit code and last line', async () => {
    writeFiles(dir, { 'package.json': JSON.stringify({ name: 'shop', scripts: { dev: 'node -e "console.error(\'boom: no config\'); process.exit(3)"' } }) });
    const started = await startServerDetached(server({ expectedPort: await freePort() }), { timeoutMs: 20_000 });
    pgid = started.pid;
    await waitFor('the outcome', () => started.exited !== null || undefined);
    assert.equal(started.listening, false);
    assert.match(started.message, /exited with code \d+ after .* its last line: .*/);
    assert.ok(started.lastLines.some((l) => /boom: no config/.test(l)), started.lastLines.join('\n'));
  });
});
