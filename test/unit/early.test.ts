import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Verdict } from '../../src/core/crash/types';
import { ManualClock } from '../../src/core/clock';
import { DownDetector, lineageKey, watcherOf } from '../../src/core/early/downDetector';
import { treeAlerts } from '../../src/core/early/treeAlerts';
import { inotifyNeed, inotifyWarning } from '../../src/core/early/inotify';
import { countInotifyWatches, InotifyWatchCounter, type InotifyCount } from '../../src/core/system/inotify';
import { PersistedSet } from '../../src/core/early/persistedSet';
import { diskWarnings, downWarning, oomRiskWarning, minutesStep, WarningPolicy, type EarlyWarning } from '../../src/core/early/policy';
import { growthSlope, projectOomRisk, RssTrend, type MemorySample, type Point } from '../../src/core/early/rssTrend';
import { DEFAULT_THRESHOLDS } from '../../src/core/settings';
import type { Server, ServerProcess, Snapshot, SystemState } from '../../src/core/types';

const MB = 1024 * 1024;
const GB = 1024 * MB;
const MIN = 60_000;

const system: SystemState = {
  memory: { totalBytes: 16 * GB, availableBytes: 8 * GB, usedPercent: 50, swapTotalBytes: 0, swapUsedBytes: 0 },
  pressure: null,
  cgroup: null,
  disks: [],
  inotify: { maxUserWatches: 65536, maxUserInstances: 128 },
};

function proc(pid: number, ppid: number, command: string, ports: number[] = [], rssBytes = 50 * MB): ServerProcess {
  return { pid, ppid, state: 'S', zombie: false, comm: 'node', command, cwd: '/ws', rssBytes, startTimeMs: 1000, ports, depth: pid === ppid ? 0 : 1 };
}

function server(id: string, state: Server['state'], processes: ServerProcess[] = [], extra: Partial<Server> = {}): Server {
  const ports = processes.flatMap((p) => p.ports);
  return {
    id, name: id, workspaceFolder: '/ws', cwd: '/ws', script: 'dev', command: 'node server.js', framework: 'node', state,
    pid: processes[0]?.pid ?? null, pids: processes.map((p) => p.pid), ports, expectedPort: null,
    rssBytes: processes.reduce((s, p) => s + p.rssBytes, 0), heapLimitBytes: null, heapLimitSource: null, heapPid: null,
    startTimeMs: processes.length ? 1000 : null, processes, zombiePids: [], source: 'package.json', cgroup: null, ...extra,
  };
}

function snap(takenAt: number, servers: Server[], sys: SystemState = system): Snapshot {
  return { takenAt, platform: 'linux', workspaceFolders: ['/ws'], servers, system: sys, alerts: [], sockets: [], warnings: [] };
}

