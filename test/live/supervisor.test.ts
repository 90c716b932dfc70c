// Live: the supervisor runs real servers: restarts with growing delays, gives up at the maximum, stops
// whole trees (never as a crash), reports exact exit codes and signals, restarts over an RSS limit,
// polls a health URL, and keeps rotating logs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Supervisor, type RunReport, type SupervisorOptions, type SupervisorStatus } from '../../src/core/supervisor/supervisor';
import { freePort, ProcessJar, waitFor, writeFiles } from './liveHelpers';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Gone or a zombie (dead; here PID 1 reaps orphans seconds later). */
function dead(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

describe('live: supervised servers', function () {
  this.timeout(60_000);
  const jar = new ProcessJar();
  const running: Supervisor[] = [];
  let ws: string;

  before(() => {
    ws = fs.realpathSync(jar.tempDir('dsd-supervisor-'));
    writeFiles(ws, {
      'crash.js': `console.log('up'); setTimeout(() => { console.error('fatal: boom'); process.exit(3); }, 200);`,
      'server.js': `
        const srv = require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT || 0), '127.0.0.1', () => console.log('listening ' + srv.address().port));`,
      // A parent with a child that ignores SIGTERM and says when it is ready.
      'stubborn.js': `
        const { spawn } = require('child_process');
        const c = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); require('fs').writeFileSync('child.pid', String(process.pid)); setInterval(() => {}, 1e9)"], { stdio: 'inherit' });
        setInterval(() => {}, 1e9);`,
      'leak.js': `const keep = []; console.log('leaking'); setInterval(() => keep.push(Buffer.alloc(4 * 1024 * 1024, 1)), 100);`,
    });
  });

  afterEach(async () => {
    for (const s of running.splice(0)) await s.dispose();
  });

  after(() => jar.cleanup());

  function supervise(opts: Partial<SupervisorOptions> & { command: string }): Supervisor {
    const s = new Supervisor({ name: 'api · dev', cwd: ws, ...opts });
    running.push(s);
    return s;
  }

  const untilStatus = (s: Supervisor, status: SupervisorStatus, ms = 30_000) => waitFor(`status ${status}`, () => s.state.status === status, ms);

  it('restarts a crashing server with growing delays and stops at the maximum', async () => {
    const s = supervise({ command: 'node crash.js', restart: { maxRestarts: 4, windowMs: 120_000 } });
    const runs: RunReport[] = [];
    const starts: number[] = [];
    let gaveUp = '';
    s.onRunEnd((r) => runs.push(r));
    s.onState((st) => { if (st.status === 'running') starts.push(Date.now()); });
    s.onGiveUp((g) => { gaveUp = g.message; });
    s.start();
    await untilStatus(s, 'gave-up');
    await sleep(2000);
    assert.equal(runs.length, 5, 'the first run and 4 restarts');
    assert.equal(starts.length, 5);
    assert.ok(runs.every((r) => r.ending === 'crashed' && r.exitCode === 3 && r.signal === null));
    assert.match(runs[0]!.outputTail, /up\n[^]*fatal: boom/);
    // The delay between a run's end and the next start, as the clock saw it.
    const delays = runs.slice(0, 4).map((r, i) => starts[i + 1]! - r.endedAt);
    console.log(`      measured delays ${delays.join(', ')} ms (schedule 1000, 1500, 2250, 3375)`);
    [1000, 1500, 2250, 3375].forEach((want, i) => assert.ok(delays[i]! >= want - 5 && delays[i]! < want + 500, `delay ${i + 1}: ${delays[i]} ms, want ${want}`));
    assert.match(gaveUp, /^api · dev was restarted 4 times within 2m 0s and failed again \(exit code 3 after 0s\); it is not restarted again\.$/);
    assert.equal(s.state.status, 'gave-up');
    assert.equal(s.state.pid, null);
  });

  it('reports the exact exit code or signal of each run', async () => {
    const code = supervise({ command: 'node -e "process.exit(7)"', restart: { maxRestarts: 0 } });
    code.start();
    await untilStatus(code, 'gave-up');
    assert.deepEqual([code.state.lastRun!.exitCode, code.state.lastRun!.signal, code.state.lastRun!.ending], [7, null, 'crashed']);

    const killed = supervise({ command: `node -e "process.kill(process.pid, 'SIGKILL')"`, restart: { maxRestarts: 0 } });
    killed.start();
    await untilStatus(killed, 'gave-up');
    assert.deepEqual([killed.state.lastRun!.exitCode, killed.state.lastRun!.signal], [null, 'SIGKILL']);

    const clean = supervise({ command: 'node -e "console.log(1)"' });
    clean.start();
    await untilStatus(clean, 'exited');
    assert.deepEqual([clean.state.lastRun!.exitCode, clean.state.lastRun!.ending], [0, 'exited']);
  });

  it('a server that cannot start (its folder is gone) is reported, not restarted', async () => {
    const s = supervise({ command: 'node server.js', cwd: path.join(ws, 'no-such-folder') });
    s.start();
    await untilStatus(s, 'exited', 10_000);
    assert.equal(s.state.lastRun!.ending, 'spawn-error');
    assert.match(s.state.lastRun!.error!, /ENOENT/);
  });

  it('stop() kills the whole tree, SIGKILL for what ignores SIGTERM, and is never a crash', async () => {
    fs.rmSync(path.join(ws, 'child.pid'), { force: true });
    const s = supervise({ command: 'node stubborn.js', stopTimeoutMs: 1000 });
    const runs: RunReport[] = [];
    s.onRunEnd((r) => runs.push(r));
    s.start();
    const childPid = Number(await waitFor('child ready', () => fs.existsSync(path.join(ws, 'child.pid')) && fs.readFileSync(path.join(ws, 'child.pid'), 'utf8')));
    const parentPid = s.state.pid!;
    const t = Date.now();
    await s.stop();
    console.log(`      stopped in ${Date.now() - t} ms`);
    assert.ok(dead(parentPid) && dead(childPid), 'the whole tree is gone');
    assert.ok(Date.now() - t < 3000);
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.ending, 'stopped');
    assert.equal(s.state.status, 'stopped');
    await sleep(1500);
    assert.equal(runs.length, 1, 'no restart after a stop');
  });

  it('restarts a server whose tree passes its RSS limit', async () => {
    const s = supervise({ command: 'node leak.js', rssLimitBytes: 150 * MB, rssCheckMs: 250, restart: { maxRestarts: 5 } });
    const runs: RunReport[] = [];
    s.onRunEnd((r) => runs.push(r));
    s.start();
    await waitFor('RSS restart', () => runs.length >= 1 && s.state.status === 'running', 30_000);
    assert.equal(runs[0]!.ending, 'rss-limit');
    assert.equal(runs[0]!.signal, 'SIGTERM');
    assert.equal(s.state.run, 2);
    await s.stop();
  });

  it('polls a health URL and shows its latency; keeps the output in a log file', async () => {
    const logDir = path.join(ws, 'logs');
    const port = await freePort();
    const s = supervise({
      command: 'node server.js', env: { ...process.env, PORT: String(port) }, logDir,
      healthUrl: `http://127.0.0.1:${port}/`, healthIntervalMs: 200,
    });
    const out: string[] = [];
    s.onOutput((c) => out.push(c.text));
    s.start();
    const h = await waitFor('healthy', () => s.state.health?.ok && s.state.health, 10_000);
    assert.equal(h.status, 200);
    assert.ok(h.latencyMs !== null && h.latencyMs < 1000, `latency ${h.latencyMs}`);
    assert.match(out.join(''), new RegExp(`listening ${port}`));
    // Ctrl-C typed in the pseudoterminal.
    s.write('\x03');
    await untilStatus(s, 'stopped', 10_000);
    assert.equal(s.state.lastRun!.ending, 'stopped');
    const log = fs.readFileSync(path.join(logDir, 'api-dev.log'), 'utf8');
    assert.match(log, /\[supervisor\] Run 1: node server\.js/);
    assert.match(log, new RegExp(`listening ${port}`));
    assert.match(log, /\[supervisor\] api · dev ended: killed by SIGTERM/);
  });
});
