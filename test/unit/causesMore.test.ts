// The newer causes and the memory kind, on real output captured on this machine (test/fixtures, see MANIFEST.md).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseKernelLog } from '../../src/core/crash/kernelLog';
import { classifyOutput, type ExitStatus, type OutputFinding } from '../../src/core/crash/output';
import { lastRunEvents, parseGcTrace } from '../../src/core/crash/causes/gcTrace';
import { classifyMemory, type MemoryPoint } from '../../src/core/crash/causes/memoryKind';
import { findVersionManagers, parseMaxProcesses, pidsCgroupPath, readNodeRequirements, readProcessLimit, type CauseFacts } from '../../src/core/crash/causes/facts';
import { satisfies, switchCommand, unmetRequirement } from '../../src/core/crash/causes/verdictCauses';
import { buildCacheRefusal, withSnapshotFlags } from '../../src/core/crash/causes/moreRemedies';
import { decideVerdict, type CrashCandidate, type CrashEvidence } from '../../src/core/crash/verdict';
import type { CauseId, Verdict } from '../../src/core/crash/types';
import { detectMemoryCeiling, devcontainerDiff, readMemoryCeiling, wslconfigText } from '../../src/core/system/memoryCeiling';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
const read = (...p: string[]): string => fs.readFileSync(fixture(...p), 'utf8');
const MB = 1024 * 1024;

function crash(name: string): { text: string; exit: ExitStatus } {
  const n = Number(/exit=(\d+)/.exec(read('crash-output', `${name}.exit`))![1]);
  return { text: read('crash-output', `${name}.txt`), exit: n === 124 ? { code: null, signal: null, running: true } : { code: n, signal: null } };
}

const findings = (name: string): OutputFinding[] => {
  const { text, exit } = crash(name);
  return classifyOutput(text, exit);
};

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);
const candidate = (over: Partial<CrashCandidate> = {}): CrashCandidate => ({
  server: 'shop-api · dev', serverId: '/home/dev/shop-api#dev', cwd: '/home/dev/shop-api', pids: [4242], time: T0, startedAt: T0 - 5000, ...over,
});

function verdictOf(name: string, facts?: CauseFacts, over: Partial<CrashCandidate> = {}, ev: Partial<CrashEvidence> = {}): Verdict {
  const { text, exit } = crash(name);
  const v = decideVerdict(candidate({ exit: exit.running ? undefined : exit, ...over }), {
    outputs: [{ source: 'output', location: 'terminal: bash', time: T0, findings: classifyOutput(text, exit) }], facts, ...ev,
  });
  assert.ok(v, `a verdict for ${name}`);
  return v;
}

/** Fixtures of the newer causes and what classifyOutput must find first. */
export const MORE_EXPECTED: Record<string, CauseId> = {
  'native-abi-mismatch': 'native-abi-mismatch',
  'native-invalid-elf': 'native-abi-mismatch',
  'esbuild-other-platform': 'native-abi-mismatch',
  'node-version-unknown-builtin': 'node-version-mismatch',
  'node-version-missing-api': 'uncaught-exception',
  'node-version-syntax': 'uncaught-exception',
  'eacces-port-80': 'port-permission',
  'spawn-eagain': 'process-limit',
  'bash-fork-eagain': 'process-limit',
  'node-start-eagain': 'process-limit',
  // A refused connection names the service it needed (dependency-refused) unless the socket table shows the
  // other loopback family listening (then localhost-ipv6, below).
  'localhost-ipv6-http': 'dependency-refused',
  'localhost-ipv6-fetch': 'dependency-refused',
  'localhost-ipv4-refused': 'dependency-refused',
  'inspector-port-in-use': 'inspector-port-in-use',
  'heap-oom-undersized': 'heap-oom',
  'heap-oom-leak': 'heap-oom',
  'native-growth-oom-kill': 'killed',
};

