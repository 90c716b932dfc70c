import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKernelFaults, parseKernelLog, type OomRecord } from '../../src/core/crash/kernelLog';
import { parseNodeReport } from '../../src/core/crash/nodeReport';
import { classifyOutput, type ExitStatus } from '../../src/core/crash/output';
import type { Verdict } from '../../src/core/crash/types';
import { decideVerdict, type CrashCandidate, type CrashEvidence, type OutputEvidence } from '../../src/core/crash/verdict';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
const read = (...p: string[]): string => fs.readFileSync(fixture(...p), 'utf8');

const BOOT = Date.UTC(2026, 10, 22, 6, 0, 0);
const KILLED_AT = BOOT + 1189948;
const MB = 1024 * 1024;
const cgroupKill = (): OomRecord => parseKernelLog(read('kernel-log', 'cgroup-oom-kill.dmesg.txt'), { bootTimeMs: BOOT })[0];

const api = (over: Partial<CrashCandidate> = {}): CrashCandidate => ({
  server: 'shop-api · dev', serverId: '/home/dev/shop-api#dev', cwd: '/home/dev/shop-api', pids: [21014, 21000],
  time: KILLED_AT + 1500, startedAt: KILLED_AT - 60_000, command: 'node leaky-server.js', lastRssBytes: 140 * MB,
  uptimeMs: 61_500, ports: [5000], ...over,
});

const output = (text: string, exit: ExitStatus = { code: null, signal: null }, over: Partial<OutputEvidence> = {}): OutputEvidence => ({
  source: 'log-file', location: '/home/dev/shop-api/logs/dev.log', time: KILLED_AT + 200, findings: classifyOutput(text, exit), ...over,
});

const crash = (name: string): string => read('crash-output', `${name}.txt`);
const decide = (c: CrashCandidate, ev: CrashEvidence = {}): Verdict => {
  const v = decideVerdict(c, ev);
  assert.ok(v, 'a verdict');
  return v;
};

