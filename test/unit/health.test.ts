import * as assert from 'node:assert/strict';
import { parseLoadArgs } from '../../src/cli/load';
import { ManualClock } from '../../src/core/clock';
import { healthWarnings, isServerWarning, WARNING_REMEDIES } from '../../src/core/early/policy';
import { isLoopbackHost } from '../../src/core/health/check';
import { HealthChecker, healthTarget, interpretHang, loopbackFor } from '../../src/core/health/checker';
import { cpuPercents, cpuTimesOf, treeCpuPercent } from '../../src/core/health/cpu';
import { memoryUsedFraction, scoreServer, workspaceScore } from '../../src/core/health/score';
import { isOwnFile, orderFrames, stuckTarget, type StuckFrame } from '../../src/core/health/stuck';
import { judgeLeak, slope } from '../../src/core/load/leak';
import { loadChartSvg, renderLoadMarkdown } from '../../src/core/load/report';
import { boundedOptions } from '../../src/core/load/run';
import { loadTarget } from '../../src/core/load/target';
import type { LeakRound, LoadTestReport } from '../../src/core/load/types';
import { diffSnapshots } from '../../src/core/monitor';
import { REMEDIES } from '../../src/core/remedies/catalogue';
import { lookupFromList } from '../../src/core/remedies/processes';
import { DEFAULT_HEALTH } from '../../src/core/settings';
import type { ListeningSocket, ProcessInfo, Server, Snapshot } from '../../src/core/types';
import { remedyLine } from '../../src/cli/remedyLines';
import { REMEDY_COMMANDS } from '../../src/vscode/remedyCommands';

const MB = 1024 * 1024;

function proc(pid: number, cpuTicks: number | undefined, startTimeMs = 1000, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, ppid: 1, state: 'S', comm: 'node', cmdline: ['node', 'app.js'], cwd: '/ws/app', rssBytes: 50 * MB, startTimeMs, uid: 0, ...(cpuTicks === undefined ? {} : { cpuTicks }), ...extra };
}

function server(over: Partial<Server> = {}): Server {
  return {
    id: '/ws/app#start', name: 'app · start', workspaceFolder: '/ws', cwd: '/ws/app', script: 'start', command: 'node app.js', framework: 'node',
    state: 'up', pid: 10, pids: [10, 11], ports: [3000], expectedPort: null, rssBytes: 100 * MB, heapLimitBytes: null, heapLimitSource: null,
    heapPid: 11, startTimeMs: 1000,
    processes: [
      { pid: 10, ppid: 1, state: 'S', zombie: false, comm: 'npm', command: 'npm start', cwd: '/ws/app', rssBytes: 40 * MB, startTimeMs: 1000, ports: [], depth: 0 },
      { pid: 11, ppid: 10, state: 'R', zombie: false, comm: 'node', command: 'node app.js', cwd: '/ws/app', rssBytes: 60 * MB, startTimeMs: 1000, ports: [3000], depth: 1 },
    ],
    zombiePids: [], source: 'package.json', cgroup: null, ...over,
  };
}

const sock = (port: number, address: string, pid: number | null, family: 4 | 6 = 4): ListeningSocket => ({ family, address, port, inode: port, pid });

function snap(servers: Server[], sockets: ListeningSocket[] = [], takenAt = 5000): Snapshot {
  return {
    takenAt, platform: 'linux', workspaceFolders: ['/ws'], servers, alerts: [], sockets, warnings: [],
    system: { memory: { totalBytes: 8192 * MB, availableBytes: 4096 * MB, usedPercent: 50, swapTotalBytes: 0, swapUsedBytes: 0 }, pressure: null, cgroup: null, disks: [], inotify: { maxUserWatches: null, maxUserInstances: null } },
  };
}

