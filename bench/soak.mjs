// Soak: real dev servers started, stopped and restarted the way a developer does for a while, watched by
// the Monitor, the DownDetector, the OOM-risk trend, the warning policy and the CrashWatcher.
// One app crashes on purpose now and then under its watcher (nodemon keeps running, the app dies at once, as
// a refused connection at start does): each such crash must get exactly one verdict, from the terminal's
// output; nothing else crashes, so every other "down" alarm, OOM-risk notification and verdict is a false alarm.
// Usage: node bench/soak.mjs [seconds=600] [compiled-dir=out]   (after `npm run compile-tests`)
// At the end one server is killed unannounced, a real outage that must raise exactly one alarm (the canary): its
// crash verdict, which covers the "down" warning of the same outage.
// Prints the false-alarm count last; exits 1 when it is not 0 or the canary stayed silent.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const seconds = Number(process.argv[2] ?? 600);
const outDir = path.resolve(process.argv[3] ?? 'out');
const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const require = createRequire(import.meta.url);
const load = (rel) => require(path.join(outDir, rel));
const { Monitor } = load('src/core/monitor.js');
const { createProbe } = load('src/core/system/probe.js');
const { DEFAULT_SETTINGS } = load('src/core/settings.js');
const { DownDetector } = load('src/core/early/downDetector.js');
const { RssTrend } = load('src/core/early/rssTrend.js');
const { WarningPolicy, diskWarnings, downWarning, oomRiskWarning } = load('src/core/early/policy.js');
const { Supervisor } = load('src/core/supervisor/supervisor.js');
const { CrashWatcher, MemoryOutputFeed } = load('src/core/crash/watcher.js');

/** Seconds between two developer actions. */
const ACTION_EVERY_MS = 8000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A fixed seed: a run can be repeated action for action.
let seed = 20_240_601;
function random() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const SERVER_JS = `
const srv = require('http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT || 0), '127.0.0.1');`;
// An app that crashes on purpose when the soak drops a flag file next to it (nodemon does not watch that file).
const CRASHY_JS = `${SERVER_JS}
const fs = require('fs');
const flag = __dirname + '/crash-now';
setInterval(() => { if (fs.existsSync(flag)) { fs.unlinkSync(flag); throw new Error('deliberate crash for the soak'); } }, 100);`;
// Healthy memory churn: 60 MB allocated and dropped every few seconds (a sawtooth, no leak).
const CHURN_JS = `${SERVER_JS}
let held = [];
setInterval(() => { held = held.length > 12 ? [] : held.concat([Buffer.alloc(5 * 1024 * 1024, 1)]); }, 300);`;

const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-soak-')));
const vitePort = await freePort();
const files = {
  'package.json': JSON.stringify({ name: 'soak', private: true, workspaces: ['packages/*'] }),
  'packages/plain/package.json': JSON.stringify({ name: 'plain', scripts: { start: 'node server.js' } }),
  'packages/plain/server.js': SERVER_JS,
  'packages/watched/package.json': JSON.stringify({ name: 'watched', scripts: { dev: 'nodemon --delay 0.2 server.js' } }),
  'packages/watched/server.js': SERVER_JS,
  'packages/churn/package.json': JSON.stringify({ name: 'churn', scripts: { start: 'node server.js' } }),
  'packages/churn/server.js': CHURN_JS,
  'packages/web/package.json': JSON.stringify({ name: 'web', scripts: { dev: `vite --host 127.0.0.1 --strictPort --port ${vitePort}` } }),
  'packages/web/index.html': '<!doctype html><title>web</title>',
  'packages/web/vite.config.js': 'export default {};\n',
  'packages/sup/package.json': JSON.stringify({ name: 'sup', scripts: { start: 'node server.js' } }),
  'packages/sup/server.js': SERVER_JS,
  'packages/crashy/package.json': JSON.stringify({ name: 'crashy', scripts: { dev: 'nodemon --delay 0.2 server.js' } }),
  'packages/crashy/server.js': CRASHY_JS,
};
for (const [rel, text] of Object.entries(files)) {
  fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
  fs.writeFileSync(path.join(ws, rel), text);
}
for (const dir of ['.', 'packages/plain', 'packages/watched', 'packages/churn', 'packages/web', 'packages/sup', 'packages/crashy']) {
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(ws, dir, 'node_modules'), 'dir');
}

const groups = new Set();
const supervisor = new Supervisor({ name: 'sup', command: 'node server.js', cwd: path.join(ws, 'packages/sup') });

