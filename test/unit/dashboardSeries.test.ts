import * as assert from 'node:assert/strict';
import { crashCharts } from '../../src/core/dashboard/crashCharts';
import { crashRows, crashStats, dashboardModel } from '../../src/core/dashboard/model';
import { downsampleIndexes, GAP_MS, SeriesStore, withGaps } from '../../src/core/dashboard/series';
import { crashMemorySvg, sparkline, svgLineChart } from '../../src/core/charts/svgChart';
import type { Verdict } from '../../src/core/crash/types';
import type { CrashEntry } from '../../src/core/history/crashHistory';
import type { Server, Snapshot } from '../../src/core/types';

const MB = 1024 * 1024;
const T0 = 1_700_000_000_000;

function server(over: Partial<Server> = {}): Server {
  return {
    id: '/ws#dev', name: 'api', workspaceFolder: '/ws', cwd: '/ws', script: 'dev', command: 'node server.js', framework: 'node',
    state: 'up', pid: 100, pids: [100], ports: [3000], expectedPort: 3000, rssBytes: 100 * MB, heapLimitBytes: 256 * MB,
    heapLimitSource: 'flag', heapPid: 100, startTimeMs: T0, processes: [], zombiePids: [], source: 'package.json', cgroup: null, ...over,
  };
}

function snap(t: number, servers: Server[]): Snapshot {
  return {
    takenAt: t, platform: 'linux', workspaceFolders: ['/ws'], servers, alerts: [], sockets: [], warnings: [],
    system: {
      memory: { totalBytes: 8192 * MB, availableBytes: 4096 * MB, usedPercent: 50, swapTotalBytes: 0, swapUsedBytes: 0 },
      pressure: { someAvg10: 0, fullAvg10: 0.5 }, cgroup: null,
      disks: [{ mount: '/', fsType: 'ext4', totalBytes: 100, freeBytes: 20, usedPercent: 80, forPaths: ['/ws'] }],
      inotify: { maxUserWatches: 8192, maxUserInstances: 128 },
    },
  } as unknown as Snapshot;
}

