import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backoffDelay, RestartPolicy } from '../../src/core/supervisor/backoff';
import { descendants, liveGroupMembers, readProcTable, treePids } from '../../src/core/system/procTree';
import { logBaseName, RotatingLog } from '../../src/core/supervisor/rotatingLog';
import { execForm } from '../../src/core/supervisor/supervisor';

describe('supervisor: restart backoff', () => {
  it('waits 1 s, then ×1.5 each time, never more than 15 s', () => {
    assert.deepEqual(Array.from({ length: 10 }, (_, i) => backoffDelay(i)), [1000, 1500, 2250, 3375, 5063, 7594, 11391, 15000, 15000, 15000]);
    assert.deepEqual([0, 1, 2].map((i) => backoffDelay(i, { initialDelayMs: 200, factor: 2, maxDelayMs: 500 })), [200, 400, 500]);
  });

  it('grows with each quick crash and starts over after a run of 30 s', () => {
    const p = new RestartPolicy({ maxRestarts: 100 });
    let t = 0;
    const crashAfter = (uptime: number) => {
      const startedAt = t;
      t += uptime;
      const d = p.decide(startedAt, t);
      assert.equal(d.action, 'restart');
      t += d.action === 'restart' ? d.delayMs : 0;
      return d.action === 'restart' ? d.delayMs : -1;
    };
    assert.deepEqual([crashAfter(500), crashAfter(500), crashAfter(500)], [1000, 1500, 2250]);
    assert.equal(crashAfter(29_999), 3375, 'just under 30 s is still the same streak');
    assert.equal(crashAfter(30_000), 1000, 'a healthy 30 s resets the delay');
  });

  it('gives up after the maximum restarts within the window, and counts only that window', () => {
    const p = new RestartPolicy({ maxRestarts: 3, windowMs: 60_000 });
    assert.equal(p.decide(0, 100).action, 'restart');
    assert.equal(p.decide(1100, 1200).action, 'restart');
    assert.equal(p.decide(2700, 2800).action, 'restart');
    assert.equal(p.restartsInWindow(2800), 3);
    assert.deepEqual(p.decide(5050, 5150), { action: 'give-up', restarts: 3, windowMs: 60_000 });
    const slow = new RestartPolicy({ maxRestarts: 3, windowMs: 60_000 });
    for (const at of [0, 25_000, 50_000, 75_000, 100_000]) assert.equal(slow.decide(at - 10, at).action, 'restart', `crash at ${at}`);
    assert.equal(slow.restartsInWindow(100_000), 3);
  });

  it('restarts that are not crashes go at once but still count', () => {
    const p = new RestartPolicy({ maxRestarts: 2 });
    assert.deepEqual(p.decide(0, 10, false), { action: 'restart', delayMs: 0, attempt: 0 });
    assert.deepEqual(p.decide(20, 30), { action: 'restart', delayMs: 1000, attempt: 1 });
    assert.equal(p.decide(1040, 1050, false).action, 'give-up');
  });
});

describe('supervisor: exec form of a script', () => {
  it('execs simple commands so their exit status is the server\'s own, and leaves compound ones to the shell', () => {
    assert.equal(execForm('vite --port 5173'), 'exec vite --port 5173');
    assert.equal(execForm(`  node -e "process.kill(process.pid, 'SIGKILL')"  `), `exec node -e "process.kill(process.pid, 'SIGKILL')"`);
    assert.equal(execForm('node $NODE_FLAGS server.js'), 'exec node $NODE_FLAGS server.js');
    assert.equal(execForm("echo 'a;b'"), "exec echo 'a;b'");
    for (const c of ['tsc && node dist/index.js', 'PORT=3000 node server.js', 'node a.js; node b.js', 'node a.js | tee log', 'node a.js > log',
      'exec node a.js', '(cd api && node .)', 'echo "unclosed', 'node a.js &', 'if true\nthen node a.js\nfi', 'node a\\;b.js; x']) {
      assert.equal(execForm(c), c, c);
    }
  });
});

describe('supervisor: rotating log', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-rotlog-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names files after the server', () => {
    assert.equal(logBaseName('web · dev'), 'web-dev');
    assert.equal(logBaseName('@shop/api · start'), 'shop-api-start');
    assert.equal(logBaseName('···'), 'server');
  });

  it('rotates at the size cap and keeps the given number of files', () => {
    const log = new RotatingLog(dir, 'api', { maxBytes: 100, files: 3 });
    for (let i = 0; i < 20; i++) log.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(22)}\n`);
    log.close();
    assert.equal(log.problem, null);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['api.1.log', 'api.2.log', 'api.log']);
    for (const f of log.paths()) assert.ok(fs.statSync(f).size <= 100, `${f} is ${fs.statSync(f).size} bytes`);
    assert.match(fs.readFileSync(path.join(dir, 'api.log'), 'utf8'), /line 19/);
    assert.match(fs.readFileSync(path.join(dir, 'api.2.log'), 'utf8'), /^line 12/);
  });

  it('keeps only the end of a chunk larger than a file, and appends to an existing log', () => {
    fs.writeFileSync(path.join(dir, 'api.log'), 'old\n');
    const log = new RotatingLog(dir, 'api', { maxBytes: 10, files: 2 });
    log.write('0123456789abcdef');
    log.close();
    assert.equal(fs.readFileSync(path.join(dir, 'api.log'), 'utf8'), '6789abcdef');
    assert.equal(fs.readFileSync(path.join(dir, 'api.1.log'), 'utf8'), 'old\n');
  });

  it('reports a folder it cannot write instead of throwing', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');
    const log = new RotatingLog(path.join(file, 'logs'), 'api');
    log.write('hello');
    assert.match(log.problem!, /Could not write the log/);
  });
});

describe('supervisor: process trees from /proc', () => {
  it('finds a tree: descendants plus the members of its process group', () => {
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-proc-'));
    try {
      const stat = (pid: number, ppid: number, pgrp: number, comm = 'node', state = 'S') => {
        fs.mkdirSync(path.join(fake, String(pid)));
        // A full stat line (52 fields), as the kernel writes it.
        fs.writeFileSync(path.join(fake, String(pid), 'stat'), `${pid} (${comm}) ${state} ${ppid} ${pgrp} ${pgrp} 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 1000 0 0 ${'0 '.repeat(28)}0\n`);
      };
      stat(1, 0, 1, 'init');
      stat(100, 1, 100, 'sh');
      stat(101, 100, 100);
      stat(102, 101, 102);
      stat(103, 1, 100);
      stat(200, 1, 200);
      stat(104, 1, 100, 'node', 'Z');
      const table = readProcTable(fake);
      assert.equal(table.size, 7);
      assert.deepEqual(liveGroupMembers(100, fake)!.sort(), [100, 101, 103], 'the zombie is dead already');
      assert.equal(liveGroupMembers(100, path.join(fake, 'missing')), null);
      assert.deepEqual(treePids(100, fake).sort(), [100, 101, 102, 103, 104]);
      assert.deepEqual(descendants(table, [1], (e) => e.comm !== 'sh').sort(), [1, 103, 104, 200]);
      assert.deepEqual(treePids(999, fake), []);
      assert.equal(readProcTable(path.join(fake, 'missing')).size, 0);
    } finally {
      fs.rmSync(fake, { recursive: true, force: true });
    }
  });
});