function cleanup() {
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
  }
  const pid = supervisor.state.pid;
  if (pid) try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
  fs.rmSync(ws, { recursive: true, force: true });
}
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) process.on(signal, () => { cleanup(); process.exit(code); });

const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws], settings: DEFAULT_SETTINGS });
const detector = new DownDetector();
const trend = new RssTrend();
const policy = new WarningPolicy({ maxPerMinute: 1000 });
const alarms = [];
const crashyAlarms = [];
const other = [];
const verdicts = [];
// What the terminals print, as the editor's shell integration feeds it: crash lines trigger verdicts.
const feed = new MemoryOutputFeed();
const crashWatcher = new CrashWatcher(monitor, { feed, poll: () => monitor.pollOnce() });
const crashyDir = path.join(ws, 'packages/crashy');
/** Verdicts of the deliberate crashes, and their delays from the crash line (ms). */
const expectedVerdicts = [];
const delays = [];
crashWatcher.onVerdict((v) => {
  const line = `${new Date(v.time).toISOString()} verdict ${v.cause}: ${v.summary}`;
  policy.offerCrash(v);
  if (v.detail?.cwd === crashyDir && /deliberate crash/.test(v.summary)) {
    expectedVerdicts.push(line);
    if (v.detail.lineAt && v.detail.detectedAt) delays.push(v.detail.detectedAt - v.detail.lineAt);
    console.log(`  expected: ${line}`);
    return;
  }
  verdicts.push(line);
  console.log(`  ${line}`);
});
let polls = 0;
let ups = 0;
monitor.onEvent((e) => { if (e.type === 'server-up') ups++; });
monitor.onSnapshot((snap) => {
  polls++;
  trend.observe(snap);
  const down = detector.observe(snap);
  const shown = policy.evaluate([
    ...trend.risks(snap).map(oomRiskWarning),
    ...detector.active().map(downWarning),
    ...diskWarnings(snap.system, snap.workspaceFolders, DEFAULT_SETTINGS.thresholds.disk),
  ]);
  for (const w of shown) {
    const line = `${new Date(snap.takenAt).toISOString()} ${w.kind}: ${w.message}`;
    // The deliberately crashed app is really down: that alarm is right, not false.
    const deliberate = w.kind === 'down' && w.subject.startsWith(`${crashyDir}#`) && crashy.crashed;
    (deliberate ? crashyAlarms : w.kind === 'down' || w.kind === 'oom-risk' ? alarms : other).push(line);
    console.log(`  notification: ${line}`);
  }
  for (const a of down) {
    if (a.serverId.startsWith(`${crashyDir}#`) && crashy.crashed) continue;
    if (!shown.some((w) => w.kind === 'down' && w.subject === a.serverId)) alarms.push(`${a.message} (not notified)`);
  }
});

/** A server started the way a terminal does it: `npm run SCRIPT` in its own process group. */
class TerminalServer {
  constructor(pkg, script) {
    this.cwd = path.join(ws, 'packages', pkg);
    this.script = script;
    this.child = null;
  }

  get running() { return this.child !== null; }

  start() {
    const child = spawn('npm', ['run', this.script], { cwd: this.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.add(child.pid);
    const id = `terminal:${child.pid}`;
    feed.start(id, { label: `terminal: npm run ${this.script}`, pid: null, cwd: this.cwd, command: `npm run ${this.script}`, kind: 'terminal' });
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => feed.append(id, d.toString()));
    child.on('exit', (code, signal) => {
      groups.delete(child.pid);
      // A stop the user asked for (Ctrl-C) ends without an exit code in the terminal.
      feed.end(id, child.stopped ? undefined : code ?? 128 + (os.constants.signals[signal] ?? 0));
    });
    this.child = child;
  }

  /** Ctrl-C: SIGINT to the foreground group, which the editor learns from the terminal (announced). */
  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.stopped = true;
    detector.expectExit(child.pid, Date.now());
    try { process.kill(-child.pid, 'SIGINT'); } catch { /* gone */ }
    for (let i = 0; i < 50 && groups.has(child.pid); i++) await sleep(100);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
  }
}

const plain = new TerminalServer('plain', 'start');
const watched = new TerminalServer('watched', 'dev');
const churn = new TerminalServer('churn', 'start');
const web = new TerminalServer('web', 'dev');
const crashy = new TerminalServer('crashy', 'dev');
crashy.crashed = false;
let deliberateCrashes = 0;

const touch = (rel) => {
  const now = new Date();
  fs.utimesSync(path.join(ws, rel), now, now);
};

