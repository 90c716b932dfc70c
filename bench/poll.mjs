// `npm run bench` (part 1): what one poll costs, measured through the real RefreshManager (src/vscode/refreshManager.ts,
// with a stand-in for the `vscode` module) in its two modes — the poll worker thread (dist/pollWorker.js, what the
// extension runs) and inline on the calling thread (the old way) — against systeminformation processes() +
// networkConnections(), at rest, with +300 and with +1,000 idle node processes (20 listening on 127.0.0.1).
// Main thread = CPU of this process's main thread (tid = pid, /proc/self/task/<pid>/schedstat, ns resolution): in the
// extension host that is the thread every extension shares. Total = every thread plus reaped children
// (systeminformation spawns ps and ss). No event-loop delay monitor runs: its 1 ms timer would itself cost main-thread CPU.
// Usage: node bench/poll.mjs [compiled-dir] [--quick]
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fmt, load1, machine, mainThreadCpuMs, processCount, processCpuMs, startFarm } from './lib.mjs';
import { benchLog, installVscodeShim } from './vscodeShim.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? 'out');
const root = path.resolve(outDir, '..');
const WORKER = path.join(root, 'dist', 'pollWorker.js');
const POLLS = quick ? 10 : 40;
const SI_POLLS = quick ? 3 : 8;

installVscodeShim([root]);
const { RefreshManager } = require(path.join(outDir, 'src/vscode/refreshManager.js'));
const si = require('systeminformation');

/** systeminformation answers processes() from a cache when asked again within 500 ms: its polls are spaced out. */
const SI_GAP_MS = 700;

async function measure(poll, n, gapMs = 0) {
  let wall = 0;
  const cpu0 = processCpuMs();
  const main0 = mainThreadCpuMs();
  for (let i = 0; i < n; i++) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    const t0 = performance.now();
    await poll();
    wall += performance.now() - t0;
  }
  return {
    wall: wall / n,
    total: (processCpuMs() - cpu0) / n,
    main: (mainThreadCpuMs() - main0) / n,
  };
}

async function throughRefreshManager(workerScript) {
  const rm = new RefreshManager(benchLog, { workerScript });
  try {
    for (let i = 0; i < 3; i++) await rm.refresh('manual');
    const m = await measure(() => rm.refresh('manual'), POLLS);
    return { ...m, servers: rm.snapshot?.servers.length ?? 0, sockets: rm.snapshot?.sockets.length ?? 0 };
  } finally {
    rm.dispose();
  }
}

async function scenario(name) {
  const load = load1();
  const worker = await throughRefreshManager(WORKER);
  const inline = await throughRefreshManager(path.join(root, 'dist', 'no-such-worker.js'));
  await si.processes();
  const siPoll = await measure(() => Promise.all([si.processes(), si.networkConnections()]), SI_POLLS, SI_GAP_MS);
  return { name, load, processes: processCount(), worker, inline, si: siPoll };
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
console.log('main = CPU of the main thread (the extension host\'s, in VS Code); total = all threads + children; wall = one poll\'s latency.\n');
console.log('scenario                          procs  load | worker: main  total   wall | inline: main  total | si: total   wall | si/worker total');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(33)} ${String(r.processes).padStart(5)}${fmt(r.load, 6)} |` +
    `${fmt(r.worker.main, 13, 2)}${fmt(r.worker.total)}${fmt(r.worker.wall)} |` +
    `${fmt(r.inline.main, 13)}${fmt(r.inline.total)} |` +
    `${fmt(r.si.total, 10)}${fmt(r.si.wall)} | ${fmt(r.si.total / r.worker.total, 13)}×`,
  );
}
if (process.env.BENCH_JSON) require('node:fs').writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine: machine(), rows }, null, 2));
process.exit(0);
