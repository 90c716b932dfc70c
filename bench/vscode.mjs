// `npm run bench` (part 3): the same figures from a real VS Code. Runs the code-server harness
// (out/test/vscode/runCodeServer.js) with only the "poll cost" suite test, at rest and with +1,000 idle node
// processes, and prints what the extension host measured about itself: activation (activate() entry → return, and
// → first snapshot rendered) and its main thread's CPU per poll (tid = pid, /proc/self/task/<pid>/schedstat).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fmt, load1, machine, onCleanup, startFarm } from './lib.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const harness = path.join(root, 'out', 'test', 'vscode', 'runCodeServer.js');
const quick = process.argv.includes('--quick');

function runHarness(outFile) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [harness], {
      cwd: root,
      env: { ...process.env, DSD_TEST_GREP: 'poll cost', DSD_BENCH_OUT: outFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The harness tears code-server, Chromium and its fixture down on SIGTERM.
    const off = onCleanup(() => { try { process.kill(child.pid, 'SIGTERM'); } catch { /* gone */ } });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    child.on('exit', (code) => { off(); resolve({ code, log }); });
  });
}

async function scenario(name) {
  const out = path.join(os.tmpdir(), `dsd-bench-vscode-${process.pid}.json`);
  fs.rmSync(out, { force: true });
  const load = load1();
  const { code, log } = await runHarness(out);
  if (!fs.existsSync(out)) {
    console.log(`${name}: no figures (harness exit ${code}); last lines:\n${log.split('\n').slice(-15).join('\n')}`);
    return null;
  }
  const r = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out, { force: true });
  return { name, load, ...r };
}

const missing = [harness, '/usr/bin/chromium', path.join(root, '.cache', 'code-server')].filter((p) => !fs.existsSync(p));
if (missing.length) {
  console.log(`VS Code bench skipped: ${missing.join(', ')} missing (npm run compile-tests; apt-get install chromium; the code-server cache).`);
  process.exit(0);
}
const rows = [];
const atRest = await scenario('at rest (fixture server running)');
if (atRest) rows.push(atRest);
if (!quick) {
  let farm;
  try {
    farm = await startFarm(1000);
    const loaded = await scenario('+1,000 idle node (20 listening)');
    if (loaded) rows.push(loaded);
  } catch (err) {
    console.log(`(skipped +1,000: ${err.message})`);
  } finally {
    farm?.stop();
  }
}
console.log(`\nInside VS Code ${rows[0]?.vscode ?? '?'} (code-server) on ${machine()}: the extension host measuring itself.`);
console.log('main = CPU of the extension host\'s main thread (tid = pid) while polling, everything it did included; quiet = the same');
console.log('with polling paused (interval 60 s); delivery = what handing each snapshot to the views, status bar and crash watcher took;');
console.log('ours = main-thread time per poll in a V8 CPU profile of a further window, in stacks through our bundle or a worker\'s message.\n');
console.log('scenario                          procs  load | polls interval | main ms/poll | main ms per 2 s | quiet ms per 2 s | delivery ms | ours ms/poll | worker poll ms | all threads/poll | activate ms (CPU) | first render ms');
for (const r of rows) {
  console.log(`${r.name.padEnd(33)} ${String(r.processes).padStart(5)}${fmt(r.load, 6)} | ${String(r.polls).padStart(5)} ${fmt(r.intervalMs / 1000, 6)} s |` +
    `${fmt(r.mainMsPerPoll, 13, 2)} |${fmt(r.mainMsPer2s, 16)} |${fmt(r.quietMainMsPer2s, 17)} |` +
    `${fmt(r.deliveryMs, 12, 2)} |${fmt(r.profiledMsPerPoll, 13, 2)} |${fmt(r.workerPollMs, 15)} |${fmt(r.allThreadsMsPerPoll, 17)} |${fmt(r.activateMs, 12)} ${fmt(r.activateCpuMs, 5)} |${fmt(r.firstRenderMs, 16, 0)}`);
}
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine: machine(), rows }, null, 2));
process.exit(0);
