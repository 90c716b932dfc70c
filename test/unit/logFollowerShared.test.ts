// Followed log files and the runs file `run` shares with `watch`: only what is new is read; torn or
// foreign lines are skipped; a rotated file is read from its start.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LogFollower } from '../../src/core/crash/logFollower';
import { appendRunRecord, SharedRunsReader } from '../../src/core/crash/sharedRuns';
import type { Verdict } from '../../src/core/crash/types';
import { MemoryOutputFeed } from '../../src/core/crash/watcher';

describe('LogFollower', () => {
  let dir: string;
  beforeEach(() => { dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-follow-'))); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('feeds only what is appended after a file was first seen, and new files whole', () => {
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'logs', 'api.log'), 'old crash\nNode.js v20.0.0\n');
    const feed = new MemoryOutputFeed();
    const got: string[] = [];
    feed.onData((e) => got.push(`${e.id.replace(dir, '')}: ${e.text}`));
    const f = new LogFollower(feed);
    f.setFolders([dir]);
    f.tick(1_000_000);
    assert.deepEqual(got, []);
    fs.appendFileSync(path.join(dir, 'logs', 'api.log'), 'Error: boom\n');
    f.tick(1_000_500);
    assert.deepEqual(got, ['log:/logs/api.log: Error: boom\n']);
    fs.writeFileSync(path.join(dir, 'server.log'), 'fresh file\n');
    f.tick(1_010_000);
    assert.deepEqual(got.slice(1), ['log:/server.log: fresh file\n']);
    assert.equal(feed.run(`log:${path.join(dir, 'server.log')}`)?.kind, 'log');
    // Truncated in place: read again from the start.
    fs.writeFileSync(path.join(dir, 'logs', 'api.log'), 'again\n');
    f.tick(1_010_500);
    assert.equal(got[got.length - 1], 'log:/logs/api.log: again\n');
    f.dispose();
  });

  it('reads a followed log the moment the kernel says it changed (a crash line is fed in milliseconds, not at the next round); without a watch only the rounds read it', async () => {
    fs.mkdirSync(path.join(dir, 'logs'));
    const log = path.join(dir, 'logs', 'app.log');
    fs.writeFileSync(log, 'listening\n');
    const arrivals = async (watch: boolean) => {
      const feed = new MemoryOutputFeed();
      const got: { text: string; at: number }[] = [];
      feed.onData((e) => got.push({ text: e.text, at: Date.now() }));
      const f = new LogFollower(feed, { watch, intervalMs: 60_000 });
      f.setFolders([dir]);
      f.start();
      assert.deepEqual(f.following, { files: 1, watched: watch ? 1 : 0 });
      const wroteAt = Date.now();
      fs.appendFileSync(log, 'Error: worker pool exhausted\nNode.js v20.0.0\n');
      await new Promise((r) => setTimeout(r, 300));
      f.dispose();
      assert.deepEqual(f.following, { files: 0, watched: 0 }, 'dispose closes the watches');
      return { text: got.map((g) => g.text).join(''), delay: got.length ? got[0].at - wroteAt : null };
    };
    const watched = await arrivals(true);
    assert.equal(watched.text, 'Error: worker pool exhausted\nNode.js v20.0.0\n');
    assert.ok(watched.delay !== null && watched.delay < 200, `fed ${watched.delay} ms after the write`);
    const unwatched = await arrivals(false);
    assert.equal(unwatched.text, '', 'no round ran: nothing read');
  });

  it('at the cap of followed files, a log written now takes the place of the stalest one (and an old one is never replayed)', () => {
    fs.mkdirSync(path.join(dir, 'logs'));
    const old = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 60; i++) {
      const f = path.join(dir, 'logs', `old-${i}.log`);
      fs.writeFileSync(f, `old crash ${i}\nError: stale\n`);
      fs.utimesSync(f, old, old);
    }
    const feed = new MemoryOutputFeed();
    const got: string[] = [];
    feed.onData((e) => got.push(`${path.basename(e.id)}: ${e.text}`));
    const f = new LogFollower(feed);
    f.setFolders([dir]);
    f.tick(1_000_000);
    const fresh = path.join(dir, 'logs', 'now.log');
    fs.writeFileSync(fresh, 'Error: worker pool exhausted\n');
    f.tick(1_010_000);
    assert.deepEqual(got, ['now.log: Error: worker pool exhausted\n']);
    f.dispose();
  });

  it('keeps feeding a followed log after many terminal commands (the feed keeps 50 runs; ended ones go first)', () => {
    fs.mkdirSync(path.join(dir, 'logs'));
    const log = path.join(dir, 'logs', 'api.log');
    fs.writeFileSync(log, '');
    const feed = new MemoryOutputFeed();
    const got: string[] = [];
    feed.onData((e) => { if (e.id.startsWith('log:')) got.push(e.text); });
    const f = new LogFollower(feed);
    f.setFolders([dir]);
    f.tick(1_000_000);
    for (let i = 0; i < 60; i++) {
      feed.start(`terminal:${i}`, { label: `terminal: ls ${i}`, cwd: dir, command: 'ls' });
      feed.end(`terminal:${i}`, 0);
    }
    assert.ok(feed.run(`log:${log}`), 'the live log outlived ended terminal commands');
    // Even when the feed let it go (only live runs), the follower registers it again.
    for (let i = 0; i < 60; i++) feed.start(`live:${i}`, { label: `terminal: dev ${i}`, cwd: dir, command: 'npm run dev' });
    assert.equal(feed.run(`log:${log}`), undefined);
    fs.appendFileSync(log, 'Error: boom\n');
    f.tick(1_000_500);
    assert.deepEqual(got, ['Error: boom\n']);
    f.dispose();
  });

  it('between walks, finds a log created in a server\'s logs/ or the workspace\'s within a second, read whole (no file event needed)', () => {
    const api = path.join(dir, 'packages', 'api');
    fs.mkdirSync(path.join(api, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(api, 'package.json'), '{}');
    const feed = new MemoryOutputFeed();
    const got: string[] = [];
    feed.onData((e) => got.push(`${e.id.replace(dir, '')}: ${e.text}`));
    const f = new LogFollower(feed, { discoverEveryMs: 60_000 });
    f.setFolders([dir, api]);
    f.tick(1_000_000);
    fs.writeFileSync(path.join(api, 'logs', 'dev.log'), '> api@1.0.0 dev\nError: boom\n');
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'logs', 'all.log'), 'Node.js v20.20.2\n');
    f.tick(1_000_500);
    assert.deepEqual(got, [], 'not before the quick look is due');
    f.tick(1_001_000);
    assert.deepEqual(got.sort(), ['log:/logs/all.log: Node.js v20.20.2\n', 'log:/packages/api/logs/dev.log: > api@1.0.0 dev\nError: boom\n']);
    assert.equal(feed.run(`log:${path.join(api, 'logs', 'dev.log')}`)?.cwd, api);
    // A log deeper than the globs' folders waits for the next walk.
    fs.mkdirSync(path.join(dir, 'deep', 'x'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'deep', 'x', 'server.log'), 'hello\n');
    f.tick(1_002_000);
    assert.equal(got.length, 2);
    f.dispose();
  });

  it('a folder that cannot be read is said once, never thrown', () => {
    const feed = new MemoryOutputFeed();
    const problems: string[] = [];
    const f = new LogFollower(feed, { onProblem: (p) => problems.push(p) });
    // A "folder" that is a file (ENOTDIR) is said once; one that vanished (a removed package) says nothing.
    fs.writeFileSync(path.join(dir, 'not-a-folder'), '');
    f.setFolders([path.join(dir, 'not-a-folder'), path.join(dir, 'nope')]);
    f.tick(1);
    f.tick(10_000);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0], /not-a-folder could not be searched/);
  });
});

