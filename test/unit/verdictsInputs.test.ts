import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { npmScriptOf, reportDirsOf } from '../../src/core/crash/evidence';
import { parseKernelFaults } from '../../src/core/crash/kernelLog';
import { readKernelOomRecords, type CommandResult } from '../../src/core/crash/kernelSources';
import { classifyOutput, exitFromText } from '../../src/core/crash/output';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);

// Real npm 11.19.1 output (Node 20.20.2) of `npm run X > log 2>&1`: npm prints nothing of its own when
// a script fails; the script shell (dash) prints the signal's name. With --workspace npm adds its error block.
const NPM11 = {
  kill9: '\n> cap@1.0.0 kill9\n> node -e "process.kill(process.pid,\'SIGKILL\')"\n\nKilled\n',
  segv: '\n> cap@1.0.0 segv\n> node -e "process.kill(process.pid,\'SIGSEGV\')"\n\nSegmentation fault\n',
  term: '\n> cap@1.0.0 term\n> node -e "process.kill(process.pid,\'SIGTERM\')"\n\nTerminated\n',
  exit3: '\n> cap@1.0.0 exit3\n> node -e "process.exit(3)"\n\n',
  workspaceKill: '\n> a@1.0.0 kill9\n> node -e "process.kill(process.pid,\'SIGKILL\')"\n\nKilled\nnpm error Lifecycle script `kill9` failed with error:\n'
    + 'npm error code 137\nnpm error path /tmp/ws/packages/a\nnpm error workspace a@1.0.0\nnpm error location /tmp/ws/packages/a\nnpm error command failed\n'
    + 'npm error command sh -c node -e "process.kill(process.pid,\'SIGKILL\')"\n',
  workspaceExit1: '\n> a@1.0.0 exit1\n> node -e "process.exit(1)"\n\nnpm error Lifecycle script `exit1` failed with error:\nnpm error code 1\n'
    + 'npm error path /tmp/ws/packages/a\nnpm error workspace a@1.0.0\nnpm error location /tmp/ws/packages/a\nnpm error command failed\nnpm error command sh -c node -e "process.exit(1)"\n',
};

describe('exitFromText: the exit a log tells', () => {
  it('the script shell\'s status line names the signal (npm 11 prints nothing itself)', () => {
    assert.deepEqual(exitFromText(NPM11.kill9), { code: null, signal: 'SIGKILL', pid: null });
    assert.deepEqual(exitFromText(NPM11.segv), { code: null, signal: 'SIGSEGV', pid: null });
    assert.deepEqual(exitFromText(NPM11.term), { code: null, signal: 'SIGTERM', pid: null });
  });

  it('npm\'s error block (workspaces, npm 7-10) gives the code; 137 is SIGKILL', () => {
    assert.deepEqual(exitFromText(NPM11.workspaceKill), { code: 137, signal: 'SIGKILL', pid: null });
    assert.deepEqual(exitFromText(NPM11.workspaceExit1), { code: 1, signal: null, pid: null });
  });

  it('older npm, yarn and pnpm wordings', () => {
    assert.deepEqual(exitFromText('npm ERR! code ELIFECYCLE\nnpm ERR! errno 137\nnpm ERR! app@1.0.0 dev: `node x`\nnpm ERR! Exit status 137\n'), { code: 137, signal: 'SIGKILL', pid: null });
    assert.deepEqual(exitFromText('npm error signal SIGKILL\nnpm error command sh -c node x\n'), { code: null, signal: 'SIGKILL', pid: null });
    assert.deepEqual(exitFromText('error Command failed with exit code 134.\n'), { code: 134, signal: 'SIGABRT', pid: null });
    assert.deepEqual(exitFromText('error Command failed with signal "SIGSEGV".\n'), { code: null, signal: 'SIGSEGV', pid: null });
    assert.deepEqual(exitFromText(' ELIFECYCLE  Command failed with exit code 1.\n'), { code: 1, signal: null, pid: null });
  });

  it('bash names the pid in its status line', () => {
    assert.deepEqual(exitFromText('bash: line 1: 24913 Segmentation fault      (core dumped) node server.js\n'), { code: null, signal: 'SIGSEGV', pid: 24913 });
    assert.deepEqual(exitFromText('bash: 24913 Killed                  node --stack-size=65500 server.js\n'), { code: null, signal: 'SIGKILL', pid: 24913 });
  });

  it('a normal exit, ordinary lines that start with the same words, and an earlier run say nothing', () => {
    assert.equal(exitFromText(NPM11.exit3), null);
    assert.equal(exitFromText('Killed 3 idle workers\nTerminated sessions: 4\n'), null);
    assert.equal(exitFromText(`${NPM11.kill9}\n> cap@1.0.0 dev\n> node server.js\n\nlistening on 3000\n`), null, 'Killed belongs to the previous run');
  });

  it('classifyOutput uses it when the exit is unknown: a log that says Killed is a SIGKILL', () => {
    const [f] = classifyOutput(NPM11.kill9, { code: null, signal: null });
    assert.deepEqual([f.cause, f.detail?.signal, f.lines], ['killed', 'SIGKILL', ['Killed']]);
    const [w] = classifyOutput(NPM11.workspaceKill, { code: null, signal: null });
    assert.deepEqual([w.cause, w.detail?.exitCode], ['killed', 137]);
    const [s] = classifyOutput(NPM11.segv, { code: null, signal: null });
    assert.deepEqual([s.cause, s.confidence, s.detail?.signal], ['native-crash', 'high', 'SIGSEGV']);
  });

  it('a known exit wins over what the text says', () => {
    assert.deepEqual(classifyOutput(NPM11.kill9, { code: 0, signal: null }), []);
  });

  it('heap-oom: "Aborted" after V8\'s fatal error is the heap, not a native crash; the pid comes from the GC trace', () => {
    const text = `${fs.readFileSync(fixture('crash-output', 'heap-oom.txt'), 'utf8')}Aborted (core dumped)\n`;
    const found = classifyOutput(text, { code: null, signal: null });
    assert.deepEqual(found.map((f) => f.cause), ['heap-oom']);
    assert.equal(found[0].detail?.pid, 20843);
  });

  it('Node reports land in the working folder, or where --report-directory says', () => {
    assert.deepEqual(reportDirsOf('node --report-on-fatalerror --report-directory=.crash server.js', '/app'), ['/app', '/app/.crash']);
    assert.deepEqual(reportDirsOf('node --report-dir "/var/tmp/r" x.js', '/app'), ['/app', '/var/tmp/r']);
    assert.deepEqual(reportDirsOf('vite', '/app'), ['/app']);
  });

  it('npm\'s banner names the package and script of the last run', () => {
    assert.deepEqual(npmScriptOf(`${NPM11.kill9}\n> @acme/api@2.0.0-beta.1 dev\n> tsx watch src\n`), { pkg: '@acme/api', script: 'dev' });
    assert.deepEqual(npmScriptOf('> web@0.1.0 dev /home/dev/web\n> vite\n'), { pkg: 'web', script: 'dev' }, 'pnpm');
    assert.equal(npmScriptOf('listening\n'), null);
  });
});

