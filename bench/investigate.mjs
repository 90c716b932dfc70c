// `npm run bench` (part 2): Investigate Crash with 10 verdicts, and the disk scan of a large tree against `du -s`.
// Investigate: a temp workspace of 10 projects, each with a log holding a real crash captured in test/fixtures
// (heap OOM, EADDRINUSE, ENOSPC, MODULE_NOT_FOUND…), judged the way the command does it: investigate() with the
// default kernel reader, then the markdown report and the saved .md/.json. Disk: scanDiskCandidates() sizing a
// copy of this repository's node_modules (every file stat-ed, as Free Disk Space does), against
// `du -s` of the same folder; warm caches, median of 5.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fmt, load1, machine, onCleanup } from './lib.mjs';

const require = createRequire(import.meta.url);
const outDir = path.resolve(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'out');
const root = path.resolve(outDir, '..');
const { investigate } = require(path.join(outDir, 'src/core/crash/investigate.js'));
const { renderMarkdown, saveReport } = require(path.join(outDir, 'src/core/crash/report.js'));
const { scanDiskCandidates } = require(path.join(outDir, 'src/core/remedies/disk/index.js'));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-bench-'));
onCleanup(() => fs.rmSync(tmp, { recursive: true, force: true }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROUNDS = 5;

// --- Investigate Crash with 10 verdicts ---
const fixtures = path.join(root, 'test', 'fixtures', 'crash-output');
// Captures whose text names the cause (a SIGSEGV or a kernel kill shows only in the exit status or the kernel log),
// repeated from the start up to 10 crashes: another app may crash of the same cause.
const named = fs.readdirSync(fixtures).filter((f) => f.endsWith('.txt') && !/^(kernel-|sigsegv)/.test(f)).sort();
const crashes = Array.from({ length: 10 }, (_, i) => named[i % named.length]);
const ws = path.join(tmp, 'ws');
const now = Date.now();
crashes.forEach((file, i) => {
  const dir = path.join(ws, `app${i}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `app${i}`, scripts: { dev: 'node server.js' } }));
  const log = path.join(dir, 'dev.log');
  fs.copyFileSync(path.join(fixtures, file), log);
  // A minute apart, so no two count as the same crash.
  const t = new Date(now - (i + 1) * 60_000);
  fs.utimesSync(log, t, t);
});
const reportDir = path.join(tmp, 'reports');
// Without the kernel log (exactly the 10 crashes of the logs), then with this machine's real kernel log, whose
// OOM kills (other tests') add verdicts of their own.
const noKernel = async () => ({ records: [], faults: [], kernelRead: false, kernelSource: null, sources: [], problems: [] });
async function investigateTimes(readKernel) {
  const times = [];
  let verdicts = 0;
  for (let i = 0; i < ROUNDS + 1; i++) {
    const t0 = performance.now();
    const inv = await investigate({ workspaceFolders: [ws], sinceMs: now - 24 * 3600_000, ...(readKernel ? { readKernel } : {}) });
    renderMarkdown(inv);
    saveReport(inv, [reportDir]);
    if (i > 0) times.push(performance.now() - t0);
    verdicts = inv.verdicts.length;
  }
  return { verdicts, ms: median(times) };
}
const logsOnly = await investigateTimes(noKernel);
const withKernel = await investigateTimes(null);

// --- Disk scan vs du -s ---
const tree = path.join(tmp, 'big', 'node_modules');
fs.mkdirSync(path.dirname(tree), { recursive: true });
fs.writeFileSync(path.join(tmp, 'big', 'package.json'), '{"name":"big"}');
// A real copy: hard links would make every file look shared (nlink > 1), which both tools treat specially.
execFileSync('cp', ['-a', path.join(root, 'node_modules'), tree]);
const entries = Number(execFileSync('sh', ['-c', `find "${tree}" | wc -l`]).toString().trim());
const scanTimes = [];
const duTimes = [];
let scanBytes = 0;
let duBytes = 0;
const diskLoad = load1();
for (let i = 0; i < ROUNDS + 1; i++) {
  let t0 = performance.now();
  const scan = await scanDiskCandidates([path.join(tmp, 'big')], { staleNodeModulesDays: 0 });
  const scanMs = performance.now() - t0;
  t0 = performance.now();
  const du = spawnSync('du', ['-s', '-B1', tree], { encoding: 'utf8' });
  const duMs = performance.now() - t0;
  if (i === 0) continue; // warm-up of the page and dentry caches for both
  scanTimes.push(scanMs);
  duTimes.push(duMs);
  scanBytes = scan.byKind.node_modules.bytes;
  duBytes = Number(du.stdout.split(/\s/)[0]);
}
fs.rmSync(tmp, { recursive: true, force: true });

console.log(`\nOn ${machine()}; median of ${ROUNDS} after a warm-up.`);
console.log(`Investigate Crash (investigate + markdown + saved .md/.json), ${crashes.length} crash logs: ${logsOnly.verdicts} verdicts in ${fmt(logsOnly.ms, 0)} ms; ` +
  `with this machine's kernel log too: ${withKernel.verdicts} verdicts in ${fmt(withKernel.ms, 0)} ms`);
console.log(`Disk scan of node_modules (${entries} entries): scanDiskCandidates ${fmt(median(scanTimes), 0)} ms, du -s ${fmt(median(duTimes), 0)} ms ` +
  `→ ${(median(scanTimes) / median(duTimes)).toFixed(2)}× du (load ${diskLoad}); sizes ${(scanBytes / 2 ** 20).toFixed(0)} MB vs du ${(duBytes / 2 ** 20).toFixed(0)} MB`);
if (process.env.BENCH_JSON) {
  fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine: machine(), investigate: { logsOnly, withKernel }, disk: { entries, scanMs: median(scanTimes), duMs: median(duTimes), scanBytes, duBytes } }, null, 2));
}
process.exit(0);
