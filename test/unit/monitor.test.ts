import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { computeAlerts } from '../../src/core/alerts';
import { diffSnapshots, Monitor } from '../../src/core/monitor';
import { DEFAULT_SETTINGS, DEFAULT_THRESHOLDS, sanitizeThreshold } from '../../src/core/settings';
import { summarize } from '../../src/core/summary';
import type { Server, Snapshot, SystemProbe, SystemSample, SystemState } from '../../src/core/types';

const GB = 1024 ** 3;
const system: SystemState = {
  memory: { totalBytes: 16 * GB, availableBytes: 8 * GB, usedPercent: 50, swapTotalBytes: 0, swapUsedBytes: 0 },
  pressure: null,
  cgroup: null,
  disks: [{ mount: '/', fsType: 'ext4', totalBytes: 100 * GB, freeBytes: 50 * GB, usedPercent: 50, forPaths: ['/ws'] }],
  inotify: { maxUserWatches: 524288, maxUserInstances: 128 },
};

function server(id: string, state: Server['state'], ports: number[], pids: number[] = [10, 11]): Server {
  return {
    id, name: id, workspaceFolder: '/ws', cwd: '/ws', script: 'dev', command: 'vite', framework: 'vite', state,
    pid: state === 'down' ? null : pids[0]!, pids: state === 'down' ? [] : pids, ports, expectedPort: 5173,
    rssBytes: 100, heapLimitBytes: null, heapLimitSource: null, heapPid: null, startTimeMs: state === 'down' ? null : 1000,
    processes: state === 'down' ? [] : pids.map((pid, i) => ({
      pid, ppid: i === 0 ? 1 : pids[0]!, state: 'S', zombie: false, comm: 'node', command: `node ${pid}`, cwd: '/ws',
      rssBytes: 50, startTimeMs: 1000, ports: i === 0 ? ports : [], depth: i,
    })),
    zombiePids: [], source: 'package.json', cgroup: null,
  };
}

function snap(servers: Server[], takenAt = 5000, sys: SystemState = system): Snapshot {
  return { takenAt, platform: 'linux', workspaceFolders: ['/ws'], servers, system: sys, alerts: [], sockets: [], warnings: [] };
}

describe('monitor: events between snapshots', () => {
  it('reports a server coming up, with its ports', () => {
    const events = diffSnapshots(snap([server('web', 'down', [])]), snap([server('web', 'up', [5173])]), new Set([10, 11]));
    assert.deepEqual(events.map((e) => e.type), ['server-up']);
  });

  it('reports each exited process and the server going down', () => {
    const events = diffSnapshots(snap([server('web', 'up', [5173])]), snap([server('web', 'down', [])], 9000), new Set());
    assert.deepEqual(events.map((e) => e.type), ['process-exited', 'process-exited', 'server-down']);
    const exit = events[0]!;
    assert.ok(exit.type === 'process-exited' && exit.pid === 10 && exit.root && exit.uptimeMs === 8000 && exit.ports[0] === 5173);
    const down = events[2]!;
    assert.ok(down.type === 'server-down' && down.from === 'up' && down.pid === 10);
  });

  it('a vanished unmatched server counts as down', () => {
    const events = diffSnapshots(snap([server('proc:x', 'up', [3000])]), snap([]), new Set());
    assert.ok(events.some((e) => e.type === 'server-down' && e.serverId === 'proc:x'));
  });

  it('reports a port change and a child exit without a state change', () => {
    const events = diffSnapshots(snap([server('web', 'up', [5173])]), snap([server('web', 'up', [5174], [10])]), new Set([10]));
    assert.deepEqual(events.map((e) => e.type), ['process-exited', 'port-changed']);
  });

  it('reports starting and orphaned transitions', () => {
    const events = diffSnapshots(
      snap([server('a', 'down', []), server('b', 'up', [1])]),
      snap([server('a', 'starting', []), server('b', 'orphaned', [1])]),
      new Set([10, 11]),
    );
    assert.deepEqual(events.map((e) => e.type).sort(), ['server-orphaned', 'server-starting']);
  });

  it('stays quiet when nothing changed', () => {
    assert.deepEqual(diffSnapshots(snap([server('web', 'up', [5173])]), snap([server('web', 'up', [5173])]), new Set([10, 11])), []);
  });
});

