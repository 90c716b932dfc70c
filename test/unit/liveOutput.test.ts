// Output as a trigger: crash lines streamed into the feed give one verdict within a second, naming the
// server, with no poll ever having seen the crashed process. Inputs are real captured outputs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CrashLineScanner, hasRunStart, isCrashLine } from '../../src/core/crash/crashLines';
import type { KernelOomRecords } from '../../src/core/crash/kernelSources';
import type { Verdict } from '../../src/core/crash/types';
import { CrashWatcher, looksLikeServerCommand, MemoryOutputFeed, type MonitorLike } from '../../src/core/crash/watcher';
import { Emitter } from '../../src/core/emitter';
import { diffSnapshots, type MonitorEvent } from '../../src/core/monitor';
import type { Server, ServerProcess, Snapshot } from '../../src/core/types';

const fixture = (...p: string[]): string => fs.readFileSync(path.resolve(__dirname, '../../../test/fixtures', ...p), 'utf8');
const CWD = '/home/dev/shop-web';
const T0 = Date.now() - 60_000;

function proc(pid: number, ppid: number, command: string, over: Partial<ServerProcess> = {}): ServerProcess {
  return { pid, ppid, state: 'S', zombie: false, comm: command.split(' ')[0], command, cwd: CWD, rssBytes: 50 << 20, startTimeMs: T0, ports: [], depth: 0, ...over };
}

function server(processes: ServerProcess[], over: Partial<Server> = {}): Server {
  const ports = processes.flatMap((p) => p.ports);
  return {
    id: `${CWD}#dev`, name: 'shop-web · dev', workspaceFolder: CWD, cwd: CWD, script: 'dev', command: 'nodemon crash.js', framework: 'node',
    state: processes.length === 0 ? 'down' : ports.length ? 'up' : 'starting', pid: processes[0]?.pid ?? null, pids: processes.map((p) => p.pid), ports,
    expectedPort: null, rssBytes: 0, heapLimitBytes: null, heapLimitSource: null, heapPid: null, startTimeMs: processes.length ? T0 : null,
    processes, zombiePids: [], source: 'package.json', cgroup: null, ...over,
  };
}

function snapshot(servers: Server[], sockets: Snapshot['sockets'] = []): Snapshot {
  return {
    takenAt: Date.now(), platform: 'linux', workspaceFolders: [CWD], servers, alerts: [], sockets, warnings: [],
    system: { memory: { totalBytes: 1, availableBytes: 1, usedPercent: 0, swapTotalBytes: 0, swapUsedBytes: 0 }, pressure: null, cgroup: null, disks: [], inotify: { maxUserWatches: null, maxUserInstances: null } },
  };
}

class FakeMonitor implements MonitorLike {
  private readonly events = new Emitter<MonitorEvent>();
  private readonly snaps = new Emitter<Snapshot>();
  private last: Snapshot | null = null;
  /** What the next poll the watcher asks for returns. */
  next: Snapshot | null = null;
  polls = 0;
  onEvent(l: (e: MonitorEvent) => void): () => void { return this.events.on(l); }
  onSnapshot(l: (s: Snapshot) => void): () => void { return this.snaps.on(l); }
  play(next: Snapshot): Snapshot {
    const alive = new Set(next.servers.flatMap((s) => s.pids));
    for (const e of diffSnapshots(this.last ?? { ...next, servers: [] }, next, alive)) this.events.fire(e);
    this.last = next;
    this.snaps.fire(next);
    return next;
  }
  poll = async (): Promise<Snapshot> => {
    this.polls++;
    return this.play({ ...(this.next ?? this.last!), takenAt: Date.now() });
  };
}