describe('newer causes: classifyOutput on captured output', () => {
  for (const [name, cause] of Object.entries(MORE_EXPECTED)) {
    it(`${name} → ${cause} first`, () => assert.equal(findings(name)[0]?.cause, cause));
  }

  it('ABI mismatch names the module, both ABIs and the Node that ran it', () => {
    const [f] = findings('native-abi-mismatch');
    assert.deepEqual([f.confidence, f.detail?.package, f.detail?.builtAbi, f.detail?.runningAbi, f.detail?.nodeVersion], ['high', 'better-sqlite3', 115, 127, '22.23.5']);
    assert.ok(f.lines.some((l) => l.includes('NODE_MODULE_VERSION 115')));
  });

  it('esbuild for another platform: both platform packages', () => {
    const [f] = findings('esbuild-other-platform');
    assert.deepEqual([f.detail?.platformFound, f.detail?.platformWanted], ['@esbuild/darwin-arm64', '@esbuild/linux-x64']);
  });

  it('a missing API or syntax is only a suspicion (low) next to the exception; an unknown built-in is medium on its own', () => {
    assert.deepEqual(findings('node-version-missing-api').map((f) => [f.cause, f.confidence]), [['uncaught-exception', 'medium'], ['node-version-mismatch', 'low']]);
    assert.equal(findings('node-version-missing-api')[1].detail?.api, 'Promise.withResolvers');
    assert.deepEqual(findings('node-version-unknown-builtin').map((f) => [f.cause, f.confidence, f.detail?.api]), [['node-version-mismatch', 'medium', 'node:sqlite']]);
  });

  it('EACCES on port 80 as nobody: port-permission with the port and address', () => {
    const [f] = findings('eacces-port-80');
    assert.deepEqual([f.detail?.port, f.detail?.address], [80, '0.0.0.0']);
  });

  it('process limit: spawn EAGAIN, bash fork retry, and node\'s own thread creation failing at start', () => {
    assert.equal(findings('spawn-eagain')[0].detail?.syscall, 'spawn sleep');
    assert.equal(findings('bash-fork-eagain')[0].detail?.syscall, 'fork');
    assert.deepEqual(findings('node-start-eagain').map((f) => f.cause), ['process-limit', 'native-crash']);
  });

  it('the inspector line is not the server\'s port in use', () => {
    const f = findings('inspector-port-in-use');
    assert.deepEqual(f.map((x) => x.cause), ['inspector-port-in-use']);
    assert.equal(f[0].detail?.port, 45229);
  });

  it('refused on ::1 / 127.0.0.1: a low suspicion with the address and port', () => {
    assert.deepEqual(findings('localhost-ipv6-http')[1].detail, { syscall: 'connect', address: '::1', port: 45301 });
    assert.deepEqual(findings('localhost-ipv6-fetch')[1].detail, { syscall: 'connect', address: '::1', port: 45301 });
    assert.equal(findings('localhost-ipv4-refused')[1].detail?.address, '127.0.0.1');
  });

  it('stale build cache: Next\'s chunk missing inside .next, not a missing module', () => {
    const text = [
      'Error: Cannot find module \'./948.js\'',
      'Require stack:',
      '- /home/dev/shop-web/.next/server/webpack-runtime.js',
      '- /home/dev/shop-web/.next/server/app/page.js',
      '    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)',
      '    at /home/dev/shop-web/.next/server/webpack-runtime.js:1:1',
    ].join('\n');
    const [f] = classifyOutput(text, { code: null, signal: null, running: true });
    assert.deepEqual([f.cause, f.detail?.cacheDir, f.detail?.framework], ['stale-build-cache', '/home/dev/shop-web/.next', 'next']);
    // A relative require outside .next stays a missing module.
    assert.equal(classifyOutput('Error: Cannot find module \'./948.js\'\nRequire stack:\n- /home/dev/app/server.js\n', { code: 1, signal: null })[0].cause, 'missing-module');
  });

  it('next build while next dev serves the same folder (captured): stale-build-cache in .next', () => {
    const text = read('dev-server-output', 'next-dev-during-build.txt');
    const [f] = classifyOutput(text, { code: null, signal: null, running: true });
    assert.deepEqual([f.cause, f.detail?.cacheDir, f.detail?.framework], ['stale-build-cache', '/home/dev/shop-web/.next', 'next']);
    const v = decideVerdict(candidate({ cwd: '/home/dev/shop-web', exit: { code: 1, signal: null } }), {
      outputs: [{ source: 'log-file', location: 'logs/dev.log', time: T0, findings: classifyOutput(text, { code: null, signal: null }) }],
      facts: { cacheWriters: [{ pid: 13500, command: 'node /home/dev/shop-web/node_modules/.bin/next build' }] },
    });
    assert.equal(v?.cause, 'stale-build-cache');
    assert.equal(v?.detail?.cacheDir, '/home/dev/shop-web/.next');
    assert.match(v!.summary, /failed reading its next build cache \(\/home\/dev\/shop-web\/\.next\), which pid 13500 \(node \/home\/dev\/shop-web\/node_modules\/\.bin\/next build\) is writing at the same time/);
  });

  it('GC trace: glued lines parsed, pid and times kept', () => {
    const gc = parseGcTrace(crash('heap-oom-leak').text);
    assert.deepEqual(gc.map((e) => [e.pid, e.ms, e.kind, e.afterMB]), [[17106, 270456, 'Mark-Compact (reduce)', 95.1], [17106, 271576, 'Mark-Compact (reduce)', 95.1]]);
    assert.equal(parseGcTrace(crash('native-growth-oom-kill').text).length, 7);
    assert.equal(lastRunEvents([{ pid: 1, ms: 900, kind: 'Scavenge', beforeMB: 1, afterMB: 1 }, { pid: 1, ms: 5, kind: 'Scavenge', beforeMB: 1, afterMB: 1 }]).length, 1);
  });
});

