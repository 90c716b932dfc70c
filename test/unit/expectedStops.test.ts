import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExpectedStops } from '../../src/core/crash/expectedStops';
import { killTrees } from '../../src/core/remedies/kill';
import { defaultLookup } from '../../src/core/remedies/processes';
import { Supervisor } from '../../src/core/supervisor/supervisor';

describe('ExpectedStops: the one registry of stops made on purpose', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-stops-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('matches a process by pid and start time within the window; a recycled pid or a late end does not match', () => {
    const s = new ExpectedStops({ file: null });
    s.expect([{ pid: 4242, startTimeMs: 1_000_000 }], 'restart', 'vscode', { at: 2_000_000 });
    assert.equal(s.explains({ pid: 4242, startTimeMs: 1_000_400 }, 2_001_000)?.reason, 'restart', 'ticks rounded differently still match');
    assert.equal(s.explains({ pid: 4242, startTimeMs: 1_900_000 }, 2_001_000), null, 'another process that got the pid');
    assert.equal(s.explains({ pid: 4243, startTimeMs: 1_000_000 }, 2_001_000), null);
    assert.equal(s.explains({ pid: 4242, startTimeMs: 1_000_000 }, 2_000_000 + 61_000), null, 'an end a minute later is not this stop');
    assert.equal(s.explains({ pid: 4242, startTimeMs: 1_000_000 }, 2_000_000 - 5000), null, 'an end before the stop was decided');
  });

  it('a Ctrl-C seen in a terminal covers the shell\'s children, not the shell', () => {
    const s = new ExpectedStops({ file: null });
    s.expect([{ pid: 77 }], 'user-interrupt', 'vscode', { children: true, at: 5000 });
    assert.equal(s.explains({ pid: 78, startTimeMs: 10, ppid: 77 }, 6000)?.reason, 'user-interrupt');
    assert.equal(s.explains({ pid: 77, startTimeMs: 10, ppid: 1 }, 6000), null);
    assert.equal(s.explains({ pid: 90, startTimeMs: 6500, ppid: 77 }, 7000), null, 'the next command typed in that shell is not covered');
  });

  it('is shared through its file: a stop the CLI records is known to the editor, torn and foreign lines are skipped', () => {
    const file = path.join(dir, 'expected-stops.jsonl');
    const editor = new ExpectedStops({ file });
    const cli = new ExpectedStops({ file });
    const now = Date.now();
    fs.appendFileSync(file, 'not json\n{"v":1,"at":"x"}\n');
    cli.expect([{ pid: 555, startTimeMs: now - 10_000 }], 'kill', 'cli', { at: now });
    fs.appendFileSync(file, '{"v":1,"at":1,"pid":');
    assert.equal(editor.explains({ pid: 555, startTimeMs: now - 10_000 }, now + 500)?.by, 'cli');
  });

  it('an unwritable file is a problem in words; this process still knows its own stops', () => {
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    const s = new ExpectedStops({ file: path.join(blocker, 'sub', 'expected-stops.jsonl') });
    s.expect([{ pid: 9, startTimeMs: 1 }], 'kill', 'cli', { at: 100 });
    assert.match(s.problem ?? '', /Could not share a planned stop .* ENOTDIR/);
    assert.ok(s.explains({ pid: 9, startTimeMs: 1 }, 200));
  });

  it('killTrees records every process it signals, with its real start time, before the signal', async () => {
    const file = path.join(dir, 'expected-stops.jsonl');
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { cwd: dir, detached: true, stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const info = defaultLookup().get(child.pid!)!;
      const result = await killTrees([child.pid!], { expectedStops: new ExpectedStops({ file }), stopReason: 'restart', stoppedBy: 'test', graceMs: 2000 });
      assert.ok(result.killed.includes(child.pid!), JSON.stringify(result));
      const reader = new ExpectedStops({ file });
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(lines.length >= 2, 'the shell and its sleep child');
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'only its user reads it');
      assert.ok(lines.every((l) => l.reason === 'restart' && l.by === 'test'));
      const own = lines.find((l) => l.pid === child.pid);
      assert.ok(own && Math.abs(own.startTimeMs - info.startTimeMs) <= 1000, JSON.stringify(lines));
      assert.equal(reader.explains({ pid: child.pid!, startTimeMs: info.startTimeMs }, Date.now()), null, 'a registry made later only knows stops from then on');
    } finally {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }
  });

  it('the supervisor records its own stop before signalling its run', async () => {
    const file = path.join(dir, 'expected-stops.jsonl');
    const stops = new ExpectedStops({ file });
    const sup = new Supervisor({ name: 't', command: 'sleep 30', cwd: dir, expectedStops: stops, stoppedBy: 'test', cgroup: false });
    const watcherView = new ExpectedStops({ file });
    sup.start();
    await new Promise((r) => setTimeout(r, 300));
    const pid = sup.state.pid!;
    const start = defaultLookup().get(pid)?.startTimeMs ?? null;
    await sup.stop();
    await sup.dispose();
    const r = watcherView.explains({ pid, startTimeMs: start }, Date.now());
    assert.deepEqual([r?.reason, r?.by], ['supervised-stop', 'test']);
  });
});