const noKernel = async (): Promise<KernelOomRecords> => ({ records: [], faults: [], kernelRead: true, kernelSource: 'dmesg', sources: ['dmesg'], problems: [] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crash lines (output as a trigger)', () => {
  it('fires on the end of each real crash report and on watchers\' crashed lines', () => {
    for (const name of ['eaddrinuse', 'heap-oom', 'module-not-found-cjs', 'module-not-found-esm', 'uncaught-exception', 'unhandled-rejection', 'enospc-disk', 'emfile']) {
      const s = new CrashLineScanner();
      assert.ok(s.push(fixture('crash-output', `${name}.txt`)), name);
    }
    assert.ok(new CrashLineScanner().push(fixture('dev-server-output', 'nodemon-app-crashed.txt')));
    assert.ok(new CrashLineScanner().push(fixture('dev-server-output', 'tsx-watch-crash.txt')));
    assert.ok(new CrashLineScanner().push(fixture('dev-server-output', 'vite-strictport-in-use.txt')));
  });

  it('stays quiet on normal dev server output (start, port fallback, nodemon restart)', () => {
    for (const name of ['vite-first.txt', 'vite-port-fallback.txt']) assert.equal(new CrashLineScanner().push(fixture('dev-server-output', name)), false, name);
    const s = new CrashLineScanner();
    assert.equal(s.push('\x1b[32m[nodemon] restarting due to changes...\x1b[39m\n[nodemon] starting `node server.js`\nlistening on 3000\n'), false);
    assert.equal(isCrashLine('GET /api/users 500 12ms'), false);
    assert.equal(isCrashLine('Killed'), true);
    assert.equal(isCrashLine('bash: line 1: 4242 Killed                  node server.js'), true);
  });

  it('sees a crash line split across chunks', () => {
    const s = new CrashLineScanner();
    assert.equal(s.push('Error: boom\n    at x (/a.js:1:1)\n\nNode.js v2'), false);
    assert.equal(s.push('0.20.2\n'), true);
  });

  it('knows a (re)start of the app', () => {
    assert.ok(hasRunStart('\x1b[32m[nodemon] starting `node crash.js`\x1b[39m\n'));
    assert.ok(hasRunStart('> shop@1.0.0 dev\n'));
    assert.equal(hasRunStart('Error: boom\n'), false);
  });

  it('tells dev server commands from other commands', () => {
    assert.ok(looksLikeServerCommand('npm run dev'));
    assert.ok(looksLikeServerCommand('PORT=3000 node server.js'));
    assert.ok(looksLikeServerCommand('npx vite --strictPort'));
    assert.ok(looksLikeServerCommand('pnpm api:serve', [{ script: 'api:serve', command: 'x' }]));
    assert.equal(looksLikeServerCommand('git push'), false);
    assert.equal(looksLikeServerCommand('npm test'), false);
    assert.equal(looksLikeServerCommand('ls nope'), false);
  });
});