/** Samples every `stepMs` from 0 to `spanMs` of `rss(t)`; other fields from `base`. */
function series(spanMs: number, stepMs: number, rss: (t: number) => number, base: Partial<MemorySample> = {}): MemorySample[] {
  const out: MemorySample[] = [];
  for (let t = 0; t <= spanMs; t += stepMs) {
    out.push({
      time: t, pid: 10, heapPid: null, rssBytes: rss(t), heapRssBytes: null, heapLimitBytes: null, cgroupLimitBytes: null,
      cgroupUsageBytes: null, availableBytes: 8 * GB, swapTotalBytes: 0, swapUsedBytes: 0, pressure: null, ...base,
    });
  }
  return out;
}

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within ${tolerance} of ${expected}`);

describe('early: memory growth slope', () => {
  const line = (perMin: number, start = 200 * MB) => (t: number) => start + (perMin * t) / MIN;

  it('is the least-squares slope of a steady leak, in bytes per minute', () => {
    const pts: Point[] = series(2 * MIN, 2000, line(40 * MB)).map((s) => ({ time: s.time, value: s.rssBytes }));
    const slope = growthSlope(pts)!;
    near(slope.bytesPerMin, 40 * MB, 1, 'slope');
    assert.equal(slope.drops, 0);
  });

  it('keeps the leak rate through one GC drop, where an ordinary fit would not', () => {
    // 40 MB/min, and at 60 s a collection gives back 150 MB.
    const rss = (t: number) => line(40 * MB)(t) - (t >= MIN ? 150 * MB : 0);
    const pts = series(2 * MIN, 2000, rss).map((s) => ({ time: s.time, value: s.rssBytes }));
    const slope = growthSlope(pts)!;
    assert.equal(slope.drops, 1);
    near(slope.bytesPerMin, 40 * MB, 0.5 * MB, 'slope through the drop');
    // What a plain fit makes of it: far below the real rate (here negative).
    const n = pts.length;
    const mt = pts.reduce((s, p) => s + p.time, 0) / n;
    const mv = pts.reduce((s, p) => s + p.value, 0) / n;
    const plain = (pts.reduce((s, p) => s + (p.time - mt) * (p.value - mv), 0) / pts.reduce((s, p) => s + (p.time - mt) ** 2, 0)) * MIN;
    assert.ok(plain < 20 * MB, `plain fit ${plain / MB} MB/min`);
  });

  it('takes the net trend of a sawtooth (several drops): a healthy server that collects regularly is flat', () => {
    const rss = (t: number) => 300 * MB + ((t % 20_000) / 20_000) * 100 * MB;
    const slope = growthSlope(series(2 * MIN, 1000, rss).map((s) => ({ time: s.time, value: s.rssBytes })))!;
    assert.ok(slope.drops >= 2);
    assert.ok(Math.abs(slope.bytesPerMin) < 15 * MB, `sawtooth slope ${slope.bytesPerMin / MB} MB/min`);
  });

  it('is null for a single point or one instant', () => {
    assert.equal(growthSlope([{ time: 5, value: 1 }]), null);
    assert.equal(growthSlope([{ time: 5, value: 1 }, { time: 5, value: 2 }]), null);
  });
});

describe('early: OOM risk projection', () => {
  it('projects the heap limit with the numbers in the message', () => {
    // 40 MB/min, at 1808 MB after 2 min, towards a 2 GB heap limit: 240 MB left, 6 min.
    const samples = series(2 * MIN, 2000, (t) => 1728 * MB + (40 * MB * t) / MIN, { heapPid: 11, heapLimitBytes: 2 * GB })
      .map((s) => ({ ...s, heapRssBytes: s.rssBytes }));
    const risk = projectOomRisk('api', samples)!;
    assert.equal(risk.limitKind, 'heap');
    assert.equal(risk.effectiveLimitBytes, 2 * GB);
    near(risk.minutesToLimit, 6, 0.05, 'minutes');
    near(risk.slopeBytesPerMin, 40 * MB, 1, 'slope');
    assert.equal(risk.message, 'api grows 40 MB/min; at this rate it reaches its 2.0 GB heap limit in about 6 min');
    assert.equal(risk.severity, 'warning');
    assert.match(risk.notes.join(' '), /RSS counts more than the JavaScript heap/);
  });

  it('picks the nearest of heap, cgroup and available memory', () => {
    const base = { heapPid: 11, heapLimitBytes: 4 * GB, cgroupLimitBytes: 1 * GB, availableBytes: 8 * GB };
    const samples = series(MIN, 2000, (t) => 500 * MB + (100 * MB * t) / MIN, base)
      .map((s) => ({ ...s, heapRssBytes: s.rssBytes, cgroupUsageBytes: s.rssBytes + 100 * MB }));
    const risk = projectOomRisk('api', samples)!;
    assert.equal(risk.limitKind, 'cgroup');
    near(risk.minutesToLimit, (1024 - 700) / 100, 0.05, 'minutes');
    assert.match(risk.message, /reaches its memory cgroup's 1\.0 GB limit in about 3 min$/);
    assert.equal(risk.severity, 'critical');

    const machine = projectOomRisk('api', series(MIN, 2000, (t) => 500 * MB + (200 * MB * t) / MIN, { availableBytes: 1 * GB }))!;
    assert.equal(machine.limitKind, 'available');
    assert.equal(machine.effectiveLimitBytes, 700 * MB + 1 * GB);
    assert.match(machine.message, /uses up the 1\.0 GB of memory the machine has available in about 5 min$/);
  });

  it('ignores the heap limit once RSS is past it (the growth is outside the heap)', () => {
    const samples = series(MIN, 2000, (t) => 600 * MB + (50 * MB * t) / MIN, { heapPid: 11, heapLimitBytes: 512 * MB, availableBytes: 200 * MB })
      .map((s) => ({ ...s, heapRssBytes: s.rssBytes }));
    assert.equal(projectOomRisk('api', samples)!.limitKind, 'available');
  });

  it('says nothing for a flat server, too few or too short samples, or a far limit', () => {
    assert.equal(projectOomRisk('api', series(2 * MIN, 2000, () => 300 * MB)), null);
    assert.equal(projectOomRisk('api', series(20_000, 2000, (t) => 300 * MB + (500 * MB * t) / MIN)), null, 'under 30 s');
    assert.equal(projectOomRisk('api', series(2 * MIN, 30_000, (t) => 300 * MB + (500 * MB * t) / MIN)), null, 'five samples');
    assert.equal(projectOomRisk('api', series(2 * MIN, 2000, (t) => 300 * MB + (10 * MB * t) / MIN)), null, '8 GB at 10 MB/min is hours away');
  });

  it('does not read a one-off step (a first compile) as a leak', () => {
    const step = (t: number) => (t < 15_000 ? 200 * MB : 700 * MB);
    assert.equal(projectOomRisk('web', series(MIN, 2000, step, { availableBytes: 1 * GB })), null);
  });

  it('is critical when the machine already stalls on memory, and says so', () => {
    const risk = projectOomRisk('api', series(MIN, 2000, (t) => 500 * MB + (50 * MB * t) / MIN, {
      availableBytes: 1 * GB, pressure: { someAvg10: 35.5, fullAvg10: 12.1 }, swapTotalBytes: 2 * GB, swapUsedBytes: 1.5 * GB,
    }))!;
    assert.equal(risk.severity, 'critical');
    assert.ok(risk.minutesToLimit > 5);
    assert.match(risk.notes.join(' '), /waited for memory 35\.5% of the last 10 s \(all tasks 12\.1%\)/);
    assert.match(risk.notes.join(' '), /Swap is 75% used/);
  });
});

describe('early: RssTrend', () => {
  const leaking = (t: number, pid = 10) =>
    server('api', 'up', [proc(pid, 1, 'node server.js', [3000], 200 * MB + (300 * MB * t) / MIN)]);
  const tight = { ...system, memory: { ...system.memory, availableBytes: 1 * GB } };

  it('samples running servers from snapshots and projects their risk', () => {
    const trend = new RssTrend();
    for (let t = 0; t <= 40_000; t += 2000) trend.observe(snap(t, [leaking(t)], tight));
    const risks = trend.risks(snap(40_000, [leaking(40_000)], tight));
    assert.equal(risks.length, 1);
    assert.equal(risks[0]!.serverId, 'api');
    assert.equal(risks[0]!.limitKind, 'available');
  });

  it('keeps only the window and the count bound', () => {
    const trend = new RssTrend({ windowMs: 10_000, maxSamples: 4 });
    for (let t = 0; t <= 20_000; t += 1000) trend.observe(snap(t, [leaking(t)]));
    const kept = trend.samples('api');
    assert.equal(kept.length, 4);
    assert.equal(kept[0]!.time, 17_000);
  });

  it('starts afresh when the server restarts (a new pid) and forgets servers that went down', () => {
    const trend = new RssTrend();
    for (let t = 0; t <= 10_000; t += 2000) trend.observe(snap(t, [leaking(t)]));
    trend.observe(snap(12_000, [leaking(12_000, 99)]));
    assert.equal(trend.samples('api').length, 1);
    trend.observe(snap(14_000, [server('api', 'down')]));
    assert.equal(trend.samples('api').length, 0);
  });

  it('ignores a sample older than the last one', () => {
    const trend = new RssTrend();
    trend.observe(snap(5000, [leaking(5000)]));
    trend.observe(snap(4000, [leaking(4000)]));
    assert.deepEqual(trend.samples('api').map((s) => s.time), [5000]);
  });
});

describe('early: down detection', () => {
  const up = (extraProcs: ServerProcess[] = []) => server('api', 'up', [proc(10, 1, 'node nodemon server.js'), proc(11, 10, 'node server.js', [3000]), ...extraProcs]);
  const waiting = () => server('api', 'starting', [proc(10, 1, 'node /ws/node_modules/.bin/nodemon server.js')]);

  it('a watcher restart shorter than the grace period raises nothing', () => {
    const d = new DownDetector();
    assert.deepEqual(d.observe(snap(0, [up()])), []);
    assert.deepEqual(d.observe(snap(2000, [waiting()])), []);
    assert.deepEqual(d.observe(snap(4000, [up()])), []);
    assert.deepEqual(d.observe(snap(60_000, [up()])), []);
    assert.deepEqual(d.active(), []);
  });

  it('a crashed app under nodemon (watcher alive, nothing listening) raises "down" once, after the grace period', () => {
    const d = new DownDetector();
    const seen: string[] = [];
    d.onDown((a) => seen.push(a.message));
    d.observe(snap(0, [up()]));
    assert.deepEqual(d.observe(snap(2000, [waiting()])), []);
    assert.deepEqual(d.observe(snap(6000, [waiting()])), []);
    const [alarm] = d.observe(snap(7000, [waiting()]));
    assert.ok(alarm);
    assert.equal(alarm.reason, 'not-listening');
    assert.equal(alarm.watcher, 'nodemon');
    assert.equal(alarm.since, 2000);
    assert.deepEqual(alarm.ports, [3000]);
    assert.equal(alarm.message, 'api is down: nodemon is still running but nothing listens on port 3000 any more (the app crashed; nodemon waits for a file change).');
    for (let t = 9000; t < 60_000; t += 2000) assert.deepEqual(d.observe(snap(t, [waiting()])), []);
    assert.equal(seen.length, 1);
    assert.equal(d.active().length, 1);
    // Fixed and up again, then a second crash: a second outage, a second alarm.
    d.observe(snap(60_000, [up()]));
    assert.deepEqual(d.active(), []);
    d.observe(snap(62_000, [waiting()]));
    assert.equal(d.observe(snap(68_000, [waiting()])).length, 1);
  });

  it('a server whose processes are all gone raises "down" once', () => {
    const d = new DownDetector({ graceMs: 5000 });
    d.observe(snap(0, [server('api', 'up', [proc(10, 1, 'node server.js', [3000])])]));
    assert.deepEqual(d.observe(snap(2000, [server('api', 'down')])), []);
    const alarms = d.observe(snap(8000, [server('api', 'down')]));
    assert.equal(alarms.length, 1);
    assert.equal(alarms[0]!.reason, 'gone');
    assert.equal(alarms[0]!.message, 'api is down: it was listening on port 3000 and its processes are gone.');
    assert.deepEqual(d.observe(snap(20_000, [server('api', 'down')])), []);
  });

  it('a running tree that only changed its name (an unmatched `sh -c npm run dev` matched to its script once read) is not down', () => {
    const d = new DownDetector();
    const tree = [proc(50, 1, 'sh -c npm run dev > logs/dev.log 2>&1'), proc(51, 50, 'npm run dev'), proc(52, 51, 'node server.js', [4000])];
    d.observe(snap(0, [server('proc:/ws/incident-ui#sh -c npm run dev > logs/dev.log 2>&1#50', 'up', tree)]));
    for (let t = 2000; t <= 20_000; t += 2000) assert.deepEqual(d.observe(snap(t, [server('/ws/incident-ui#dev', 'up', tree.slice(1))])), []);
    assert.deepEqual(d.active(), []);
    // Its processes gone for real later: the server it is now is the one that goes down.
    d.observe(snap(22_000, [server('/ws/incident-ui#dev', 'down')]));
    const alarms = d.observe(snap(28_000, [server('/ws/incident-ui#dev', 'down')]));
    assert.deepEqual(alarms.map((a) => a.serverId), ['/ws/incident-ui#dev']);
  });

  it('an unmatched server vanishing from the snapshot is gone; restarted under a new pid it is the same server', () => {
    assert.equal(lineageKey('proc:/ws#node a.js#123'), 'proc:/ws#node a.js');
    assert.equal(lineageKey('/ws#dev'), '/ws#dev');
    const d = new DownDetector();
    const run = (pid: number) => server(`proc:/ws#node a.js#${pid}`, 'up', [proc(pid, 1, 'node a.js', [4000])]);
    d.observe(snap(0, [run(100)]));
    d.observe(snap(2000, []));
    d.observe(snap(4000, [run(200)]));
    assert.deepEqual(d.observe(snap(20_000, [run(200)])), []);
    d.observe(snap(22_000, []));
    const alarms = d.observe(snap(28_000, []));
    assert.equal(alarms.length, 1);
    assert.equal(alarms[0]!.serverId, 'proc:/ws#node a.js');
    assert.deepEqual(d.observe(snap(40_000, [])), []);
  });

  it('a stop the user asked for is no outage, even when the news comes a poll late', () => {
    const d = new DownDetector();
    d.observe(snap(0, [up()]));
    d.observe(snap(2000, [server('api', 'down')]));
    d.expectExit(11, 2500);
    assert.deepEqual(d.observe(snap(8000, [server('api', 'down')])), []);
    // Announced by the terminal's shell, the parent of the root.
    d.observe(snap(10_000, [up()]));
    d.expectExit(1, 10_500);
    d.observe(snap(12_000, [server('api', 'down')]));
    assert.deepEqual(d.observe(snap(20_000, [server('api', 'down')])), []);
  });

  it('a new run that is still starting is not an outage', () => {
    const d = new DownDetector();
    d.observe(snap(0, [server('api', 'up', [proc(10, 1, 'node server.js', [3000])])]));
    d.observe(snap(2000, [server('api', 'down')]));
    d.observe(snap(4000, [server('api', 'starting', [proc(20, 1, 'node server.js')])]));
    assert.deepEqual(d.observe(snap(12_000, [server('api', 'starting', [proc(20, 1, 'node server.js')])])), []);
  });

  it('names the watcher of a tree', () => {
    assert.equal(watcherOf(server('a', 'starting', [proc(1, 1, 'node /x/.bin/tsx watch src/index.ts')])), 'tsx watch');
    assert.equal(watcherOf(server('a', 'starting', [proc(1, 1, 'node --watch server.js')])), 'node --watch');
    assert.equal(watcherOf(server('a', 'starting', [proc(1, 1, 'node server.js')])), null);
  });
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-early-unit-'));
}

