import * as assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileRunner, readKernelOomRecords, type CommandResult, type CommandRunner } from '../../src/core/crash/kernelSources';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
const isRoot = process.getuid?.() === 0;
const DAY = 86_400_000;

const ok = (stdout: string, stderr = ''): CommandResult => ({ stdout, stderr, error: null, exitCode: 0 });
const failed = (stderr: string, exitCode = 1): CommandResult => ({ stdout: '', stderr, error: null, exitCode });
const missing: CommandResult = { stdout: '', stderr: '', error: 'ENOENT', exitCode: null };

/** Answers per tool: 'journal' (journalctl -k), 'oomd' (journalctl -u systemd-oomd), 'dmesg'. */
function fakeRunner(answers: { journal?: CommandResult; oomd?: CommandResult; dmesg?: CommandResult }): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (file: string, args: readonly string[]): Promise<CommandResult> => {
    const key = file === 'journalctl' ? (args.includes('-k') ? 'journal' : 'oomd') : file;
    calls.push(key);
    return answers[key as keyof typeof answers] ?? missing;
  };
  return Object.assign(run, { calls });
}

function skipUnlessRoot(ctx: Mocha.Context, what: string): void {
  if (!isRoot) {
    console.log(`      skipped: ${what} needs root (running as uid ${process.getuid?.()})`);
    ctx.skip();
  }
}