describe('CrashWatcher: output is a trigger', () => {
  let monitor: FakeMonitor;
  let feed: MemoryOutputFeed;
  let watcher: CrashWatcher;
  let verdicts: Verdict[];

  beforeEach(() => {
    monitor = new FakeMonitor();
    feed = new MemoryOutputFeed();
    verdicts = [];
    watcher = new CrashWatcher(monitor, { feed, poll: monitor.poll, readKernel: noKernel, logGlobs: [] });
    watcher.onVerdict((v) => verdicts.push(v));
  });
  afterEach(() => watcher.dispose());

  const settle = async (ms = 900) => { await sleep(ms); await watcher.idle(); };

  it('nodemon: the app dies before any poll saw it; one verdict within a second, naming the server, the late "app crashed" line merged', async () => {
    const nodemon = proc(200, 100, 'node /w/node_modules/.bin/nodemon crash.js', { depth: 0 });
    monitor.play(snapshot([server([nodemon])]));
    feed.start('t1', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    const text = fixture('dev-server-output', 'nodemon-app-crashed.txt').replace(/exit=\d+\s*$/, '');
    const cut = text.indexOf('\x1b[31m[nodemon] app crashed');
    const lineAt = Date.now();
    feed.append('t1', text.slice(0, cut));
    await sleep(450); // nodemon's own line comes after the verdict is under way
    feed.append('t1', text.slice(cut));
    await settle();
    assert.equal(verdicts.length, 1, JSON.stringify(verdicts.map((v) => v.summary)));
    const v = verdicts[0];
    assert.equal(v.cause, 'watcher-waiting');
    assert.equal(v.detail?.underlying, 'uncaught-exception');
    assert.equal(v.server, 'shop-web · dev');
    assert.equal(v.detail?.via, 'output');
    assert.equal(v.detail?.watcherPid, 200);
    assert.match(v.summary, /boom: cannot connect to redis/);
    const delay = v.detail!.detectedAt! - lineAt;
    assert.ok(delay < 1000, `verdict after ${delay} ms`);
    assert.ok(monitor.polls >= 1, 'a fresh poll named the process tree');
  });

  it('plain node in a terminal dying of EADDRINUSE: port-in-use with the holder; the exit afterwards merges', async () => {
    const holder = proc(300, 1, 'node orphan.js', { ports: [45123] });
    monitor.play(snapshot([server([], { command: 'node server.js' }), server([holder], { id: 'proc:x', name: 'orphan', script: null })], [{ family: 4, address: '127.0.0.1', port: 45123, inode: 1, pid: 300 }]));
    feed.start('t2', { label: 'terminal: bash (node server.js)', pid: 101, cwd: CWD, command: 'node server.js' });
    feed.append('t2', fixture('crash-output', 'eaddrinuse.txt'));
    await sleep(100);
    feed.end('t2', 1);
    await settle();
    assert.equal(verdicts.length, 1);
    const v = verdicts[0];
    assert.equal(v.cause, 'port-in-use');
    assert.equal(v.detail?.port, 45123);
    assert.equal(v.detail?.holder?.pid, 300);
    assert.equal(v.server, 'shop-web · dev');
  });

  it('a non-zero exit of a dev command with no crash line is judged; of other commands it is not', async () => {
    monitor.play(snapshot([server([])]));
    feed.start('a', { label: 'terminal: bash (git push)', pid: 102, cwd: CWD, command: 'git push' });
    feed.append('a', 'fatal: no remote\n');
    feed.end('a', 128);
    feed.start('b', { label: 'terminal: bash (npm run dev)', pid: 103, cwd: CWD, command: 'npm run dev' });
    feed.append('b', '> shop@1.0.0 dev\n> node server.js\n\nconfig missing, giving up\n');
    feed.end('b', 3);
    await settle();
    assert.deepEqual(verdicts.map((v) => [v.cause, v.detail?.exitCode, v.detail?.via]), [['exit-nonzero', 3, 'exit']]);
  });

  it('Ctrl-C is no crash: the run ends without an exit code', async () => {
    monitor.play(snapshot([server([proc(200, 100, 'node server.js', { ports: [3000] })])]));
    feed.start('c', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    feed.append('c', 'listening on 3000\n^C\n');
    feed.end('c', undefined);
    feed.start('d', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    feed.append('d', 'listening on 3000\n^C\nnpm error code 130\n');
    feed.end('d', 130);
    await settle();
    assert.deepEqual(verdicts, []);
  });

  it('terminals outside the workspace are not judged', async () => {
    monitor.play(snapshot([]));
    feed.start('e', { label: 'terminal: bash (node x.js)', pid: 104, cwd: '/elsewhere', command: 'node x.js' });
    feed.append('e', fixture('crash-output', 'uncaught-exception.txt'));
    await settle();
    assert.deepEqual(verdicts, []);
  });

  it('a framework worker dying of heap exhaustion: the verdict names the child pid and its server, whose parent lives on', async () => {
    const next = proc(500, 100, 'node /w/node_modules/.bin/next dev', { ports: [3000] });
    const worker = proc(20843, 500, 'next-server (v15.5.0)', { depth: 1, rssBytes: 190 << 20 });
    monitor.play(snapshot([server([next, worker], { command: 'next dev', framework: 'next' })]));
    monitor.next = snapshot([server([next], { command: 'next dev', framework: 'next' })]);
    feed.start('n', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    feed.append('n', fixture('crash-output', 'heap-oom.txt'));
    await settle();
    assert.equal(verdicts.length, 1);
    const v = verdicts[0];
    assert.equal(v.cause, 'heap-oom');
    assert.equal(v.pid, 20843);
    assert.equal(v.detail?.workerPid, 20843);
    assert.match(v.detail?.workerCommand ?? '', /next-server/);
    assert.equal(v.detail?.parentAlive, true);
    assert.equal(v.server, 'shop-web · dev');
  });

  it('the app itself (npm → sh → node) dying of heap exhaustion is no framework worker; next dev\'s worker is one even when next dev dies with it', async () => {
    const npm = proc(100, 1, 'npm run dev', { depth: 0 });
    const sh = proc(110, 100, 'sh -c node server.js', { depth: 1 });
    const app = proc(20843, 110, 'node server.js', { depth: 2, ports: [3000], rssBytes: 190 << 20 });
    monitor.play(snapshot([server([npm, sh, app])]));
    monitor.next = snapshot([server([], { state: 'down' })]);
    feed.start('p', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    feed.append('p', fixture('crash-output', 'heap-oom.txt'));
    await settle();
    assert.equal(verdicts.length, 1);
    assert.deepEqual([verdicts[0].pid, verdicts[0].detail?.workerPid], [20843, undefined], 'the app is the server, not its worker');
  });

  it('the poll that later sees the same processes gone does not give a second verdict', async () => {
    const app = proc(210, 200, 'node crash.js', { depth: 1, startTimeMs: Date.now() - 5000 });
    const nodemon = proc(200, 100, 'node /w/node_modules/.bin/nodemon crash.js');
    monitor.play(snapshot([server([nodemon, app])]));
    monitor.next = snapshot([server([nodemon])]);
    feed.start('t', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    feed.append('t', fixture('dev-server-output', 'nodemon-app-crashed.txt'));
    await settle();
    monitor.play(snapshot([server([nodemon])]));
    await settle(200);
    assert.equal(verdicts.length, 1);
    assert.equal(verdicts[0].pid, 210);
  });

  it('a followed log under npm: the app is the culprit, not npm (a larger node process); the poll that sees them gone merges', async () => {
    const npm = proc(400, 100, 'npm run dev', { rssBytes: 80 << 20 });
    const sh = proc(410, 400, 'sh -c node server.js', { depth: 1, rssBytes: 1 << 20 });
    const app = proc(420, 410, 'node server.js', { depth: 2, rssBytes: 40 << 20, startTimeMs: Date.now() - 3000 });
    monitor.play(snapshot([server([npm, sh, app], { command: 'node server.js' })]));
    monitor.next = snapshot([server([], { command: 'node server.js' })]);
    feed.start('log:/w/logs/dev.log', { label: 'log: logs/dev.log', cwd: CWD, kind: 'log', command: null });
    const lineAt = Date.now();
    feed.append('log:/w/logs/dev.log', fixture('crash-output', 'uncaught-exception.txt'));
    await settle();
    monitor.play(snapshot([server([], { command: 'node server.js' })]));
    await settle(200);
    assert.equal(verdicts.length, 1, JSON.stringify(verdicts.map((v) => v.summary)));
    assert.equal(verdicts[0].cause, 'uncaught-exception');
    assert.equal(verdicts[0].pid, 420);
    assert.equal(verdicts[0].detail?.via, 'log');
    assert.ok(verdicts[0].detail!.detectedAt! - lineAt < 1000);
  });

  it('a poll that sees the death while a followed log\'s crash line settles waits for the line\'s verdict and merges into it', async () => {
    // The poll reads the same log (logGlobs): without waiting, its judgement (via the poll) would come first.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-settling-'));
    const logFile = path.join(dir, 'logs', 'dev.log');
    fs.mkdirSync(path.dirname(logFile));
    fs.writeFileSync(logFile, '');
    const w = new CrashWatcher(monitor, { feed, poll: monitor.poll, readKernel: noKernel, logGlobs: ['logs/*.log'], settleMs: 400 });
    const seen: Verdict[] = [];
    w.onVerdict((v) => seen.push(v));
    try {
      const mine = (procs: ServerProcess[]) => server(procs.map((p) => ({ ...p, cwd: dir })), { id: `${dir}#dev`, cwd: dir, workspaceFolder: dir, command: 'node server.js' });
      const npm = proc(400, 100, 'npm run dev');
      const app = proc(420, 400, 'node server.js', { depth: 1, startTimeMs: Date.now() - 3000 });
      monitor.play({ ...snapshot([mine([npm, app])]), workspaceFolders: [dir] });
      const gone = { ...snapshot([mine([])]), workspaceFolders: [dir] };
      monitor.next = gone;
      const text = fixture('crash-output', 'uncaught-exception.txt');
      fs.appendFileSync(logFile, text);
      feed.start('log:settling', { label: 'log: logs/dev.log', cwd: dir, kind: 'log', command: null });
      feed.append('log:settling', text);
      monitor.play({ ...gone, takenAt: Date.now() }); // the poll sees the death while the line settles
      await sleep(900);
      await w.idle();
      assert.equal(seen.length, 1, JSON.stringify(seen.map((v) => [v.summary, v.detail?.via])));
      assert.equal(seen[0].cause, 'uncaught-exception');
      assert.equal(seen[0].detail?.via, 'log');
    } finally {
      w.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a log at the workspace root (monorepo logs/): the package server that died is named, not the root server still up', async () => {
    const api = `${CWD}/packages/api`;
    const rootServer = server([proc(300, 1, 'node server.js', { ports: [3000] })], { command: 'node server.js' });
    const apiServer = (procs: ServerProcess[]) => server(procs, { id: `${api}#start`, name: 'api · start', cwd: api, script: 'start', command: 'node api.js' });
    const app = proc(430, 1, 'node api.js', { cwd: api, startTimeMs: Date.now() - 3000 });
    monitor.play(snapshot([rootServer, apiServer([app])]));
    monitor.next = snapshot([rootServer, apiServer([])]);
    feed.start('log:root', { label: 'log: logs/api.log', cwd: CWD, kind: 'log', command: null });
    feed.append('log:root', fixture('crash-output', 'eaddrinuse.txt'));
    await settle();
    assert.equal(verdicts.length, 1, JSON.stringify(verdicts.map((v) => v.summary)));
    assert.equal(verdicts[0].server, 'api · start');
    assert.equal(verdicts[0].pid, 430);
  });

  it('a crash after a restart is a new crash', async () => {
    const nodemon = proc(200, 100, 'node /w/node_modules/.bin/nodemon crash.js');
    monitor.play(snapshot([server([nodemon])]));
    feed.start('t', { label: 'terminal: bash (npm run dev)', pid: 100, cwd: CWD, command: 'npm run dev' });
    const text = fixture('dev-server-output', 'nodemon-app-crashed.txt').replace(/exit=\d+\s*$/, '');
    feed.append('t', text);
    await settle();
    feed.append('t', '\x1b[32m[nodemon] restarting due to changes...\x1b[39m\n' + text.slice(text.indexOf('\x1b[32m[nodemon] starting')));
    await settle();
    assert.equal(verdicts.length, 2);
  });
});