const warning = (kind: EarlyWarning['kind'], subject: string, severity: EarlyWarning['severity'] = 'warning', minutesToLimit?: number): EarlyWarning =>
  ({ kind, subject, severity, message: `${kind} ${subject}`, server: null, ...(minutesToLimit !== undefined ? { minutesToLimit } : {}) });

const verdict = (pid: number | null, time = 1000, server = 'api'): Verdict => ({
  cause: 'oom-kill', confidence: 'high', server, pid, time, summary: 'killed', evidence: [], topFrame: null, remedies: [],
});

describe('early: warning policy', () => {
  const dirs: string[] = [];
  after(() => { for (const d of dirs) fs.rmSync(d, { recursive: true, force: true }); });

  it('notifies once per kind and subject while the condition holds', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock });
    assert.equal(p.evaluate([warning('disk', '/'), warning('oom-risk', 'api')]).length, 2);
    for (let i = 0; i < 10; i++) {
      clock.advance(2000);
      assert.deepEqual(p.evaluate([warning('disk', '/'), warning('oom-risk', 'api')]), []);
    }
    clock.advance(2000);
    assert.equal(p.evaluate([warning('oom-risk', 'web')]).length, 1, 'another subject is another notification');
  });

  it('notifies again only when it gets meaningfully worse: higher severity, or the time to the limit crosses a step', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock });
    assert.equal(p.evaluate([warning('oom-risk', 'api', 'warning', 20)]).length, 1);
    clock.advance(30_000);
    assert.equal(p.evaluate([warning('oom-risk', 'api', 'warning', 11)]).length, 0, 'still ten minutes or more');
    clock.advance(30_000);
    assert.equal(p.evaluate([warning('oom-risk', 'api', 'warning', 9)]).length, 1, 'ten minutes or more → minutes');
    clock.advance(30_000);
    assert.equal(p.evaluate([warning('oom-risk', 'api', 'critical', 8)]).length, 1, 'higher severity');
    clock.advance(30_000);
    assert.equal(p.evaluate([warning('oom-risk', 'api', 'warning', 8)]).length, 0, 'a lower severity is not worse');
  });

  it('a heap leak seen in VS Code: 291, 292, 268 MB/min "less than a minute" is one toast; the crash still gets its own', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock });
    const shown = [0.9, 0.8, 0.5, 0.4].map((m) => { clock.advance(4000); return p.evaluate([warning('oom-risk', 'api', 'critical', m)]).length; });
    assert.deepEqual(shown, [1, 0, 0, 0]);
    clock.advance(4000);
    assert.equal(p.offerCrash(verdict(77)), true);
    assert.equal(minutesStep(90), 3);
    assert.equal(minutesStep(12), 2);
    assert.equal(minutesStep(3), 1);
    assert.equal(minutesStep(0.5), 0);
  });

  it('a server whose crash was just notified gets no second toast for being down (the tree still shows it)', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock });
    assert.equal(p.offerCrash({ ...verdict(9), detail: { serverId: '/ws/api#dev' } }), true);
    clock.advance(6000);
    assert.deepEqual(p.evaluate([warning('down', '/ws/api#dev'), warning('down', '/ws/web#dev')]).map((w) => w.subject), ['/ws/web#dev']);
    clock.advance(11 * 60_000);
    p.evaluate([]);
    clock.advance(61_000);
    assert.equal(p.evaluate([warning('down', '/ws/api#dev')]).length, 1, 'a later outage with no crash verdict is told');
  });

  it('a new rate from the settings keeps what the policy knew: a crashed server\'s "down" stays untold, a shown warning is not shown again', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock, maxPerMinute: 60 });
    assert.equal(p.offerCrash({ ...verdict(9), detail: { serverId: '/ws/api#dev' } }), true);
    assert.equal(p.evaluate([warning('disk', '/')]).length, 1);
    clock.advance(6000);
    p.setMaxPerMinute(59);
    assert.deepEqual(p.evaluate([warning('down', '/ws/api#dev'), warning('disk', '/')]), []);
    p.setMaxPerMinute(0);
    assert.deepEqual(p.evaluate([warning('down', '/ws/web#dev')]), [], 'the new rate applies');
  });

  it('a crash that was not toasted (muted, or a repeat) or whose verdict names the server only by name still covers its "down" warning', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock });
    p.mute('crash');
    assert.equal(p.offerCrash({ ...verdict(9), detail: { serverId: '/ws/api#dev' } }), false, 'muted: no crash toast');
    p.noteCrash({ ...verdict(10), server: 'web · dev' });
    clock.advance(6000);
    const web: EarlyWarning = { ...warning('down', '/ws/web#dev'), server: 'web · dev' };
    assert.deepEqual(p.evaluate([warning('down', '/ws/api#dev'), web, warning('down', '/ws/other#dev')]).map((w) => w.subject), ['/ws/other#dev']);
    assert.ok(p.crashCovers(web) && !p.crashCovers(warning('down', '/ws/other#dev')));
    p.noteCrash({ ...verdict(11), server: 'leak · dev', detail: { serverId: '/ws/leak#dev', cwd: '/ws/leak' } });
    assert.ok(p.crashCovers(warning('down', 'proc:/ws/leak#sh -c npm run dev > logs/dev.log')), 'the same folder\'s unmatched tree');
    assert.ok(!p.crashCovers(warning('down', 'proc:/ws/leak2#node x.js')));
  });

  it('notifies again only after the condition cleared for a while (no flapping)', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock, clearAfterMs: 60_000 });
    p.evaluate([warning('disk', '/')]);
    clock.advance(10_000);
    p.evaluate([]);
    clock.advance(10_000);
    assert.deepEqual(p.evaluate([warning('disk', '/')]), [], 'back after 10 s: the same episode');
    clock.advance(10_000);
    p.evaluate([]);
    clock.advance(61_000);
    p.evaluate([]);
    assert.equal(p.evaluate([warning('disk', '/')]).length, 1, 'back after a minute clear: a new episode');
  });

  it('keeps "don\'t show again" for the workspace in its storage', () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = new WarningPolicy({ storageDir: dir, clock: new ManualClock(0) });
    first.mute('disk');
    first.mute('oom-risk', 'api');
    const again = new WarningPolicy({ storageDir: dir, clock: new ManualClock(0) });
    assert.equal(again.problem, null);
    const shown = again.evaluate([warning('disk', '/'), warning('disk', '/home'), warning('oom-risk', 'api'), warning('oom-risk', 'web')]);
    assert.deepEqual(shown.map((w) => w.subject), ['web']);
    again.unmuteAll();
    assert.equal(new WarningPolicy({ storageDir: dir }).isMuted('disk', '/'), false);
  });

  it('shows at most 3 notifications a minute; the rest wait for a later evaluation, most severe first', () => {
    const clock = new ManualClock(0);
    const p = new WarningPolicy({ clock });
    const all = [warning('down', 'a'), warning('down', 'b'), warning('down', 'c'), warning('disk', '/', 'critical'), warning('down', 'd')];
    const first = p.evaluate(all);
    assert.deepEqual(first.map((w) => w.subject), ['/', 'a', 'b']);
    clock.advance(30_000);
    assert.deepEqual(p.evaluate(all), []);
    clock.advance(31_000);
    assert.deepEqual(p.evaluate(all).map((w) => w.subject), ['c', 'd']);
    assert.equal(p.offerCrash(verdict(5)), true, 'a crash: the budget is spent on warnings, it still gets through');
    assert.equal(p.offerCrash(verdict(6)), true, 'and the next crash too');
    clock.advance(1000);
    assert.deepEqual(p.evaluate([...all, warning('down', 'e')]), [], 'warnings wait while crashes took the minute');
  });

  it('never shows more than one notification per crash', () => {
    const p = new WarningPolicy({ clock: new ManualClock(0), maxPerMinute: 100 });
    assert.equal(p.offerCrash(verdict(42)), true);
    assert.equal(p.offerCrash({ ...verdict(42), cause: 'killed' }), false, 'a second verdict for the same death');
    assert.equal(p.offerCrash(verdict(43)), true);
    assert.equal(p.offerCrash(verdict(null, 100_000)), true);
    assert.equal(p.offerCrash(verdict(null, 110_000)), false, 'no pid: same server within 30 s');
    p.mute('crash', 'web');
    assert.equal(p.offerCrash(verdict(44, 1000, 'web')), false);
  });

  it('turns risks and alarms into warnings', () => {
    const w = oomRiskWarning({
      server: 'api', serverId: '/ws#dev', limitKind: 'heap', effectiveLimitBytes: 1, currentBytes: 0, slopeBytesPerMin: 1,
      minutesToLimit: 4, severity: 'critical', message: 'm', notes: [],
    });
    assert.deepEqual([w.kind, w.subject, w.severity, w.minutesToLimit], ['oom-risk', '/ws#dev', 'critical', 4]);
    const d = downWarning({ serverId: 'k', server: 'api', reason: 'gone', watcher: null, ports: [], pid: 1, since: 0, at: 5000, message: 'down' });
    assert.deepEqual([d.kind, d.subject, d.message], ['down', 'k', 'down']);
  });

  it('warns about disks holding a workspace folder at 80 % and 90 %', () => {
    const disk = (mount: string, usedPercent: number, forPaths: string[]) =>
      ({ mount, fsType: 'ext4', totalBytes: 100 * GB, freeBytes: (100 - usedPercent) * GB, usedPercent, forPaths });
    const sys = { ...system, disks: [disk('/', 85, ['/ws']), disk('/data', 95, ['/data/shop']), disk('/tmp', 99, ['/tmp'])] };
    const out = diskWarnings(sys, ['/ws', '/data/shop/'], DEFAULT_THRESHOLDS.disk);
    assert.deepEqual(out.map((w) => [w.subject, w.severity]), [['/', 'warning'], ['/data', 'critical']]);
    assert.equal(out[0]!.message, 'Disk / (holding ws) is 85% full, 15.0 GB free: builds, caches and logs fail with ENOSPC when it fills.');
    assert.deepEqual(diskWarnings({ ...sys, disks: [disk('/', 79.9, ['/ws'])] }, ['/ws'], DEFAULT_THRESHOLDS.disk), []);
  });
});