describe('health: CPU from two polls', () => {
  it('a process that used 150 ticks in 2 s is at 75 % of a core; a tree sums its processes', () => {
    const prev = cpuTimesOf([proc(10, 100), proc(11, 1000)], 10_000);
    const next = cpuTimesOf([proc(10, 110), proc(11, 1150)], 12_000);
    const pct = cpuPercents(prev, next);
    assert.equal(pct.get(11), 75);
    assert.equal(pct.get(10), 5);
    assert.equal(treeCpuPercent([10, 11], pct), 80);
    assert.equal(treeCpuPercent([99], pct), null);
  });

  it('no reading on the first poll, for a reused pid it counts from its new start, unknown probes are left out', () => {
    assert.equal(cpuPercents(null, cpuTimesOf([proc(10, 5)], 1000)).size, 0);
    const prev = cpuTimesOf([proc(10, 500, 1000)], 10_000);
    // pid 10 died and was reused by a process started during the interval: its 40 ticks all fall in it.
    const next = cpuTimesOf([proc(10, 40, 10_500), proc(12, undefined)], 12_000);
    const pct = cpuPercents(prev, next);
    assert.equal(pct.get(10), 20);
    assert.equal(pct.has(12), false);
    // A process older than the interval but never seen (a first sighting) has no reading rather than a huge one.
    assert.equal(cpuPercents(prev, cpuTimesOf([proc(13, 9999, 500)], 12_000)).has(13), false);
    // Same time twice: no division by zero.
    assert.equal(cpuPercents(prev, cpuTimesOf([proc(10, 600, 1000)], 10_000)).size, 0);
  });
});