describe('parseKernelFaults', () => {
  const BOOT = Date.UTC(2026, 10, 22);

  it('a real segfault line from dmesg (node started with --disable-wasm-trap-handler)', () => {
    const text = '[ 1151.285304] node[24913]: segfault at 7fff9fdd6ff0 ip 0000000001342238 sp 00007fff9fdd6fe0 error 6 in node[f42238,b72000+1a8c000] likely on CPU 1 (core 1, socket 0)\n'
      + '[ 1151.285460] Code: 00 00 48 8b 07 a8 01 75 09 c3 0f 1f 84 00 00 00\n';
    const [f, ...rest] = parseKernelFaults(text, { bootTimeMs: BOOT });
    assert.equal(rest.length, 0);
    assert.deepEqual([f.pid, f.comm, f.signal, f.what, f.time], [24913, 'node', 'SIGSEGV', 'segfault at 7fff9fdd6ff0', BOOT + 1151285]);
  });

  it('the journal\'s short-iso form, and x86 traps', () => {
    const text = '2026-11-22T07:12:49+00:00 devbox kernel: node[31]: segfault at 0 ip 00000000004f1a2b sp 00007ffc1 error 4 in node[400000+1e00000]\n'
      + '2026-11-22T07:12:50+00:00 devbox kernel: traps: node[32] trap invalid opcode ip:55d0 sp:7ffd error:0 in node[55d0+100]\n'
      + '2026-11-22T07:12:51+00:00 devbox kernel: traps: bun[33] general protection fault ip:7f12 sp:7ffd error:0 in libc.so.6[7f00+1000]\n'
      + '2026-11-22T07:12:52+00:00 devbox kernel: traps: node[34] trap divide error ip:1 sp:2 error:0 in node[1+2]\n';
    assert.deepEqual(parseKernelFaults(text).map((f) => [f.pid, f.comm, f.signal]),
      [[31, 'node', 'SIGSEGV'], [32, 'node', 'SIGILL'], [33, 'bun', 'SIGSEGV'], [34, 'node', 'SIGFPE']]);
    assert.equal(parseKernelFaults(text)[0].time, Date.UTC(2026, 10, 22, 7, 12, 49));
  });

  it('OOM records and ordinary lines are not faults', () => {
    assert.deepEqual(parseKernelFaults(fs.readFileSync(fixture('kernel-log', 'cgroup-oom-kill.dmesg.txt'), 'utf8')), []);
  });
});

describe('readKernelOomRecords: faults and which source answered', () => {
  const ok = (stdout: string): CommandResult => ({ stdout, stderr: '', error: null, exitCode: 0 });
  const denied: CommandResult = { stdout: '', stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n', error: null, exitCode: 1 };

  it('an empty journal falls through to dmesg: the records and segfaults come from dmesg', async () => {
    const dmesg = `${fs.readFileSync(fixture('kernel-log', 'cgroup-oom-kill.dmesg.txt'), 'utf8')}[ 1300.000001] node[777]: segfault at 0 ip 0000000000000001 sp 0000000000000002 error 4 in node[400000+100]\n`;
    const run = async (file: string, args: readonly string[]): Promise<CommandResult> =>
      (file === 'dmesg' ? ok(dmesg) : ok(args.includes('-k') ? '-- No entries --\n' : ''));
    const r = await readKernelOomRecords({ sinceMs: 0, run });
    assert.deepEqual([r.kernelRead, r.kernelSource, r.records.map((x) => x.pid), r.faults.map((f) => f.pid)], [true, 'dmesg', [21014], [777]]);
  });

  it('nothing readable: kernelRead false, no source; oomd lines are never taken for faults', async () => {
    const run = async (file: string, args: readonly string[]): Promise<CommandResult> =>
      (file === 'dmesg' ? denied : ok(args.includes('-k') ? '' : '2026-11-22T07:01:02+00:00 devbox systemd-oomd[612]: Killed /user.slice/x.scope due to memory pressure\n'));
    const r = await readKernelOomRecords({ sinceMs: 0, run, kernLogPath: '/nonexistent/kern.log' });
    assert.deepEqual([r.kernelRead, r.kernelSource, r.records.map((x) => x.kind), r.faults], [false, null, ['oomd'], []]);
  });
});