describe('dashboard series', () => {
  it('down-sampling keeps every bucket\'s lowest and highest point (a spike before a crash survives) and the ends', () => {
    const t = Array.from({ length: 10_000 }, (_, i) => i);
    const y = t.map((i) => (i === 7777 ? 999 : i % 10));
    const keep = downsampleIndexes(t, y, 600);
    assert.ok(keep.length <= 602, String(keep.length));
    assert.ok(keep.includes(7777), 'the spike is kept');
    assert.equal(keep[0], 0);
    assert.equal(keep[keep.length - 1], 9999);
    assert.deepEqual(downsampleIndexes([1, 2, 3], [1, null, 3], 600), [0, 1, 2]);
  });

  it('a gap longer than GAP_MS (a reload) becomes a null point, so the line breaks there', () => {
    const pts = [{ t: 0, v: 1 }, { t: 2000, v: 2 }, { t: 2000 + GAP_MS + 1, v: 3 }];
    const out = withGaps(pts, (t) => ({ t, v: NaN }));
    assert.equal(out.length, 4);
    assert.ok(Number.isNaN(out[2].v));
  });

  it('seeds the previous run from the journal, then draws this run after a gap, with starts, restarts, limits and a projection', () => {
    const store = new SeriesStore();
    store.seed([0, 5000, 10_000].map((d) => ({ at: T0 + d, totalBytes: 8192 * MB, availableBytes: 4096 * MB, swapUsedBytes: 0, pressureFull: null, servers: [{ id: '/ws#dev', name: 'api', rssBytes: 80 * MB }] })));
    const now = T0 + 10 * 60_000;
    store.add(snap(now - 4000, [server({ pid: 100, rssBytes: 100 * MB })]));
    store.add(snap(now - 2000, [server({ pid: 100, rssBytes: 120 * MB })]));
    store.add(snap(now, [server({ pid: 200, rssBytes: 90 * MB })]));
    const s = store.series({ to: now, projections: [{ serverId: '/ws#dev', currentBytes: 90 * MB, limitBytes: 256 * MB, minutesToLimit: 5 }] });
    const api = s.servers[0];
    assert.equal(api.name, 'api');
    assert.ok(api.rss.includes(null), 'a gap between the runs');
    assert.deepEqual(api.rss.filter((v) => v !== null), [80 * MB, 80 * MB, 80 * MB, 100 * MB, 120 * MB, 90 * MB]);
    assert.equal(api.heapLimit, 256 * MB);
    assert.equal(api.heapLimitFrom, '--max-old-space-size', 'the limit says where it comes from, as on the row');
    assert.deepEqual(api.markers.map((m) => m.kind), ['restart', 'restart']);
    assert.deepEqual(api.projection, { t: [now / 1000, (now + 5 * 60_000) / 1000], rss: [90 * MB, 256 * MB] });
    assert.equal(s.machine.total, 8192 * MB);
    assert.deepEqual(s.machine.disks.map((d) => d.mount), ['/']);
  });

  it('a crash adds its marker (with the history id) and the heap figure the verdict measured', () => {
    const store = new SeriesStore();
    store.add(snap(T0, [server()]));
    store.add(snap(T0 + 2000, [server({ rssBytes: 200 * MB })]));
    const v = { cause: 'heap-oom', server: 'api', pid: 100, time: T0 + 3000, summary: 'api ran out of heap', detail: { serverId: '/ws#dev', heapUsedBytes: 250 * MB } } as unknown as Verdict;
    store.crash(v, 'c1');
    const s = store.series({ to: T0 + 4000 }).servers[0];
    assert.deepEqual(s.markers.filter((m) => m.kind === 'crash').map((m) => m.crashId), ['c1']);
    assert.ok(s.heap.includes(250 * MB));
  });

  it('10 servers × 30 minutes at a 2 s poll stay within the point budget per line', () => {
    const store = new SeriesStore();
    const servers = Array.from({ length: 10 }, (_, i) => server({ id: `/ws#s${i}`, name: `s${i}`, pid: 1000 + i }));
    for (let k = 0; k < 900; k++) store.add(snap(T0 + k * 2000, servers.map((x, i) => ({ ...x, rssBytes: (100 + i + Math.sin(k / 10) * 20) * MB }))));
    const s = store.series({ to: T0 + 900 * 2000, maxPoints: 600 });
    assert.equal(s.servers.length, 10);
    for (const x of s.servers) assert.ok(x.t.length <= 602 && x.t.length > 300, String(x.t.length));
  });

  it('crash rows and statistics per cause, server, severity for 24 h and 7 days', () => {
    const e = (id: string, cause: string, server: string, ageH: number, resolved = false) => ({
      id, time: T0 - ageH * 3_600_000, server, serverId: null, pid: 1, cause, severity: 'critical', key: id, recordedAt: T0,
      resolvedAt: resolved ? T0 : null, verdict: { summary: `${server} ${cause}` },
    }) as unknown as CrashEntry;
    const rows = crashRows([e('a', 'heap-oom', 'api', 1), e('b', 'port-in-use', 'web', 30), e('c', 'heap-oom', 'api', 2, true)]);
    assert.deepEqual(rows.map((r) => r.id), ['a', 'c', 'b']);
    assert.deepEqual(rows.map((r) => r.severity), ['critical', 'critical', 'high']);
    const day = crashStats(rows, T0 - 86_400_000);
    assert.deepEqual([day.total, day.unresolved, day.byCause, day.bySeverity], [2, 1, { 'heap-oom': 2 }, { critical: 2 }]);
    const model = dashboardModel(new SeriesStore().series({ to: T0 }), [e('a', 'heap-oom', 'api', 1), e('b', 'port-in-use', 'web', 30)], T0, 1_800_000);
    assert.deepEqual([model.stats.day.total, model.stats.week.total, model.stats.week.byServer], [1, 2, { api: 1, web: 1 }]);
  });
});

describe('report charts (SVG)', () => {
  it('draws the memory curve before a crash with its limits and the crash marker; none without samples', () => {
    const samples = Array.from({ length: 20 }, (_, i) => ({ t: T0 + i * 5000, rss: (100 + i * 5) * MB }));
    const svg = crashMemorySvg({ server: 'api <b>', crashAt: T0 + 100_000, samples, heapLimitBytes: 256 * MB, cgroupLimitBytes: 512 * MB });
    assert.ok(svg);
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /heap limit 256 MB/);
    assert.match(svg, /cgroup limit 512 MB/);
    assert.match(svg, />crash</);
    assert.match(svg, /api &lt;b&gt;: memory before the crash/);
    assert.doesNotMatch(svg, /<script/);
    assert.equal(crashMemorySvg({ server: 'x', crashAt: T0, samples: [{ t: T0, rss: 1 }] }), null);
    assert.match(svgLineChart({ title: 'empty', lines: [] }), /No samples recorded/);
  });

  it('one chart per verdict with samples before it', () => {
    const v = (n: number) => ({ cause: 'oom-kill', server: `s${n}`, pid: n, time: T0 + 60_000, summary: '', detail: { cgroupLimitBytes: 256 * MB } }) as unknown as Verdict;
    const charts = crashCharts([v(1), v(2)], (x) => (x.server === 's1' ? [{ t: T0, rss: MB }, { t: T0 + 30_000, rss: 2 * MB }] : []));
    assert.deepEqual(charts.map((c) => c.name), ['memory-1']);
    assert.match(charts[0].title, /s1: memory before the crash \(oom-kill\)/);
  });

  it('a terminal sparkline', () => {
    assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8]), '▁▂▃▄▅▆▇█');
    assert.equal(sparkline([5, 5, null, 5]), '▄▄ ▄');
    assert.equal(sparkline([]), '');
  });
});