describe('health: targets, loopback only', () => {
  it('loopback hosts', () => {
    for (const h of ['localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['example.com', '10.0.0.1', '0.0.0.0', '::', '192.168.1.2', 'localhost.evil.com']) assert.ok(!isLoopbackHost(h), h);
  });

  it('reaches a socket on loopback, never on another address', () => {
    assert.equal(loopbackFor(sock(1, '0.0.0.0', 1)), '127.0.0.1');
    assert.equal(loopbackFor(sock(1, '127.0.0.1', 1)), '127.0.0.1');
    assert.equal(loopbackFor(sock(1, '::', 1, 6)), '::1');
    assert.equal(loopbackFor(sock(1, '192.168.1.5', 1)), null);
    assert.equal(loopbackFor(sock(1, 'fe80::1', 1, 6)), null);
  });

  it('default: GET / on the first port the server itself listens on, on loopback', () => {
    const s = server({ ports: [3000, 3001] });
    assert.deepEqual(healthTarget(s, [sock(3000, '::', 11, 6)], undefined), { url: 'http://[::1]:3000/' });
    // Port 3000 is someone else's socket (another pid): the server's own next port is used.
    assert.deepEqual(healthTarget(s, [sock(3000, '0.0.0.0', 999), sock(3001, '0.0.0.0', 11)], undefined), { url: 'http://127.0.0.1:3001/' });
    assert.ok('refused' in healthTarget(s, [sock(3000, '192.168.1.5', 11)], undefined)!);
    assert.equal(healthTarget(server({ ports: [] }), [], undefined), null);
  });

  it('a configured URL must be loopback and one of its ports', () => {
    const s = server();
    assert.deepEqual(healthTarget(s, [], 'http://localhost:3000/health'), { url: 'http://localhost:3000/health' });
    assert.deepEqual(healthTarget(s, [], 'tcp://127.0.0.1:3000'), { url: 'tcp://127.0.0.1:3000' });
    assert.match((healthTarget(s, [], 'http://example.com:3000/') as { refused: string }).refused, /not on loopback/);
    assert.match((healthTarget(s, [], 'http://127.0.0.1:22/') as { refused: string }).refused, /port 22 is not one it listens on/);
    assert.match((healthTarget(s, [], 'not a url') as { refused: string }).refused, /not a URL/);
  });
});

describe('health: hangs in plain words', () => {
  it('≈100 % of a core is a blocked event loop; ≈0 % is a wait; a runnable process on a busy machine is blocked too', () => {
    assert.match(interpretHang('api', 3000, 99, 5000, 0).message, /on :3000 but did not answer 2 health checks in a row \(nothing within 5 s\)\. It uses 99 % of a core: its event loop is blocked/);
    assert.equal(interpretHang('api', 3000, 99, 5000, 0).reading, 'blocked');
    const wait = interpretHang('api', 3000, 0.5, 5000, 0, 'S');
    assert.equal(wait.reading, 'waiting');
    assert.match(wait.message, /waiting on something \(a lock, a dependency/);
    // A busy loop on a 2-core machine shared by many gets 25 % of a core, and is always R (runnable).
    const shared = interpretHang('api', 3000, 25, 5000, 0, 'R');
    assert.equal(shared.reading, 'blocked');
    assert.match(shared.message, /never sleeps .*its event loop is blocked/);
    assert.equal(interpretHang('api', 3000, 40, 5000, 0, 'S').reading, 'busy');
    assert.equal(interpretHang('api', null, null, 5000, 0).reading, 'unknown');
  });
});

describe('health: sustained alerts and the score', () => {
  it('CPU over the threshold alerts only once it has lasted 30 s, and the alert clears with it', () => {
    const clock = new ManualClock(0);
    const checker = new HealthChecker({ clock, settings: DEFAULT_HEALTH });
    const hot = [server({ cpuPercent: 92 })];
    assert.deepEqual(checker.alerts(hot, 0), []);
    assert.deepEqual(checker.alerts(hot, 29_000), []);
    const a = checker.alerts(hot, 30_000);
    assert.deepEqual(a.map((x) => [x.kind, x.severity]), [['cpu', 'warning']]);
    assert.match(a[0]!.message, /92 % of a core for over 30 s \(threshold 80 %\)/);
    assert.deepEqual(checker.alerts([server({ cpuPercent: 10 })], 31_000), []);
    // It has to last 30 s again before alerting again.
    assert.deepEqual(checker.alerts(hot, 32_000), []);
    checker.dispose();
  });

  it('latency and error rate alert once sustained; unresponsive at once', () => {
    const checker = new HealthChecker({ clock: new ManualClock(0), settings: DEFAULT_HEALTH });
    const health = { ok: true, latencyMs: 6000, status: 200, checkedAt: 0, target: 'http://127.0.0.1:3000/', mode: 'http' as const, error: null, errorRatePercent: 30 };
    checker.alerts([server({ health })], 0);
    assert.deepEqual(checker.alerts([server({ health })], 30_000).map((x) => [x.kind, x.severity]), [['latency', 'critical'], ['errors', 'critical']]);
    const hung = server({ state: 'unresponsive', unresponsive: interpretHang('app', 3000, 99, 5000, 0) });
    assert.deepEqual(checker.alerts([hung], 30_000).map((x) => [x.kind, x.severity]), [['unresponsive', 'critical']]);
    checker.dispose();
  });

  it('scores: 100 for a fresh-enough healthy server, penalties as documented, 0 when unresponsive, null when down', () => {
    const base = { state: 'up' as const, uptimeMs: 3_600_000, crashesLastHour: 0, memoryUsedFraction: 0.3, latencyMs: 20, lastCheckOk: true, errorRatePercent: 0, latencyThreshold: { warn: 1000, error: 5000 }, errorRateThreshold: { warn: 5, error: 25 } };
    assert.equal(scoreServer(base).score, 100);
    assert.equal(scoreServer({ ...base, uptimeMs: 10_000 }).score, 95);
    assert.equal(scoreServer({ ...base, crashesLastHour: 5 }).score, 55);
    assert.equal(scoreServer({ ...base, memoryUsedFraction: 1 }).score, 70);
    assert.equal(scoreServer({ ...base, memoryUsedFraction: 0.8 }).score, 85);
    assert.equal(scoreServer({ ...base, latencyMs: 5000, lastCheckOk: false }).score, 70);
    assert.equal(scoreServer({ ...base, errorRatePercent: 50 }).score, 80);
    assert.equal(scoreServer({ ...base, state: 'unresponsive' }).score, 0);
    assert.equal(scoreServer({ ...base, state: 'down' }).score, null);
    assert.equal(workspaceScore([100, 60, null]), 70);
    assert.equal(workspaceScore([null, undefined]), null);
    assert.equal(memoryUsedFraction(server({ rssBytes: 512 * MB, heapLimitBytes: 1024 * MB }), 8192 * MB), 0.5);
    assert.equal(memoryUsedFraction(server({ state: 'down' }), 1), null);
  });
});

describe('health: warnings and remedies', () => {
  it('health alerts become warnings about the server, with Find Where It\'s Stuck, Restart, Investigate', () => {
    const s = server({ state: 'unresponsive' });
    const sn = { ...snap([s]), alerts: [{ severity: 'critical' as const, kind: 'unresponsive', message: 'm', server: s.name }, { severity: 'warning' as const, kind: 'disk', message: 'd', server: null }] };
    const w = healthWarnings(sn);
    assert.deepEqual(w.map((x) => [x.kind, x.subject]), [['unresponsive', s.id]]);
    assert.ok(isServerWarning('unresponsive') && isServerWarning('cpu') && !isServerWarning('disk'));
    assert.deepEqual(WARNING_REMEDIES.unresponsive.map((id) => REMEDIES[id].button), ["Find Where It's Stuck", 'Restart', 'Investigate']);
    assert.equal(REMEDY_COMMANDS['find-where-stuck'], 'devServerDoctor.findWhereStuck');
    assert.equal(REMEDY_COMMANDS['load-test'], 'devServerDoctor.loadTest');
    assert.match(remedyLine({ id: 'find-where-stuck', title: '', args: { pid: 42 } }), /^node inspect -p 42/);
    assert.equal(remedyLine({ id: 'load-test', title: '', args: { port: 3000 } }), 'dev-server-doctor load --url http://127.0.0.1:3000/');
  });

  it('a server turning unresponsive is a server-unresponsive event; answering again is server-up', () => {
    const hung = server({ state: 'unresponsive', cpuPercent: 99, unresponsive: interpretHang('app', 3000, 99, 5000, 0) });
    const events = diffSnapshots(snap([server()]), snap([hung]), new Set([10, 11]));
    assert.deepEqual(events.map((e) => e.type), ['server-unresponsive']);
    assert.equal((events[0] as { reading: string }).reading, 'blocked');
    assert.deepEqual(diffSnapshots(snap([hung]), snap([server()]), new Set([10, 11])).map((e) => e.type), ['server-up']);
  });
});

describe('Find Where It\'s Stuck: which process, which frames', () => {
  const frame = (functionName: string, file: string, own: boolean): StuckFrame => ({ functionName, file, line: 1, column: 1, own });

  it('own frames first, in stack order', () => {
    const f = [frame('handle', '/ws/node_modules/express/router.js', false), frame('spin', '/ws/app.js', true), frame('emit', 'node:events', false), frame('outer', '/ws/lib.js', true)];
    assert.deepEqual(orderFrames(f).map((x) => x.functionName), ['spin', 'outer', 'handle', 'emit']);
    assert.ok(isOwnFile('/ws/app/src/a.js', ['/ws']));
    assert.ok(!isOwnFile('/ws/node_modules/x/a.js', ['/ws']));
    assert.ok(!isOwnFile('node:internal/timers', ['/ws']));
    assert.ok(!isOwnFile('/elsewhere/a.js', ['/ws']));
  });

  it('targets the listening Node process, only if it is still the same one and inside the workspace', () => {
    const s = server({ health: { ok: false, latencyMs: null, status: null, checkedAt: 0, target: 'http://127.0.0.1:3000/', mode: 'http', error: 'x', errorRatePercent: 100 } });
    const npm = proc(10, 0, 1000, { comm: 'npm', cmdline: ['npm', 'start'] });
    const node = proc(11, 0, 1000);
    assert.deepEqual(stuckTarget(s, lookupFromList([npm, node]), ['/ws']), { pid: 11, command: 'node app.js' });
    // Restarted since the snapshot (another start time): nothing is signalled.
    assert.ok('refused' in stuckTarget(s, lookupFromList([npm, proc(11, 0, 2000)]), ['/ws']));
    assert.match((stuckTarget(s, lookupFromList([npm, proc(11, 0, 1000, { cwd: '/elsewhere' })]), ['/ws']) as { refused: string }).refused, /does not run inside the workspace/);
    // The pid now runs something else: refused, never a fall-back to npm.
    assert.match((stuckTarget(s, lookupFromList([npm, proc(11, 0, 1000, { comm: 'python3', cmdline: ['python3', 'app.py'] })]), ['/ws']) as { refused: string }).refused, /exited or restarted/);
    const py = server({ processes: [{ ...server().processes[1]!, comm: 'python3', command: 'python3 app.py' }] });
    assert.match((stuckTarget(py, lookupFromList([]), ['/ws']) as { refused: string }).refused, /no running Node\.js process/);
  });
});

describe('load test: targets, bounds, leak judgement, report', () => {
  const s = server();
  const sn = snap([s], [sock(3000, '127.0.0.1', 11)]);

  it('only loopback URLs on a port a workspace server listens on', () => {
    assert.deepEqual(loadTarget(null, sn), { url: 'http://127.0.0.1:3000/', server: s });
    assert.deepEqual(loadTarget('http://localhost:3000/api?x=1', sn), { url: 'http://127.0.0.1:3000/api?x=1', server: s });
    assert.match((loadTarget('http://example.com:3000/', sn) as { refused: string }).refused, /not this machine's loopback/);
    assert.match((loadTarget('http://127.0.0.1:5432/', sn) as { refused: string }).refused, /nothing of this workspace listens on port 5432/);
    assert.match((loadTarget('ftp://127.0.0.1:3000/', sn) as { refused: string }).refused, /Only http and https/);
    assert.match((loadTarget(null, snap([])) as { refused: string }).refused, /No server of this workspace is listening/);
    assert.match((loadTarget(null, snap([s, server({ id: 'b', name: 'b', ports: [4000] })])) as { refused: string }).refused, /Several servers/);
  });

  it('bounds stages, connections, durations and request counts whatever is asked', () => {
    const b = boundedOptions({ url: 'x', stages: [0, 5, 99_999, ...Array(20).fill(1)], durationMs: 10 * 60_000, maxRequestsPerStage: 1e12, leakRounds: 1000, requestTimeoutMs: 0 });
    assert.equal(b.stages.length, 10);
    assert.deepEqual(b.stages.slice(0, 3), [1, 5, 2000]);
    assert.equal(b.durationMs, 120_000);
    assert.equal(b.maxRequestsPerStage, 2_000_000);
    assert.equal(b.leakRounds, 20);
    assert.equal(b.requestTimeoutMs, 100);
  });

  const rounds = (mb: number[]): LeakRound[] => mb.map((m, i) => ({ round: i + 1, requests: 3000, cumulativeRequests: 3000 * (i + 1), rssBytes: m * MB, heapUsedBytes: null }));

  it('a steady rise is a likely leak with its slope; flat, plateau and noise are not', () => {
    const leak = judgeLeak(rounds([69, 76, 86, 97, 109]));
    assert.equal(leak.likelyLeak, true, leak.reason);
    assert.ok(Math.abs(leak.slopeMbPer1kRequests! - 3.3) < 0.1, String(leak.slopeMbPer1kRequests));
    assert.match(leak.reason, /likely leak: .*\+40\.0 MB over 5 rounds, 3\.3\d* MB per 1,000 requests/);
    assert.equal(judgeLeak(rounds([59, 60, 60, 60, 60])).likelyLeak, false);
    const plateau = judgeLeak(rounds([60, 80, 95, 97, 97.5]));
    assert.equal(plateau.likelyLeak, false);
    assert.match(plateau.reason, /plateau/);
    assert.match(judgeLeak(rounds([60, 70, 62, 75, 64])).reason, /no steady rise/);
    assert.match(judgeLeak(rounds([60, 70])).reason, /too few rounds/);
    assert.equal(slope([1, 2, 3], [2, 4, 6]), 2);
    assert.equal(slope([1], [1]), null);
  });

  it('the report: a table per stage, the leak verdict and a well-formed SVG chart', () => {
    const stage = { connections: 50, durationMs: 2000, requests: 4000, requestsPerSecond: 2000, latencyMs: { p50: 3, p97_5: 20, p99: 40, max: 90 }, non2xx: 0, non2xxPercent: 0, errors: 0, timeouts: 0, errorsPercent: 0, peakRssBytes: 80 * MB, rssBytesAfter: 70 * MB, cpuPercent: 60, stoppedBecause: null };
    const r: LoadTestReport = {
      generatedAt: 0, url: 'http://127.0.0.1:3000/', server: 'app <start>', pid: 11, options: { stages: [50], durationMs: 2000, maxRequestsPerStage: 100, leakRounds: 5, requestTimeoutMs: 1000 },
      stages: [stage], leak: { connections: 50, rounds: rounds([69, 76, 86, 97, 109]), verdict: judgeLeak(rounds([69, 76, 86, 97, 109])) }, crashed: false, crashVerdicts: [], cancelled: false, problems: [],
    };
    const md = renderLoadMarkdown(r, 'chart.svg');
    assert.match(md, /\| 50 \| 4000 \| 2000 \| 3 ms \| 20 ms \| 40 ms \| 0 % \| 0 % \| 80 MB \| 60 % \|/);
    assert.match(md, /\*\*Likely leak\*\* — memory rose after every round/);
    assert.match(md, /!\[Latency and memory per stage\]\(chart\.svg\)/);
    const svg = loadChartSvg(r);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
    assert.match(svg, /<\/svg>\n$/);
    assert.ok(svg.includes('app &lt;start&gt;'), 'names are escaped');
    assert.equal((svg.match(/<polyline/g) ?? []).length, 3);
    assert.equal((svg.match(/<rect x=/g) ?? []).length, 6, 'one memory bar per stage and per leak round');
  });

  it('CLI arguments: defaults, durations, bounds, clear usage errors', () => {
    const d = parseLoadArgs([], '/tmp');
    assert.deepEqual([d.url, d.stages, d.durationMs, d.leakRounds, d.json], [null, [50, 100, 200, 500], 10_000, 5, false]);
    const o = parseLoadArgs(['--url', 'http://127.0.0.1:3000/', '--stages', '10, 20', '--duration=1.5s', '--json', '--leak-rounds', '0'], '/tmp');
    assert.deepEqual([o.url, o.stages, o.durationMs, o.leakRounds, o.json], ['http://127.0.0.1:3000/', [10, 20], 1500, 0, true]);
    assert.equal(parseLoadArgs(['--duration', '3'], '/tmp').durationMs, 3000);
    assert.throws(() => parseLoadArgs(['--stages', '10,x'], '/tmp'), /--stages takes a whole number/);
    assert.throws(() => parseLoadArgs(['--stages', '5000'], '/tmp'), /from 1 to 2000/);
    assert.throws(() => parseLoadArgs(['--duration', '10m'], '/tmp'), /0\.2s to 120s/);
    assert.throws(() => parseLoadArgs(['--nope'], '/tmp'), /Unknown option/);
  });
});
