// Live: health checks, hangs and load tests on real servers (Express from the registry, plain node http and net).
// A stuck Express route becomes `unresponsive` with "its event loop is blocked" within two checks and Find Where
// It's Stuck names the loop's function and line; a healthy server is never flagged; a TCP-only server is healthy by
// connect; a load test gives sane numbers per stage; a server leaking per request is a likely leak, one that does not is not.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { formatEvent } from '../../src/cli/watch';
import { runLoad } from '../../src/cli/load';
import { HealthChecker } from '../../src/core/health/checker';
import { checkHealth } from '../../src/core/health/check';
import { findWhereStuck, hangVerdict } from '../../src/core/health/stuck';
import { waitForHealthy } from '../../src/core/remedies/wait';
import { Supervisor } from '../../src/core/supervisor/supervisor';
import { runLoadTest } from '../../src/core/load/run';
import { Monitor, type MonitorEvent } from '../../src/core/monitor';
import { DEFAULT_HEALTH, DEFAULT_SETTINGS } from '../../src/core/settings';
import { toStatusJson } from '../../src/core/statusJson';
import { createProbe } from '../../src/core/system/probe';
import type { Server, Snapshot } from '../../src/core/types';
import { freePort, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAST = { ...DEFAULT_HEALTH, intervalMs: 1000, timeoutMs: 1500 };

const EXPRESS_APP = `const fs = require('fs');
const express = require('express');
const app = express();
app.get('/', (req, res) => res.send('ok'));
app.get('/spin', function spinForever(req, res) {
  let n = 0;
  while (true) { n++; }
});
const srv = app.listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;
const LOOP_LINE = EXPRESS_APP.split('\n').findIndex((l) => l.includes('while (true)')) + 1;

/** Answers every request after `work` ms of synchronous work: slow but never stuck. */
const BUSY_HTTP = `const fs = require('fs');
const srv = require('http').createServer((q, s) => { const end = Date.now() + 30; while (Date.now() < end); s.end('ok'); });
srv.listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;

/** A line-echo TCP server (not HTTP). */
const TCP_ECHO = `const fs = require('fs');
const srv = require('net').createServer((c) => c.on('data', (d) => c.write(d))).on('error', () => {});
srv.listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;

/** Keeps KB bytes per request when LEAK_KB is set. */
const LEAKY_HTTP = `const fs = require('fs'); const keep = []; const kb = Number(process.env.LEAK_KB || 0);
const srv = require('http').createServer((q, s) => { if (kb) keep.push(Buffer.alloc(kb * 1024, keep.length & 255)); s.end('ok'); });
srv.listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;

/** 200 on /, 404 on /missing, 503 on /broken. */
const STATUS_HTTP = `const fs = require('fs');
const srv = require('http').createServer((q, s) => { s.statusCode = q.url === '/missing' ? 404 : q.url === '/broken' ? 503 : 200; s.end('x'); });
srv.listen(Number(process.env.PORT || 0), '127.0.0.1', () => fs.writeFileSync(__dirname + '/.port', String(srv.address().port)));
`;

/** Exits with an uncaught exception after 300 requests. */
const DIES_UNDER_LOAD = `const fs = require('fs'); let n = 0;
const srv = require('http').createServer((q, s) => { if (++n === 300) { setImmediate(() => { throw new Error('request pool exhausted'); }); } s.end('ok'); });
srv.listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;

describe('live: health checks, hangs and load tests', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  const monitors: Monitor[] = [];
  const checkers: HealthChecker[] = [];
  afterEach(async () => {
    for (const m of monitors.splice(0)) m.dispose();
    for (const c of checkers.splice(0)) c.dispose();
    await jar.cleanup();
  });

  /** A workspace with one app (package.json start script), started; resolves with its folder and port. */
  /** `logTo`: the app's output goes to that file in its folder, as `npm run dev > server.log` would. */
  async function app(name: string, source: string, env: Record<string, string> = {}, nodeArgs: string[] = [], logTo?: string): Promise<{ ws: string; port: number; pid: number }> {
    const ws = jar.tempDir(`dsd-health-${name}-`);
    writeFiles(ws, { 'package.json': JSON.stringify({ name, scripts: { start: 'node app.js' }, dependencies: { express: '*' } }), 'app.js': source });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'), 'dir');
    const child = logTo
      ? jar.start('sh', ['-c', `exec "${process.execPath}" ${nodeArgs.join(' ')} app.js > ${logTo} 2>&1`], { cwd: ws, env: { ...process.env, ...env } })
      : jar.start(process.execPath, [...nodeArgs, 'app.js'], { cwd: ws, env: { ...process.env, ...env } });
    const port = await waitFor(`${name} to listen`, () => fs.existsSync(path.join(ws, '.port')) && Number(fs.readFileSync(path.join(ws, '.port'), 'utf8')));
    return { ws, port, pid: child.pid! };
  }

  function watch(ws: string): { monitor: Monitor; checker: HealthChecker; events: MonitorEvent[]; snaps: Snapshot[] } {
    const checker = new HealthChecker({ settings: FAST });
    const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws], settings: { ...DEFAULT_SETTINGS, pollIntervalMs: 500 }, health: checker });
    const events: MonitorEvent[] = [];
    const snaps: Snapshot[] = [];
    monitor.onEvent((e) => events.push(e));
    monitor.onSnapshot((s) => snaps.push(s));
    monitors.push(monitor);
    checkers.push(checker);
    monitor.start();
    return { monitor, checker, events, snaps };
  }

  const serverIn = (snap: Snapshot | undefined, pid: number): Server | undefined => snap?.servers.find((s) => s.pids.includes(pid));

  it('a stuck Express route: unresponsive within two checks, "its event loop is blocked", and Find Where It\'s Stuck names the loop', async () => {
    // --inspect-port=0: SIGUSR1 opens the inspector on a free port, so parallel runs never fight over 9229.
    const { ws, port, pid } = await app('stuck', EXPRESS_APP, {}, ['--inspect-port=0']);
    const { monitor, events } = watch(ws);
    const healthy = await waitFor('a first healthy check', () => serverIn(monitor.snapshot, pid)?.health?.ok && serverIn(monitor.snapshot, pid));
    assert.equal(healthy.health?.status, 200);
    assert.equal(healthy.state, 'up');
    const req = http.get({ host: '127.0.0.1', port, path: '/spin' }).on('error', () => undefined);
    const spunAt = Date.now();
    try {
      // Two silent checks (1.5 s timeout each, 1 s apart) plus one poll; generous for a loaded machine.
      const stuck = await waitFor('unresponsive', () => { const s = serverIn(monitor.snapshot, pid); return s?.state === 'unresponsive' && s; }, 20_000);
      const tookMs = Date.now() - spunAt;
      assert.match(stuck.unresponsive!.message, /its event loop is blocked/, stuck.unresponsive!.message);
      assert.equal(stuck.unresponsive!.reading, 'blocked');
      assert.ok(stuck.health && !stuck.health.ok && /no answer/.test(stuck.health.error ?? ''), JSON.stringify(stuck.health));
      // Within two checks: the first check after the spin plus one more, never a third.
      assert.ok(tookMs < 2 * (FAST.intervalMs + FAST.timeoutMs) + FAST.intervalMs + 4000, `took ${tookMs} ms`);
      const json = toStatusJson(monitor.snapshot!).servers.find((s) => s.pid === stuck.pid)!;
      assert.equal(json.state, 'unresponsive');
      assert.equal(json.unresponsive?.reading, 'blocked');
      assert.ok(typeof json.cpuPercent === 'number' && json.cpuPercent > 0, `cpu ${json.cpuPercent}`);
      assert.ok(monitor.snapshot!.alerts.some((a) => a.kind === 'unresponsive' && a.severity === 'critical'));
      const ev = await waitFor('a server-unresponsive event', () => events.find((e) => e.type === 'server-unresponsive'));
      assert.match(formatEvent(ev), /unresponsive .*event loop is blocked/);

      const found = await findWhereStuck(pid, { workspaceFolders: [ws] });
      assert.ok(found.ok, found.message);
      const top = found.frames[0]!;
      assert.equal(top.functionName, 'spinForever', JSON.stringify(found.frames));
      assert.equal(top.file, path.join(ws, 'app.js'));
      assert.equal(top.line, LOOP_LINE);
      assert.ok(top.own);
      assert.ok(found.frames.some((f) => !f.own && /express|node:/.test(f.file)), 'the framework frames follow the own one');
      const verdict = hangVerdict(stuck, pid, found);
      assert.equal(verdict.cause, 'hang');
      assert.equal(verdict.topFrame, `${path.join(ws, 'app.js')}:${LOOP_LINE}:${top.column}`);
      assert.match(verdict.summary, /stuck in spinForever \(app\.js:\d+\)/);
      assert.ok(verdict.evidence.some((e) => e.source === 'inspector' && e.text.includes('spinForever')));
      // It was resumed: still alive and still spinning (not left paused).
      await sleep(300);
      assert.equal(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0], 'R');
    } finally {
      req.destroy();
    }
  });

  it('a slow but healthy server is never flagged over a soak', async () => {
    const { ws, port, pid } = await app('healthy', BUSY_HTTP);
    const { monitor, events, snaps } = watch(ws);
    // Steady traffic of its own alongside the checks.
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        await new Promise<void>((resolve) => http.get({ host: '127.0.0.1', port, path: '/' }, (r) => { r.resume(); r.on('end', () => resolve()); }).on('error', () => resolve()));
        await sleep(20);
      }
    })();
    await sleep(15_000);
    stop = true;
    await traffic;
    const mine = snaps.map((s) => serverIn(s, pid)).filter((s): s is Server => !!s);
    assert.ok(mine.length >= 10, `${mine.length} snapshots`);
    assert.ok(mine.every((s) => s.state === 'up'), mine.map((s) => s.state).join(','));
    assert.equal(events.filter((e) => e.type === 'server-unresponsive').length, 0);
    const last = serverIn(monitor.snapshot, pid)!;
    assert.ok(last.health?.ok, JSON.stringify(last.health));
    assert.equal(last.health?.errorRatePercent, 0);
    assert.ok((last.healthScore ?? 0) >= 70, `score ${last.healthScore}`);
    assert.ok(typeof last.cpuPercent === 'number' && last.cpuPercent > 0, `cpu ${last.cpuPercent}`);
  });

  it('a plain TCP server is healthy by connect', async () => {
    const { ws, pid } = await app('tcp', TCP_ECHO);
    const { monitor } = watch(ws);
    const s = await waitFor('a TCP connect check', () => { const v = serverIn(monitor.snapshot, pid); return v?.health?.mode === 'tcp' && v.health.target.startsWith('tcp:') && v; }, 15_000);
    assert.ok(s.health!.ok, JSON.stringify(s.health));
    assert.equal(s.health!.status, null);
    assert.equal(s.state, 'up');
    await sleep(2 * FAST.intervalMs + FAST.timeoutMs);
    const later = serverIn(monitor.snapshot, pid)!;
    assert.equal(later.state, 'up');
    assert.ok(later.health?.ok);
  });

  it('a load test gives sane numbers per stage, and refuses URLs outside the workspace', async () => {
    const { ws, port, pid } = await app('load', LEAKY_HTTP);
    const r = await runLoadTest({ url: `http://127.0.0.1:${port}/`, stages: [5, 20], durationMs: 1500, maxRequestsPerStage: 50_000, leakRounds: 0, requestTimeoutMs: 5000 }, { pid });
    assert.equal(r.stages.length, 2);
    assert.deepEqual(r.problems, []);
    for (const s of r.stages) {
      assert.ok(s.requests > 100 && s.requestsPerSecond > 50, JSON.stringify(s));
      assert.ok(s.latencyMs.p50 <= s.latencyMs.p97_5 && s.latencyMs.p97_5 <= s.latencyMs.p99, JSON.stringify(s.latencyMs));
      assert.equal(s.non2xx, 0);
      assert.equal(s.errors, 0);
      assert.ok((s.peakRssBytes ?? 0) > 10 * 1024 * 1024, `rss ${s.peakRssBytes}`);
      assert.ok(s.cpuPercent !== null && s.cpuPercent > 1, `cpu ${s.cpuPercent}`);
      assert.ok(s.durationMs >= 1000 && s.durationMs < 1500 + 5000, `duration ${s.durationMs}`);
    }
    // Bounded by count: a cap of 200 requests ends the stage long before its 10 s.
    const capped = await runLoadTest({ url: `http://127.0.0.1:${port}/`, stages: [5], durationMs: 10_000, maxRequestsPerStage: 200, leakRounds: 0, requestTimeoutMs: 5000 }, { pid });
    assert.ok(capped.stages[0]!.requests <= 205 && capped.stages[0]!.durationMs < 8000, JSON.stringify(capped.stages[0]));

    // The CLI verb: a URL of another machine or a port the workspace does not own is refused with a clear message.
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } } as unknown as { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
    const base = { stages: [5], durationMs: 500, leakRounds: 0, maxRequestsPerStage: 100, json: true, saveDirs: [], workspaces: [ws] };
    assert.equal(await runLoad({ ...base, url: 'http://10.0.0.1:80/' }, io), 2);
    assert.match(out.join(''), /not this machine's loopback/);
    assert.equal(await runLoad({ ...base, url: `http://127.0.0.1:${port + 1 === 65536 ? 1 : port + 1}/` }, io), 2);
    assert.match(out.join(''), /nothing of this workspace listens on port/);
    const saveDir = jar.tempDir('dsd-load-reports-');
    out.length = 0;
    assert.equal(await runLoad({ ...base, url: `http://localhost:${port}/`, saveDirs: [saveDir] }, io), 0);
    const json = JSON.parse(out.find((s) => s.startsWith('{'))!) as { stages: { requests: number }[]; server: string };
    assert.ok(json.stages[0]!.requests > 0);
    const saved = fs.readdirSync(saveDir).sort();
    assert.deepEqual(saved.map((f) => path.extname(f)), ['.json', '.md', '.svg']);
    assert.match(fs.readFileSync(path.join(saveDir, saved[2]!), 'utf8'), /^<svg[^>]*>[\s\S]*p97\.5[\s\S]*<\/svg>\n$/);
    assert.match(fs.readFileSync(path.join(saveDir, saved[1]!), 'utf8'), /\| connections \| requests \| req\/s \| p50 \| p97\.5 \| p99 /);
  });

  it('one health check: the supervisor, Restart\'s wait and the probe agree on the same URL (404 healthy, 503 not)', async () => {
    const { ws, port } = await app('status', STATUS_HTTP);
    const url = (p: string) => `http://localhost:${port}${p}`;
    for (const [p, healthy] of [['/', true], ['/missing', true], ['/broken', false]] as const) {
      const probe = await checkHealth(url(p), { timeoutMs: 2000 });
      assert.equal(probe.ok, healthy, `probe ${p}: ${JSON.stringify(probe)}`);
      assert.equal((await waitForHealthy(url(p), healthy ? 2000 : 600)).ok, healthy, `Restart's wait ${p}`);
    }
    // The supervisor's view of the same two URLs, each from a supervised copy of the server on a port of its own.
    for (const [p, healthy] of [['/missing', true], ['/broken', false]] as const) {
      const own = jar.tempDir('dsd-health-sup-');
      fs.writeFileSync(path.join(own, 'app.js'), STATUS_HTTP);
      const supPort = await freePort();
      const sup = new Supervisor({ name: 'status · dev', cwd: own, command: 'node app.js', env: { ...process.env, PORT: String(supPort) }, healthUrl: `http://127.0.0.1:${supPort}${p}`, healthIntervalMs: 200 });
      try {
        sup.start();
        const h = await waitFor(`the supervisor's check of ${p}`, () => sup.state.health?.connected && sup.state.health, 15_000);
        assert.equal(h.ok, healthy, `supervisor ${p}: ${JSON.stringify(h)}`);
      } finally {
        await sup.dispose();
      }
    }
    void ws;
  });

  it('a server that dies during a load test: the test stops, and the verdict engine judges the crash', async () => {
    const { ws, pid } = await app('dies', DIES_UNDER_LOAD, {}, [], 'server.log');
    const out: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => out.push(t) } } as unknown as { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
    const started = Date.now();
    const code = await runLoad({ url: null, stages: [10, 20, 50], durationMs: 4000, leakRounds: 3, maxRequestsPerStage: 100_000, json: true, saveDirs: [], workspaces: [ws] }, io);
    const report = JSON.parse(out.find((t) => t.startsWith('{'))!) as { crashed: boolean; stages: { stoppedBecause: string | null }[]; leak: unknown; crashVerdicts: { cause: string; summary: string }[] };
    assert.equal(code, 0);
    assert.equal(report.crashed, true);
    assert.equal(report.stages.length, 1, 'no stage after the death');
    assert.equal(report.stages[0]!.stoppedBecause, 'the server died');
    assert.equal(report.leak, null);
    assert.ok(Date.now() - started < 25_000, `took ${Date.now() - started} ms`);
    assert.equal(report.crashVerdicts[0]?.cause, 'uncaught-exception', `verdicts: ${JSON.stringify(report.crashVerdicts)}`);
    assert.match(report.crashVerdicts[0]!.summary, /request pool exhausted/);
    console.log(`      verdict: ${report.crashVerdicts.map((v) => `${v.cause}: ${v.summary}`).join('; ')}`);
    void pid;
  });

  it('a server that keeps memory per request is a likely leak; the same server without the leak is not', async () => {
    const leaky = await app('leaky', LEAKY_HTTP, { LEAK_KB: '4' });
    const clean = await app('clean', LEAKY_HTTP);
    const options = { stages: [10], durationMs: 1500, maxRequestsPerStage: 3000, leakRounds: 5, requestTimeoutMs: 5000 };
    const a = await runLoadTest({ ...options, url: `http://127.0.0.1:${leaky.port}/` }, { pid: leaky.pid });
    const b = await runLoadTest({ ...options, url: `http://127.0.0.1:${clean.port}/` }, { pid: clean.pid });
    const rounds = (r: typeof a) => r.leak!.rounds.map((x) => Math.round((x.rssBytes ?? 0) / 1048576)).join(' → ');
    assert.equal(a.leak?.verdict.likelyLeak, true, `${a.leak?.verdict.reason} (${rounds(a)} MB)`);
    assert.ok((a.leak!.verdict.slopeMbPer1kRequests ?? 0) > 1, `slope ${a.leak!.verdict.slopeMbPer1kRequests}`);
    assert.equal(b.leak?.verdict.likelyLeak, false, `${b.leak?.verdict.reason} (${rounds(b)} MB)`);
    console.log(`      leaky: ${rounds(a)} MB, ${a.leak!.verdict.reason}\n      clean: ${rounds(b)} MB, ${b.leak!.verdict.reason}`);
  });
});
