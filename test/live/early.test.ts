// Live: early warnings on real processes. A leaking server gets an OOM-risk projection before it dies, a
// nodemon app crash raises "down" once, a watcher restart raises nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { DownDetector, type DownAlarm } from '../../src/core/early/downDetector';
import { countInotifyWatches } from '../../src/core/system/inotify';
import { RssTrend, type OomRisk } from '../../src/core/early/rssTrend';
import { Monitor } from '../../src/core/monitor';
import { createProbe } from '../../src/core/system/probe';
import { DEFAULT_SETTINGS } from '../../src/core/settings';
import type { Server, Snapshot } from '../../src/core/types';
import { isAlive, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls the monitor every `intervalMs` until `done` says so or the time is up. */
async function pollUntil(monitor: Monitor, intervalMs: number, timeoutMs: number, each: (s: Snapshot) => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const started = Date.now();
    if (each(await monitor.pollOnce())) return;
    await sleep(Math.max(0, intervalMs - (Date.now() - started)));
  }
  throw new Error(`gave up after ${timeoutMs} ms`);
}

function get(port: number, urlPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** A server that listens on port 0, writes the port to .port, and allocates 2 MB of Buffers every 100 ms. */
const LEAK_BUFFERS = `
const fs = require('fs'), keep = [];
const srv = require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
  fs.writeFileSync('.port', String(srv.address().port));
  setInterval(() => keep.push(Buffer.alloc(2 * 1024 * 1024, 1)), 100);
});`;

/** Growth in the JS heap: arrays of small objects, about 6 MB/s. */
const LEAK_HEAP = `
const fs = require('fs'), keep = [];
const srv = require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
  fs.writeFileSync('.port', String(srv.address().port));
  setInterval(() => { const a = new Array(20000); for (let i = 0; i < a.length; i++) a[i] = { i, s: 'x' + i }; keep.push(a); }, 250);
});`;

interface LeakRun {
  readonly risk: OomRisk;
  readonly riskAt: number;
  readonly diedAt: number;
  readonly samples: number;
}

/** Starts a leaking workspace server and watches it through the Monitor until it dies. */
async function watchLeak(jar: ProcessJar, script: string, command: string, wrap: (cmd: string) => string): Promise<LeakRun> {
  const ws = fs.realpathSync(jar.tempDir('dsd-early-leak-'));
  writeFiles(ws, { 'package.json': JSON.stringify({ name: 'leaky', scripts: { start: command } }), 'leak.js': script });
  const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws], settings: { ...DEFAULT_SETTINGS, pollIntervalMs: 1000 } });
  const trend = new RssTrend();
  try {
    const child = jar.start('/bin/sh', ['-c', wrap(command)], { cwd: ws });
    const pid = child.pid!;
    let first: { risk: OomRisk; at: number } | null = null;
    let samples = 0;
    await pollUntil(monitor, 1000, 150_000, (snap) => {
      trend.observe(snap);
      const s = snap.servers.find((x) => x.script === 'start');
      if (s) samples = Math.max(samples, trend.samples(s.id).length);
      const risk = trend.risks(snap).find((r) => r.serverId === s?.id);
      if (risk && !first) {
        first = { risk, at: snap.takenAt };
        console.log(`      after ${samples} samples: ${risk.message} (${risk.severity}; ${risk.notes.join(' ')})`);
      }
      return !isAlive(pid);
    });
    const diedAt = Date.now();
    assert.ok(first, `no OOM risk was projected in ${samples} samples before the server died`);
    const f = first as { risk: OomRisk; at: number };
    return { risk: f.risk, riskAt: f.at, diedAt, samples };
  } finally {
    monitor.dispose();
  }
}

function assertSaneProjection(run: LeakRun): void {
  const projectedS = run.risk.minutesToLimit * 60;
  const actualS = (run.diedAt - run.riskAt) / 1000;
  console.log(`      projected ${projectedS.toFixed(1)} s to the limit, died ${actualS.toFixed(1)} s after the projection (ratio ${(projectedS / actualS).toFixed(2)})`);
  assert.ok(actualS > 0, 'the warning came before the death');
  assert.ok(projectedS / actualS >= 0.4 && projectedS / actualS <= 2.5, `projection ${projectedS.toFixed(1)} s vs actual ${actualS.toFixed(1)} s`);
}