describe('early: inotify watches', () => {
  const count = (watches: number, instances = 3): InotifyCount => ({ watches, instances, top: { pid: 7, watches }, costMs: 1 });
  let fake: string;
  before(() => {
    // A /proc look-alike: process 100 holds an inotify fd with 3 watches and a plain file, 200 has two inotify fds.
    fake = tempDir();
    const fdinfo = (n: number) => `pos:\t0\nflags:\t00\nmnt_id:\t15\n${Array.from({ length: n }, (_, i) => `inotify wd:${i + 1} ino:${i} sdev:800001 mask:fc6 ignored_mask:0 fhandle-bytes:8\n`).join('')}`;
    const make = (pid: number, fds: Record<string, { link: string; info: string }>) => {
      fs.mkdirSync(path.join(fake, String(pid), 'fd'), { recursive: true });
      fs.mkdirSync(path.join(fake, String(pid), 'fdinfo'), { recursive: true });
      for (const [fd, { link, info }] of Object.entries(fds)) {
        fs.symlinkSync(link, path.join(fake, String(pid), 'fd', fd));
        fs.writeFileSync(path.join(fake, String(pid), 'fdinfo', fd), info);
      }
    };
    make(100, { 3: { link: 'anon_inode:inotify', info: fdinfo(3) }, 4: { link: '/etc/hosts', info: 'pos:\t0\n' } });
    make(200, { 5: { link: 'anon_inode:inotify', info: fdinfo(1) }, 6: { link: 'anon_inode:inotify', info: fdinfo(0) } });
    fs.mkdirSync(path.join(fake, 'self'));
  });
  after(() => fs.rmSync(fake, { recursive: true, force: true }));

  it('counts watch lines of inotify fds of the user\'s processes', () => {
    const c = countInotifyWatches(process.getuid!(), fake)!;
    assert.equal(c.watches, 4);
    assert.equal(c.instances, 3);
    assert.deepEqual(c.top, { pid: 100, watches: 3 });
    assert.equal(countInotifyWatches(process.getuid!() + 12345, fake)!.watches, 0, 'another user\'s processes');
    assert.equal(countInotifyWatches(0, path.join(fake, 'missing')), null);
  });

  it('counts at most every 30 s', () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const counter = new InotifyWatchCounter({ clock, count: () => count(++calls) });
    assert.equal(counter.read()!.watches, 1);
    clock.advance(29_999);
    assert.equal(counter.read()!.watches, 1);
    clock.advance(1);
    assert.equal(counter.read()!.watches, 2);
  });

  it('warns near the per-user limits, with the command that raises them', () => {
    const limits = { maxUserWatches: 10_000, maxUserInstances: 128 };
    assert.equal(inotifyWarning(count(7999), limits), null);
    const w = inotifyWarning(count(8000), limits)!;
    assert.equal(w.severity, 'warning');
    assert.match(w.message, /^This user holds 8,000 of 10,000 inotify watches \(80%\).*PID 7 holds 8,000\..*max_user_watches=524288/);
    assert.equal(inotifyWarning(count(9600), limits)!.severity, 'critical');
    const inst = inotifyWarning(count(10, 125), limits)!;
    assert.equal(inst.subject, 'inotify instances');
    assert.equal(inst.severity, 'critical');
    assert.equal(inotifyWarning(null, limits), null);
    assert.equal(inotifyWarning(count(99_999), { maxUserWatches: null, maxUserInstances: null }), null);
  });

  it('from the palette: a raise is called for only near the limit or after a crash on it; else the words say how far', () => {
    const limits = { maxUserWatches: 192_536, maxUserInstances: 128 };
    const far = inotifyNeed(count(20, 3), limits, false);
    assert.deepEqual(far, { short: false, usage: 'this user holds 20 of 192,536 file watches (0%) and 3 of 128 watcher instances (2%)' });
    assert.equal(inotifyNeed(count(20, 3), limits, true).short, true, 'a server failed on the limit');
    assert.equal(inotifyNeed(count(160_000, 3), limits, false).short, true, 'watches near the limit');
    assert.equal(inotifyNeed(count(20, 110), limits, false).short, true, 'instances near the limit');
    assert.deepEqual(inotifyNeed(null, limits, false), { short: true, usage: null }, 'not counted: it may be short');
  });
});

