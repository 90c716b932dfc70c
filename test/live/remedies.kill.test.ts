// Live: killing real process trees, waiting for real ports, pre-flight checks and the `zombies` CLI.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runZombies } from '../../src/cli/zombies';
import { Monitor } from '../../src/core/monitor';
import { createProbe } from '../../src/core/system/probe';
import { candidateForServer, findKillCandidates, killTrees } from '../../src/core/remedies/kill';
import { preflight } from '../../src/core/remedies/preflight';
import { allThreadsExited, ProcfsLookup } from '../../src/core/remedies/processes';
import { isListening, waitForHealthy, waitForListening, waitForPortFree } from '../../src/core/remedies/wait';
import type { Snapshot } from '../../src/core/types';
import { freePort, HTTP_SERVER_JS, isAlive, output, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

/** This process's ancestors, read straight from /proc/PID/stat. */
function ancestors(): number[] {
  const out: number[] = [];
  for (let pid = process.ppid; pid > 0; ) {
    out.push(pid);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return out;
}

/** Running, as opposed to gone or a zombie (dead; PID 1 here reaps its adopted children a little later). */
function running(pid: number): boolean {
  const p = new ProcfsLookup().get(pid);
  return p !== null && ((p.state !== 'Z' && p.state !== 'X') || !allThreadsExited(pid));
}

function collect(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; text: () => string } {
  let text = '';
  const sink = { write: (s: string) => { text += s; return true; } };
  return { io: { stdout: sink, stderr: sink }, text: () => text };
}

describe('live: remedies on real processes', function () {
  const jar = new ProcessJar();
  let ws: string;
  const monitors: Monitor[] = [];

  const monitorFor = (folder: string): Monitor => {
    const m = new Monitor({ probe: createProbe(), workspaceFolders: [folder] });
    monitors.push(m);
    return m;
  };

  before(() => {
    ws = fs.realpathSync(jar.tempDir('dsd-remedies-'));
  });

  after(async () => {
    for (const m of monitors) m.dispose();
    await jar.cleanup();
  });

  it('waitForListening sees a server that starts late, waitForHealthy gets its answer, waitForPortFree sees it go', async () => {
    const port = await freePort();
    const never = await waitForListening(await freePort(), 600);
    assert.equal(never.ok, false);
    assert.ok(never.elapsedMs >= 600, `gave up after ${never.elapsedMs} ms`);
    const late = jar.start('node', ['-e', `setTimeout(() => { ${HTTP_SERVER_JS} }, 800)`], {
      cwd: ws, env: { ...process.env, PORT: String(port), PORTFILE: path.join(ws, '.late') },
    });
    const listening = await waitForListening(port, 10_000);
    assert.ok(listening.ok, output(late));
    assert.ok(listening.elapsedMs >= 500, `listening after ${listening.elapsedMs} ms`);
    const healthy = await waitForHealthy(`http://localhost:${port}/`, 5000);
    assert.deepEqual([healthy.ok, healthy.status], [true, 200]);
    process.kill(late.pid!, 'SIGKILL');
    assert.ok((await waitForPortFree(port, 5000)).ok);
    const down = await waitForHealthy(`http://localhost:${port}/`, 400);
    assert.equal(down.ok, false);
    assert.match(down.error ?? '', /ECONNREFUSED/);
  });

  it('finds an orphaned vite (its npm exec wrapper SIGKILLed), kills its whole tree and frees its port', async () => {
    const web = path.join(ws, 'web');
    writeFiles(web, {
      'package.json': JSON.stringify({ name: 'web', devDependencies: { vite: '*' }, scripts: { build: 'vite build' } }),
      'index.html': '<!doctype html><title>web</title>',
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(web, 'node_modules'), 'dir');
    const port = await freePort();
    const wrapper = jar.start('npm', ['exec', '--', 'vite', '--host', '127.0.0.1', '--strictPort', '--port', String(port)], { cwd: web });
    assert.ok((await waitForListening(port, 30_000)).ok, output(wrapper));
    const monitor = monitorFor(web);
    await waitFor('vite in a snapshot', async () => (await monitor.pollOnce()).servers.find((s) => s.ports.includes(port)));
    process.kill(wrapper.pid!, 'SIGKILL');
    const snapshot = await waitFor('orphaned vite', async () => {
      const s = await monitor.pollOnce();
      return s.servers.some((v) => v.ports.includes(port) && v.state === 'orphaned') ? s : undefined;
    });

    const plan = findKillCandidates(snapshot);
    const c = plan.candidates.find((x) => x.ports.includes(port));
    assert.ok(c, JSON.stringify(plan));
    assert.equal(c.reasons[0].kind, 'orphan');
    assert.match(c.command, /vite/);
    assert.ok(c.rssBytes > 10 * 1024 * 1024);
    assert.ok(!c.pids.includes(process.pid));

    const result = await killTrees(c.pids);
    assert.deepEqual(result.errors, []);
    assert.deepEqual(result.survivors, []);
    for (const pid of c.pids) assert.ok(result.killed.includes(pid) && !running(pid), `PID ${pid} is gone`);
    assert.deepEqual(result.freedPorts, [port]);
    assert.ok(result.freedBytes > 10 * 1024 * 1024, `freed ${result.freedBytes}`);
    assert.equal(await isListening(port), false);
  });

  it('a tree that ignores SIGTERM (it writes a ready file first) gets SIGKILL after the grace period', async () => {
    const ready = path.join(ws, '.stubborn');
    const kidReady = path.join(ws, '.stubborn-kid');
    const child = `process.on("SIGTERM", () => {}); require("fs").writeFileSync(${JSON.stringify(kidReady)}, "1"); setInterval(() => {}, 1000);`;
    const parent = `
      process.on('SIGTERM', () => {});
      const kid = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(child)}], { stdio: 'ignore' });
      const srv = require('http').createServer((q, s) => s.end('x')).listen(0, '127.0.0.1', () =>
        require('fs').writeFileSync(${JSON.stringify(ready)}, JSON.stringify({ port: srv.address().port, kid: kid.pid })));`;
    const stubborn = jar.start('node', ['-e', parent], { cwd: ws });
    const { port, kid } = JSON.parse(await waitFor('ready file', () => fs.existsSync(ready) && fs.readFileSync(ready, 'utf8'))) as { port: number; kid: number };
    await waitFor('the child ignores SIGTERM too', () => fs.existsSync(kidReady));

    const result = await killTrees([stubborn.pid!], { graceMs: 800 });
    assert.deepEqual([...result.escalated].sort(), [stubborn.pid!, kid].sort(), 'both ignored SIGTERM');
    assert.deepEqual([...result.killed].sort(), [stubborn.pid!, kid].sort());
    assert.ok(result.elapsedMs >= 800, `took ${result.elapsedMs} ms`);
    assert.deepEqual(result.freedPorts, [port]);
    assert.ok(!running(stubborn.pid!) && !running(kid));
  });

  it('a process that exits on SIGTERM is not escalated; a pid that is already gone is reported as such', async () => {
    const polite = jar.start('node', ['-e', 'setInterval(() => {}, 1000)'], { cwd: ws });
    await waitFor('polite started', () => isAlive(polite.pid!));
    const gone = jar.start('node', ['-e', '0'], { cwd: ws });
    await waitFor('short-lived exited', () => gone.exitCode !== null);
    const result = await killTrees([polite.pid!, gone.pid!], { graceMs: 5000 });
    assert.deepEqual(result.killed, [polite.pid]);
    assert.deepEqual(result.escalated, []);
    assert.deepEqual(result.alreadyGone, [gone.pid]);
    assert.ok(result.elapsedMs < 5000, `took ${result.elapsedMs} ms`);
  });

  it('never offers this process or its parents, and never signals them', async () => {
    const chain = [process.pid, ...ancestors()];
    // A snapshot made as if by another process, over this process's cwd, so its own tree is a "server" in it.
    const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [fs.realpathSync(process.cwd())], selfPid: 0x7ffffff0 });
    monitors.push(monitor);
    const snapshot: Snapshot = await monitor.pollOnce();
    const own = snapshot.servers.find((s) => s.pids.includes(process.pid));
    assert.ok(own, 'this process is part of a server tree in that snapshot');
    for (const c of findKillCandidates(snapshot).candidates) {
      assert.deepEqual(c.pids.filter((p) => chain.includes(p)), [], `candidate ${c.pid} (${c.command}) holds this process or a parent`);
    }
    const refused = candidateForServer(own, snapshot);
    assert.ok('refused' in refused && /itself or one of its parents/.test(refused.refused), JSON.stringify(refused));

    const sent: number[] = [];
    const result = await killTrees([process.pid, process.ppid, 1], { kill: (pid) => { sent.push(pid); } });
    assert.deepEqual(sent, [], 'no signal was sent');
    assert.deepEqual(result.errors.map((e) => [e.pid, e.code]), [[process.pid, 'EPROTECTED'], [process.ppid, 'EPROTECTED'], [1, 'EPROTECTED']]);
    assert.deepEqual(result.killed, []);
  });

  it('another user\'s process is refused up front, and the system\'s EPERM is explained, not thrown', function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: running a helper as another user needs root)');
      this.skip();
    }
    const victim = jar.start('sleep', ['300'], { cwd: ws });
    const killJs = path.resolve(__dirname, '../../src/core/remedies/kill.js');
    const asNobody = (opts: string): { errors: { code: string; message: string }[]; killed: number[] } => JSON.parse(execFileSync('setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e',
        `require(${JSON.stringify(killJs)}).killTrees([${victim.pid}], ${opts}).then((r) => console.log(JSON.stringify(r)))`],
      { cwd: '/', timeout: 30_000 }).toString());
    const refused = asNobody('{ graceMs: 200 }');
    assert.equal(refused.errors[0]?.code, 'EPROTECTED');
    assert.match(refused.errors[0].message, /belongs to another user \(uid 0\)/);
    // Told it cannot know owners (as on Windows), it signals, and the kernel says no.
    const eperm = asNobody('{ graceMs: 200, ownUid: -1 }');
    assert.equal(eperm.errors[0]?.code, 'EPERM');
    assert.match(eperm.errors[0].message, new RegExp(`PID ${victim.pid} \\(sleep 300\\) belongs to another user \\(uid 0\\).*sudo kill ${victim.pid}`));
    assert.deepEqual(eperm.killed, []);
    assert.ok(isAlive(victim.pid!));
  });

  it('pre-flight reports a held port with its holder, missing dependencies and the disk; passes once the port is freed', async () => {
    const shop = path.join(ws, 'shop');
    const port = await freePort();
    writeFiles(shop, {
      'package.json': JSON.stringify({ name: 'shop', devDependencies: { vite: '*' }, scripts: { dev: `vite --port ${port}` } }),
      'api/package.json': JSON.stringify({ name: 'api', dependencies: { express: '*', 'left-pad-nowhere': '*' }, scripts: { start: 'node index.js --port 4123' } }),
      'api/node_modules/express/package.json': '{"name":"express"}',
      'squatter/server.js': HTTP_SERVER_JS,
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(shop, 'node_modules'), 'dir');
    const squatter = jar.start('node', ['server.js'], { cwd: path.join(shop, 'squatter'), env: { ...process.env, PORT: String(port), PORTFILE: '.port' } });
    await waitForListening(port, 10_000);
    const monitor = monitorFor(shop);
    const snapshot = await waitFor('squatter seen', async () => {
      const s = await monitor.pollOnce();
      return s.sockets.some((k) => k.port === port && k.pid === squatter.pid) ? s : undefined;
    });
    const dev = snapshot.servers.find((s) => s.script === 'dev')!;
    const result = await preflight({ server: dev, snapshot });
    const byId = new Map(result.checks.map((c) => [c.id, c]));
    assert.equal(result.ok, false);
    const portCheck = byId.get('port')!;
    assert.equal(portCheck.ok, false);
    assert.equal(portCheck.fix, 'kill-port-holder');
    assert.equal(portCheck.holder?.pid, squatter.pid);
    assert.match(portCheck.message, new RegExp(`Port ${port} is already in use by PID ${squatter.pid}`));
    assert.equal(byId.get('node_modules')?.ok, true);
    assert.equal(byId.get('disk')?.ok, true);

    const candidate = findKillCandidates(snapshot).candidates.find((c) => c.pids.includes(squatter.pid!));
    assert.ok(candidate, 'the squatter is offered');
    assert.match(candidate.reasons.map((r) => r.message).join(' '), new RegExp(`holds port ${port}, which shop · dev expects`));

    const api = snapshot.servers.find((s) => s.script === 'start' && s.cwd.endsWith('api'))!;
    const deps = (await preflight({ server: api, snapshot })).checks.find((c) => c.id === 'node_modules')!;
    assert.deepEqual([deps.ok, deps.fix, deps.installCommand], [false, 'install-dependencies', 'npm install']);
    assert.match(deps.message, /1 dependency is not installed \(left-pad-nowhere\)/);

    await killTrees(candidate.pids);
    const again = await preflight({ server: dev, snapshot: await monitor.pollOnce() });
    assert.equal(again.checks.find((c) => c.id === 'port')?.ok, true, JSON.stringify(again));
    // The snapshot taken before the kill still lists the squatter's socket; its process is gone, so the port is free.
    const stale = await preflight({ server: dev, snapshot });
    assert.equal(stale.checks.find((c) => c.id === 'port')?.ok, true, JSON.stringify(stale));
  });

  it('zombies CLI: lists an orphan as a dry run, refuses a lone --yes, and stops it with --kill --yes', async () => {
    const folder = path.join(ws, 'cli');
    fs.mkdirSync(folder);
    const portFile = path.join(folder, '.port');
    // sh starts node in the background and exits: node is re-parented, its launcher gone.
    jar.start('sh', ['-c', 'node -e "$JS" &'], { cwd: folder, env: { ...process.env, JS: `${HTTP_SERVER_JS}; setInterval(() => {}, 1000)`, PORTFILE: portFile } });
    const port = Number(await waitFor('orphan port', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8')));

    const listed = collect();
    assert.equal(await runZombies(['--workspace', folder, '--json'], listed.io), 0);
    const json = JSON.parse(listed.text()) as { candidates: { pid: number; ports: number[]; reasons: { kind: string }[] }[]; result: unknown };
    const orphan = json.candidates.find((c) => c.ports.includes(port));
    assert.ok(orphan, listed.text());
    assert.equal(orphan.reasons[0].kind, 'orphan');
    assert.equal(json.result, null);

    const dry = collect();
    assert.equal(await runZombies(['--workspace', folder, '--kill'], dry.io), 0);
    assert.match(dry.text(), /Dry run: nothing was stopped\. Add --yes/);
    assert.ok(isAlive(orphan.pid));

    const lone = collect();
    assert.equal(await runZombies(['--workspace', folder, '--yes'], lone.io), 2);
    assert.match(lone.text(), /--yes confirms --kill/);

    const killed = collect();
    assert.equal(await runZombies(['--workspace', folder, '--kill', '--yes', '--grace', '1'], killed.io), 0, killed.text());
    assert.match(killed.text(), new RegExp(`Stopped 1 process, freeing .* and port ${port}\\.`));
    assert.ok(!running(orphan.pid));
    assert.equal(await isListening(port), false);
  });
});
