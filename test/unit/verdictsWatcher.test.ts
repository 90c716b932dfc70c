import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { KernelOomRecords } from '../../src/core/crash/kernelSources';
import type { Verdict } from '../../src/core/crash/types';
import { investigate } from '../../src/core/crash/investigate';
import { ExpectedStops } from '../../src/core/crash/expectedStops';
import { CrashWatcher, MemoryOutputFeed, type WatcherHistory, type MonitorLike } from '../../src/core/crash/watcher';
import { Emitter } from '../../src/core/emitter';
import { diffSnapshots, type MonitorEvent } from '../../src/core/monitor';
import type { Server, ServerProcess, Snapshot } from '../../src/core/types';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
// In the past, so log files written now count as written during these runs.
const T0 = Date.now() - 10 * 60_000;

function proc(pid: number, ppid: number, command: string, over: Partial<ServerProcess> = {}): ServerProcess {
  return { pid, ppid, state: 'S', zombie: false, comm: command.split(' ')[0], command, cwd: null, rssBytes: 50 << 20, startTimeMs: T0, ports: [], depth: 0, ...over };
}

function server(cwd: string, processes: ServerProcess[], over: Partial<Server> = {}): Server {
  const ports = processes.flatMap((p) => p.ports);
  return {
    id: `${cwd}#dev`, name: 'app · dev', workspaceFolder: cwd, cwd, script: 'dev', command: 'node server.js', framework: 'node',
    state: processes.length === 0 ? 'down' : ports.length ? 'up' : 'starting', pid: processes[0]?.pid ?? null, pids: processes.map((p) => p.pid), ports,
    expectedPort: null, rssBytes: 0, heapLimitBytes: null, heapLimitSource: null, heapPid: null, startTimeMs: processes.length ? T0 : null,
    processes, zombiePids: [], source: 'package.json', cgroup: null, ...over,
  };
}

function snapshot(takenAt: number, servers: Server[]): Snapshot {
  return {
    takenAt, platform: 'linux', workspaceFolders: [], servers, alerts: [], sockets: [], warnings: [],
    system: { memory: { totalBytes: 1, availableBytes: 1, usedPercent: 0, swapTotalBytes: 0, swapUsedBytes: 0 }, pressure: null, cgroup: null, disks: [], inotify: { maxUserWatches: null, maxUserInstances: null } },
  };
}

/** Plays snapshots the way the Monitor fires them: the events of the diff first, then the snapshot. */
class FakeMonitor implements MonitorLike {
  private readonly events = new Emitter<MonitorEvent>();
  private readonly snaps = new Emitter<Snapshot>();
  private last: Snapshot | null = null;
  onEvent(l: (e: MonitorEvent) => void): () => void { return this.events.on(l); }
  onSnapshot(l: (s: Snapshot) => void): () => void { return this.snaps.on(l); }
  poll(next: Snapshot): void {
    const alive = new Set(next.servers.flatMap((s) => s.pids));
    for (const e of diffSnapshots(this.last ?? { ...next, servers: [] }, next, alive)) this.events.fire(e);
    this.last = next;
    this.snaps.fire(next);
  }
}

function kernelReader(answer: Partial<KernelOomRecords> = {}): ((since: number) => Promise<KernelOomRecords>) & { calls: number } {
  const fn = async (): Promise<KernelOomRecords> => {
    fn.calls++;
    return { records: [], faults: [], kernelRead: true, kernelSource: 'dmesg', sources: ['dmesg'], problems: [], ...answer };
  };
  fn.calls = 0;
  return fn;
}

