// Shared by the benches: a farm of idle processes cleaned up by process group (also on SIGINT/SIGTERM), and CPU
// clocks for the whole process, its reaped children and the main thread alone.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Private memory an idle node process needs here (measured: ≈ 6.3 MB private dirty), with room to spare. */
const BYTES_PER_IDLE_NODE = 12 * 1024 * 1024;

const groups = new Set();
const cleanups = new Set();

/** Runs `fn` once at exit or on a signal (before the process groups are killed). */
export function onCleanup(fn) {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function killGroups() {
  for (const fn of cleanups) {
    try { fn(); } catch { /* best effort */ }
  }
  cleanups.clear();
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => { killGroups(); process.exit(code); });
}
process.on('exit', killGroups);

// The farm: one detached node process (its own process group) that starts N idle node children in that group,
// 20 of them listening on 127.0.0.1, and prints "ready" once all run.
const FARM = `
const { spawn } = require('child_process');
const [n, listening] = process.argv.slice(1).map(Number);
const IDLE = 'setInterval(() => {}, 1e9)';
const LISTEN = "require('net').createServer().listen(0, '127.0.0.1', () => console.log('l')); " + IDLE;
let listeningReady = 0;
let spawnedAll = false;
const check = () => { if (spawnedAll && listeningReady === listening) console.log('ready'); };
(async () => {
  for (let i = 0; i < n; i++) {
    const c = spawn(process.execPath, ['-e', i < listening ? LISTEN : IDLE], { cwd: require('os').tmpdir(), stdio: ['ignore', i < listening ? 'pipe' : 'ignore', 'inherit'] });
    if (i < listening) c.stdout.once('data', () => { listeningReady++; check(); });
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 150));
  }
  spawnedAll = true;
  check();
})();
setInterval(() => {}, 1e9);
`;

/** Starts `n` idle node processes outside any workspace; resolves when they run and have settled. */
export async function startFarm(n, listening = 20) {
  const needed = n * BYTES_PER_IDLE_NODE;
  if (os.freemem() < needed + 2 * 2 ** 30) {
    throw new Error(`${n} idle node processes need about ${(needed / 2 ** 30).toFixed(1)} GB free (+2 GB headroom); ${(os.freemem() / 2 ** 30).toFixed(1)} GB free`);
  }
  const farm = spawn(process.execPath, ['-e', FARM, String(n), String(listening)], { cwd: os.tmpdir(), detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  groups.add(farm.pid);
  await new Promise((resolve, reject) => {
    let out = '';
    farm.stdout.on('data', (d) => { out += d; if (out.includes('ready')) resolve(); });
    farm.once('exit', (code) => reject(new Error(`the process farm exited (${code})`)));
  });
  // Let their start-up CPU finish before anything is measured.
  await new Promise((r) => setTimeout(r, 4000));
  return {
    pgid: farm.pid,
    stop() {
      try { process.kill(-farm.pid, 'SIGKILL'); } catch { /* gone */ }
      groups.delete(farm.pid);
    },
  };
}

/** CPU of every thread of this process plus its reaped children (ps/ss spawned by systeminformation), in ms. */
export function processCpuMs() {
  const own = process.cpuUsage();
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childTicks = Number(f[13]) + Number(f[14]); // cutime + cstime, USER_HZ = 100
  return (own.user + own.system) / 1000 + childTicks * 10;
}

/** CPU of the main thread alone (tid = pid), in ms, from the scheduler's nanosecond clock. */
export function mainThreadCpuMs(pid = process.pid) {
  return Number(fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

export function processCount() {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).length;
}

export const fmt = (x, w = 7, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d)).padStart(w);

/** A short description of this machine, for the README's cost section. */
export function machine() {
  const cpu = os.cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, Linux ${os.release()}, Node ${process.version}`;
}

/** The 1-minute load average now (the machine is shared: every figure is printed with the load it was measured under). */
export function load1() {
  try {
    return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return null;
  }
}
