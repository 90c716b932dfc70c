// Live: every crash cause produced by a real dev server (npm run dev, output in logs/dev.log), seen by
// `watch --json` as it happens and found again cold by `investigate --json`, with the culprit's pid.
import * as assert from 'node:assert/strict';
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { inotifyUsage } from '../../src/core/system/inotify';
import type { CauseId } from '../../src/core/crash/types';
import type { ReportJson, VerdictJson } from '../../src/core/crash/report';
import { crashingAppSource as appSource, freePort, isAlive, output, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const run = promisify(execFile);
const CLI = path.join(REPO, 'dist', 'cli.js');
const isRoot = process.getuid?.() === 0;

function skipUnlessRoot(ctx: Mocha.Context, what: string): void {
  if (!isRoot) {
    console.log(`      skipped: ${what} needs root (running as uid ${process.getuid?.()})`);
    ctx.skip();
  }
}

interface CaseOptions {
  /** Script body of "dev"; default `node <nodeArgs> server.js`. */
  readonly script?: string;
  readonly nodeArgs?: string;
  readonly crash: string;
  readonly file?: string;
  /** Wraps the start command (e.g. to join a cgroup). */
  readonly wrap?: (cmd: string) => string;
  readonly env?: NodeJS.ProcessEnv;
  /** Runs just before "go"; returns what undoes it, run as soon as the crash is seen. */
  readonly arm?: () => (() => void);
}

interface CaseResult {
  readonly ws: string;
  readonly appPid: number;
  readonly live: VerdictJson;
  readonly watchLines: string[];
}

describe('live: each crash cause through watch --json and investigate --json', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  let tag = 0;

  before(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  });
  after(() => jar.cleanup());

  async function workspace(name: string, opts: CaseOptions): Promise<string> {
    const ws = fs.realpathSync(jar.tempDir(`dsd-cause-${name}-`));
    const file = opts.file ?? 'server.js';
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: `cause-${name}`, version: '1.0.0', private: true, scripts: { dev: opts.script ?? `node ${opts.nodeArgs ?? ''} ${file}`.replace(/\s+/g, ' ') } }),
      [file]: appSource(opts.crash),
      'logs/.keep': '',
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'), 'dir');
    return ws;
  }

  const verdictLines = (watch: ChildProcess): VerdictJson[] =>
    output(watch).split('\n').filter((l) => l.startsWith('{"type":"verdict"')).map((l) => JSON.parse(l) as VerdictJson);

  async function crashCase(name: string, opts: CaseOptions, wanted: (v: VerdictJson) => boolean = () => true): Promise<CaseResult> {
    const ws = await workspace(`${name}-${++tag}`, opts);
    const watch = jar.start(process.execPath, [CLI, 'watch', '--json', '--interval', '0.3', '--workspace', ws], { cwd: REPO });
    const start = `npm run dev > logs/dev.log 2>&1`;
    const server = jar.start('sh', ['-c', opts.wrap ? opts.wrap(start) : start], { cwd: ws, env: { ...process.env, ...opts.env } });
    const appPid = Number(await waitFor('the app to start', () => fs.existsSync(path.join(ws, '.pid')) && fs.readFileSync(path.join(ws, '.pid'), 'utf8'))
      .catch((e: Error) => { throw new Error(`${e.message}\n${fs.readFileSync(path.join(ws, 'logs/dev.log'), 'utf8')}`); }));
    // Three polls of the watcher: it has seen the app process.
    await waitFor('watch to see the app', () => output(watch).includes(`"serverId":"${ws}#dev"`));
    await new Promise((r) => setTimeout(r, 1000));
    const undo = opts.arm?.();
    let live: VerdictJson;
    let latency: number;
    try {
      fs.writeFileSync(path.join(ws, 'go'), '');
      await waitFor('the app to die', () => !isAlive(appPid), 30_000);
      const died = Date.now();
      live = await waitFor(`a ${name} verdict from watch`, () => verdictLines(watch).find(wanted), 30_000)
        .catch((e: Error) => { throw new Error(`${e.message}\nwatch said:\n${output(watch)}\nlog:\n${fs.readFileSync(path.join(ws, 'logs/dev.log'), 'utf8')}`); });
      latency = Date.now() - died;
    } finally {
      undo?.();
    }
    // Seen at the next poll (0.3 s), judged at once: well within one default interval (2 s).
    assert.ok(latency < 2000, `verdict ${latency} ms after the death`);
    await waitFor('npm to exit or the watcher to wait', () => !isAlive(server.pid!) || opts.script?.includes('watch') || opts.script?.includes('nodemon'));
    console.log(`      watch (${latency} ms after the death): ${live.cause} (${live.confidence}) pid ${live.pid}: ${live.summary}`);
    return { ws, appPid, live, watchLines: output(watch).split('\n') };
  }

  async function investigateJson(ws: string): Promise<ReportJson> {
    const { stdout } = await run(process.execPath, [CLI, 'investigate', '--json', '--since', '10m', '--workspace', ws], { maxBuffer: 32 << 20 });
    return JSON.parse(stdout) as ReportJson;
  }

  async function cold(ws: string, cause: CauseId): Promise<VerdictJson> {
    const report = await investigateJson(ws);
    const v = report.verdicts.find((x) => x.cause === cause && x.server?.startsWith('cause-'));
    assert.ok(v, `investigate --json has a ${cause} verdict for the workspace: ${JSON.stringify(report.verdicts.map((x) => [x.cause, x.server, x.pid]))}`);
    console.log(`      investigate: ${v.cause} (${v.confidence}) pid ${v.pid}: ${v.summary}`);
    return v;
  }

  function assertSameServer(live: VerdictJson, coldV: VerdictJson, name: string): void {
    assert.match(live.server ?? '', new RegExp(`^cause-${name}`));
    assert.equal(coldV.server, live.server, 'cold and live name the server alike');
  }

  it('heap-oom: a server with a tiny --max-old-space-size', async () => {
    const r = await crashCase('heap-oom', {
      nodeArgs: '--max-old-space-size=40',
      crash: 'const a = []; setInterval(() => { for (let i = 0; i < 20000; i++) a.push({ i, s: "x".repeat(40) + i }); }, 5);',
    });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['heap-oom', 'high', r.appPid]);
    assert.match(r.live.summary, /ran out of JavaScript heap: V8 aborted it \(heap used \d+ MB (at its last GC|per its Node report), all spaces · heap limit 40 MB, old space\)/);
    assert.equal(r.live.remedies[0].id, 'raise-heap-limit');
    const c = await cold(r.ws, 'heap-oom');
    assertSameServer(r.live, c, 'heap-oom');
    assert.equal(c.pid, r.appPid, 'V8\'s GC trace names the pid');
  });

  it('port-in-use: the port is held by an orphan, and the verdict names the holder\'s pid and command', async () => {
    const port = await freePort();
    const holderDir = fs.realpathSync(jar.tempDir('dsd-holder-'));
    fs.writeFileSync(path.join(holderDir, 'holder.js'), `require('http').createServer().listen(${port}, '127.0.0.1', () => require('fs').writeFileSync(__dirname + '/.up', String(process.pid)));`);
    // The shell backgrounds the holder and exits: the holder is re-parented, an orphan.
    jar.start('sh', ['-c', 'node holder.js --old-instance & exit 0'], { cwd: holderDir });
    const holderPid = Number(await waitFor('holder listening', () => fs.existsSync(path.join(holderDir, '.up')) && fs.readFileSync(path.join(holderDir, '.up'), 'utf8')));
    const r = await crashCase('port-in-use', { crash: `require('http').createServer().listen(${port}, '127.0.0.1');` });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['port-in-use', 'high', r.appPid]);
    assert.deepEqual(r.live.detail?.holder, { pid: holderPid, command: 'node holder.js --old-instance' });
    assert.match(r.live.summary, new RegExp(`port ${port}, already in use: it is held by pid ${holderPid} \\(node holder\\.js --old-instance\\)`));
    assert.deepEqual([r.live.remedies[0].id, r.live.remedies[0].args], ['kill-port-holder', { port, pid: holderPid }]);
    const c = await cold(r.ws, 'port-in-use');
    assertSameServer(r.live, c, 'port-in-use');
    assert.equal(c.detail?.holder?.pid, holderPid, 'cold, the socket table still names the holder');
    try { process.kill(holderPid, 'SIGKILL'); } catch { /* gone */ }
  });

  it('missing-module', async () => {
    const r = await crashCase('missing-module', { crash: `require('express-nope');` });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['missing-module', 'high', r.appPid]);
    assert.deepEqual([r.live.remedies[0].id, (r.live.remedies[0].args as { package: string }).package], ['install-dependencies', 'express-nope']);
    assertSameServer(r.live, await cold(r.ws, 'missing-module'), 'missing-module');
  });

  it('uncaught-exception: a thrown error, with the top frame in server.js', async () => {
    const r = await crashCase('throw', { crash: `(function handler() { throw new Error('boom in handler'); })();` });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['uncaught-exception', 'high', r.appPid]);
    assert.match(r.live.topFrame ?? '', new RegExp(`handler \\(${r.ws}/server\\.js:\\d+:\\d+\\)`));
    assert.match(r.live.summary, /uncaught exception: Error: boom in handler at .*server\.js:\d+:\d+/);
    assertSameServer(r.live, await cold(r.ws, 'uncaught-exception'), 'throw');
  });

  it('unhandled-rejection: a rejected promise', async () => {
    const r = await crashCase('reject', { crash: `Promise.reject(new Error('db connection refused'));` });
    assert.deepEqual([r.live.cause, r.live.pid], ['unhandled-rejection', r.appPid]);
    assertSameServer(r.live, await cold(r.ws, 'unhandled-rejection'), 'reject');
  });

  it('native-crash: a real SIGSEGV (deep recursion past the stack) that the kernel logs', async () => {
    const r = await crashCase('segv', {
      nodeArgs: '--disable-wasm-trap-handler --stack-size=65500',
      crash: 'function f(x) { return f(x + 1) + 1; } f(0);',
    });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['native-crash', 'high', r.appPid]);
    assert.equal(r.live.detail?.signal, 'SIGSEGV');
    const c = await cold(r.ws, 'native-crash');
    assertSameServer(r.live, c, 'segv');
    if (r.live.evidence.some((e) => e.source === 'kernel')) assert.equal(c.pid, r.appPid, 'the kernel\'s segfault line names the pid');
    else console.log('      (the kernel did not log this segfault: printk rate limit)');
  });

  it('watcher-waiting: nodemon with a crashing app', async () => {
    const r = await crashCase('nodemon', { script: 'nodemon server.js', crash: `throw new Error('nodemon app boom');` });
    assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid, r.live.detail?.underlying], ['watcher-waiting', 'high', r.appPid, 'uncaught-exception']);
    assert.match(r.live.summary, /nodemon is waiting for file changes/);
    assertSameServer(r.live, await cold(r.ws, 'watcher-waiting'), 'nodemon');
  });

  it('watcher-waiting: tsx watch with a crashing app (no "crashed" line: the live watcher tells)', async () => {
    const r = await crashCase('tsx', { script: 'tsx watch server.ts', file: 'server.ts', crash: `throw new Error('tsx app boom');` });
    assert.deepEqual([r.live.cause, r.live.pid, r.live.detail?.underlying], ['watcher-waiting', r.appPid, 'uncaught-exception']);
    assert.match(r.live.summary, /tsx watch is waiting/);
    const c = await cold(r.ws, 'watcher-waiting');
    assertSameServer(r.live, c, 'tsx');
    assert.equal(c.confidence, 'high');
  });

  it('oom-kill: a server in a memory cgroup (v1) that the kernel kills', async function () {
    skipUnlessRoot(this, 'creating a memory cgroup');
    const root = '/sys/fs/cgroup/memory';
    if (!fs.existsSync(path.join(root, 'memory.limit_in_bytes'))) {
      console.log('      skipped: needs a cgroup v1 memory controller at /sys/fs/cgroup/memory');
      this.skip();
    }
    const cg = path.join(root, `dsd-causes-${process.pid}`);
    const limit = 256 * 1024 * 1024;
    fs.mkdirSync(cg);
    try {
      fs.writeFileSync(path.join(cg, 'memory.limit_in_bytes'), String(limit));
      const r = await crashCase('oom', {
        wrap: (cmd) => `echo $$ > ${cg}/cgroup.procs && ${cmd}`,
        crash: 'const a = []; setInterval(() => { for (let i = 0; i < 4; i++) a.push(Buffer.alloc(4 << 20, 1)); }, 10);',
      });
      assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['oom-kill', 'high', r.appPid]);
      assert.match(r.live.summary, /was killed by the kernel OOM killer at \d+ MB, cgroup limit 256 MB$/);
      assert.ok(r.live.evidence.some((e) => e.source === 'kernel' && e.text.includes(`Killed process ${r.appPid}`)));
      const c = await cold(r.ws, 'oom-kill');
      assertSameServer(r.live, c, 'oom');
      assert.equal(c.pid, r.appPid, 'the log\'s "Killed" joined with the kernel record');
    } finally {
      for (let i = 0; i < 50 && fs.existsSync(cg); i++) {
        try { fs.rmdirSync(cg); } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
    assert.ok(!fs.existsSync(cg), 'cgroup removed');
  });

  it('disk-full: a write to a tiny tmpfs', async function () {
    skipUnlessRoot(this, 'mounting a tmpfs');
    const mnt = fs.realpathSync(jar.tempDir('dsd-tinyfs-'));
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    assert.equal(mount.status, 0, mount.stderr);
    try {
      const r = await crashCase('disk', { crash: `fs.writeFileSync(${JSON.stringify(path.join(mnt, 'blob'))}, Buffer.alloc(4 << 20, 1));` });
      assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['disk-full', 'high', r.appPid]);
      assert.equal(r.live.remedies[0].id, 'free-disk');
      assertSameServer(r.live, await cold(r.ws, 'disk-full'), 'disk');
    } finally {
      const um = spawnSync('umount', [mnt], { encoding: 'utf8' });
      assert.equal(um.status, 0, um.stderr);
    }
  });

  it('inotify-limit: fs.inotify.max_user_watches lowered while the app starts watching (restored at once)', async function () {
    skipUnlessRoot(this, 'changing fs.inotify.max_user_watches');
    const file = '/proc/sys/fs/inotify/max_user_watches';
    const original = fs.readFileSync(file, 'utf8').trim();
    let restored = false;
    const restore = (): void => { if (!restored) { fs.writeFileSync(file, original); restored = true; } };
    try {
      const r = await crashCase('inotify', {
        crash: 'for (let i = 0; i < 200; i++) { const d = __dirname + "/w" + i; fs.mkdirSync(d, { recursive: true }); fs.watch(d, () => {}); }',
        arm: () => {
          const used = inotifyUsage(0)?.watches ?? 0;
          fs.writeFileSync(file, String(used + 50));
          return restore;
        },
      });
      assert.equal(fs.readFileSync(file, 'utf8').trim(), original, 'restored');
      assert.deepEqual([r.live.cause, r.live.confidence, r.live.pid], ['inotify-limit', 'high', r.appPid]);
      assert.equal(r.live.remedies[0].detail, `${process.getuid?.() === 0 ? '' : 'sudo '}sysctl fs.inotify.max_user_watches=524288`);
      assert.match(r.live.summary, /the disk is not full/);
      assertSameServer(r.live, await cold(r.ws, 'inotify-limit'), 'inotify');
    } finally {
      restore();
    }
    assert.equal(fs.readFileSync(file, 'utf8').trim(), original);
  });

  it('too-many-open-files: the descriptor limit (ulimit -n) runs out', async () => {
    const r = await crashCase('emfile', {
      script: `sh -c 'ulimit -n 256 && exec node server.js'`,
      crash: 'const fds = []; for (;;) fds.push(fs.openSync(__filename, "r"));',
    });
    assert.deepEqual([r.live.cause, r.live.pid], ['too-many-open-files', r.appPid]);
    assertSameServer(r.live, await cold(r.ws, 'too-many-open-files'), 'emfile');
  });

  it('killed: SIGKILL from someone else (no OOM record) is not an OOM kill', async () => {
    // Someone else: a separate shell sends SIGKILL to the app.
    const r = await crashCase('killed', {
      crash: `require('child_process').spawn('sh', ['-c', 'sleep 0.2; kill -KILL ' + process.pid], { detached: true, stdio: 'ignore' }).unref();`,
    });
    assert.deepEqual([r.live.cause, r.live.pid], ['killed', r.appPid]);
    assert.ok(!r.live.evidence.some((e) => e.source === 'kernel'), 'no kernel record');
  });

  it('a clean stop (SIGINT to the whole group, as Ctrl-C does) gives no verdict', async () => {
    const ws = await workspace(`clean-${++tag}`, { crash: '' });
    const watch = jar.start(process.execPath, [CLI, 'watch', '--json', '--interval', '0.3', '--workspace', ws], { cwd: REPO });
    const server = jar.start('sh', ['-c', 'npm run dev > logs/dev.log 2>&1'], { cwd: ws });
    await waitFor('the app', () => fs.existsSync(path.join(ws, '.pid')));
    await waitFor('watch to see it', () => output(watch).includes(`"serverId":"${ws}#dev"`));
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(-server.pid!, 'SIGINT');
    await waitFor('server-down', () => output(watch).includes('"type":"server-down"'));
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(verdictLines(watch), []);
    const report = await investigateJson(ws);
    assert.deepEqual(report.verdicts.filter((v) => v.server?.startsWith('cause-clean')), []);
  });
});