describe('CrashWatcher (fed by monitor events)', () => {
  let dir: string;
  let monitor: FakeMonitor;
  let verdicts: Verdict[];
  const watch = (opts: ConstructorParameters<typeof CrashWatcher>[1] = {}): CrashWatcher => {
    const w = new CrashWatcher(monitor, opts);
    w.onVerdict((v) => verdicts.push(v));
    return w;
  };
  const log = (text: string): void => fs.appendFileSync(path.join(dir, 'logs', 'dev.log'), text);

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-watcher-'));
    fs.mkdirSync(path.join(dir, 'logs'));
    monitor = new FakeMonitor();
    verdicts = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const npm = (): ServerProcess => proc(100, 1, 'npm run dev', { cwd: dir });
  const sh = (): ServerProcess => proc(101, 100, 'sh -c node server.js', { depth: 1, cwd: dir });
  const node = (over: Partial<ServerProcess> = {}): ServerProcess => proc(102, 101, 'node server.js', { depth: 2, ports: [5000], cwd: dir, ...over });

  it('one crash, one verdict: the node child dies, then npm and sh a poll later', async () => {
    const kernel = kernelReader();
    const w = watch({ readKernel: kernel });
    log('old run\n');
    monitor.poll(snapshot(T0 + 1000, [server(dir, [npm(), sh(), node()])]));
    log(fs.readFileSync(fixture('crash-output', 'uncaught-exception.txt'), 'utf8'));
    monitor.poll(snapshot(T0 + 3000, [server(dir, [npm(), sh()])]));
    await w.idle();
    monitor.poll(snapshot(T0 + 5000, [server(dir, [])]));
    await w.idle();
    monitor.poll(snapshot(T0 + 7000, [server(dir, [])]));
    await w.idle();
    assert.equal(verdicts.length, 1);
    assert.deepEqual([verdicts[0].cause, verdicts[0].pid, verdicts[0].server], ['uncaught-exception', 102, 'app · dev']);
    assert.equal(kernel.calls, 1, 'the exits of the same tree a poll later are the same crash: not judged again');
    assert.deepEqual(w.history().exits.map((e) => e.pid).sort(), [100, 101, 102]);
  });

  it('a helper process of a running server exiting costs nothing: no evidence is read', async () => {
    const kernel = kernelReader();
    const w = watch({ readKernel: kernel });
    const helper = proc(103, 102, 'git rev-parse HEAD', { depth: 3, cwd: dir });
    monitor.poll(snapshot(T0, [server(dir, [npm(), sh(), node(), helper])]));
    monitor.poll(snapshot(T0 + 2000, [server(dir, [npm(), sh(), node()])]));
    await w.idle();
    assert.equal(kernel.calls, 0);
    assert.deepEqual(verdicts, []);
  });

  it('a crash already in the log before the server started is not this run\'s: a quiet exit gives no verdict', async () => {
    const w = watch({ readKernel: kernelReader() });
    log(fs.readFileSync(fixture('crash-output', 'module-not-found-cjs.txt'), 'utf8'));
    monitor.poll(snapshot(T0, [server(dir, [npm(), sh(), node()])]));
    log('GET / 200\n');
    monitor.poll(snapshot(T0 + 2000, [server(dir, [])]));
    await w.idle();
    assert.deepEqual(verdicts, []);
  });

  it('nodemon stays alive: each crash of a new app process is its own watcher-waiting verdict', async () => {
    const w = watch({ readKernel: kernelReader() });
    const nodemon = proc(200, 1, 'node node_modules/.bin/nodemon server.js', { cwd: dir });
    const app = (pid: number): ServerProcess => proc(pid, 200, 'node server.js', { depth: 1, ports: [5000], cwd: dir });
    const nodemonCrash = fs.readFileSync(fixture('dev-server-output', 'nodemon-app-crashed.txt'), 'utf8');
    monitor.poll(snapshot(T0, [server(dir, [nodemon, app(201)])]));
    log(nodemonCrash);
    monitor.poll(snapshot(T0 + 2000, [server(dir, [nodemon])]));
    await w.idle();
    monitor.poll(snapshot(T0 + 4000, [server(dir, [nodemon])]));
    monitor.poll(snapshot(T0 + 6000, [server(dir, [nodemon, app(202)])]));
    log(nodemonCrash);
    monitor.poll(snapshot(T0 + 8000, [server(dir, [nodemon])]));
    await w.idle();
    assert.deepEqual(verdicts.map((v) => [v.cause, v.pid, v.detail?.watcherPid]), [['watcher-waiting', 201, 200], ['watcher-waiting', 202, 200]]);
  });

  it('a watcher restarting its app after a file change (no crash output) gives no verdict', async () => {
    const w = watch({ readKernel: kernelReader(), watcherRestartGraceMs: 50 });
    const nodemon = proc(300, 1, 'node node_modules/.bin/nodemon server.js', { cwd: dir });
    const app = (pid: number, startTimeMs: number): ServerProcess => proc(pid, 300, 'node server.js', { depth: 1, ports: [5000], cwd: dir, startTimeMs });
    monitor.poll(snapshot(T0, [server(dir, [nodemon, app(301, T0 - 60_000)])]));
    // nodemon killed the app on a change; the next poll sees only nodemon, the one after the new app.
    monitor.poll(snapshot(T0 + 2000, [server(dir, [nodemon])]));
    monitor.poll(snapshot(T0 + 2010, [server(dir, [nodemon, app(302, T0 + 2005)])]));
    await w.idle();
    assert.deepEqual(verdicts, []);
  });

  it('a watcher left without its app (and nothing in the output) gets its verdict after the grace period', async () => {
    const w = watch({ readKernel: kernelReader(), watcherRestartGraceMs: 50 });
    const nodemon = proc(400, 1, 'node node_modules/.bin/nodemon server.js', { cwd: dir });
    monitor.poll(snapshot(T0, [server(dir, [nodemon, proc(401, 400, 'node server.js', { depth: 1, ports: [5000], cwd: dir, startTimeMs: T0 - 60_000 })])]));
    monitor.poll(snapshot(T0 + 2000, [server(dir, [nodemon])]));
    await w.idle();
    assert.deepEqual(verdicts.map((v) => [v.cause, v.pid, v.confidence]), [['watcher-waiting', 401, 'medium']]);
  });

  it('the cgroup counter rising while a child died is judged even though the server stays up', async () => {
    const w = watch({ readKernel: kernelReader() });
    const cg = (n: number): Server['cgroup'] => ({ version: 1, path: '/dsd', limitBytes: 64 << 20, usageBytes: 1, oomKills: n });
    const worker = proc(104, 102, 'node worker.js', { depth: 3, cwd: dir, rssBytes: 60 << 20 });
    monitor.poll(snapshot(T0, [server(dir, [npm(), sh(), node(), worker], { cgroup: cg(0) })]));
    monitor.poll(snapshot(T0 + 2000, [server(dir, [npm(), sh(), node()], { cgroup: cg(1) })]));
    await w.idle();
    assert.deepEqual(verdicts.map((v) => [v.cause, v.confidence, v.pid]), [['oom-kill', 'medium', 104]]);
  });

  it('a kernel record for the dead pid makes it oom-kill, high; kernel problems are said once', async () => {
    const problem = 'Could not read the kernel log, so a kill by the kernel OOM killer cannot be confirmed: dmesg failed.';
    const problems: string[] = [];
    const record = { kind: 'memcg' as const, pid: 102, comm: 'node', time: T0 + 1500, anonRssBytes: 60 << 20, cgroupLimitBytes: 64 << 20, lines: ['Memory cgroup out of memory: Killed process 102 (node)'] };
    const w = watch({ readKernel: kernelReader({ records: [record], problems: [problem] }) });
    w.onProblem((p) => problems.push(p));
    monitor.poll(snapshot(T0, [server(dir, [npm(), sh(), node()])]));
    monitor.poll(snapshot(T0 + 2000, [server(dir, [])]));
    await w.idle();
    monitor.poll(snapshot(T0 + 60_000, [server(dir, [npm(), sh(), node({ pid: 302, startTimeMs: T0 + 50_000 })])]));
    monitor.poll(snapshot(T0 + 62_000, [server(dir, [])]));
    await w.idle();
    assert.deepEqual(verdicts.map((v) => [v.cause, v.confidence, v.pid]), [['oom-kill', 'high', 102]]);
    assert.equal(verdicts[0].summary, 'app · dev was killed by the kernel OOM killer at 60 MB, cgroup limit 64 MB');
    assert.deepEqual(problems, [problem]);
  });

  it('the editor\'s output feed: Ctrl-C (no exit code) is no crash; exit 1 with a stack is, the terminal quoted first', async () => {
    const feed = new MemoryOutputFeed();
    const w = watch({ readKernel: kernelReader(), feed });
    const runAndStop = (id: string, exitCode: number | undefined, text: string, at: number): void => {
      monitor.poll(snapshot(at, [server(dir, [npm(), sh(), node()])]));
      feed.start(id, { label: 'terminal: bash', pid: 100, at });
      feed.append(id, text);
      feed.end(id, exitCode, at + 1000);
      monitor.poll(snapshot(at + 2000, [server(dir, [])]));
    };
    runAndStop('a', undefined, '^C\n', T0);
    await w.idle();
    assert.equal(verdicts.length, 0);
    runAndStop('b', 1, fs.readFileSync(fixture('crash-output', 'emfile.txt'), 'utf8'), T0 + 60_000);
    await w.idle();
    assert.deepEqual(verdicts.map((v) => [v.cause, v.evidence[0].source, v.evidence[0].location, v.detail?.exitCode]),
      [['too-many-open-files', 'output', 'terminal: bash', 1]]);
  });

  it('dispose stops listening', async () => {
    const kernel = kernelReader();
    const w = watch({ readKernel: kernel });
    w.dispose();
    monitor.poll(snapshot(T0, [server(dir, [npm(), sh(), node()])]));
    monitor.poll(snapshot(T0 + 2000, [server(dir, [])]));
    await w.idle();
    assert.equal(kernel.calls, 0);
  });

  it('a stop made on purpose (Restart, a confirmed kill, the supervisor) gets no verdict; the same end unannounced does', async () => {
    const stopped = async (stops: ExpectedStops | null, at: number): Promise<CrashWatcher> => {
      const w = watch({ readKernel: kernelReader(), expectedStops: stops });
      monitor.poll(snapshot(at, [server(dir, [npm(), sh(), node()])]));
      log(fs.readFileSync(fixture('crash-output', 'uncaught-exception.txt'), 'utf8'));
      stops?.expect([npm(), sh(), node()], 'restart', 'test', { at: at + 500 });
      monitor.poll(snapshot(at + 2000, [server(dir, [])]));
      await w.idle();
      return w;
    };
    const w = await stopped(new ExpectedStops({ file: null }), T0);
    assert.deepEqual(verdicts, []);
    assert.deepEqual(w.history().expectedEnds?.map((e) => [e.server, e.reason, e.by]), [['app · dev', 'restart', 'test']]);
    w.dispose();
    monitor = new FakeMonitor();
    await stopped(null, T0 + 120_000);
    assert.equal(verdicts.length, 1, 'the same end without a record is judged');
  });

  it('a terminal command ended by a stop on purpose (exit 143 after Restart) gets no verdict from its exit code', async () => {
    const feed = new MemoryOutputFeed();
    const stops = new ExpectedStops({ file: null });
    const w = watch({ readKernel: kernelReader(), feed, expectedStops: stops });
    monitor.poll(snapshot(T0, [server(dir, [npm(), sh(), node()])]));
    feed.start('t', { label: 'terminal: bash', pid: 1, cwd: dir, command: 'npm run dev', at: T0 });
    stops.expect([npm(), sh(), node()], 'restart', 'test', { at: T0 + 500 });
    feed.end('t', 143, T0 + 1000);
    monitor.poll(snapshot(T0 + 2000, [server(dir, [])]));
    await w.idle();
    assert.deepEqual(verdicts, []);
    assert.ok((w.history().expectedEnds?.length ?? 0) >= 1);
  });

});