describe('monitor: polling', () => {
  const sample = (): SystemSample => ({
    takenAt: Date.now(), platform: 'linux', processes: [], sockets: [], memory: system.memory, pressure: null,
    disks: [], inotify: system.inotify, warnings: [],
  });

  it('never runs two polls at once: a poll requested during one joins it', async () => {
    let calls = 0;
    let release!: () => void;
    const probe: SystemProbe = {
      sample: () => { calls++; return new Promise((r) => { release = () => r(sample()); }); },
      readEnviron: () => null,
      readCgroup: () => null,
    };
    const m = new Monitor({ probe, workspaceFolders: [] });
    const a = m.pollOnce();
    const b = m.pollOnce();
    await new Promise((r) => setImmediate(r));
    release();
    assert.equal(await a, await b);
    assert.equal(calls, 1);
    m.dispose();
  });

  it('a rescan asked for during a poll gets a fresh poll after it, which reads package.json again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-monitor-'));
    try {
      let calls = 0;
      let release!: () => void;
      const probe: SystemProbe = {
        sample: () => { calls++; return calls === 1 ? new Promise((r) => { release = () => r(sample()); }) : Promise.resolve(sample()); },
        readEnviron: () => null,
        readCgroup: () => null,
      };
      const m = new Monitor({ probe, workspaceFolders: [dir] });
      const first = m.pollOnce();
      await new Promise((r) => setImmediate(r));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'late', scripts: { dev: 'vite' } }));
      m.rescan();
      const second = m.pollOnce();
      release();
      assert.deepEqual((await first).servers.map((s) => s.name), []);
      assert.deepEqual((await second).servers.map((s) => s.name), ['late']);
      assert.equal(calls, 2);
      assert.deepEqual(m.workspaceScan?.servers.map((s) => s.name), ['late']);
      m.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps polling after a probe failure and reports it', async () => {
    let calls = 0;
    const probe: SystemProbe = {
      sample: async () => { if (++calls === 1) throw new Error('boom'); return sample(); },
      readEnviron: () => null,
      readCgroup: () => null,
    };
    const m = new Monitor({ probe, workspaceFolders: [], settings: { ...DEFAULT_SETTINGS, pollIntervalMs: 10 } });
    const errors: string[] = [];
    m.onError((e) => errors.push(e.message));
    const got = new Promise<Snapshot>((resolve) => m.onSnapshot(resolve));
    m.start();
    await got;
    m.dispose();
    assert.deepEqual(errors, ['boom']);
    assert.ok(calls >= 2);
  });
});

describe('alerts and the status bar summary', () => {
  it('warns and errs at the disk and memory thresholds', () => {
    const hot: SystemState = {
      ...system,
      memory: { ...system.memory, usedPercent: 96, availableBytes: 0.6 * GB },
      disks: [{ ...system.disks[0]!, usedPercent: 85 }],
    };
    const alerts = computeAlerts([], hot, [], DEFAULT_THRESHOLDS);
    assert.deepEqual(alerts.map((a) => [a.severity, a.kind]), [['critical', 'memory'], ['warning', 'disk']]);
    assert.equal(summarize(snap([], 0, hot), DEFAULT_THRESHOLDS).severity, 'error');
  });

  it('flags a cgroup near its limit, a low inotify limit, orphans and scan problems', () => {
    const s: SystemState = {
      ...system,
      cgroup: { version: 1, path: '/x', limitBytes: 100, usageBytes: 96, oomKills: 0 },
      inotify: { maxUserWatches: 8192, maxUserInstances: 128 },
    };
    const alerts = computeAlerts([server('web', 'orphaned', [5173])], s, [{ path: '/ws/package.json', message: 'not valid JSON' }], DEFAULT_THRESHOLDS);
    assert.deepEqual(alerts.map((a) => a.kind), ['cgroup-memory', 'orphan', 'scan', 'inotify']);
  });

  it('summarises declared servers up out of declared, with memory and disk', () => {
    const sum = summarize(snap([server('web', 'up', [5173]), server('api', 'down', [])]), DEFAULT_THRESHOLDS);
    assert.equal(sum.text, '1/2 up · mem 50% · disk 50%');
    assert.equal(sum.severity, 'ok');
    assert.match(sum.label, /^Dev Server Doctor: 1 of 2 servers up, memory/);
    assert.match(summarize(snap([server('api', 'down', [])]), DEFAULT_THRESHOLDS).label, /^Dev Server Doctor: 0 of 1 server up, memory/);
    const zombie = { ...server('web', 'up', [5173]), zombiePids: [7] };
    assert.match(computeAlerts([zombie], snap([]).system, [], DEFAULT_THRESHOLDS).find((a) => a.kind === 'zombie')!.message, /has 1 zombie process \(PID 7\)/);
  });

  it('sanitises user thresholds', () => {
    assert.deepEqual(sanitizeThreshold({ warn: 70 }, { warn: 80, error: 90 }), { warn: 70, error: 90 });
    assert.deepEqual(sanitizeThreshold({ warn: 'x', error: 300 }, { warn: 80, error: 90 }), { warn: 80, error: 90 });
    assert.deepEqual(sanitizeThreshold({ warn: 95, error: 90 }, { warn: 80, error: 90 }), { warn: 90, error: 90 });
  });
});
