// The poll's cost on the extension host's main thread, inside a real VS Code: the figures the README's cost section
// quotes (bench/vscode.mjs runs this file alone, with and without 1,000 extra processes, and reads DSD_BENCH_OUT).
// The main thread's CPU (tid = pid) is measured over a window of polls (everything the extension host's thread did
// meanwhile, so an upper bound), then over a quiet window (poll interval 60 s) for comparison; the extension's own
// handling of each snapshot (views, status bar, crash watcher) is timed directly (pollStats().averageDeliveryMs).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import { EXTENSION_ID } from './helpers';

/** CPU time of this process's main thread (tid = pid), in ms (schedstat: nanoseconds on CPU). */
function mainThreadCpuMs(): number {
  return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The profiler's sampling interval, and the most one sample may stand for. */
const SAMPLE_INTERVAL_US = 100;
const SAMPLE_CAP_US = 10 * SAMPLE_INTERVAL_US;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Main-thread time spent on our behalf in a V8 CPU profile of this thread: samples whose stack runs through the
 * extension's bundle or through a worker thread's 'message' event (a snapshot arriving), in ms. The rest of the
 * extension host (VS Code's own port finder, other extensions) is left out, unlike the schedstat figures.
 */
export function ourProfileMs(profile: CpuProfile, bundle: string): number {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const ours = new Map<number, boolean>();
  const isOurs = (id: number): boolean => {
    const known = ours.get(id);
    if (known !== undefined) return known;
    const url = byId.get(id)?.callFrame.url ?? '';
    const up = parent.get(id);
    const v = url.endsWith(bundle) || url === 'node:internal/worker' || (up !== undefined && isOurs(up));
    ours.set(id, v);
    return v;
  };
  // A sample stands for the time until the next one; a longer gap than a few intervals is the thread idle or the
  // sampler not scheduled (a loaded machine), not our code running: capped.
  let us = 0;
  profile.samples.forEach((id, i) => { if (isOurs(id)) us += Math.min(profile.timeDeltas[i + 1] ?? 0, SAMPLE_CAP_US); });
  return us / 1000;
}

describe('poll cost in the extension host', function () {
  it('polls in a worker thread; measures activation and the main thread\'s CPU per poll', async function () {
    if (process.platform !== 'linux') this.skip();
    const bench = !!process.env.DSD_BENCH_OUT;
    const polls = bench ? 10 : 3;
    const quietMs = bench ? 20_000 : 6_000;
    this.timeout(quietMs + polls * 2 * 20_000 + 30_000);
    const ext = vscode.extensions.getExtension<DevServerDoctorApi>(EXTENSION_ID)!;
    const api = await ext.activate();
    const { activateMs, activateCpuMs } = api.activationTimes();
    await new Promise<void>((resolve) => { if (api.snapshot()) resolve(); else api.onDidUpdate(() => resolve()); });
    const { firstRenderMs } = api.activationTimes();
    assert.ok(activateMs > 0 && firstRenderMs !== null && firstRenderMs >= activateMs, `${activateMs} / ${firstRenderMs}`);
    assert.equal(api.pollStats().mode, 'worker', 'the poll runs in dist/pollWorker.js, off the extension host\'s thread');

    const nextUpdate = () => new Promise<void>((resolve) => { const d = api.onDidUpdate(() => { d.dispose(); resolve(); }); });
    // A few polls first: the extension host is busiest right after start (other extensions activating).
    for (let i = 0; i < 3; i++) await nextUpdate();
    const main0 = mainThreadCpuMs();
    const all0 = processCpuMs();
    const t0 = Date.now();
    let seen = 0;
    await new Promise<void>((resolve) => {
      const d = api.onDidUpdate(() => { if (++seen === polls) { d.dispose(); resolve(); } });
    });
    const wallMs = Date.now() - t0;
    const mainMs = mainThreadCpuMs() - main0;
    const allMs = processCpuMs() - all0;
    // Then a quiet window for comparison: with the interval at 60 s nothing polls; what the main thread does then is
    // the rest of the extension host (other extensions, VS Code's own work).
    const config = vscode.workspace.getConfiguration('devServerDoctor');
    let quietRate: number;
    try {
      const settled = nextUpdate();
      await config.update('pollIntervalSeconds', 60, vscode.ConfigurationTarget.Global);
      await settled;
      await sleep(3000);
      const q0 = mainThreadCpuMs();
      const qt = Date.now();
      let polled = 0;
      const d = api.onDidUpdate(() => polled++);
      await sleep(quietMs);
      d.dispose();
      quietRate = (mainThreadCpuMs() - q0) / (Date.now() - qt);
      assert.equal(polled, 0, 'no poll during the quiet window');
    } finally {
      await config.update('pollIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    }
    // Bench only: a profiled window (V8's sampler on this thread) says which of that time is ours.
    let profiledMsPerPoll: number | null = null;
    if (bench) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const inspector = require('node:inspector') as typeof import('node:inspector');
      const session = new inspector.Session();
      session.connect();
      const post = (method: string, params: object = {}) =>
        new Promise<unknown>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r))));
      try {
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: SAMPLE_INTERVAL_US });
        await nextUpdate();
        await post('Profiler.start');
        for (let i = 0; i < polls; i++) await nextUpdate();
        const { profile } = (await post('Profiler.stop')) as { profile: CpuProfile };
        // For a look with a profile viewer (Chrome DevTools, speedscope).
        if (process.env.DSD_BENCH_PROFILE) fs.writeFileSync(process.env.DSD_BENCH_PROFILE, JSON.stringify(profile));
        profiledMsPerPoll = ourProfileMs(profile, `${ext.extensionPath}/dist/extension.js`.split('/').slice(-2).join('/')) / polls;
      } finally {
        session.disconnect();
      }
    }
    const stats = api.pollStats();
    const result = {
      profiledMsPerPoll,
      processes: fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length,
      polls: seen, wallMs,
      mainMsPerPoll: mainMs / seen,
      mainMsPerPollNet: (mainMs - quietRate * wallMs) / seen,
      quietMainMsPer2s: quietRate * 2000,
      mainMsPer2s: (mainMs / wallMs) * 2000,
      allThreadsMsPerPoll: allMs / seen,
      deliveryMs: stats.averageDeliveryMs, workerPollMs: stats.averagePollMs, intervalMs: stats.intervalMs,
      activateMs, activateCpuMs, firstRenderMs, vscode: vscode.version,
    };
    console.log(`[poll cost] ${JSON.stringify(result)}`);
    if (bench) fs.writeFileSync(process.env.DSD_BENCH_OUT!, JSON.stringify(result, null, 2));
    assert.equal(seen, polls);
  });
});