describe('early: persisted set', () => {
  it('survives a damaged file and says so', () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'set.json');
      fs.writeFileSync(file, '["a", "b"');
      const s = new PersistedSet(file);
      assert.match(s.problem!, /is damaged/);
      assert.equal(s.has('a'), false);
      s.add('c');
      assert.equal(s.problem, null);
      assert.deepEqual(new PersistedSet(file).values(), ['c']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('early: where warnings show in the Servers view', () => {
  it('a down server says so on its own row (crashed or stopped unexpectedly), no duplicate row; other warnings and scan problems are rows', () => {
    const s = snap(1000, [server('/ws/api#dev', 'down'), server('/ws/web#dev', 'down'), server('/ws/nm#dev', 'crashed'), server('/ws/up#dev', 'up', [proc(10, 1, 'node a.js', [3000])]), server('/ws/hung#dev', 'unresponsive', [proc(11, 1, 'node b.js', [3001])])]);
    const withScan: Snapshot = { ...s, alerts: [{ kind: 'scan', severity: 'warning', message: 'package.json in /ws/bad is not valid JSON', server: null } as Snapshot['alerts'][number]] };
    const ws = [warning('down', '/ws/api#dev'), warning('down', '/ws/web#dev'), warning('down', '/ws/nm#dev'), warning('oom-risk', '/ws/up#dev', 'critical', 0.5), warning('disk', '/'), warning('unresponsive', '/ws/hung#dev', 'critical')];
    const { alerts, notes } = treeAlerts(withScan, ws, (w) => w.subject === '/ws/api#dev');
    assert.deepEqual([...notes].map(([id, n]) => [id, n.words]), [['/ws/api#dev', 'crashed'], ['/ws/web#dev', 'stopped unexpectedly']]);
    assert.deepEqual(alerts.map((a) => `${a.kind}:${a.subject}`), ['scan:package.json in /ws/bad is not valid JSON', 'oom-risk:/ws/up#dev', 'disk:/']);
    assert.deepEqual(treeAlerts(withScan, [], () => false, () => true).alerts, [], 'a scan problem marked resolved');
  });

  it('an unmatched tree that went down in the folder of one declared server that is down says so on that server\'s row', () => {
    const s = snap(1000, [server('/ws/hung#start', 'down', [], { cwd: '/ws/hung' }), server('/ws/two#dev', 'down', [], { cwd: '/ws/two' }), server('/ws/two#start', 'down', [], { cwd: '/ws/two' })]);
    const ws = [warning('down', 'proc:/ws/hung#node app.js'), warning('down', 'proc:/ws/two#node x.js'), warning('down', 'proc:/ws/none#node y.js')];
    const { alerts, notes } = treeAlerts(s, ws, () => false);
    assert.deepEqual([...notes].map(([id, n]) => [id, n.words]), [['/ws/hung#start', 'stopped unexpectedly']]);
    assert.deepEqual(alerts.map((a) => a.subject), ['proc:/ws/two#node x.js', 'proc:/ws/none#node y.js'], 'two servers there, or none: which one is not known');
  });
});