describe('shared runs file', () => {
  let file: string;
  beforeEach(() => { file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-runs-')), 'runs.jsonl'); });
  afterEach(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));

  it('a reader sees what was appended after it started, redacted; torn and foreign lines are skipped', () => {
    appendRunRecord({ v: 1, type: 'run-start', id: 'a', at: 1, pid: 1, cwd: '/w', name: 'old', command: 'x' }, file);
    const r = new SharedRunsReader(file);
    appendRunRecord({ v: 1, type: 'run-end', id: 'b', at: 2, pid: 9, cwd: '/w', name: 'api', command: 'node s.js --password=hunter2', exitCode: 1, signal: null, ending: 'crashed', uptimeMs: 5, outputTail: 'DATABASE_URL=postgres://u:sekrit@db/x\nboom' }, file);
    fs.appendFileSync(file, 'not json\n{"v":2}\n{"v":1,"type":"verdict","id":"c","at":3,"cwd":"/w","verdict":{"cause":"killed"');
    const got = r.read();
    assert.deepEqual(got.map((x) => x.type), ['run-end']);
    const end = got[0] as Extract<typeof got[0], { type: 'run-end' }>;
    assert.equal(end.exitCode, 1);
    assert.ok(!JSON.stringify(end).includes('hunter2') && !JSON.stringify(end).includes('sekrit'), JSON.stringify(end));
    fs.appendFileSync(file, ',"summary":"s"}}\n');
    assert.deepEqual(r.read().map((x) => x.type), ['verdict'], 'the torn line completed later is read');
    assert.deepEqual(r.read(), []);
  });

  it('a file that started over is read from its start; a missing or unwritable place is a message', () => {
    const r = new SharedRunsReader(file);
    assert.deepEqual(r.read(), []);
    appendRunRecord({ v: 1, type: 'verdict', id: 'x', at: 1, cwd: '/w', verdict: { cause: 'killed' } as unknown as Verdict }, file);
    assert.equal(r.read().length, 1);
    fs.renameSync(file, `${file}.1`); // what a writer does past 1 MB
    appendRunRecord({ v: 1, type: 'verdict', id: 'y', at: 2, cwd: '/w', verdict: { cause: 'killed' } as unknown as Verdict }, file);
    assert.deepEqual(r.read().map((x) => x.id), ['y']);
    fs.writeFileSync(path.join(path.dirname(file), 'blocker'), '');
    const problem = appendRunRecord({ v: 1, type: 'verdict', id: 'z', at: 3, cwd: '/w', verdict: {} as Verdict }, path.join(path.dirname(file), 'blocker', 'runs.jsonl'));
    assert.match(problem ?? '', /Could not share this run/);
  });
});