describe('readKernelOomRecords (live)', function () {
  this.timeout(60000);
  let tmp: string;
  before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kernsrc-')); });
  after(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

  it('as root: reads the real kernel log without problems', async function () {
    skipUnlessRoot(this, 'reading dmesg');
    const t0 = Date.now();
    const r = await readKernelOomRecords({ sinceMs: Date.now() - DAY });
    console.log(`      sources: ${r.sources.join(', ')}; ${r.records.length} record(s); ${Date.now() - t0} ms`);
    assert.deepEqual(r.problems, []);
    assert.ok(r.sources.some((s) => s === 'dmesg' || s === 'journalctl -k'), r.sources.join());
  });

  it('as an unprivileged user (nobody) with kernel.dmesg_restrict=1: a clear problem and how to grant access', async function () {
    skipUnlessRoot(this, 'switching to the nobody user');
    const restrictFile = '/proc/sys/kernel/dmesg_restrict';
    const before = fs.readFileSync(restrictFile, 'utf8').trim();
    const script = `require(${JSON.stringify(path.resolve(__dirname, '../../src/core/crash/kernelSources.js'))})`
      + '.readKernelOomRecords({ sinceMs: Date.now() - 86400000 }).then((r) => console.log(JSON.stringify(r)))';
    try {
      if (before !== '1') fs.writeFileSync(restrictFile, '1');
      const child = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, cwd: os.tmpdir(), encoding: 'utf8', timeout: 30000 });
      assert.equal(child.status, 0, child.stderr);
      const r = JSON.parse(child.stdout) as { records: unknown[]; problems: string[] };
      const text = r.problems.join('\n');
      console.log(`      ${text.replace(/\n/g, '\n      ')}`);
      assert.match(text, /dmesg: reading the kernel log is not permitted \(kernel\.dmesg_restrict=1/);
      assert.match(text, /sudo sysctl kernel\.dmesg_restrict=0/);
      assert.match(text, /systemd-journal/);
    } finally {
      fs.writeFileSync(restrictFile, before);
    }
    assert.equal(fs.readFileSync(restrictFile, 'utf8').trim(), before);
  });

  it('with neither journalctl nor dmesg on PATH and no kern.log: says so, never throws', async () => {
    const emptyBin = path.join(tmp, 'bin');
    fs.mkdirSync(emptyBin);
    const r = await readKernelOomRecords({
      sinceMs: 0, run: execFileRunner({ env: { PATH: emptyBin } }), kernLogPath: path.join(tmp, 'kern.log'),
    });
    assert.deepEqual([r.records, r.sources], [[], []]);
    assert.match(r.problems[0], /journalctl -k is not installed; dmesg is not installed; .*kern\.log does not exist\.$/);
    assert.match(r.problems[1], /dmesg_restrict=0/);
    assert.equal(r.problems.length, 2, 'no oomd complaint when journalctl is simply absent');
  });

  it('the execFile runner reports a timeout as ETIMEDOUT', async () => {
    const r = await execFileRunner({ timeoutMs: 100 })('sleep', ['5']);
    assert.equal(r.error, 'ETIMEDOUT');
  });

  it('journal denied, dmesg EPERM, kern.log unreadable: one clear problem per source', async () => {
    const run = fakeRunner({
      journal: ok('', 'Hint: You are currently not seeing messages from other users and the system.\n'),
      dmesg: failed('dmesg: read kernel buffer failed: Operation not permitted\n'),
      oomd: ok('', 'Hint: You are currently not seeing messages from other users and the system.\n'),
    });
    const r = await readKernelOomRecords({ sinceMs: 0, run, kernLogPath: tmp });
    assert.deepEqual(r.records, []);
    assert.match(r.problems[0], /^Could not read the kernel log.*journalctl -k: Hint: You are currently not seeing messages.*dmesg: reading the kernel log is not permitted.*is not a regular file\.$/);
    assert.match(r.problems[1], /usermod -aG systemd-journal/);
    assert.match(r.problems[2], /^Could not read systemd-oomd's journal/);
  });

  it('an empty journal falls through to dmesg; boot-relative times use btime; since filters old kills', async () => {
    const dmesg = fs.readFileSync(fixture('kernel-log', 'cgroup-oom-kill.dmesg.txt'), 'utf8');
    const btime = 1795330418;
    const stat = path.join(tmp, 'stat');
    fs.writeFileSync(stat, `cpu  1 2 3\nbtime ${btime}\nprocesses 9\n`);
    const run = fakeRunner({ journal: ok('-- No entries --\n'), dmesg: ok(dmesg), oomd: ok('-- No entries --\n') });
    const killedAt = btime * 1000 + 1189948;
    const r = await readKernelOomRecords({ sinceMs: killedAt - 60_000, run, procStatPath: stat });
    assert.deepEqual(run.calls, ['journal', 'dmesg', 'oomd']);
    assert.deepEqual(r.sources, ['journalctl -k', 'dmesg', 'journalctl -u systemd-oomd']);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.records.map((x) => [x.pid, x.kind, x.time]), [[21014, 'memcg', killedAt]]);
    const later = await readKernelOomRecords({ sinceMs: killedAt + 1, run, procStatPath: stat });
    assert.deepEqual(later.records, []);
  });

  it('a journal with kernel lines is used alone; oomd kills are added', async () => {
    const run = fakeRunner({
      journal: ok('2026-11-22T06:54:19+00:00 devbox kernel: Out of memory: Killed process 4242 (node) total-vm:2kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4kB oom_score_adj:0\n'),
      oomd: ok('2026-11-22T07:01:02+00:00 devbox systemd-oomd[612]: Killed /user.slice/app-x.scope due to memory pressure for /user.slice being 71.23% > 50.00% for > 20s with reclaim activity\n'),
    });
    const r = await readKernelOomRecords({ sinceMs: Date.UTC(2026, 10, 22), run });
    assert.deepEqual(run.calls, ['journal', 'oomd']);
    assert.deepEqual(r.records.map((x) => [x.kind, x.pid ?? x.memcg]), [['global', 4242], ['oomd', '/user.slice/app-x.scope']]);
  });

  it('journal output cut at maxBuffer (newest first): keeps the newest lines in order and says so', async () => {
    const newest = '2026-11-22T06:54:19+00:00 devbox kernel: Out of memory: Killed process 2 (node) total-vm:2kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0';
    const invoked = '2026-11-22T06:54:19+00:00 devbox kernel: node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0';
    const run = fakeRunner({
      journal: { stdout: `${newest}\n${invoked}\n2026-11-22T06:50:00+00:00 devbox kernel: Out of mem`, stderr: '', error: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER', exitCode: null },
      oomd: ok(''),
    });
    const r = await readKernelOomRecords({ sinceMs: 0, run });
    assert.deepEqual(r.records.map((x) => [x.pid, x.lines.length]), [[2, 2]]);
    assert.match(r.problems.join(), /more than 32 MB; only the newest part was read/);
  });

  it('a real OOM kill in a memory cgroup is found by pid, with the cgroup and its limit', async function () {
    skipUnlessRoot(this, 'creating a memory cgroup');
    const own = /^\d+:memory:(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
    const root = '/sys/fs/cgroup/memory';
    if (own === undefined || !fs.existsSync(path.join(root, own, 'memory.limit_in_bytes'))) {
      console.log('      skipped: needs a cgroup v1 memory controller');
      this.skip();
    }
    const name = `dsd-oom-${process.pid}`;
    const dir = path.join(root, own, name);
    const limit = 64 * 1024 * 1024;
    let child: ChildProcess | null = null;
    fs.mkdirSync(dir);
    try {
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limit));
      const started = Date.now();
      const leak = 'const a=[];setInterval(()=>{for(let i=0;i<8;i++)a.push(Buffer.alloc(4<<20,1))},10)';
      // The shell joins the cgroup, then becomes node: the pid we know is the one the kernel kills.
      child = spawn('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec "${process.execPath}" -e '${leak}'`], { stdio: 'ignore' });
      const pid = child.pid!;
      const signal = await new Promise<string | null>((resolve) => child!.on('exit', (_code, sig) => resolve(sig)));
      assert.equal(signal, 'SIGKILL');
      const r = await readKernelOomRecords({ sinceMs: started - 2000 });
      const rec = r.records.find((x) => x.pid === pid);
      assert.ok(rec, `no record for pid ${pid} in ${JSON.stringify(r)}`);
      assert.equal(rec.kind, 'memcg');
      assert.equal(rec.comm, 'node');
      assert.equal(rec.cgroupLimitBytes, limit);
      assert.ok(rec.memcg?.endsWith(`/${name}`), rec.memcg);
      assert.ok(rec.time !== null && Math.abs(rec.time - Date.now()) < 30_000, `time ${rec.time}`);
      console.log(`      pid ${pid} killed at anon-rss ${((rec.anonRssBytes ?? 0) / 1048576).toFixed(1)} MB; record time ${Date.now() - rec.time!} ms before now`);
    } finally {
      if (child?.pid && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
        try { fs.rmdirSync(dir); } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
    assert.ok(!fs.existsSync(dir), 'cgroup removed');
  });
});