describe('MemoryOutputFeed', () => {
  it('finds a run by pid, else by folder and time; keeps only the tail of long output', () => {
    const feed = new MemoryOutputFeed();
    feed.start('t1', { label: 'terminal: zsh', pid: 42, cwd: '/a', at: 1000 });
    feed.append('t1', 'x'.repeat(300 * 1024));
    feed.append('t1', 'END');
    feed.start('task', { label: 'task: dev', cwd: '/b', at: 2000 });
    feed.end('task', 2, 5000);
    const byPid = feed.outputFor({ pids: [42], cwd: '/zzz', sinceMs: 0, untilMs: 9000 });
    assert.equal(byPid.length, 1);
    assert.equal(byPid[0].text.length, 256 * 1024);
    assert.ok(byPid[0].text.endsWith('END'));
    assert.equal(byPid[0].endedAt, undefined);
    assert.deepEqual(feed.outputFor({ pids: [7], cwd: '/b', sinceMs: 4000, untilMs: 9000 }).map((r) => [r.label, r.exitCode]), [['task: dev', 2]]);
    assert.deepEqual(feed.outputFor({ pids: [7], cwd: '/b', sinceMs: 6000, untilMs: 9000 }), [], 'ended before the query window');
    feed.end('nope', 1);
    feed.append('nope', 'x');
  });
});

