// Live: real servers in a temp workspace, seen through the Monitor and through `dist/cli.js status --json`.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Monitor } from '../../src/core/monitor';
import { createProbe } from '../../src/core/system/probe';
import type { StatusJson } from '../../src/core/statusJson';
import type { Server, Snapshot } from '../../src/core/types';
import { freePort, HTTP_SERVER_JS, isAlive, output, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const run = promisify(execFile);
const CLI = path.join(REPO, 'dist', 'cli.js');

describe('live: the workspace servers of real processes', function () {
  const jar = new ProcessJar();
  let ws: string;
  let monitor: Monitor;
  let vitePort: number;
  const ports: Record<string, number> = {};

  const poll = (): Promise<Snapshot> => monitor.pollOnce();
  const rootServer = (s: Snapshot): Server | undefined => s.servers.find((v) => v.cwd === ws && v.script === 'start');

  before(async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    ws = fs.realpathSync(jar.tempDir('dsd-live-ws-'));
    vitePort = await freePort();
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'live-shop', private: true, workspaces: ['packages/*'], scripts: { start: 'node server.js' } }, null, 2),
      'server.js': HTTP_SERVER_JS,
      'packages/api/package.json': JSON.stringify({ name: 'api', dependencies: { express: '*' }, scripts: { start: 'node index.js' } }),
      'packages/api/index.js': `
        const app = require('express')();
        app.get('/', (q, s) => s.send('api'));
        const srv = app.listen(0, '127.0.0.1', () => require('fs').writeFileSync('.port', String(srv.address().port)));`,
      'packages/web/package.json': JSON.stringify({
        name: 'web',
        devDependencies: { vite: '*' },
        scripts: { dev: `vite --host 127.0.0.1 --strictPort --port ${vitePort}`, 'dev:mock': 'node mock.js --port 4999', preview: 'vite preview --port 4998' },
      }),
      'packages/web/index.html': '<!doctype html><title>web</title><h1>web</h1>',
    });
    // The workspace uses this repository's installed express and vite (no network needed).
    for (const dir of ['.', 'packages/api', 'packages/web']) {
      fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, dir, 'node_modules'), 'dir');
    }
    monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws] });
  });

  after(async () => {
    monitor?.dispose();
    await jar.cleanup();
  });

  it('a plain node server started with npm start is one up server with its port and pids', async () => {
    const npm = jar.start('npm', ['start'], { cwd: ws, env: { ...process.env, PORTFILE: path.join(ws, '.port') } });
    ports.root = Number(await waitFor('root server port', () => fs.existsSync(path.join(ws, '.port')) && fs.readFileSync(path.join(ws, '.port'), 'utf8')));
    const s = await waitFor('live-shop up', async () => {
      const v = rootServer(await poll());
      return v?.state === 'up' ? v : undefined;
    });
    assert.equal(s.pid, npm.pid, 'the npm process is the root of the tree');
    assert.deepEqual(s.ports, [ports.root]);
    assert.ok(s.pids.length >= 2, `npm → (sh →) node: ${s.pids.join(',')}`);
    assert.ok(s.rssBytes > 10 * 1024 * 1024, `RSS ${s.rssBytes}`);
    assert.equal(s.heapLimitSource, 'default');
    assert.ok(s.heapLimitBytes! > 100 * 1024 * 1024);
    assert.equal(s.script, 'start');
  });

  it('an express server started directly with node is matched to its package script', async () => {
    const child = jar.start('node', ['--max-old-space-size=321', 'index.js'], { cwd: path.join(ws, 'packages/api') });
    ports.api = Number(await waitFor('api port', () => {
      const f = path.join(ws, 'packages/api/.port');
      return fs.existsSync(f) && fs.readFileSync(f, 'utf8');
    }));
    const s = await waitFor('api up', async () => {
      const v = (await poll()).servers.find((x) => x.cwd === path.join(ws, 'packages/api'));
      return v?.state === 'up' ? v : undefined;
    });
    assert.equal(s.pid, child.pid);
    assert.deepEqual(s.ports, [ports.api]);
    assert.equal(s.framework, 'express');
    assert.equal(s.heapLimitSource, 'flag');
    assert.equal(s.heapLimitBytes, 321 * 1024 * 1024);
  });

  it('vite from devDependencies, started with npm run dev, is up on its port', async () => {
    const npm = jar.start('npm', ['run', 'dev'], { cwd: path.join(ws, 'packages/web') });
    const s = await waitFor('vite up', async () => {
      const v = (await poll()).servers.find((x) => x.cwd === path.join(ws, 'packages/web') && x.script === 'dev');
      return v?.state === 'up' ? v : undefined;
    }, 30_000).catch((e: Error) => { throw new Error(`${e.message}\nvite said: ${output(npm)}`); });
    assert.equal(s.pid, npm.pid);
    assert.ok(s.ports.includes(vitePort), `ports ${s.ports.join(',')} include ${vitePort}`);
    assert.equal(s.expectedPort, vitePort);
    assert.equal(s.framework, 'vite');
  });

  it('a declared server that is not running is down; a preview of the build output is not listed while down', async () => {
    const servers = (await poll()).servers;
    const mock = servers.find((x) => x.script === 'dev:mock');
    assert.ok(mock, 'the dev:mock script is a declared server');
    assert.equal(mock.state, 'down');
    assert.equal(mock.pid, null);
    assert.equal(mock.expectedPort, 4999);
    assert.ok(!servers.some((x) => x.script === 'preview'), 'vite preview serves build output: not a dev server while down');
  });

  it('vite started through npm exec whose wrapper is killed is orphaned and still holds its port', async () => {
    const port = await freePort();
    const wrapper = jar.start('npm', ['exec', '--', 'vite', '--host', '127.0.0.1', '--strictPort', '--port', String(port)], { cwd: path.join(ws, 'packages/web') });
    const running = await waitFor('second vite listening', async () =>
      (await poll()).servers.find((x) => x.ports.includes(port)), 30_000);
    assert.equal(running.pid, wrapper.pid);
    process.kill(wrapper.pid!, 'SIGKILL');
    const orphan = await waitFor('orphaned vite', async () => {
      const v = (await poll()).servers.find((x) => x.ports.includes(port));
      return v?.state === 'orphaned' ? v : undefined;
    });
    assert.notEqual(orphan.pid, wrapper.pid);
    assert.ok(isAlive(orphan.pid!), 'the orphan is still running');
    assert.match(orphan.orphanReason ?? '', /re-parented/);
    assert.ok(monitor.snapshot!.alerts.some((a) => a.kind === 'orphan' && a.message.includes(String(port))));
    // The CLI's dry run lists it for stopping, and changes nothing.
    const { stdout } = await run(process.execPath, [CLI, 'zombies', '--json', '--workspace', ws], { maxBuffer: 8 << 20 });
    const listed = JSON.parse(stdout) as { candidates: { pid: number; ports: number[] }[]; result: unknown };
    assert.ok(listed.candidates.some((c) => c.pid === orphan.pid && c.ports.includes(port)), stdout);
    assert.equal(listed.result, null);
    assert.ok(isAlive(orphan.pid!));
  });

  it('a zombie child is listed as such', async () => {
    // sh forks `sleep 0`, then execs node: node inherits a child it never waits for.
    const script = `${HTTP_SERVER_JS}; setInterval(() => {}, 1000);`;
    const parent = jar.start('sh', ['-c', `sleep 0 & exec node -e "$JS"`], {
      cwd: ws, env: { ...process.env, JS: script, PORTFILE: path.join(ws, '.zombie-port') },
    });
    const s = await waitFor('server with a zombie', async () => {
      const v = (await poll()).servers.find((x) => x.pid === parent.pid);
      return v && v.zombiePids.length > 0 ? v : undefined;
    });
    const z = s.processes.find((p) => p.zombie)!;
    assert.equal(z.state, 'Z');
    assert.equal(z.ppid, parent.pid);
  });

  it('status --json from the CLI shows the same servers, with the contract fields', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'status', '--json', '--workspace', ws], { maxBuffer: 8 << 20 });
    const status = JSON.parse(stdout) as StatusJson;
    const root = status.servers.find((s) => s.cwd === ws && s.script === 'start')!;
    assert.equal(root.state, 'up');
    assert.deepEqual(root.ports, [ports.root]);
    for (const key of ['name', 'workspaceFolder', 'cwd', 'script', 'command', 'framework', 'state', 'pid', 'pids', 'ports',
      'expectedPort', 'rssBytes', 'heapLimitBytes', 'heapLimitSource']) {
      assert.ok(key in root, `servers[].${key}`);
    }
    assert.ok(status.servers.some((s) => s.state === 'orphaned'));
    assert.ok(status.servers.some((s) => s.script === 'dev:mock' && s.state === 'down'));
    assert.ok(status.servers.some((s) => s.ports.includes(ports.api!) && s.heapLimitSource === 'flag'));
    const m = status.system.memory;
    assert.ok(m.totalBytes > 0 && m.availableBytes > 0 && m.usedPercent > 0 && m.usedPercent < 100);
    assert.ok('swapTotalBytes' in m && 'swapUsedBytes' in m);
    assert.ok(status.system.disks.some((d) => d.paths.includes(ws)), 'the workspace filesystem is listed');
    assert.equal(status.system.inotify.maxUserWatches, Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8')));
    assert.ok(status.system.cgroup === null || typeof status.system.cgroup.oomKills === 'number');
    assert.ok(Array.isArray(status.alerts));
  });

  it('status without --json prints a readable summary, and bad arguments exit 2 with a message', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'status', '--workspace', ws]);
    assert.match(stdout, /Servers/);
    assert.match(stdout, new RegExp(`live-shop.*:${ports.root}`));
    await assert.rejects(run(process.execPath, [CLI, 'status', '--workspace', path.join(ws, 'nope')]), (e: { code: number; stderr: string }) =>
      e.code === 2 && /Workspace folder not found/.test(e.stderr));
    await assert.rejects(run(process.execPath, [CLI, 'frobnicate']), (e: { code: number }) => e.code === 2);
  });

  it('watch --json prints an event line when a server goes down', async () => {
    const port = await freePort();
    const victim = jar.start('node', ['-e', HTTP_SERVER_JS], { cwd: ws, env: { ...process.env, PORT: String(port), PORTFILE: path.join(ws, '.victim') } });
    await waitFor('victim listening', () => fs.existsSync(path.join(ws, '.victim')));
    const watch = jar.start(process.execPath, [CLI, 'watch', '--json', '--interval', '0.3', '--workspace', ws], { cwd: REPO });
    await waitFor('watch saw the victim', () => output(watch).split('\n').some((l) => l.includes('"server-up"') && l.includes(String(port))));
    process.kill(victim.pid!, 'SIGKILL');
    const line = await waitFor('server-down line', () =>
      output(watch).split('\n').find((l) => l.includes('"server-down"') && l.includes(String(victim.pid))));
    const ev = JSON.parse(line);
    assert.equal(ev.type, 'server-down');
    assert.deepEqual(ev.ports, [port]);
    const exited = output(watch).split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.type === 'process-exited' && e.pid === victim.pid);
    assert.ok(exited, 'a process-exited event names the pid');
    process.kill(watch.pid!, 'SIGINT');
    await waitFor('watch exits on SIGINT', () => !isAlive(watch.pid!), 5000);
  });
});