describe('newer causes: verdicts settled by the machine\'s facts', () => {
  it('native-abi-mismatch: module, both Node versions, rebuild first', () => {
    const v = verdictOf('native-abi-mismatch');
    assert.deepEqual([v.cause, v.confidence], ['native-abi-mismatch', 'high']);
    assert.equal(v.summary, 'shop-api · dev could not load better-sqlite3: it was compiled for Node 20 (ABI 115) but runs on Node 22.23.5 (ABI 127)');
    assert.equal(v.detail?.builtForNode, 20);
  });

  it('node-version-mismatch: .nvmrc / engines read from disk turn a missing API into the cause', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-nv-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'shop-api', engines: { node: '>=22.5' } }));
      fs.writeFileSync(path.join(dir, '.nvmrc'), '22\n');
      const reqs = readNodeRequirements(dir);
      assert.deepEqual(reqs.map((r) => [r.source, r.range]), [['engines.node', '>=22.5'], ['.nvmrc', '22']]);
      const v = verdictOf('node-version-missing-api', { nodeRequirements: reqs, versionManagers: [{ name: 'fnm', at: '/usr/local/bin/fnm' }] });
      assert.deepEqual([v.cause, v.confidence, v.detail?.requiredNode?.range, v.detail?.versionManager], ['node-version-mismatch', 'high', '>=22.5', 'fnm']);
      assert.match(v.summary, /runs on Node 20\.20\.2 but engines\.node asks for >=22\.5: it crashed on something that Node lacks \(Promise\.withResolvers\)/);
      // Without a declared version the exception stands.
      assert.equal(verdictOf('node-version-missing-api', { nodeRequirements: [] }).cause, 'uncaught-exception');
      // A project that asks for the Node it ran on: not a version problem.
      assert.equal(verdictOf('node-version-missing-api', { nodeRequirements: [{ source: '.nvmrc', file: 'x', range: 'v20.11.0' }] }).cause, 'uncaught-exception');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('switch commands per version manager', () => {
    const nvmrc = { source: '.nvmrc' as const, file: '.nvmrc', range: '22' };
    const engines = { source: 'engines.node' as const, file: 'package.json', range: '>=22.5 <23' };
    assert.equal(switchCommand(nvmrc, { name: 'nvm', at: '' }), 'nvm install && nvm use');
    assert.equal(switchCommand(engines, { name: 'nvm', at: '' }), 'nvm install 22 && nvm use 22');
    assert.equal(switchCommand(engines, { name: 'volta', at: '' }), 'volta pin node@22');
    assert.equal(switchCommand(nvmrc, { name: 'fnm', at: '' }), 'fnm use --install-if-missing');
    assert.match(switchCommand(nvmrc, null), /no nvm, fnm or volta was found/);
    assert.equal(satisfies('20.20.2', { source: '.nvmrc', file: '', range: 'lts/*' }), null);
    assert.equal(unmetRequirement('22.6.0', [engines]), null);
    assert.equal(unmetRequirement('22.1.0', [engines])?.range, '>=22.5 <23');
  });

  it('version managers found where they install themselves', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-home-'));
    try {
      assert.deepEqual(findVersionManagers({ PATH: '' }, home), []);
      fs.mkdirSync(path.join(home, '.nvm'));
      fs.writeFileSync(path.join(home, '.nvm', 'nvm.sh'), '');
      fs.mkdirSync(path.join(home, '.volta', 'bin'), { recursive: true });
      fs.writeFileSync(path.join(home, '.volta', 'bin', 'volta'), '', { mode: 0o755 });
      assert.deepEqual(findVersionManagers({ PATH: '' }, home).map((m) => m.name), ['nvm', 'volta']);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  it('localhost-ipv6: a listener on 127.0.0.1 only makes the refusal on ::1 the cause; none, or a dual-stack one, does not', () => {
    const v4 = { family: 4 as const, address: '127.0.0.1', port: 45301, inode: 1, pid: 777 };
    const v = verdictOf('localhost-ipv6-http', { listeners: [v4] });
    assert.deepEqual([v.cause, v.confidence, v.detail?.listeners?.[0].pid], ['localhost-ipv6', 'high', 777]);
    assert.match(v.summary, /connected to \[::1\]:45301 and was refused: the service listens on 127\.0\.0\.1 only \(pid 777\)/);
    assert.ok(v.evidence.some((e) => e.source === 'socket-table'));
    assert.equal(verdictOf('localhost-ipv6-http', { listeners: [] }).cause, 'dependency-refused');
    assert.equal(verdictOf('localhost-ipv6-http', { listeners: [{ ...v4, family: 6, address: '::' }] }).cause, 'dependency-refused');
    const r = verdictOf('localhost-ipv4-refused', { listeners: [{ ...v4, family: 6, address: '::1', port: 45302 }] });
    assert.deepEqual([r.cause, r.detail?.address], ['localhost-ipv6', '127.0.0.1']);
  });

  it('port-permission: below 1024 in plain words', () => {
    const v = verdictOf('eacces-port-80');
    assert.equal(v.summary, 'shop-api · dev may not listen on port 80: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability');
  });

  it('process-limit: counts and holders in the summary and evidence', () => {
    const facts: CauseFacts = { processLimit: { uid: 1000, userTasks: 30, ulimit: 96364, cgroup: { path: '/dsd-cap', max: 30, current: 30 },
      holders: [{ pid: 900, command: 'node server.js', tasks: 29, zombieChildren: 22 }] } };
    const v = verdictOf('spawn-eagain', facts);
    assert.equal(v.summary, 'shop-api · dev could not start a process or thread: the process limit is reached (pids.max 30 of cgroup /dsd-cap; 30 in use now); pid 900 holds 22 zombie children');
    assert.ok(v.evidence.some((e) => e.text.includes('pid 900 (node server.js) holds 29 (22 zombie children)')));
  });

  it('process-limit readers on captured /proc text', () => {
    assert.equal(parseMaxProcesses(read('proc', 'limits', 'self.limits')), 96364);
    assert.equal(parseMaxProcesses('Max processes             unlimited            unlimited            processes\n'), null);
    assert.deepEqual(pidsCgroupPath(read('proc', 'limits', 'self.cgroup')), { path: '/', v1: true });
    assert.deepEqual(pidsCgroupPath('0::/user.slice/user-1000.slice/session-2.scope\n'), { path: '/user.slice/user-1000.slice/session-2.scope', v1: false });
    assert.equal(readProcessLimit(process.pid, '/nonexistent-proc'), null);
  });

  it('inspector-port-in-use: the holder named; the editor\'s own debugger flagged', () => {
    const holders = [{ port: 45229, pid: 31337, command: '/usr/share/code/code --type=utility --inspect-port=45229' }];
    const v = verdictOf('inspector-port-in-use', { editorPids: [31337] }, {}, { portHolders: holders });
    assert.deepEqual([v.cause, v.detail?.holderIsEditor, v.detail?.port], ['inspector-port-in-use', true, 45229]);
    assert.match(v.summary, /inspector port 45229 is already in use by the editor's own debugger/);
    const other = verdictOf('inspector-port-in-use', { editorPids: [] }, {}, { portHolders: [{ port: 45229, pid: 555, command: 'node --inspect server.js' }] });
    assert.equal(other.detail?.holderIsEditor, undefined);
    assert.match(other.summary, /by pid 555 \(node --inspect server\.js\)/);
  });
});

describe('memory kind: undersized, leak, native growth', () => {
  const leakSamples = (minutes: number, from: number, perMin: number): MemoryPoint[] =>
    Array.from({ length: minutes * 6 + 1 }, (_, i) => ({ time: T0 - minutes * 60_000 + i * 10_000, bytes: from + (perMin * i) / 6 }));

  it('undersized: the heap full 2 s after the start (captured GC trace); raising the heap helps', () => {
    const v = verdictOf('heap-oom-undersized', undefined, { heapLimitBytes: 64 * MB, uptimeMs: null });
    assert.equal(v.memoryKind?.kind, 'undersized');
    assert.deepEqual([v.memoryKind?.confidence, v.memoryKind?.raiseHeapHelps, v.memoryKind?.uptimeMs], ['high', 'yes', 2013]);
    assert.match(v.summary, /heap too small \(limit 64 MB\): a larger heap limit fixes it$/);
  });

  it('leak: 4.5 minutes of rising samples before the captured heap OOM; a larger heap only delays it', () => {
    const v = verdictOf('heap-oom-leak', { availableBytes: 8 * 1024 * MB, diskFreeBytes: 20 * 1024 * MB }, { heapLimitBytes: 96 * MB, uptimeMs: 272_000, startedAt: T0 - 272_000, samples: leakSamples(4, 40 * MB, 14 * MB) });
    const k = v.memoryKind!;
    assert.deepEqual([k.kind, k.confidence, k.raiseHeapHelps, k.snapshot?.possible], ['leak', 'high', 'stopgap', true]);
    assert.ok(Math.abs(k.growthBytesPerMin! - 14 * MB) < MB, `${k.growthBytesPerMin}`);
    assert.match(v.summary, /— leak: a larger heap only delays it$/);
  });

  it('leak without room for a snapshot says why', () => {
    const k = classifyMemory({ cause: 'heap-oom', gc: [], samples: leakSamples(3, 500 * MB, 100 * MB), uptimeMs: 200_000, heapUsedBytes: null,
      heapLimitBytes: 2048 * MB, rssBytes: null, ceilingBytes: null, availableBytes: 1024 * MB, diskFreeBytes: 50 * 1024 * MB });
    assert.equal(k.snapshot?.possible, false);
    assert.match(k.snapshot!.reason, /needs about 4\.0 GB of free memory; 1\.0 GB is available/);
  });

  it('the same heap OOM without samples after minutes: unknown, and it says why', () => {
    const v = verdictOf('heap-oom-leak', undefined, { heapLimitBytes: 96 * MB, uptimeMs: null });
    assert.deepEqual([v.memoryKind?.kind, v.memoryKind?.raiseHeapHelps], ['unknown', 'unknown']);
  });

  it('flat for minutes, then full: one big step, undersized (medium)', () => {
    const flat = Array.from({ length: 13 }, (_, i) => ({ time: T0 - 120_000 + i * 10_000, bytes: 300 * MB + (i % 2) * MB }));
    const k = classifyMemory({ cause: 'heap-oom', gc: [], samples: flat, uptimeMs: 600_000, heapUsedBytes: null, heapLimitBytes: 512 * MB, rssBytes: null, ceilingBytes: null });
    assert.deepEqual([k.kind, k.confidence, k.raiseHeapHelps], ['undersized', 'medium', 'yes']);
  });

  it('native growth: killed by the kernel at 159 MB RSS while --trace-gc shows a 3.3 MB heap (captured run + its dmesg)', () => {
    const [rec] = parseKernelLog(read('kernel-log', 'native-growth-oom-kill.dmesg.txt'), { bootTimeMs: T0 - 2145_000 });
    assert.equal(rec.pid, 17313);
    const v = verdictOf('native-growth-oom-kill', undefined, { pids: [17313], startedAt: T0 - 10_000, heapLimitBytes: 64 * MB, cgroup: { path: '/dsd-cap', limitBytes: 160 * MB, oomKillsBefore: 0, oomKillsAfter: 1 } },
      { oom: [rec], kernelRead: true });
    assert.equal(v.cause, 'oom-kill');
    const k = v.memoryKind!;
    assert.deepEqual([k.kind, k.confidence, k.raiseHeapHelps], ['native-growth', 'high', 'no']);
    assert.ok(k.outsideHeapBytes! > 150 * MB);
    assert.match(k.why, /killed at 159 MB RSS while its V8 heap held only 3 MB: about 156 MB lived outside the heap/);
  });

  it('native growth from the heap limit alone (no GC trace): medium', () => {
    const k = classifyMemory({ cause: 'oom-kill', gc: [], samples: [], uptimeMs: 30_000, heapUsedBytes: null, heapLimitBytes: 64 * MB, rssBytes: 250 * MB, ceilingBytes: 256 * MB });
    assert.deepEqual([k.kind, k.confidence, k.raiseHeapHelps], ['native-growth', 'medium', 'no']);
  });

  it('an OOM kill whose heap limit is above the ceiling: raising the heap cannot help', () => {
    const k = classifyMemory({ cause: 'oom-kill', gc: [], samples: [], uptimeMs: 30_000, heapUsedBytes: null, heapLimitBytes: 2048 * MB, rssBytes: 250 * MB, ceilingBytes: 256 * MB });
    assert.deepEqual([k.kind, k.raiseHeapHelps], ['unknown', 'no']);
  });
});

describe('memory ceilings that are not this machine\'s', () => {
  const env = {};
  it('this machine (captured /proc, /.dockerenv present here): a container', () => {
    const c = readMemoryCeiling({ procRoot: fixture('proc', 'this-machine'), root: '/', env, cgroupLimitBytes: null });
    assert.equal(c.where, fs.existsSync('/.dockerenv') ? 'container' : 'machine');
    assert.ok(c.limitBytes! > 0);
  });

  it('WSL 2: the VM\'s MemTotal is the ceiling; .wslconfig lines with autoMemoryReclaim=gradual, no BOM, then wsl --shutdown', () => {
    const c = readMemoryCeiling({ procRoot: fixture('proc', 'wsl2'), root: fixture('proc', 'wsl2'), env: { WSL_DISTRO_NAME: 'Ubuntu', WSL_INTEROP: '/run/WSL/1_interop' } });
    assert.equal(c.where, 'wsl2');
    assert.equal(c.limitBytes, 8029772 * 1024);
    assert.equal(c.remedy?.text, '[wsl2]\nmemory=12GB\n\n[experimental]\nautoMemoryReclaim=gradual\n');
    assert.equal(c.remedy?.text.charCodeAt(0), '['.charCodeAt(0), 'no BOM');
    assert.deepEqual(c.remedy?.then.slice(0, 2), ['Save it as UTF-8 without BOM (Notepad: "UTF-8", not "UTF-8 with BOM")', 'In PowerShell: wsl --shutdown']);
    assert.equal(wslconfigText(16).split('\n')[1], 'memory=16GB');
  });

  it('a dev container: runArgs --memory as a diff of the workspace\'s devcontainer.json (comments kept)', () => {
    const text = '{\n  // the app\n  "name": "shop",\n  "image": "mcr.microsoft.com/devcontainers/javascript-node:22",\n  "runArgs": ["--init", "--memory=2g"]\n}\n';
    const c = detectMemoryCeiling({ procVersion: read('proc', 'this-machine', 'version'), memTotalBytes: 24 * 1024 * MB, cgroupLimitBytes: 2048 * MB,
      env: { REMOTE_CONTAINERS: 'true' }, containerMarker: true, devcontainer: { file: '.devcontainer/devcontainer.json', text } });
    assert.equal(c.where, 'devcontainer');
    assert.equal(c.limitBytes, 2048 * MB);
    const diff = c.remedy!.text.split('\n');
    assert.deepEqual(diff.slice(0, 3), ['--- a/.devcontainer/devcontainer.json', '+++ b/.devcontainer/devcontainer.json', '@@ -3,5 +3,9 @@']);
    assert.ok(diff.includes('-  "runArgs": ["--init", "--memory=2g"]'), c.remedy!.text);
    assert.deepEqual(diff.filter((l) => l.startsWith('+ ')), ['+  "runArgs": [', '+    "--init",', '+    "--memory=4g",', '+    "--memory-swap=4g"', '+  ]']);
    assert.ok(diff.includes('   "name": "shop",') && !diff.some((l) => l.includes('// the app') && l.startsWith('-')), 'comments and the rest kept');
  });

  it('Codespaces: hostRequirements.memory as a diff', () => {
    const c = detectMemoryCeiling({ procVersion: read('proc', 'this-machine', 'version'), memTotalBytes: 8 * 1024 * MB, cgroupLimitBytes: null,
      env: { CODESPACES: 'true' }, containerMarker: true, devcontainer: null });
    assert.equal(c.where, 'codespaces');
    assert.match(c.remedy!.text, /\+ {2}"hostRequirements": \{\n\+ {4}"memory": "12gb"\n\+ {2}\}/);
    assert.equal(devcontainerDiff(null, 8, true).file, '.devcontainer/devcontainer.json');
  });

  it('Docker Desktop\'s VM (linuxkit kernel) and Gitpod', () => {
    const dd = readMemoryCeiling({ procRoot: fixture('proc', 'docker-desktop'), root: fixture('proc', 'docker-desktop'), env });
    assert.deepEqual([dd.where, dd.limitBytes], ['docker-desktop', 4011308 * 1024]);
    assert.match(dd.remedy!.text, /Settings → Resources → Memory limit: 6 GB/);
    const gp = detectMemoryCeiling({ procVersion: read('proc', 'this-machine', 'version'), memTotalBytes: 8 * 1024 * MB, cgroupLimitBytes: 4096 * MB,
      env: { GITPOD_WORKSPACE_ID: 'shop-abc123', GITPOD_HOST: 'https://gitpod.io' }, containerMarker: true });
    assert.deepEqual([gp.where, gp.limitBytes], ['gitpod', 4096 * MB]);
  });

  it('an OOM kill in a WSL 2 VM says so in the verdict', () => {
    const wsl = readMemoryCeiling({ procRoot: fixture('proc', 'wsl2'), root: fixture('proc', 'wsl2'), env: { WSL_INTEROP: 'x' } });
    const [rec] = parseKernelLog(read('kernel-log', 'native-growth-oom-kill.dmesg.txt'), { bootTimeMs: T0 - 2145_000 });
    const v = verdictOf('native-growth-oom-kill', { ceiling: wsl }, { pids: [17313], startedAt: T0 - 10_000, heapLimitBytes: 64 * MB }, { oom: [rec], kernelRead: true });
    assert.equal(v.memoryKind?.ceiling?.where, 'wsl2');
    assert.match(v.summary, /the ceiling here is WSL 2: the WSL 2 VM's memory \(7\.7 GB/);
  });
});

describe('remedies of the newer causes and the memory kinds, ranked', () => {
  const titles = (v: Verdict): string[] => v.remedies.map((r) => r.title);

  it('ABI mismatch: npm rebuild <module> first, then reinstall, then restart', () => {
    const v = verdictOf('native-abi-mismatch');
    assert.deepEqual(v.remedies.map((r) => r.detail ?? r.title), ['npm rebuild better-sqlite3', 'npm ci', 'Restart the server']);
  });

  it('esbuild for another platform: reinstall on this machine', () => {
    assert.match(titles(verdictOf('esbuild-other-platform'))[0], /Reinstall dependencies on this machine \(esbuild was installed for another platform\)/);
  });

  it('node version: the version manager\'s command', () => {
    const v = verdictOf('node-version-unknown-builtin', { nodeRequirements: [{ source: '.nvmrc', file: '/home/dev/shop-api/.nvmrc', range: '22' }], versionManagers: [{ name: 'nvm', at: '/root/.nvm/nvm.sh' }] });
    assert.deepEqual([v.remedies[0].title, v.remedies[0].detail], ['Switch to Node 22 with nvm', 'nvm install && nvm use']);
  });

  it('port 80: another port or the capability, never root', () => {
    const [r] = verdictOf('eacces-port-80').remedies;
    assert.equal(r.title, 'Use port 8080 instead of 80');
    assert.match(r.detail!, /PORT=8080 .*setcap cap_net_bind_service=\+ep/);
  });

  it('IPv6: 127.0.0.1 instead of localhost', () => {
    const v = verdictOf('localhost-ipv6-http', { listeners: [{ family: 4, address: '127.0.0.1', port: 45301, inode: 1, pid: 7 }] });
    assert.equal(v.remedies[0].title, 'Connect to 127.0.0.1:45301 instead of localhost');
  });

  it('process limit: the zombies\' parents first', () => {
    const v = verdictOf('spawn-eagain', { processLimit: { uid: 0, userTasks: 30, ulimit: null, cgroup: null, holders: [{ pid: 900, command: 'node daemon.js', tasks: 25, zombieChildren: 22 }] } });
    assert.deepEqual([v.remedies[0].title, v.remedies[0].args], ['Stop the parents of 22 zombie processes', { pids: [900] }]);
  });

  it('inspector: VS Code\'s own debugger is never offered for killing; another holder is', () => {
    const holders = [{ port: 45229, pid: 31337, command: 'node --inspect server.js' }];
    const own = verdictOf('inspector-port-in-use', { editorPids: [31337] }, {}, { portHolders: holders });
    assert.ok(!own.remedies.some((r) => /kill|Stop the process/i.test(`${r.id} ${r.title}`)), JSON.stringify(own.remedies));
    assert.equal(own.remedies[0].detail, '--inspect=0 (or --inspect=9230)');
    const other = verdictOf('inspector-port-in-use', { editorPids: [] }, {}, { portHolders: holders });
    assert.equal(other.remedies[0].title, 'Stop the process holding inspector port 45229 (pid 31337)');
  });

  it('stale build cache: stop the other writer, then trash that cache only', () => {
    const text = read('dev-server-output', 'next-dev-during-build.txt');
    const v = decideVerdict(candidate({ cwd: '/home/dev/shop-web', exit: { code: 1, signal: null } }), {
      outputs: [{ source: 'log-file', location: 'logs/dev.log', time: T0, findings: classifyOutput(text, { code: null, signal: null }) }],
      facts: { cacheWriters: [{ pid: 13500, command: 'next build' }] },
    })!;
    assert.deepEqual(v.remedies.map((r) => r.title), ['Stop the other build writing the cache (pid 13500)', 'Move /home/dev/shop-web/.next to the trash', 'Restart the server']);
  });

  it('leak: a heap snapshot near the limit first (when memory and disk allow), the raise as a stopgap', () => {
    const samples = Array.from({ length: 25 }, (_, i) => ({ time: T0 - 240_000 + i * 10_000, bytes: 40 * MB + i * 2.3 * MB }));
    const v = verdictOf('heap-oom-leak', { availableBytes: 8192 * MB, diskFreeBytes: 20_000 * MB }, { heapLimitBytes: 96 * MB, samples, startedAt: T0 - 272_000 });
    assert.deepEqual(titles(v), ['Capture a heap snapshot near the limit on the next run, then restart', 'Raise the heap limit to 512 MB (stopgap: a leak only takes longer)', 'Restart the server']);
    assert.equal(v.remedies[0].detail, 'NODE_OPTIONS=--heapsnapshot-near-heap-limit=1 --diagnostic-dir=/home/dev/shop-api');
    const full = verdictOf('heap-oom-leak', { availableBytes: 100 * MB, diskFreeBytes: 20_000 * MB }, { heapLimitBytes: 96 * MB, samples, startedAt: T0 - 272_000 });
    assert.ok(!titles(full).some((t) => t.startsWith('Capture a heap snapshot')), 'no snapshot without the memory to write it');
  });

  it('native growth: the ceiling (WSL 2 here) first, never a heap raise', () => {
    const wsl = readMemoryCeiling({ procRoot: fixture('proc', 'wsl2'), root: fixture('proc', 'wsl2'), env: { WSL_INTEROP: 'x' } });
    const [rec] = parseKernelLog(read('kernel-log', 'native-growth-oom-kill.dmesg.txt'), { bootTimeMs: T0 - 2145_000 });
    const v = verdictOf('native-growth-oom-kill', { ceiling: wsl }, { pids: [17313], startedAt: T0 - 10_000, heapLimitBytes: 64 * MB }, { oom: [rec], kernelRead: true });
    assert.equal(v.remedies[0].title, 'Give the WSL 2 VM 12 GB: %UserProfile%\\.wslconfig');
    assert.match(v.remedies[0].detail!, /^\[wsl2\]\nmemory=12GB\n\n\[experimental\]\nautoMemoryReclaim=gradual\n\n→ Save it as UTF-8 without BOM/);
    assert.ok(!titles(v).some((t) => /heap/i.test(t)));
  });

  it('undersized: the raise, as today', () => {
    const v = verdictOf('heap-oom-undersized', undefined, { heapLimitBytes: 64 * MB, uptimeMs: null });
    assert.deepEqual(titles(v), ['Raise the heap limit to 512 MB', 'Restart the server']);
  });
});

describe('memory kind: a step is not a leak', () => {
  it('memory that jumped once (a first compile) and then stayed flat for minutes is not called a leak', () => {
    const step = Array.from({ length: 25 }, (_, i) => ({ time: T0 - 240_000 + i * 10_000, bytes: (i < 3 ? 100 : 400) * MB + (i % 2) * MB }));
    const k = classifyMemory({ cause: 'heap-oom', gc: [], samples: step, uptimeMs: 250_000, heapUsedBytes: null, heapLimitBytes: 512 * MB, rssBytes: null, ceilingBytes: null });
    assert.notEqual(k.kind, 'leak');
  });
});

describe('remedy helpers', () => {
  it('only a framework cache inside a workspace folder may be cleared', () => {
    assert.equal(buildCacheRefusal('/home/dev/shop-web/.next', ['/home/dev/shop-web']), null);
    assert.equal(buildCacheRefusal('/home/dev/shop-web/node_modules/.vite', ['/home/dev']), null);
    assert.match(buildCacheRefusal('/home/dev/shop-web/src', ['/home/dev/shop-web'])!, /not a framework build cache/);
    assert.match(buildCacheRefusal('/etc/.next', ['/home/dev/shop-web'])!, /outside the workspace/);
    assert.match(buildCacheRefusal('/home/dev/shop-web/../../../etc/.next', ['/home/dev/shop-web'])!, /outside the workspace/);
    assert.equal(withSnapshotFlags('--max-old-space-size=512 --heapsnapshot-near-heap-limit=3', '/w'), '--max-old-space-size=512 --heapsnapshot-near-heap-limit=1 --diagnostic-dir=/w');
    assert.equal(withSnapshotFlags('--max-old-space-size=4096', '/w', 1536), '--heapsnapshot-near-heap-limit=1 --diagnostic-dir=/w --max-old-space-size=1536');
  });
});

describe('ProcessMemory: per-pid RSS series', () => {
  it('follows each process, restarts on pid reuse, keeps a gone process for a while', async () => {
    const { ProcessMemory } = await import('../../src/core/crash/causes/processMemory.js');
    const m = new ProcessMemory({ keepGoneMs: 5000 });
    const snap = (t: number, procs: { pid: number; rss: number; start?: number }[]) => ({
      takenAt: t, servers: [{ processes: procs.map((p) => ({ pid: p.pid, rssBytes: p.rss, startTimeMs: p.start ?? 1, zombie: false })) }],
    }) as unknown as import('../../src/core/types').Snapshot;
    m.observe(snap(1000, [{ pid: 7, rss: 10 }, { pid: 8, rss: 50 }]));
    m.observe(snap(2000, [{ pid: 7, rss: 20 }, { pid: 8, rss: 50 }]));
    m.observe(snap(3000, [{ pid: 8, rss: 50 }]));
    assert.deepEqual(m.samples(7).map((p) => p.bytes), [10, 20]);
    m.observe(snap(9000, [{ pid: 8, rss: 50, start: 2 }]));
    assert.deepEqual(m.samples(7), []);
    assert.deepEqual(m.samples(8).map((p) => p.bytes), [50]);
  });
});