describe('investigate with a live watcher\'s history', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-history-')));
    fs.mkdirSync(path.join(dir, 'logs'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', scripts: { dev: 'node server.js' } }));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names a kernel kill by the server the pid belonged to; a live verdict and the log of the same crash are one', async () => {
    const now = Date.now();
    fs.writeFileSync(path.join(dir, 'logs', 'dev.log'), fs.readFileSync(fixture('crash-output', 'uncaught-exception.txt'), 'utf8'));
    const live: Verdict = {
      cause: 'uncaught-exception', confidence: 'high', server: 'app · dev', pid: 31, time: now - 1000, summary: 'app · dev crashed',
      evidence: [{ source: 'monitor', text: 'pid 31 exited', time: now - 1000 }, { source: 'log-file', text: 'Error', time: now - 1000 }], topFrame: null, remedies: [],
    };
    const history: WatcherHistory = {
      verdicts: [live],
      exits: [{ pid: 4242, server: 'app · dev', serverId: `${dir}#dev`, cwd: dir, command: 'node server.js', startedAt: now - 60_000, exitedAt: now - 30_000 }],
    };
    const record = { kind: 'memcg' as const, pid: 4242, comm: 'node', time: now - 31_000, anonRssBytes: 100 << 20, lines: ['Memory cgroup out of memory: Killed process 4242 (node)'] };
    const stranger = { ...record, pid: 999, comm: 'chrome', lines: ['Killed process 999 (chrome)'] };
    const inv = await investigate({
      workspaceFolders: [dir], sinceMs: now - 3_600_000, snapshot: snapshot(now, [server(dir, [])]), history, skipInotifyUsage: true,
      readKernel: async () => ({ records: [record, stranger], faults: [], kernelRead: true, kernelSource: 'dmesg', sources: ['dmesg'], problems: [] }),
    });
    assert.deepEqual(inv.verdicts.map((v) => [v.cause, v.server, v.pid]), [['uncaught-exception', 'app · dev', 31], ['oom-kill', 'app · dev', 4242]]);
    assert.equal(inv.verdicts[1].detail?.serverId, `${dir}#dev`);
    assert.ok(inv.verdicts[1].remedies.some((r) => r.id === 'restart-server'), 'a known server can be restarted');
    assert.equal(inv.state?.servers[0].name, 'app · dev');
  });
});
