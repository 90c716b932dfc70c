// `npm run bench`: CPU of one monitor poll (the /proc probe plus building the snapshot: grouping, matching,
// alerts) against systeminformation processes() + networkConnections(), at rest and with 300 extra idle
// node processes (20 of them listening on 127.0.0.1), spawned here and killed by PID at the end.
// Usage: node bench/poll.mjs [compiled-dir]   (default 'out', as written by `npm run compile-tests`)
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const POLLS = 25;
const EXTRA_PROCESSES = 300;
const EXTRA_LISTENING = 20;
const IDLE = 'setInterval(() => {}, 1e9)';
const LISTEN = `require('net').createServer().listen(0, '127.0.0.1', () => console.log('ready')); ${IDLE}`;

const NET_TABLES = ['/proc/net/tcp', '/proc/net/tcp6'].filter((t) => fs.existsSync(t));

const require = createRequire(import.meta.url);
const outDir = path.resolve(process.argv[2] ?? 'out');
const { ProcfsProbe } = require(path.join(outDir, 'src/core/system/procfsProbe.js'));
const { Monitor } = require(path.join(outDir, 'src/core/monitor.js'));
const si = require('systeminformation');

const children = [];

function killAll() {
  for (const c of children.splice(0)) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) process.on(signal, () => { killAll(); process.exit(code); });
process.on('exit', killAll);

/** CPU of this process plus its reaped children (systeminformation spawns ps/ss), in ms. */
function cpuMs() {
  const own = process.cpuUsage();
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const childTicks = Number(f[13]) + Number(f[14]); // cutime + cstime, USER_HZ = 100
  return (own.user + own.system) / 1000 + childTicks * 10;
}

async function measure(poll, n) {
  const wall0 = performance.now();
  const cpu0 = cpuMs();
  for (let i = 0; i < n; i++) await poll();
  return { wall: (performance.now() - wall0) / n, cpu: (cpuMs() - cpu0) / n };
}

async function spawnExtra() {
  const needed = EXTRA_PROCESSES * 60 * 1024 * 1024;
  if (os.freemem() < needed) {
    throw new Error(`needs about ${(needed / 2 ** 30).toFixed(0)} GB free for ${EXTRA_PROCESSES} node processes; ${(os.freemem() / 2 ** 30).toFixed(1)} GB free`);
  }
  const ready = [];
  for (let i = 0; i < EXTRA_PROCESSES; i++) {
    const listening = i < EXTRA_LISTENING;
    // Outside the workspace, like the other programs of a busy machine.
    const c = spawn(process.execPath, ['-e', listening ? LISTEN : IDLE], { cwd: os.tmpdir(), stdio: ['ignore', listening ? 'pipe' : 'ignore', 'inherit'] });
    children.push(c);
    if (listening) ready.push(new Promise((resolve) => c.stdout.once('data', resolve)));
    if (i % 25 === 24) await new Promise((r) => setTimeout(r, 200));
  }
  await Promise.all(ready);
  // Let the idle ones finish starting up so their start-up CPU does not land in the measurement.
  await new Promise((r) => setTimeout(r, 3000));
}

async function scenario(name) {
  const diskPaths = [os.tmpdir(), process.cwd()];
  const probe = new ProcfsProbe();
  const first = await measure(() => probe.sample({ diskPaths }), 1);
  const procfs = await measure(() => probe.sample({ diskPaths }), POLLS);
  // The whole poll as the extension runs it, with this repository as the workspace.
  const monitor = new Monitor({ probe: new ProcfsProbe(), workspaceFolders: [process.cwd()] });
  await monitor.pollOnce();
  const mon = await measure(() => monitor.pollOnce(), POLLS);
  monitor.dispose();
  const siPoll = await measure(() => Promise.all([si.processes(), si.networkConnections()]), POLLS);
  // Reference: reading both TCP tables to the end walks the kernel's whole connection hash table twice.
  const tables = await measure(async () => NET_TABLES.map((t) => fs.readFileSync(t)), POLLS);
  const s = await probe.sample({ diskPaths });
  return { name, processes: s.processes.length, sockets: s.sockets.length, first, procfs, mon, si: siPoll, tables };
}

const f = (x) => x.toFixed(1).padStart(7);
const rows = [await scenario('at rest')];
await spawnExtra();
rows.push(await scenario(`+${EXTRA_PROCESSES} idle node (${EXTRA_LISTENING} listening)`));
killAll();

console.log(`\n${POLLS} polls each; ms per poll (CPU includes reaped children).`);
console.log('scenario                              procs socks | probe 1st wall/cpu  | probe wall/cpu  | monitor poll wall/cpu | si wall/cpu     | si/monitor cpu | ref: tcp+tcp6 whole wall/cpu');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(37)} ${String(r.processes).padStart(5)} ${String(r.sockets).padStart(5)} |` +
    `${f(r.first.wall)} /${f(r.first.cpu)}    |${f(r.procfs.wall)} /${f(r.procfs.cpu)} |` +
    `${f(r.mon.wall)} /${f(r.mon.cpu)}       |` +
    `${f(r.si.wall)} /${f(r.si.cpu)} | ${(r.si.cpu / r.mon.cpu).toFixed(1).padStart(12)}× |${f(r.tables.wall)} /${f(r.tables.cpu)}`,
  );
}