const actions = {
  'watcher restart (touch server.js)': async () => touch('packages/watched/server.js'),
  'crash the watched app on purpose, or fix it (save)': async () => {
    if (crashy.crashed) {
      touch('packages/crashy/server.js');
      await sleep(3000);
      crashy.crashed = false;
    } else {
      crashy.crashed = true;
      deliberateCrashes++;
      fs.writeFileSync(path.join(crashyDir, 'crash-now'), '');
    }
  },
  'vite restart (touch vite.config.js)': async () => touch('packages/web/vite.config.js'),
  'stop or start plain': async () => (plain.running ? plain.stop() : plain.start()),
  'quick restart of plain (Ctrl-C, up-arrow, Enter)': async () => { await plain.stop(); plain.start(); },
  'stop or start vite': async () => (web.running ? web.stop() : web.start()),
  'supervised restart': async () => {
    if (supervisor.state.pid) detector.expectExit(supervisor.state.pid, Date.now());
    await supervisor.restart();
  },
  'supervised stop or start': async () => {
    if (supervisor.state.pid) {
      detector.expectExit(supervisor.state.pid, Date.now());
      await supervisor.stop();
    } else {
      supervisor.start();
    }
  },
};
const names = Object.keys(actions);
const done = Object.fromEntries(names.map((n) => [n, 0]));

console.log(`soak: ${seconds} s in ${ws}, an action every ${ACTION_EVERY_MS / 1000} s`);
for (const s of [plain, watched, churn, web, crashy]) s.start();
supervisor.start();
monitor.start();
const end = Date.now() + seconds * 1000;
let falseAlarms = 0;
let falseVerdicts = 0;
let canary = 0;
try {
  await sleep(Math.min(10_000, seconds * 500));
  while (Date.now() < end) {
    const name = names[Math.floor(random() * names.length)];
    await actions[name]();
    done[name]++;
    await sleep(Math.min(ACTION_EVERY_MS, Math.max(0, end - Date.now())));
  }
  // The last outage of a run must have had the time to show: let the grace period pass.
  await sleep(7000);
  // Canary: a kill nobody announced is a real outage and must raise exactly one alarm, or the soak proves nothing.
  falseAlarms = alarms.length;
  await crashWatcher.idle();
  falseVerdicts = verdicts.length + Math.max(0, expectedVerdicts.length - deliberateCrashes);
  const verdictsBefore = verdicts.length;
  if (!plain.running) plain.start();
  await sleep(8000);
  const victim = plain.child;
  plain.child = null;
  try { process.kill(-victim.pid, 'SIGKILL'); } catch { /* gone */ }
  await sleep(9000);
  await crashWatcher.idle();
  // One incident, one alarm: the crash verdict, or the "down" warning when no verdict told it (a crash covers its down warning).
  canary = alarms.length - falseAlarms + (verdicts.length - verdictsBefore);
} finally {
  monitor.stop();
  crashWatcher.dispose();
  for (const s of [plain, watched, churn, web, crashy]) await s.stop();
  await supervisor.dispose();
  monitor.dispose();
  cleanup();
}

console.log('\nactions:');
for (const n of names) console.log(`  ${String(done[n]).padStart(4)}  ${n}`);
console.log(`polls: ${polls}; servers seen coming up: ${ups}`);
if (other.length) console.log(`other notifications (machine conditions, not false alarms): ${other.length}`);
for (const a of alarms.slice(0, falseAlarms)) console.log(`  false alarm: ${a}`);
console.log(`canary (plain killed unannounced at the end): ${canary} alarm(s), expected 1`);
for (const v of verdicts.slice(0, falseVerdicts)) console.log(`  false crash verdict: ${v}`);
console.log(`deliberate crashes under nodemon: ${deliberateCrashes}; their verdicts: ${expectedVerdicts.length} (down alarms for them: ${crashyAlarms.length})`);
if (delays.length) console.log(`crash line → verdict: ${delays.map((d) => `${d} ms`).join(', ')} (max ${Math.max(...delays)} ms)`);
console.log(`false crash verdicts: ${falseVerdicts}`);
console.log(`false alarms: ${falseAlarms}`);
const missed = deliberateCrashes - Math.min(deliberateCrashes, expectedVerdicts.length);
if (missed) console.log(`missed crashes (no verdict): ${missed}`);
process.exitCode = falseAlarms === 0 && falseVerdicts === 0 && canary === 1 && missed === 0 ? 0 : 1;
