import * as assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';
import { Monitor } from '../../src/core/monitor';
import {
  ACTIVITY_WINDOW_MS, anyServerRunning, IDLE_POLL_INTERVAL_MS, isWatched, pollIntervalMs, PollTimeAverage, SCAN_TIME_MULTIPLE,
} from '../../src/core/pollPolicy';
import { plainDataProblems } from '../../src/core/pollWorker/plainData';
import type { FromWorker, ToWorker } from '../../src/core/pollWorker/protocol';
import { InlinePoller } from '../../src/core/pollWorker/poller';
import { runPollWorker } from '../../src/core/pollWorker/worker';
import { DEFAULT_SETTINGS } from '../../src/core/settings';
import { NET_TABLE_SAFETY_POLLS, NetTableGate } from '../../src/core/system/netTableGate';
import type { Snapshot, SystemProbe, SystemSample } from '../../src/core/types';

describe('NetTableGate: re-read the TCP tables only when a watched process changed its sockets', () => {
  const web = (inodes: number[] | null, startTicks = 500) => ({ pid: 10, startTicks, inodes });
  const db = (inodes: number[]) => ({ pid: 20, startTicks: 900, inodes });

  it('reads on the first poll, then not while nothing changes', () => {
    const gate = new NetTableGate();
    assert.equal(gate.decide([web([1, 2])]), 'first');
    assert.equal(gate.decide([web([1, 2])]), 'unchanged');
    assert.equal(gate.decide([web([2, 1])]), 'unchanged', 'the order of fds does not matter');
  });

  it('reads when a watched process opens or closes a socket', () => {
    const gate = new NetTableGate();
    gate.decide([web([1]), db([7])]);
    assert.equal(gate.decide([web([1, 3]), db([7])]), 'changed');
    assert.equal(gate.decide([web([1, 3]), db([7])]), 'unchanged');
    assert.equal(gate.decide([web([3]), db([7])]), 'changed');
  });

  it('reads when a watched process appears or goes, or its pid is reused', () => {
    const gate = new NetTableGate();
    gate.decide([web([1])]);
    assert.equal(gate.decide([web([1]), db([])]), 'changed', 'a new process');
    assert.equal(gate.decide([web([1])]), 'changed', 'a process gone');
    assert.equal(gate.decide([web([1], 777)]), 'changed', 'same pid and sockets, another start time');
  });

  it('tells an unreadable fd folder from one without sockets', () => {
    const gate = new NetTableGate();
    gate.decide([web([])]);
    assert.equal(gate.decide([web(null)]), 'changed');
    assert.equal(gate.decide([web(null)]), 'unchanged');
  });

  it('reads when the owner of a listening socket is gone, even if no watched process changed', () => {
    const gate = new NetTableGate();
    gate.decide([]);
    assert.equal(gate.decide([], true), 'owner-gone');
    assert.equal(gate.decide([]), 'unchanged');
  });

  it(`reads at least every ${NET_TABLE_SAFETY_POLLS} polls as a safety net`, () => {
    const gate = new NetTableGate();
    const decisions = Array.from({ length: 2 * NET_TABLE_SAFETY_POLLS + 1 }, () => gate.decide([web([1])]));
    assert.deepEqual(decisions.map((d, i) => (d === 'unchanged' ? null : i)).filter((i) => i !== null), [0, NET_TABLE_SAFETY_POLLS, 2 * NET_TABLE_SAFETY_POLLS]);
  });

  it('a change resets the safety count, and invalidate() forces the next read', () => {
    const gate = new NetTableGate(3);
    gate.decide([web([1])]);
    gate.decide([web([1])]);
    assert.equal(gate.decide([web([2])]), 'changed');
    assert.equal(gate.decide([web([2])]), 'unchanged');
    assert.equal(gate.decide([web([2])]), 'unchanged');
    assert.equal(gate.decide([web([2])]), 'safety');
    gate.invalidate();
    assert.equal(gate.decide([web([2])]), 'first');
  });
});

