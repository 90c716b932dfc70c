import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { FallbackProbe } from '../../src/core/system/fallbackProbe';
import { ProcfsProbe } from '../../src/core/system/procfsProbe';
import type { SystemSample } from '../../src/core/types';

// A node process that listens on HOST port 0, prints the port, and waits.
const SERVER = `require('http').createServer().listen(0, process.argv[1], function () { console.log(this.address().port); });`;
// Listens, then on stdin 'spawn' hands its listening fd to a child (printing the child's pid), on 'exit' exits.
const HANDOVER = `
const net = require('net'), { spawn } = require('child_process');
const s = net.createServer().listen(0, '127.0.0.1', () => console.log(s.address().port));
require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'exit') process.exit(0);
  const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: ['ignore', 'ignore', 'ignore', s._handle.fd], detached: true });
  c.unref();
  console.log(c.pid);
});`;

const started: ChildProcess[] = [];
const extraPids: number[] = [];

function start(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'], ...opts });
  started.push(child);
  return child;
}

function nextLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.once('line', (line) => { rl.close(); resolve(line.trim()); });
    child.once('exit', (code) => reject(new Error(`process ${child.pid} exited (${code}) before printing`)));
  });
}

function killPid(pid: number | undefined): void {
  try {
    if (pid) process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function sampleUntil(probe: ProcfsProbe, ok: (s: SystemSample) => boolean, what: string): Promise<SystemSample> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const s = await probe.sample({ diskPaths: [] });
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ipv6LoopbackAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

describe('ProcfsProbe (live, real processes)', function () {
  const probe = new ProcfsProbe();
  let tmp: string;

  before(function () {
    if (process.platform !== 'linux') {
      console.log('      ProcfsProbe needs Linux /proc; this is', process.platform);
      this.skip();
    }
    tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-probe-')));
  });

  after(async () => {
    for (const c of started) killPid(c.pid);
    extraPids.forEach(killPid);
    await Promise.all(started.map(exited));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const host of ['127.0.0.1', '::1']) {
    it(`reports a node server on ${host}: pid, ppid, cwd, argv, rss, start time, socket owner`, async function () {
      if (host === '::1' && !(await ipv6LoopbackAvailable())) {
        console.log('      No IPv6 loopback (::1) on this machine: skipping the IPv6 case.');
        this.skip();
      }
      const spawnedAt = Date.now();
      const child = start(process.execPath, ['-e', SERVER, host], { cwd: tmp, env: { ...process.env, DSD_TEST: 'a=b=c' } });
      const port = Number(await nextLine(child));
      const s = await probe.sample({ diskPaths: [] });
      const p = s.processes.find((x) => x.pid === child.pid);
      assert.ok(p, 'process listed');
      assert.equal(p.ppid, process.pid);
      assert.equal(p.cwd, tmp);
      assert.deepEqual(p.cmdline, [process.execPath, '-e', SERVER, host]);
      assert.equal(p.comm, 'node');
      assert.ok(p.rssBytes > 1024 * 1024, `rss ${p.rssBytes}`);
      assert.ok(Math.abs(p.startTimeMs - spawnedAt) < 3000, `start ${p.startTimeMs} vs spawn ${spawnedAt}`);
      assert.equal(p.uid, process.getuid!());
      const sock = s.sockets.filter((x) => x.port === port);
      assert.equal(sock.length, 1);
      assert.deepEqual({ ...sock[0], inode: 0 }, { family: host === '::1' ? 6 : 4, address: host, port, inode: 0, pid: child.pid });
      assert.ok(sock[0].inode > 0);
      assert.equal(probe.readEnviron(child.pid!)?.DSD_TEST, 'a=b=c');
    });
  }

  it('drops a socket when its server dies, and never reports it again', async () => {
    const child = start(process.execPath, ['-e', SERVER, '127.0.0.1']);
    const port = Number(await nextLine(child));
    const before = await probe.sample({ diskPaths: [] });
    assert.equal(before.sockets.find((x) => x.port === port)?.pid, child.pid);
    child.kill('SIGKILL');
    await exited(child);
    const after = await probe.sample({ diskPaths: [] });
    assert.equal(after.sockets.find((x) => x.port === port), undefined);
    assert.equal(after.processes.find((x) => x.pid === child.pid), undefined);
    assert.equal(probe.readEnviron(child.pid!), null);
    assert.equal(probe.readCgroup(child.pid!), null);
  });

  it('follows a listening socket to the process that inherited it when the first owner exits', async () => {
    const parent = start(process.execPath, ['-e', HANDOVER]);
    const port = Number(await nextLine(parent));
    const first = await probe.sample({ diskPaths: [] });
    assert.equal(first.sockets.find((x) => x.port === port)?.pid, parent.pid);
    parent.stdin!.write('spawn\n');
    const heir = Number(await nextLine(parent));
    extraPids.push(heir);
    const second = await probe.sample({ diskPaths: [] });
    assert.equal(second.sockets.find((x) => x.port === port)?.pid, parent.pid, 'a living owner is kept');
    parent.stdin!.write('exit\n');
    await exited(parent);
    const third = await probe.sample({ diskPaths: [] });
    assert.equal(third.sockets.find((x) => x.port === port)?.pid, heir);
  });

  it('notices a new argv after exec even once the old one was cached', async () => {
    const sh = start('sh', ['-c', 'sleep 2.5; exec sleep 31']);
    const old = await sampleUntil(probe, (x) => Date.now() - (x.processes.find((p) => p.pid === sh.pid)?.startTimeMs ?? Infinity) > 2200, 'a 2 s old shell');
    assert.deepEqual(old.processes.find((p) => p.pid === sh.pid)?.cmdline, ['sh', '-c', 'sleep 2.5; exec sleep 31']);
    const s = await sampleUntil(probe, (x) => x.processes.find((p) => p.pid === sh.pid)?.comm === 'sleep', 'the exec');
    assert.deepEqual(s.processes.find((p) => p.pid === sh.pid)?.cmdline, ['sleep', '31']);
  });

  it('reports an unreaped child as a zombie with empty argv', async () => {
    // The exec'd sleep inherits an exited child ("sleep 0") it never waits for.
    const sh = start('sh', ['-c', 'sleep 0 & exec sleep 30']);
    const s = await sampleUntil(probe, (x) => x.processes.some((p) => p.ppid === sh.pid && p.state === 'Z'), 'a zombie');
    const zombie = s.processes.find((p) => p.ppid === sh.pid && p.state === 'Z')!;
    assert.equal(zombie.comm, 'sleep');
    assert.deepEqual(zombie.cmdline, []);
    assert.equal(zombie.cwd, null);
    assert.equal(zombie.rssBytes, 0);
    assert.equal(s.processes.find((p) => p.pid === sh.pid)?.comm, 'sleep');
  });

  it('reads the memory cgroup limit of a process moved into a fresh cgroup', async function () {
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' '));
    const v1 = mounts.find((f) => f[f.indexOf('-') + 1] === 'cgroup' && f[f.indexOf('-') + 3]?.split(',').includes('memory'));
    const v2 = mounts.find((f) => f[f.indexOf('-') + 1] === 'cgroup2');
    const v2HasMemory = v2 !== undefined && fs.existsSync(path.join(v2[4], 'cgroup.subtree_control')) &&
      fs.readFileSync(path.join(v2[4], 'cgroup.subtree_control'), 'utf8').split(' ').map((c) => c.trim()).includes('memory');
    if (process.getuid!() !== 0 || (!v1 && !v2HasMemory)) {
      console.log(`      Needs root and a memory cgroup controller (uid ${process.getuid!()}, v1 memory: ${!!v1}, v2 memory: ${v2HasMemory}).`);
      this.skip();
    }
    const version = v1 ? 1 : 2;
    const root = v1 ? v1[4] : v2![4];
    const name = `dsd-test-${process.pid}`;
    const outer = path.join(root, name);
    const inner = path.join(outer, 'inner');
    const limit = 200 * 1024 * 1024;
    let sleeper: ChildProcess | undefined;
    fs.mkdirSync(outer);
    try {
      fs.writeFileSync(path.join(outer, version === 1 ? 'memory.limit_in_bytes' : 'memory.max'), String(limit));
      if (version === 2) fs.writeFileSync(path.join(outer, 'cgroup.subtree_control'), '+memory');
      fs.mkdirSync(inner);
      sleeper = start('sleep', ['30']);
      fs.writeFileSync(path.join(inner, 'cgroup.procs'), String(sleeper.pid));
      const cg = probe.readCgroup(sleeper.pid!);
      // The inner cgroup has no limit of its own: the effective one is its parent's.
      assert.deepEqual({ ...cg, usageBytes: 0 }, { version, path: `/${name}/inner`, limitBytes: limit, usageBytes: 0, oomKills: 0 });
      assert.ok(cg!.usageBytes >= 0);
    } finally {
      if (sleeper) {
        killPid(sleeper.pid);
        await exited(sleeper);
      }
      // A cgroup can be removed once its last process has been reaped.
      for (const dir of [inner, outer]) {
        for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
          try {
            fs.rmdirSync(dir);
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
      assert.equal(fs.existsSync(outer), false, `${outer} left behind`);
    }
  });

  it('reads memory, pressure, inotify limits and the temp dir disk like the kernel reports them', async () => {
    const s = await probe.sample({ diskPaths: [os.tmpdir(), tmp] });
    const meminfoTotal = Number(/^MemTotal:\s+(\d+)/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
    assert.equal(s.memory.totalBytes, meminfoTotal);
    assert.ok(s.memory.availableBytes > 0 && s.memory.availableBytes <= meminfoTotal);
    assert.equal(s.pressure !== null, fs.existsSync('/proc/pressure/memory'));
    assert.deepEqual(s.inotify, {
      maxUserWatches: Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8')),
      maxUserInstances: Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_instances', 'utf8')),
    });
    const st = fs.statfsSync(os.tmpdir());
    const disk = s.disks.find((d) => d.forPaths.includes(os.tmpdir()));
    assert.ok(disk, 'temp dir disk reported');
    assert.ok(disk.forPaths.includes(tmp), 'a folder inside the temp dir shares its disk');
    assert.equal(disk.totalBytes, st.blocks * st.bsize);
    assert.ok(Math.abs(disk.freeBytes - st.bavail * st.bsize) < 256 * 1024 * 1024, 'free space close to statfs');
    assert.ok(disk.usedPercent >= 0 && disk.usedPercent <= 100);
    assert.ok(disk.mount.startsWith('/'));
    assert.ok(disk.fsType);
  });

  it('warns once about an unreadable disk path and never throws', async () => {
    const missing = path.join(tmp, 'does-not-exist');
    const first = await probe.sample({ diskPaths: [missing] });
    const second = await probe.sample({ diskPaths: [missing] });
    assert.equal(first.warnings.filter((w) => w.includes(missing)).length, 1);
    assert.equal(second.warnings.filter((w) => w.includes(missing)).length, 0);
    assert.deepEqual(first.disks, []);
    assert.equal(probe.readEnviron(2 ** 22 + 12345), null);
    assert.equal(probe.readCgroup(2 ** 22 + 12345), null);
  });
});

describe('FallbackProbe (live, systeminformation)', () => {
  const probe = new FallbackProbe();

  after(async () => {
    for (const c of started) killPid(c.pid);
    await Promise.all(started.map(exited));
  });

  it('finds a node server, its listening port and the machine facts', async () => {
    const spawnedAt = Date.now();
    const child = start(process.execPath, ['-e', SERVER, '127.0.0.1']);
    const port = Number(await nextLine(child));
    const s = await probe.sample({ diskPaths: [os.tmpdir()] });
    const p = s.processes.find((x) => x.pid === child.pid);
    assert.ok(p, 'process listed');
    assert.equal(p.ppid, process.pid);
    assert.ok(p.rssBytes > 1024 * 1024, `rss ${p.rssBytes}`);
    // ps reports start times to the second (derived from elapsed time).
    assert.ok(Math.abs(p.startTimeMs - spawnedAt) < 5000, `start ${p.startTimeMs} vs spawn ${spawnedAt}`);
    assert.deepEqual(s.sockets.find((x) => x.port === port), { family: 4, address: '127.0.0.1', port, inode: 0, pid: child.pid });
    assert.equal(s.memory.totalBytes, os.totalmem());
    assert.ok(s.disks.some((d) => d.forPaths.includes(os.tmpdir()) && d.totalBytes > 0));
    assert.deepEqual(s.warnings, []);
    assert.equal(probe.readEnviron(), null);
    assert.equal(probe.readCgroup(), null);
  });
});