describe('decideVerdict: memory kills', () => {
  it('SIGKILL plus a kernel record for the same pid: oom-kill, high, in plain words with sizes and the cgroup limit', () => {
    const v = decide(api({ exit: { code: 137, signal: null } }), { oom: [cgroupKill()], kernelRead: true, kernelSource: 'dmesg' });
    assert.deepEqual([v.cause, v.confidence, v.pid, v.time], ['oom-kill', 'high', 21014, KILLED_AT]);
    assert.equal(v.summary, 'shop-api · dev was killed by the kernel OOM killer at 149 MB, cgroup limit 150 MB');
    assert.equal(v.evidence[0].source, 'kernel');
    assert.equal(v.evidence[0].location, 'dmesg');
    assert.match(v.evidence[0].text, /Killed process 21014 \(node\)/);
    assert.equal(v.detail?.cgroupLimitBytes, 150 * MB);
    assert.equal(v.detail?.signal, 'SIGKILL');
    assert.equal(v.remedies[0].id, 'kill-zombies');
    assert.ok(v.evidence.some((e) => e.source === 'monitor' && /node leaky-server\.js.*1m 1s.*140 MB/.test(e.text)));
  });

  it('the kernel record decides even when the exit is unknown (the monitor only saw the pid vanish)', () => {
    assert.equal(decide(api(), { oom: [cgroupKill()] }).cause, 'oom-kill');
  });

  it('a kernel record for another pid does not count: SIGKILL alone is killed, medium', () => {
    const v = decide(api({ pids: [4242], exit: { code: null, signal: 'SIGKILL' } }), { oom: [cgroupKill()], kernelRead: true });
    assert.deepEqual([v.cause, v.confidence, v.pid], ['killed', 'medium', 4242]);
    assert.equal(v.summary, 'shop-api · dev was killed by SIGKILL from another process (not the OOM killer)');
  });

  it('SIGKILL with the kernel log unreadable: killed, low, and says an OOM kill cannot be ruled out', () => {
    const v = decide(api({ exit: { code: 137, signal: null } }), { kernelRead: false });
    assert.deepEqual([v.cause, v.confidence], ['killed', 'low']);
    assert.match(v.summary, /kernel log could not be read, so an OOM kill cannot be ruled out/);
  });

  it('a record from before the process started (a reused pid) is ignored', () => {
    const v = decideVerdict(api({ startedAt: KILLED_AT + 60_000 }), { oom: [cgroupKill()], kernelRead: true });
    assert.equal(v, null);
  });

  it('the cgroup oom_kill counter rose and no record names the pid: oom-kill, medium', () => {
    const v = decide(api({ pids: [777], cgroup: { path: '/dsd', limitBytes: 2 * 1024 * MB, oomKillsBefore: 2, oomKillsAfter: 3 } }), { kernelRead: false });
    assert.deepEqual([v.cause, v.confidence], ['oom-kill', 'medium']);
    assert.equal(v.summary, 'shop-api · dev was killed by the kernel OOM killer at 140 MB, cgroup limit 2.0 GB (its memory cgroup counted an OOM kill as it died)');
    assert.equal(v.evidence[0].text, 'memory cgroup /dsd: oom_kill 2 → 3, limit 2.0 GB');
  });

  it('counter and matching record: high, with both pieces of evidence', () => {
    const v = decide(api({ cgroup: { path: '/x', limitBytes: 150 * MB, oomKillsBefore: 0, oomKillsAfter: 1 } }), { oom: [cgroupKill()] });
    assert.deepEqual([v.cause, v.confidence], ['oom-kill', 'high']);
    assert.deepEqual(v.evidence.slice(0, 2).map((e) => e.source), ['kernel', 'cgroup']);
  });

  it('an unchanged counter is no evidence', () => {
    assert.equal(decideVerdict(api({ cgroup: { path: '/x', limitBytes: null, oomKillsBefore: 1, oomKillsAfter: 1 } }), {}), null);
  });

  it('a global OOM kill says the machine ran out of memory', () => {
    const [r] = parseKernelLog('2026-11-22T06:54:19+00:00 devbox kernel: Out of memory: Killed process 21014 (node) total-vm:4000000kB, anon-rss:1992294kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:0\n');
    const v = decide(api({ startedAt: null }), { oom: [r] });
    assert.equal(v.summary, 'shop-api · dev was killed by the kernel OOM killer at 1.9 GB: the machine ran out of memory');
  });

  it('systemd-oomd killing the scope the server ran in: oomd-kill, high, with its reason', () => {
    const [r] = parseKernelLog(`${new Date(KILLED_AT).toISOString()} devbox systemd-oomd[612]: Killed /user.slice/user-1000.slice/app-code.scope due to memory pressure for /user.slice being 71.23% > 50.00% for > 20s with reclaim activity\n`);
    const c = api({ cgroup: { path: '/user.slice/user-1000.slice/app-code.scope/vte-1', limitBytes: null, oomKillsBefore: 0, oomKillsAfter: null } });
    const v = decide(c, { oom: [r] });
    assert.deepEqual([v.cause, v.confidence], ['oomd-kill', 'high']);
    assert.match(v.summary, /was killed by systemd-oomd due to memory pressure for \/user\.slice being 71\.23% > 50\.00%/);
    assert.equal(decideVerdict(api({ cgroup: { path: '/user.slice/other.scope', limitBytes: null, oomKillsBefore: 0, oomKillsAfter: null } }), { oom: [r] }), null,
      'a kill of another scope is not this server\'s');
  });

  it('exit 134 and "JavaScript heap out of memory": heap-oom, high, with the report joined and no secret from it', () => {
    const rep = parseNodeReport(read('node-report', 'heap-oom-report.json'));
    assert.ok(rep.ok);
    const c = api({ pids: [20843], heapLimitBytes: 40 * MB, exit: { code: 134, signal: null } });
    const v = decide(c, { outputs: [output(crash('heap-oom'), { code: 134, signal: null })], reports: [{ file: '/home/dev/shop-api/.crash/report.json', report: rep.report }] });
    assert.deepEqual([v.cause, v.confidence, v.pid], ['heap-oom', 'high', 20843]);
    // Each number says what it is: heap used where measured (the report), the old-space limit from the one resolver.
    assert.equal(v.summary, 'shop-api · dev ran out of JavaScript heap: V8 aborted it (heap used 42 MB per its Node report, all spaces · heap limit 40 MB, old space)');
    assert.deepEqual([v.detail?.heapUsedFrom, v.detail?.heapLimitKind], ['node-report', 'old-space']);
    assert.deepEqual(v.evidence.map((e) => e.source).slice(0, 2), ['log-file', 'node-report']);
    // The report's limit is V8's heap_size_limit (old + young), said as such beside the summary's old-space limit.
    assert.match(v.evidence.find((e) => e.source === 'node-report')!.text, /heap used 42 MB, V8 heap size limit 88 MB \(old space \+ young generation\)/);
    assert.equal(v.remedies[0].id, 'raise-heap-limit');
    assert.equal((v.remedies[0].args as { megabytes: number }).megabytes, 512);
    const all = JSON.stringify(v);
    assert.ok(!/hunter2|sk-live|s3cr3t/i.test(all), 'no secret of the report');
  });

  it('heap-oom from the output alone names the pid from V8\'s GC trace', () => {
    const v = decide(api({ pids: [] }), { outputs: [output(crash('heap-oom'))] });
    assert.deepEqual([v.cause, v.pid], ['heap-oom', 20843]);
    // Heap used is the GC trace's last figure (all spaces), said as such.
    assert.match(v.summary, /\(heap used \d+(\.\d+)? MB at its last GC/);
    assert.equal(v.detail?.heapUsedFrom, 'gc-trace');
  });

  it('a heap report alone (no output) is enough', () => {
    const rep = parseNodeReport(read('node-report', 'heap-oom-report.json'));
    assert.ok(rep.ok);
    const v = decide(api({ pids: [20843] }), { reports: [{ file: 'r.json', report: rep.report }] });
    assert.deepEqual([v.cause, v.confidence], ['heap-oom', 'high']);
    // Only the report knows a limit here: V8's whole heap size limit (all spaces), not the old space's.
    assert.match(v.summary, /ran out of JavaScript heap: V8 aborted it \(heap used 42 MB per its Node report, all spaces · heap limit 88 MB, all spaces\)$/);
  });
});

describe('decideVerdict: what the output names', () => {
  it('port-in-use names the pid and command holding the port now, and the remedy targets it', () => {
    const v = decide(api({ pids: [31000] }), {
      outputs: [output(crash('eaddrinuse'), { code: 1, signal: null })],
      portHolders: [{ port: 45123, pid: 4321, command: 'node old-server.js --token=abc123' }],
    });
    assert.deepEqual([v.cause, v.confidence, v.pid], ['port-in-use', 'high', 31000]);
    assert.equal(v.summary, 'shop-api · dev could not listen on port 45123, already in use: it is held by pid 4321 (node old-server.js --token=«redacted»)');
    assert.deepEqual(v.detail?.holder, { pid: 4321, command: 'node old-server.js --token=«redacted»' });
    assert.deepEqual([v.remedies[0].id, v.remedies[0].args], ['kill-port-holder', { port: 45123, pid: 4321 }]);
    assert.ok(v.evidence.some((e) => e.source === 'socket-table' && /pid 4321/.test(e.text)));
  });

  it('port-in-use: a holder of another user has no pid, and a port nobody holds now says so', () => {
    const ev = { outputs: [output(crash('eaddrinuse'), { code: 1, signal: null })] };
    assert.match(decide(api(), { ...ev, portHolders: [{ port: 45123, pid: null, command: null }] }).summary, /a process of another user holds it/);
    assert.match(decide(api(), ev).summary, /port 45123, already in use; no process holds it now/);
  });

  const cases: [string, string, string, RegExp][] = [
    ['enospc-disk', 'disk-full', 'free-disk', /no space left on the disk/],
    ['enospc-watchers', 'inotify-limit', 'raise-inotify-limit', /inotify watch limit .* the disk is not full/],
    ['emfile', 'too-many-open-files', 'restart-server', /ran out of file descriptors/],
    ['module-not-found-cjs', 'missing-module', 'install-dependencies', /package 'express-nope' is not installed/],
    ['module-not-found-esm', 'missing-module', 'install-dependencies', /package 'vite-nope' is not installed/],
    // A bug in the code: open the file at the failing line first (a restart only crashes again).
    ['uncaught-exception', 'uncaught-exception', 'open-file', /crashed on an uncaught exception: Error: .* at .*worker\.js:1:56/],
    // No frame in a file of the project ([eval]): nothing to open, restart first.
    ['unhandled-rejection', 'unhandled-rejection', 'restart-server', /unhandled promise rejection: Error: db connection refused/],
  ];
  for (const [name, cause, remedy, summary] of cases) {
    it(`${name} → ${cause}, ${remedy} first`, () => {
      const v = decide(api(), { outputs: [output(crash(name), { code: 1, signal: null })] });
      assert.deepEqual([v.cause, v.confidence, v.remedies[0].id], [cause, 'high', remedy]);
      assert.match(v.summary, summary);
    });
  }

  it('the inotify remedy carries the exact sysctl line', () => {
    const v = decide(api(), { outputs: [output(crash('enospc-watchers'), { code: 1, signal: null })] });
    assert.equal(v.remedies[0].detail, `${process.getuid?.() === 0 ? '' : 'sudo '}sysctl fs.inotify.max_user_watches=524288`); // root is not told to use sudo
  });

  it('an exception keeps the top frame in the user\'s code', () => {
    const v = decide(api(), { outputs: [output(crash('uncaught-exception'), { code: 1, signal: null })] });
    assert.match(v.topFrame ?? '', /worker\.js:1:56/);
  });

  it('a terminal\'s output comes before a log file\'s on ties', () => {
    const term = output(crash('module-not-found-cjs'), { code: 1, signal: null }, { source: 'output', location: 'terminal: bash' });
    const log = output(crash('emfile'), { code: 1, signal: null });
    assert.equal(decide(api(), { outputs: [term, log] }).cause, 'missing-module');
  });
});

describe('decideVerdict: how it ended', () => {
  it('Ctrl-C in a terminal, SIGINT, exit 0 and exit 130 are no crash', () => {
    assert.equal(decideVerdict(api({ interrupted: true }), { outputs: [output('bye\n')] }), null);
    assert.equal(decideVerdict(api({ exit: { code: null, signal: 'SIGINT' } }), {}), null);
    assert.equal(decideVerdict(api({ exit: { code: 0, signal: null } }), {}), null);
    assert.equal(decideVerdict(api({ exit: { code: 130, signal: null } }), {}), null);
  });

  it('even after Ctrl-C, a kernel OOM record for the pid is a crash', () => {
    assert.equal(decide(api({ interrupted: true }), { oom: [cgroupKill()] }).cause, 'oom-kill');
  });

  it('a process that vanished without any evidence gives no verdict', () => {
    assert.equal(decideVerdict(api(), { kernelRead: true, outputs: [output('GET / 200\n')] }), null);
  });

  it('SIGTERM from someone else: killed, low', () => {
    const v = decide(api({ exit: { code: 143, signal: null } }), { kernelRead: true });
    assert.deepEqual([v.cause, v.confidence], ['killed', 'low']);
    assert.match(v.summary, /killed by SIGTERM from another process/);
  });

  it('a kernel segfault record for the pid: native-crash, high', () => {
    const [f] = parseKernelFaults('[ 1151.285304] node[21014]: segfault at 7fff9fdd6ff0 ip 0000000001342238 sp 00007fff9fdd6fe0 error 6 in node[f42238,b72000+1a8c000] likely on CPU 1 (core 1, socket 0)\n', { bootTimeMs: BOOT });
    const v = decide(api({ startedAt: BOOT }), { faults: [f], kernelSource: 'dmesg' });
    assert.deepEqual([v.cause, v.confidence, v.pid, v.time], ['native-crash', 'high', 21014, BOOT + 1151285]);
    assert.equal(v.summary, 'shop-api · dev crashed in native code (SIGSEGV)');
  });

  it('exit 139 seen, or "Segmentation fault" told by the script shell: native-crash', () => {
    assert.equal(decide(api({ exit: { code: 139, signal: null } })).cause, 'native-crash');
    const v = decide(api(), { outputs: [output('> app@1.0.0 dev\n> node server.js\n\nlistening\nSegmentation fault\n')] });
    assert.deepEqual([v.cause, v.confidence, v.detail?.signal], ['native-crash', 'high', 'SIGSEGV']);
  });

  it('a log that tells SIGKILL ("Killed"), joined with the kernel record of that pid: oom-kill, and the log line is evidence too', () => {
    const v = decide(api(), { oom: [cgroupKill()], outputs: [output('> app@1.0.0 dev\n> node leaky.js\n\nlistening on 5000\nKilled\n')] });
    assert.deepEqual([v.cause, v.confidence], ['oom-kill', 'high']);
    assert.ok(v.evidence.some((e) => e.source === 'log-file' && e.text === 'Killed'));
  });

  it('a non-zero exit with nothing else: exit-nonzero, low', () => {
    const v = decide(api({ exit: { code: 3, signal: null } }));
    assert.deepEqual([v.cause, v.confidence, v.summary], ['exit-nonzero', 'low', 'shop-api · dev exited with code 3']);
  });

  it('npm\'s error code in a log file is the exit code', () => {
    const log = '> a@1.0.0 dev\n> node x.js\n\nnpm error Lifecycle script `dev` failed with error:\nnpm error code 2\nnpm error command failed\n';
    const v = decide(api(), { outputs: [output(log)] });
    assert.deepEqual([v.cause, v.detail?.exitCode], ['exit-nonzero', 2]);
  });
});

describe('decideVerdict: watchers', () => {
  const watcher = { pid: 900, command: 'node node_modules/.bin/nodemon server.js' };

  it('nodemon alive, its app died of an exception: watcher-waiting, high, the exception underneath', () => {
    const v = decide(api({ watcher }), { outputs: [output(read('dev-server-output', 'nodemon-app-crashed.txt'))] });
    assert.deepEqual([v.cause, v.confidence, v.detail?.underlying, v.detail?.watcherPid], ['watcher-waiting', 'high', 'uncaught-exception', 900]);
    assert.match(v.summary, /'s app crashed \(uncaught exception: .*\); nodemon is waiting for file changes/);
    assert.ok(v.topFrame);
  });

  it('tsx watch alive (no "crashed" line): the fatal block plus the live watcher is watcher-waiting, high', () => {
    const text = read('dev-server-output', 'tsx-watch-crash.txt');
    const v = decide(api({ watcher: { pid: 901, command: 'node node_modules/.bin/tsx watch src/server.ts' } }), { outputs: [output(text)] });
    assert.deepEqual([v.cause, v.confidence], ['watcher-waiting', 'high']);
    assert.match(v.summary, /tsx watch is waiting/);
  });

  it('the nodemon line alone (a cold log) is enough', () => {
    const v = decide(api({ pids: [] }), { outputs: [output(read('dev-server-output', 'nodemon-app-crashed.txt'))] });
    assert.deepEqual([v.cause, v.confidence], ['watcher-waiting', 'high']);
  });

  it('a watcher left alone with no evidence at all: watcher-waiting, medium', () => {
    const v = decide(api({ watcher }));
    assert.deepEqual([v.cause, v.confidence], ['watcher-waiting', 'medium']);
  });

  it('an OOM kill under a watcher stays an oom-kill', () => {
    assert.equal(decide(api({ watcher }), { oom: [cgroupKill()] }).cause, 'oom-kill');
  });
});

describe('decideVerdict: hygiene', () => {
  it('secrets in output, command and server name are redacted everywhere', () => {
    const text = 'Error: connect ECONNREFUSED postgres://u:hunter2@db:5432/app\n    at main (/app/db.js:3:9)\n\nNode.js v20.20.2\n';
    const v = decide(api({ server: 'api · node server.js --password=hunter2', command: 'node server.js --api-key sk-live-123' }), { outputs: [output(text, { code: 1, signal: null })] });
    const all = JSON.stringify(v);
    assert.ok(!all.includes('hunter2') && !all.includes('sk-live-123'), all);
    assert.match(all, /«redacted»/);
  });

  it('remedies carry the server so the editor knows what to restart; a bare kernel pid gets no restart', () => {
    const v = decide(api(), { outputs: [output(crash('uncaught-exception'), { code: 1, signal: null })] });
    assert.deepEqual(v.remedies.find((r) => r.id === 'restart-server')?.args, { server: 'shop-api · dev', serverId: '/home/dev/shop-api#dev', cwd: '/home/dev/shop-api', pid: 21014 });
    const bare = decide({ server: 'node', pids: [21014], time: KILLED_AT }, { oom: [cgroupKill()] });
    assert.ok(!bare.remedies.some((r) => r.id === 'restart-server'));
  });

  it('evidence times and locations are kept', () => {
    const v = decide(api(), { outputs: [output(crash('emfile'), { code: 1, signal: null })] });
    assert.deepEqual([v.evidence[0].location, v.evidence[0].time], ['/home/dev/shop-api/logs/dev.log', KILLED_AT + 200]);
    assert.equal(v.time, KILLED_AT + 200);
  });

  it('a code bug\'s first remedy opens the file at the failing line', () => {
    const v = decide(api(), { outputs: [output(crash('uncaught-exception'), { code: 1, signal: null })] });
    assert.equal(v.remedies[0].id, 'open-file');
    assert.match(v.remedies[0].title, /^Open worker\.js:1$/);
    assert.deepEqual(v.remedies[0].args, { file: '/home/dev/shop-api/worker.js', line: 1, column: 56 });
    assert.ok(v.remedies.some((r) => r.id === 'restart-server'), 'restart is still offered');
  });
});