describe('poll interval policy', () => {
  const idle = { viewVisible: false, serverRunning: false, sinceActivityMs: null };

  it('is watched while a view is visible, a server runs or a terminal command started recently', () => {
    assert.equal(isWatched(idle), false);
    assert.equal(isWatched({ ...idle, viewVisible: true }), true);
    assert.equal(isWatched({ ...idle, serverRunning: true }), true);
    assert.equal(isWatched({ ...idle, sinceActivityMs: 5000 }), true);
    assert.equal(isWatched({ ...idle, sinceActivityMs: ACTIVITY_WINDOW_MS }), false);
  });

  it('polls at the configured interval while watched and slowly while not', () => {
    assert.equal(pollIntervalMs(2000, true, 3), 2000);
    assert.equal(pollIntervalMs(2000, false, 3), IDLE_POLL_INTERVAL_MS);
    assert.equal(pollIntervalMs(60_000, false, 3), 60_000, 'a slower setting is kept when idle');
    assert.equal(pollIntervalMs(500, true, null), 500, 'no poll measured yet');
  });

  it(`never polls more often than ${SCAN_TIME_MULTIPLE}× the average poll time`, () => {
    assert.equal(pollIntervalMs(2000, true, 150), 150 * SCAN_TIME_MULTIPLE);
    assert.equal(pollIntervalMs(2000, false, 900), 900 * SCAN_TIME_MULTIPLE);
  });

  it('counts up, starting and orphaned servers as running, down ones not', () => {
    const snap = (...states: string[]) => ({ servers: states.map((state) => ({ state })) }) as unknown as Snapshot;
    assert.equal(anyServerRunning(undefined), false);
    assert.equal(anyServerRunning(snap('down', 'down')), false);
    for (const s of ['up', 'starting', 'orphaned']) assert.equal(anyServerRunning(snap('down', s)), true, s);
  });

  it('takes the median of the last few poll times: one stalled poll does not slow polling down', () => {
    const avg = new PollTimeAverage(5);
    assert.equal(avg.value, null);
    avg.add(10);
    assert.equal(avg.value, 10);
    avg.add(20);
    assert.equal(avg.value, 15);
    avg.add(Number.NaN);
    avg.add(-1);
    assert.equal(avg.value, 15, 'nonsense is ignored');
    avg.add(3000);
    assert.equal(avg.value, 20, 'a 3 s stall among 10–20 ms polls');
    assert.equal(pollIntervalMs(2000, true, avg.value), 2000);
    for (let i = 0; i < 5; i++) avg.add(400);
    assert.equal(avg.value, 400, 'only the last five count');
    assert.equal(pollIntervalMs(2000, true, avg.value), 8000);
  });
});

describe('plain data across the worker boundary', () => {
  it('accepts plain objects, arrays, shared references and unset optional fields', () => {
    const shared = { limit: 1 };
    assert.deepEqual(plainDataProblems({ a: [1, 'x', true, null, { b: shared }], c: shared, d: undefined, e: Object.create(null) }), []);
  });

  it('names functions, class instances, Maps, Dates, non-finite numbers and cycles', () => {
    class Thing { x = 1; }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.deepEqual(plainDataProblems({ f: () => 1, t: new Thing(), m: new Map(), d: new Date(0), n: Number.NaN, big: 1n, c: cyclic }), [
      '$.f: a function', '$.t: an instance of Thing', '$.m: an instance of Map', '$.d: an instance of Date',
      '$.n: NaN (JSON turns it into null)', '$.big: a bigint', '$.c.self: a circular reference',
    ]);
  });
});

/** A sample with one node process per pid in /ws, the first listening on 3000. */
const sample = (pids: number[], takenAt: number): SystemSample => ({
  takenAt, platform: 'linux',
  processes: pids.map((pid) => ({ pid, ppid: 1, state: 'S', comm: 'node', cmdline: ['node', 'server.js'], cwd: '/ws', rssBytes: 1e6, startTimeMs: 1000, uid: 0 })),
  sockets: pids.length ? [{ family: 4 as const, address: '127.0.0.1', port: 3000, inode: 5, pid: pids[0]! }] : [],
  memory: { totalBytes: 8e9, availableBytes: 4e9, usedPercent: 50, swapTotalBytes: 0, swapUsedBytes: 0 },
  pressure: null, disks: [], inotify: { maxUserWatches: 1000, maxUserInstances: 128 }, warnings: [],
});

/** A probe giving these samples in turn (the last again once they run out); `null` is a poll whose probe throws. */
function scripted(samples: (SystemSample | null)[]): SystemProbe {
  let i = 0;
  return {
    sample: async () => {
      const s = samples[Math.min(i++, samples.length - 1)];
      if (!s) throw new Error('the probe failed');
      return s;
    },
    readEnviron: () => ({}),
    readCgroup: () => null,
  };
}