describe('live: OOM risk before the crash', function () {
  this.timeout(200_000);
  const jar = new ProcessJar();
  afterEach(() => jar.cleanup());

  it('a server leaking Buffers in a 1 GB memory cgroup (v1) is projected to reach the cgroup limit before it dies', async function () {
    const own = /^\d+:memory:(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    const root = '/sys/fs/cgroup/memory';
    if (process.getuid?.() !== 0 || own === undefined || !fs.existsSync(path.join(root, own, 'memory.limit_in_bytes'))) {
      console.log('      skipped: needs root and a cgroup v1 memory controller to create a memory cgroup');
      this.skip();
    }
    const dir = path.join(root, own, `dsd-early-${process.pid}`);
    fs.mkdirSync(dir);
    try {
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(1024 * MB));
      const oomBefore = Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(dir, 'memory.oom_control'), 'utf8'))?.[1] ?? 0);
      // The shell joins the cgroup, then becomes node: the monitor sees exactly the process the kernel kills.
      const run = await watchLeak(jar, LEAK_BUFFERS, 'node leak.js', (cmd) => `echo $$ > ${dir}/cgroup.procs && exec ${cmd}`);
      const oomAfter = Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(dir, 'memory.oom_control'), 'utf8'))?.[1] ?? 0);
      assert.equal(oomAfter, oomBefore + 1, 'the kernel OOM killer ended it');
      assert.equal(run.risk.limitKind, 'cgroup');
      assert.equal(run.risk.effectiveLimitBytes, 1024 * MB);
      assert.ok(run.risk.slopeBytesPerMin > 600 * MB && run.risk.slopeBytesPerMin < 1800 * MB, `slope ${run.risk.slopeBytesPerMin / MB} MB/min (leak ≈ 1200)`);
      assertSaneProjection(run);
    } finally {
      await jar.cleanup();
      for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
        try { fs.rmdirSync(dir); } catch { await sleep(100); }
      }
    }
    assert.ok(!fs.existsSync(dir), 'cgroup removed');
  });

  it('a server leaking JS objects under --max-old-space-size=384 is projected to reach its heap limit before it dies', async () => {
    const run = await watchLeak(jar, LEAK_HEAP, 'node --max-old-space-size=384 leak.js', (cmd) => `exec ${cmd}`);
    assert.equal(run.risk.limitKind, 'heap');
    assert.equal(run.risk.effectiveLimitBytes, 384 * MB);
    assert.match(run.risk.message, /^leaky grows \d+ MB\/min; at this rate it reaches its 384 MB heap limit in (about \d+ min|less than a minute)$/);
    assertSaneProjection(run);
  });
});

describe('live: down detection with nodemon', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  let ws: string;
  let monitor: Monitor;
  let detector: DownDetector;
  const alarms: DownAlarm[] = [];

  const app = (s: Snapshot): Server | undefined => s.servers.find((x) => x.cwd === ws && x.script === 'dev');
  const appPid = (s: Server | undefined) => s?.processes.find((p) => p.ports.length > 0)?.pid;
  const poll = async () => {
    const s = await monitor.pollOnce();
    detector.observe(s);
    return s;
  };

  before(async () => {
    ws = fs.realpathSync(jar.tempDir('dsd-early-nodemon-'));
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'watched', scripts: { dev: 'nodemon --delay 0.2 server.js' } }),
      'server.js': `
        const srv = require('http').createServer((q, s) => {
          s.end('ok');
          if (q.url === '/crash') setTimeout(() => { throw new Error('boom'); }, 50);
        }).listen(0, '127.0.0.1', () => require('fs').writeFileSync('.port', String(srv.address().port)));`,
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'), 'dir');
    monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws] });
    detector = new DownDetector();
    detector.onDown((a) => alarms.push(a));
    jar.start('npm', ['run', 'dev'], { cwd: ws });
    await waitFor('nodemon app up', async () => app(await poll())?.state === 'up', 30_000);
  });

  after(async () => {
    monitor?.dispose();
    await jar.cleanup();
  });

  it('a watcher restart (a touched file) raises nothing', async () => {
    const before = appPid(app(await poll()));
    assert.ok(before);
    const now = new Date();
    fs.utimesSync(path.join(ws, 'server.js'), now, now);
    let restarted = false;
    let notUp = 0;
    const end = Date.now() + 15_000;
    while (Date.now() < end) {
      const s = app(await poll());
      if (s?.state !== 'up') notUp++;
      const pid = appPid(s);
      if (s?.state === 'up' && pid && pid !== before) restarted = true;
      await sleep(250);
    }
    console.log(`      restarted: ${restarted}; polls without a listener: ${notUp}`);
    assert.ok(restarted, 'nodemon restarted the app under a new pid');
    assert.deepEqual(alarms, []);
  });

  it('an app crash under nodemon raises "down" once, after the grace period', async () => {
    const port = Number(fs.readFileSync(path.join(ws, '.port'), 'utf8'));
    assert.equal(await get(port, '/crash'), 'ok');
    const crashedAt = Date.now();
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      await poll();
      await sleep(1000);
    }
    assert.equal(alarms.length, 1, JSON.stringify(alarms));
    const [a] = alarms;
    assert.equal(a!.reason, 'not-listening');
    assert.equal(a!.watcher, 'nodemon');
    assert.equal(a!.server, 'watched');
    assert.deepEqual(a!.ports, [port]);
    const delay = a!.at - crashedAt;
    console.log(`      alarm ${delay} ms after the crash: ${a!.message}`);
    assert.ok(delay >= 5000 && delay < 9000, `alarm after ${delay} ms`);
    assert.equal(detector.active().length, 1);

    // The fix: an edit brings it back and the outage ends.
    const now = new Date();
    fs.utimesSync(path.join(ws, 'server.js'), now, now);
    await waitFor('app up again', async () => app(await poll())?.state === 'up', 15_000);
    assert.deepEqual(detector.active(), []);
    assert.equal(alarms.length, 1);
  });

  it('counting this user\'s inotify watches sees nodemon\'s, and costs a few milliseconds', () => {
    const costs: number[] = [];
    let watches = 0;
    for (let i = 0; i < 10; i++) {
      const c = countInotifyWatches();
      assert.ok(c);
      costs.push(c.costMs);
      watches = c.watches;
    }
    const procs = fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
    costs.sort((a, b) => a - b);
    console.log(`      ${watches} watches; median ${costs[5]!.toFixed(1)} ms, max ${costs[9]!.toFixed(1)} ms with ${procs} processes`);
    assert.ok(watches > 0, 'nodemon watches the workspace');
    assert.ok(costs[5]! < 200, `median cost ${costs[5]} ms`);
  });
});
