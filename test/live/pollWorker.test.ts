// Live: the poll worker thread (dist/pollWorker.js) against the inline monitor on real servers, and a worker that
// dies while a server exits.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { editorProcessIds } from '../../src/core/history/sampleJournal';
import { Monitor, type MonitorEvent } from '../../src/core/monitor';
import { PollWorkerClient } from '../../src/core/pollWorker/client';
import { plainDataProblems } from '../../src/core/pollWorker/plainData';
import { DEFAULT_SETTINGS } from '../../src/core/settings';
import { createProbe } from '../../src/core/system/probe';
import type { Server, Snapshot } from '../../src/core/types';
import { freePort, HTTP_SERVER_JS, isAlive, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const WORKER = path.join(REPO, 'dist', 'pollWorker.js');

/** What must agree between two polls a moment apart (memory figures move, the rest must not). */
function essence(s: Snapshot) {
  const server = (v: Server) => ({
    id: v.id, name: v.name, state: v.state, pid: v.pid, pids: [...v.pids].sort(), ports: v.ports, framework: v.framework,
    script: v.script, heapLimitBytes: v.heapLimitBytes, heapLimitSource: v.heapLimitSource, heapPid: v.heapPid,
    cgroup: v.cgroup && { version: v.cgroup.version, path: v.cgroup.path, limitBytes: v.cgroup.limitBytes },
    processes: v.processes.map((p) => ({ pid: p.pid, ppid: p.ppid, command: p.command, cwd: p.cwd, ports: p.ports, depth: p.depth })),
  });
  return {
    servers: [...s.servers].sort((a, b) => a.id.localeCompare(b.id)).map(server),
    alerts: s.alerts.filter((a) => a.kind !== 'memory' && a.kind !== 'swap').map((a) => a.kind + ':' + a.message).sort(),
    workspaceFolders: s.workspaceFolders,
  };
}

describe('live: the poll worker thread', function () {
  const jar = new ProcessJar();
  const logs: string[] = [];
  let ws: string;
  let client: PollWorkerClient;
  let inline: Monitor;

  before(async function () {
    if (!fs.existsSync(WORKER)) throw new Error(`${WORKER} is missing: run "npm run build" first`);
    ws = fs.realpathSync(jar.tempDir('dsd-live-worker-'));
    const vitePort = await freePort();
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'worker-shop', private: true, scripts: { start: 'node server.js' } }),
      'server.js': HTTP_SERVER_JS,
      'api/package.json': JSON.stringify({ name: 'api', scripts: { start: 'node index.js' } }),
      'api/index.js': `const srv = require('express')().listen(0, '127.0.0.1', () => require('fs').writeFileSync('.port', String(srv.address().port)));`,
      'web/package.json': JSON.stringify({ name: 'web', scripts: { dev: `vite --host 127.0.0.1 --strictPort --port ${vitePort}` } }),
      'web/index.html': '<!doctype html><title>web</title>',
    });
    for (const dir of ['.', 'api', 'web']) fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, dir, 'node_modules'), 'dir');
    jar.start('npm', ['start'], { cwd: ws });
    jar.start('node', ['--max-old-space-size=300', 'index.js'], { cwd: path.join(ws, 'api') });
    jar.start('npm', ['run', 'dev'], { cwd: path.join(ws, 'web') });
    client = new PollWorkerClient({ script: WORKER, workspaceFolders: [ws], settings: DEFAULT_SETTINGS, log: (level, m) => logs.push(`${level}: ${m}`) });
    inline = new Monitor({ probe: createProbe(), workspaceFolders: [ws] });
  });

  after(async () => {
    client?.dispose();
    inline?.dispose();
    await jar.cleanup();
  });

  it('gives the same servers, ports, pids and heap limits as the inline monitor, as plain data', async () => {
    await waitFor('three servers up in the worker', async () => (await client.poll()).servers.filter((s) => s.state === 'up').length === 3, 60_000);
    // Two polls a moment apart can differ if a process starts in between (npm's children): retry until they agree.
    let last = '';
    await waitFor('the worker and the inline monitor to agree', async () => {
      const [w, i] = await Promise.all([client.poll(), inline.pollOnce()]);
      last = JSON.stringify({ worker: essence(w), inline: essence(i) }, null, 1);
      return JSON.stringify(essence(w)) === JSON.stringify(essence(i));
    }, 20_000).catch((err: Error) => { throw new Error(`${err.message}\n${last}`); });
    const snap = client.snapshot!;
    assert.deepEqual(plainDataProblems(snap), []);
    assert.deepEqual(plainDataProblems(inline.snapshot), []);
    const byCwd = (cwd: string) => snap.servers.find((s) => s.cwd === cwd && s.state === 'up');
    assert.equal(byCwd(path.join(ws, 'web'))?.framework, 'vite');
    assert.equal(byCwd(path.join(ws, 'api'))?.heapLimitBytes, 300 * 1024 * 1024);
    assert.equal(byCwd(ws)?.ports.length, 1);
    assert.deepEqual(client.workspaceScan?.servers.map((e) => e.name).sort(), inline.workspaceScan?.servers.map((e) => e.name).sort());
    assert.ok(client.averagePollMs !== null && client.averagePollMs > 0);
  });

  it('names the editor\'s processes from the worker as the main thread would (this process and its ancestors up to the editor)', async () => {
    const before = editorProcessIds();
    const fromWorker = await client.editorProcessIds();
    const after = editorProcessIds();
    assert.ok(fromWorker.includes(process.pid), `${fromWorker.join(',')} lacks ${process.pid}`);
    // The tree can change between reads (this suite's servers start children): what both reads here saw, the worker saw.
    const stable = before.filter((p) => after.includes(p));
    assert.deepEqual(stable.filter((p) => !fromWorker.includes(p)), [], `worker ${fromWorker.join(',')}; here ${stable.join(',')}`);
  });

  it('survives its worker dying: the last snapshot stays, a new worker takes over and reports what died meanwhile', async () => {
    const events: MonitorEvent[] = [];
    client.onEvent((e) => events.push(e));
    const before = client.snapshot!;
    const api = before.servers.find((s) => s.cwd === path.join(ws, 'api') && s.state === 'up')!;
    assert.ok(api?.pid, 'the api server runs');
    const oldThread = client.threadId;
    await client.crashWorkerForTest();
    assert.equal(client.snapshot, before, 'the last good snapshot stays current');
    // The server dies while no worker is watching.
    process.kill(api.pid!, 'SIGKILL');
    await waitFor('the api process gone', () => !isAlive(api.pid!));
    const during = await client.poll().then(() => 'answered', (e: Error) => e.message);
    await waitFor('a new worker', () => client.restarts === 1 && client.threadId !== null && client.threadId !== oldThread);
    const after = await waitFor('a snapshot from the new worker', async () => {
      const s = await client.poll();
      return s !== before ? s : undefined;
    });
    assert.ok(logs.some((l) => /^warn: The poll worker stopped .*restarting it/.test(l)), logs.join('\n'));
    assert.ok(['answered', 'the poll worker stopped (exit code 1)'].includes(during) || /poll worker stopped/.test(during), during);
    assert.notEqual(after.servers.find((s) => s.id === api.id)?.state, 'up');
    const exited = events.find((e) => e.type === 'process-exited' && e.pid === api.pid);
    assert.ok(exited && exited.type === 'process-exited' && exited.root && exited.lastRssBytes > 0, JSON.stringify(events));
    assert.ok(events.some((e) => e.type === 'server-down' && e.serverId === api.id));
    assert.ok(!events.some((e) => e.type === 'server-up'), 'servers still running are not announced again');
  });
});