describe('poll worker body over a MessageChannel', () => {
  it('sends each snapshot with its events and the scan, structured-cloned, then answers the poll', async () => {
    const { port1, port2 } = new MessageChannel();
    const got: FromWorker[] = [];
    port1.on('message', (m: FromWorker) => got.push(m));
    const monitor = runPollWorker(port2 as never, { workspaceFolders: ['/ws'], settings: DEFAULT_SETTINGS, selfPid: 999_999 },
      scripted([sample([42], 1000), sample([], 3000)]));
    try {
      const until = async (n: number) => { while (got.length < n) await new Promise((r) => setTimeout(r, 5)); };
      port1.postMessage({ type: 'poll', id: 1 } satisfies ToWorker);
      await until(2);
      port1.postMessage({ type: 'poll', id: 2 } satisfies ToWorker);
      await until(4);
      assert.deepEqual(got.map((m) => m.type), ['snapshot', 'polled', 'snapshot', 'polled']);
      const [first, , second] = got as Extract<FromWorker, { type: 'snapshot' }>[];
      assert.ok(first!.scan, 'the first snapshot carries the workspace scan');
      assert.equal(second!.scan, undefined, 'an unchanged scan is not sent again');
      const up = first!.snapshot.servers.find((s) => s.pid === 42);
      assert.ok(up, 'the running process is a server');
      assert.ok(first!.events.some((e) => e.type === 'server-up' || e.type === 'server-orphaned'), JSON.stringify(first!.events));
      const exited = second!.events.find((e) => e.type === 'process-exited');
      assert.ok(exited && exited.type === 'process-exited' && exited.pid === 42 && exited.lastRssBytes === 1e6 && exited.root);
      assert.deepEqual(plainDataProblems(first!.snapshot), []);
      // The inotify watch count (a walk of every process's fds) is done in the worker, not by the views' thread.
      assert.ok(first!.snapshot.system.inotify.usage !== undefined, 'the worker counts inotify watches');
      assert.ok(first!.pollMs >= 0);
    } finally {
      monitor.dispose();
      port1.close();
    }
  });

  it('a restarted worker seeded with the last snapshot still reports the processes that died meanwhile', async () => {
    const first = new Monitor({ probe: scripted([sample([42], 1000)]), workspaceFolders: ['/ws'], selfPid: 999_999 });
    const before = await first.pollOnce();
    first.dispose();
    const { port1, port2 } = new MessageChannel();
    const got: FromWorker[] = [];
    port1.on('message', (m: FromWorker) => got.push(m));
    const monitor = runPollWorker(port2 as never, { workspaceFolders: ['/ws'], settings: DEFAULT_SETTINGS, selfPid: 999_999, previous: structuredClone(before) },
      scripted([sample([], 5000)]));
    try {
      port1.postMessage({ type: 'poll', id: 1 } satisfies ToWorker);
      while (got.length < 2) await new Promise((r) => setTimeout(r, 5));
      const snap = got[0] as Extract<FromWorker, { type: 'snapshot' }>;
      assert.deepEqual(snap.events.map((e) => e.type).sort(), ['process-exited', 'server-down']);
    } finally {
      monitor.dispose();
      port1.close();
    }
  });
});

describe('the monitors\' shared events (Monitor, InlinePoller)', () => {
  const makers = {
    Monitor: (probe: SystemProbe) => {
      const m = new Monitor({ probe, workspaceFolders: ['/ws'], selfPid: 999_999 });
      return { source: m, poll: () => m.pollOnce(), dispose: () => m.dispose() };
    },
    InlinePoller: (probe: SystemProbe) => {
      const p = new InlinePoller({ probe, workspaceFolders: ['/ws'], settings: DEFAULT_SETTINGS, selfPid: 999_999 });
      return { source: p, poll: () => p.poll(), dispose: () => p.dispose() };
    },
  };

  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a poll's events come before its snapshot; unsubscribing and dispose stop them`, async () => {
      const { source, poll, dispose } = make(scripted([sample([42], 1000), sample([], 3000), sample([], 5000)]));
      const seen: string[] = [];
      source.onEvent((e) => seen.push(e.type));
      const stopSnapshots = source.onSnapshot((s) => seen.push(`snapshot@${s.takenAt}`));
      try {
        await poll();
        assert.ok(seen.length >= 2 && seen.at(-1) === 'snapshot@1000' && seen.slice(0, -1).every((t) => t.startsWith('server-')), seen.join(', '));
        seen.length = 0;
        await poll();
        assert.deepEqual(seen.at(-1), 'snapshot@3000');
        assert.ok(seen.includes('process-exited') && seen.indexOf('process-exited') < seen.indexOf('snapshot@3000'), seen.join(', '));
        seen.length = 0;
        stopSnapshots();
        dispose();
        await poll().catch(() => undefined);
        assert.deepEqual(seen, [], 'nothing is delivered after dispose');
      } finally {
        dispose();
      }
    });
  }

  it('InlinePoller: times polls from the start of the sample, leaving out the first (it reads every argv once)', async () => {
    const p = new InlinePoller({ probe: scripted([sample([42], 1000), sample([42], 3000)]), workspaceFolders: ['/ws'], settings: DEFAULT_SETTINGS, selfPid: 999_999 });
    try {
      await p.poll();
      assert.equal(p.averagePollMs, null);
      assert.ok(p.averageDeliveryMs !== null && p.averageDeliveryMs >= 0);
      const t0 = performance.now();
      await p.poll();
      const wall = performance.now() - t0;
      assert.ok(p.averagePollMs !== null && p.averagePollMs >= 0 && p.averagePollMs <= wall, `${p.averagePollMs} ms of a ${wall} ms poll`);
    } finally {
      p.dispose();
    }
  });

  it('InlinePoller: a failed poll is said once on onError and rejects the caller with the same error', async () => {
    const { source, poll, dispose } = makers.InlinePoller(scripted([null, sample([42], 1000)]));
    const errors: Error[] = [];
    source.onError((e) => errors.push(e));
    try {
      const rejected = await poll().then(() => null, (e: unknown) => e);
      assert.equal(errors.length, 1);
      assert.equal(rejected, errors[0]);
      assert.equal(errors[0]!.message, 'the probe failed');
      assert.equal((await poll()).takenAt, 1000, 'the next poll works');
      assert.equal(errors.length, 1);
    } finally {
      dispose();
    }
  });
});
