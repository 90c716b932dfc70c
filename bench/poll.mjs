// `npm run bench` (part 1): what one poll costs, measured through the real RefreshManager (src/vscode/refreshManager.ts,
// with a stand-in for the `vscode` module) in its two modes — the poll worker thread (dist/pollWorker.js, what the
// extension runs) and inline on the calling thread (the old way) — against systeminformation processes() +
// networkConnections(), at rest, with +300 and with +1,000 idle node processes (20 listening on 127.0.0.1).
// Main thread = CPU of this process's main thread (tid = pid, /proc/self/task/<pid>/schedstat, ns resolution) and the
// longest event-loop stall; total = every thread plus reaped children (systeminformation spawns ps and ss).
// Usage: node bench/poll.mjs [compiled-dir] [--quick]
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fmt, machine, mainThreadCpuMs, processCount, processCpuMs, startFarm } from './lib.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'out');
const root = path.resolve(outDir, '..');
const WORKER = path.join(root, 'dist', 'pollWorker.js');
const POLLS = quick ? 10 : 40;
const SI_POLLS = quick ? 3 : 8;

const shim = require('./vscodeShim.cjs');
shim.install([root]);
const { RefreshManager } = require(path.join(outDir, 'src/vscode/refreshManager.js'));
const si = require('systeminformation');

async function measure(poll, n) {
  const eld = monitorEventLoopDelay({ resolution: 1 });
  const wall0 = performance.now();
  const cpu0 = processCpuMs();
  const main0 = mainThreadCpuMs();
  eld.enable();
  for (let i = 0; i < n; i++) await poll();
  eld.disable();
  return {
    wall: (performance.now() - wall0) / n,
    total: (processCpuMs() - cpu0) / n,
    main: (mainThreadCpuMs() - main0) / n,
    stallMax: eld.max / 1e6,
  };
}

async function throughRefreshManager(workerScript) {
  const rm = new RefreshManager(shim.log, { workerScript });
  try {
    for (let i = 0; i < 3; i++) await rm.refresh('manual');
    const m = await measure(() => rm.refresh('manual'), POLLS);
    return { ...m, servers: rm.snapshot?.servers.length ?? 0, sockets: rm.snapshot?.sockets.length ?? 0 };
  } finally {
    rm.dispose();
  }
}

async function scenario(name) {
  const worker = await throughRefreshManager(WORKER);
  const inline = await throughRefreshManager(path.join(root, 'dist', 'no-such-worker.js'));
  await si.processes();
  const siPoll = await measure(() => Promise.all([si.processes(), si.networkConnections()]), SI_POLLS);
  return { name, processes: processCount(), worker, inline, si: siPoll };
}

const rows = [await scenario('at rest')];
const farms = [];
try {
  farms.push(await startFarm(300));
  rows.push(await scenario('+300 idle node (20 listening)'));
  if (!quick) {
    farms.push(await startFarm(700, 0));
    rows.push(await scenario('+1,000 idle node (20 listening)'));
  }
} catch (err) {
  console.log(`(skipped the loaded scenarios: ${err.message})`);
} finally {
  for (const f of farms) f.stop();
}

console.log(`\nPoll cost on ${machine()}; ${POLLS} polls each (systeminformation: ${SI_POLLS}); ms per poll.`);
console.log('main = CPU of the main thread (the extension host\'s, in VS Code); stall = longest event-loop delay; total = all threads + children.\n');
console.log('scenario                          procs | worker: main  stall  total   wall | inline: main  stall  total | si: total   wall | si/worker total');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(33)} ${String(r.processes).padStart(5)} |` +
    `${fmt(r.worker.main, 13, 2)}${fmt(r.worker.stallMax)}${fmt(r.worker.total)}${fmt(r.worker.wall)} |` +
    `${fmt(r.inline.main, 13)}${fmt(r.inline.stallMax)}${fmt(r.inline.total)} |` +
    `${fmt(r.si.total, 10)}${fmt(r.si.wall)} | ${fmt(r.si.total / r.worker.total, 13)}×`,
  );
}
if (process.env.BENCH_JSON) require('node:fs').writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine: machine(), rows }, null, 2));
process.exit(0);
