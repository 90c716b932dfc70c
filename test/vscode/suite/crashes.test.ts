// Crash verdicts inside a real VS Code: real servers in the fixture workspace crash for each cause; the
// extension's watcher must name the cause, server and pid, notify once, and Investigate Crash must report it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { inotifyUsage } from '../../../src/core/system/inotify';
import type { CauseId, Verdict } from '../../../src/core/crash/types';
import type { DevServerDoctorApi } from '../../../src/extension';
import { crashingAppSource, freePort, isAlive, REPO, waitFor, writeFiles } from '../../live/liveHelpers';
import { note } from './notes';
import { activateApi, testFolder } from './helpers';

const isRoot = process.getuid?.() === 0;
const SECRETS = ['sk-live-4242secret', 'hunter2pw', 'cmdline-pass-77'];

describe('Dev Server Doctor: crash verdicts in a real VS Code', function () {
  this.timeout(90_000);
  // A crash every few seconds here: lift the notification rate limit (3 a minute by default).
  const { ws, jar } = testFolder('crashes', { settings: { 'notifications.maxPerMinute': 60 } });
  let api: DevServerDoctorApi;
  let n = 0;
  before(async () => { api = await activateApi(); });
  // Leave the fixture workspace as the other suites expect it (testFolder removes crashes/).
  after(async () => {
    fs.rmSync(path.join(ws, 'logs'), { recursive: true, force: true });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
  });

  function skipUnlessRoot(ctx: Mocha.Context, what: string): void {
    if (!isRoot) {
      note(`      skipped: ${what} needs root`);
      ctx.skip();
    }
  }

  /** A package `crashes/<name>` whose dev script runs the crashing app; returns its folder. */
  async function crashPackage(name: string, crash: string, opts: { script?: string; nodeArgs?: string } = {}): Promise<string> {
    const dir = path.join(ws, 'crashes', `${name}-${++n}`);
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: `crash-${name}`, private: true, scripts: { dev: opts.script ?? `node ${opts.nodeArgs ?? ''} server.js`.replace(/\s+/g, ' ') } }),
      'server.js': crashingAppSource(crash),
      'logs/.keep': '',
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    return dir;
  }

  const pidOf = (dir: string) => waitFor('the app to write its pid', () => fs.existsSync(path.join(dir, '.pid')) && Number(fs.readFileSync(path.join(dir, '.pid'), 'utf8')));

  /** Waits until the extension's monitor has seen the app's process in its server. */
  const seen = (pid: number) => waitFor(`the monitor to see pid ${pid}`, () => api.snapshot()?.servers.some((s) => s.pids.includes(pid)));

  async function crashAndJudge(dir: string, appPid: number, cause: CauseId, arm?: () => () => void): Promise<Verdict> {
    await seen(appPid);
    const undo = arm?.();
    try {
      fs.writeFileSync(path.join(dir, 'go'), '');
      await waitFor('the app to die', () => !isAlive(appPid), 30_000);
      const v = await waitFor(`a ${cause} verdict for pid ${appPid}`, () => api.verdicts().find((x) => x.pid === appPid), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; verdicts: ${JSON.stringify(api.verdicts().slice(-3).map((x) => ({ pid: x.pid, cause: x.cause, server: x.server, via: x.detail?.via, summary: x.summary })))}`);
      });
      assert.equal(v.cause, cause, `${v.cause}: ${v.summary}\nevidence: ${JSON.stringify(v.evidence, null, 1)}`);
      assert.match(v.server ?? '', /^crash-/);
      assert.ok(api.notifications().includes(v.summary), 'a notification named the crash');
      note(`      ${v.cause} (${v.confidence}) pid ${v.pid}: ${v.summary}`);
      return v;
    } finally {
      undo?.();
    }
  }

  async function npmCase(name: string, cause: CauseId, crash: string, opts: { script?: string; nodeArgs?: string; arm?: () => () => void; env?: NodeJS.ProcessEnv } = {}): Promise<Verdict> {
    const dir = await crashPackage(name, crash, opts);
    jar.start('sh', ['-c', 'npm run dev > logs/dev.log 2>&1'], { cwd: dir, env: { ...process.env, ...opts.env } });
    return crashAndJudge(dir, await pidOf(dir), cause, opts.arm);
  }

  it('heap-oom: a tiny --max-old-space-size, with secrets in env and command line', async () => {
    const v = await npmCase('heap', 'heap-oom', 'const a = []; setInterval(() => { for (let i = 0; i < 20000; i++) a.push({ i, s: "x".repeat(40) + i }); }, 5);', {
      nodeArgs: '--max-old-space-size=40',
      script: `node --max-old-space-size=40 server.js --password=${SECRETS[2]}`,
      env: { API_KEY: SECRETS[0], DATABASE_URL: `postgres://app:${SECRETS[1]}@db.local/shop` },
    });
    assert.equal(v.confidence, 'high');
    assert.equal(v.remedies[0]!.id, 'raise-heap-limit');
    // One number everywhere: the toast's button names the size the remedy carries (the input box's default).
    const mb = (v.remedies[0]!.args as { megabytes: number }).megabytes;
    const toast = api.notificationsShown().find((n) => n.kind === 'crash' && n.message === v.summary);
    assert.ok(toast?.buttons.includes(`Raise Heap to ${mb} MB…`), `${mb} MB on the button: ${JSON.stringify(toast?.buttons)}`);
  });

  it('port-in-use: the holder is named by pid', async () => {
    const port = await freePort();
    const holder = jar.start(process.execPath, ['-e', `require('http').createServer().listen(${port}, '127.0.0.1')`], { cwd: REPO });
    await waitFor('holder listening', () => api.snapshot()?.sockets.some((s) => s.port === port && s.pid === holder.pid) || (void api.refresh(), false));
    const v = await npmCase('port', 'port-in-use', `require('http').createServer().listen(${port}, '127.0.0.1');`);
    assert.equal(v.detail?.holder?.pid, holder.pid);
  });

  it('missing-module', async () => {
    const v = await npmCase('module', 'missing-module', `require('express-nope');`);
    assert.equal(v.remedies[0]!.id, 'install-dependencies');
  });

  it('uncaught-exception with the top frame in the app', async () => {
    const v = await npmCase('throw', 'uncaught-exception', `(function handler() { throw new Error('boom in handler'); })();`);
    assert.match(v.topFrame ?? '', /server\.js:\d+:\d+/);
  });

  it('unhandled-rejection', async () => {
    await npmCase('reject', 'unhandled-rejection', `Promise.reject(new Error('db connection refused'));`);
  });

  it('native-crash: a real SIGSEGV', async () => {
    await npmCase('segv', 'native-crash', 'function f(x) { return f(x + 1) + 1; } f(0);', { nodeArgs: '--disable-wasm-trap-handler --stack-size=65500' });
  });

  it('watcher-waiting: nodemon with a crashing app', async () => {
    const v = await npmCase('nodemon', 'watcher-waiting', `throw new Error('nodemon app boom');`, { script: 'nodemon server.js' });
    assert.equal(v.detail?.underlying, 'uncaught-exception');
  });

  it('oom-kill: the kernel OOM killer in a memory cgroup', async function () {
    skipUnlessRoot(this, 'a memory cgroup');
    const cg = `/sys/fs/cgroup/memory/dsd-vscode-${process.pid}`;
    if (!fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
      note('      skipped: no cgroup v1 memory controller');
      this.skip();
    }
    fs.mkdirSync(cg);
    try {
      fs.writeFileSync(path.join(cg, 'memory.limit_in_bytes'), String(256 * 1024 * 1024));
      const dir = await crashPackage('oom', 'const a = []; setInterval(() => { for (let i = 0; i < 4; i++) a.push(Buffer.alloc(4 << 20, 1)); }, 10);');
      jar.start('sh', ['-c', `echo $$ > ${cg}/cgroup.procs && npm run dev > logs/dev.log 2>&1`], { cwd: dir });
      const v = await crashAndJudge(dir, await pidOf(dir), 'oom-kill');
      assert.equal(v.confidence, 'high');
      assert.match(v.summary, /killed by the kernel OOM killer at \d+ MB, cgroup limit 256 MB/);
    } finally {
      for (let i = 0; i < 50 && fs.existsSync(cg); i++) {
        try { fs.rmdirSync(cg); } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
  });

  it('disk-full: a write to a 1 MB tmpfs', async function () {
    skipUnlessRoot(this, 'mounting a tmpfs');
    const mnt = fs.realpathSync(jar.tempDir('dsd-vscode-tinyfs-'));
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status, 0);
    try {
      await npmCase('disk', 'disk-full', `fs.writeFileSync(${JSON.stringify(path.join(mnt, 'blob'))}, Buffer.alloc(4 << 20, 1));`);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('inotify-limit: a lowered fs.inotify.max_user_watches (restored at once)', async function () {
    skipUnlessRoot(this, 'changing fs.inotify.max_user_watches');
    const file = '/proc/sys/fs/inotify/max_user_watches';
    const original = fs.readFileSync(file, 'utf8').trim();
    const restore = () => fs.writeFileSync(file, original);
    try {
      const v = await npmCase('inotify', 'inotify-limit',
        'for (let i = 0; i < 200; i++) { const d = __dirname + "/w" + i; fs.mkdirSync(d, { recursive: true }); fs.watch(d, () => {}); }',
        { arm: () => { fs.writeFileSync(file, String((inotifyUsage(0)?.watches ?? 0) + 50)); return restore; } });
      assert.match(v.remedies[0]!.detail ?? '', /sysctl fs\.inotify\.max_user_watches=/);
    } finally {
      restore();
    }
    assert.equal(fs.readFileSync(file, 'utf8').trim(), original);
  });

  it('killed: SIGKILL from someone else, seen through the terminal\'s exit code', async () => {
    const dir = await crashPackage('killed', '');
    const term = vscode.window.createTerminal({ name: 'dsd-killed', cwd: dir, shellPath: '/bin/bash' });
    try {
      const si = await waitFor('shell integration in the terminal', () => term.shellIntegration, 30_000);
      si.executeCommand('npm run dev');
      const appPid = await pidOf(dir);
      await seen(appPid);
      process.kill(appPid, 'SIGKILL');
      const v = await waitFor(`a verdict for pid ${appPid}`, () => api.verdicts().find((x) => x.pid === appPid), 20_000);
      assert.equal(v.cause, 'killed', v.summary);
      assert.ok(v.evidence.some((e) => e.source === 'output' || e.source === 'exit'), 'the terminal output or exit code is evidence');
    } finally {
      term.dispose();
    }
  });

  /** When a line matching `re` first appears in `file` (polled every 20 ms); stop() ends the polling. */
  function lineWatch(file: string, re: RegExp): { at: () => number | null; stop: () => void } {
    let at: number | null = null;
    const timer = setInterval(() => {
      try { if (at === null && re.test(fs.readFileSync(file, 'utf8'))) at = Date.now(); } catch { /* not yet there */ }
    }, 20);
    return { at: () => at, stop: () => clearInterval(timer) };
  }

  it('a followed log file (the server\'s logs/): one verdict within 2 s of the crash line, the poll that then sees the exit merges into it', async () => {
    // Polls 10 s apart: only the followed log can give the verdict within 2 s.
    const cfg = vscode.workspace.getConfiguration('devServerDoctor');
    await cfg.update('pollIntervalSeconds', 10, vscode.ConfigurationTarget.Workspace);
    /** One background app writing to its log crashes; its verdict, the crash line's time, its folder and pid. */
    const attempt = async (name: string) => {
      const dir = await crashPackage(name, `(function drain() { throw new Error('worker pool exhausted'); })();`);
      const log = path.join(dir, 'logs', 'app.log');
      fs.writeFileSync(log, `> crash-${name} starting\n`);
      // No terminal, no task: a background process writing to its log.
      jar.start('sh', ['-c', 'exec node server.js >> logs/app.log 2>&1'], { cwd: dir });
      const appPid = await pidOf(dir);
      const watch = lineWatch(log, /^Node\.js v\d/m);
      try {
        await waitFor(`the monitor to see pid ${appPid}`, () => api.snapshot()?.servers.some((s) => s.pids.includes(appPid)) || (void api.refresh(), false));
        // No poll in flight when it crashes: the next one is 10 s away.
        await api.refresh();
        fs.writeFileSync(path.join(dir, 'go'), '');
        const v = await waitFor(`a verdict for pid ${appPid}`, () => api.verdicts().find((x) => x.pid === appPid), 20_000);
        const lineAt = await waitFor('the crash line in the log', () => watch.at(), 5000);
        return { v, lineAt, dir, appPid };
      } finally {
        watch.stop();
      }
    };
    try {
      let r = await attempt('logged');
      // A poll the editor made for its own reasons (a terminal of another test starting a command, a settings change)
      // may see the death first: then the log's verdict merges into the poll's. Once more with a fresh app; the log
      // must win that time.
      if (r.v.detail?.via === 'poll') {
        note(`      log (server's folder): a poll judged it first (${r.v.summary}); once more`);
        r = await attempt('logged-again');
      }
      const { v, lineAt, dir, appPid } = r;
      const delay = v.detail!.detectedAt! - lineAt;
      note(`      log (server's folder): ${v.cause} via ${v.detail?.via}, ${delay} ms after the line was written (internal ${v.detail!.detectedAt! - v.detail!.lineAt!} ms): ${v.summary}`);
      assert.equal(v.detail?.via, 'log');
      assert.equal(v.cause, 'uncaught-exception');
      assert.match(v.server ?? '', /^crash-logged/);
      assert.match(v.summary, /worker pool exhausted/);
      assert.ok(delay < 2000, `verdict ${delay} ms after the crash line`);
      await waitFor('the notification', () => api.notifications().includes(v.summary), 5000);
      // A poll (10 s apart) then sees the process gone: the same crash, no second verdict.
      const gone = await waitFor('a poll that sees the app gone', () => {
        const snap = api.snapshot();
        return snap && snap.takenAt > v.detail!.detectedAt! && !snap.servers.some((s) => s.pids.includes(appPid)) && snap;
      }, 30_000);
      await waitFor('the poll after it', () => (api.snapshot()?.takenAt ?? 0) > gone.takenAt || (void api.refresh(), false), 30_000);
      const mine = api.verdicts().filter((x) => x.detail?.cwd === dir || x.pid === appPid);
      assert.equal(mine.length, 1, mine.map((x) => `${x.detail?.via}: ${x.summary}`).join('\n'));
    } finally {
      await cfg.update('pollIntervalSeconds', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a followed log at the workspace root (monorepo logs/), an app dying at start that no poll ever sees: one verdict naming its server', async () => {
    const dir = await crashPackage('rootlog', '');
    // It dies at once, before any poll could see it.
    fs.writeFileSync(path.join(dir, 'server.js'), `(function connectQueue() { throw new Error('queue credentials rejected'); })();\n`);
    const log = path.join(ws, 'logs', `rootlog-${n}.log`);
    fs.mkdirSync(path.dirname(log), { recursive: true });
    fs.writeFileSync(log, '');
    const watch = lineWatch(log, /^Node\.js v\d/m);
    try {
      // Give the editor's file watcher the new log before the app writes to it (either way it is read whole: it is new).
      await new Promise((r) => setTimeout(r, 1000));
      const since = Date.now();
      jar.start('sh', ['-c', `exec node server.js >> ${JSON.stringify(log)} 2>&1`], { cwd: dir });
      const lineAt = await waitFor('the crash line in the log', () => watch.at(), 10_000);
      const v = await waitFor('a verdict from the root log', () => api.verdicts().find((x) => x.time >= since && /queue credentials rejected/.test(x.summary)), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}; log:\n${fs.readFileSync(log, 'utf8')}\nverdicts: ${JSON.stringify(api.verdicts().slice(-3).map((x) => [x.detail?.via, x.summary]))}`);
      });
      const delay = v.detail!.detectedAt! - lineAt;
      note(`      log (workspace root): ${v.cause} via ${v.detail?.via}, ${delay} ms after the line was written: ${v.summary}`);
      assert.equal(v.detail?.via, 'log');
      assert.equal(v.cause, 'uncaught-exception');
      assert.match(v.server ?? '', /^crash-rootlog/, 'the server whose code is in the stack, not the root server');
      assert.ok(delay < 2000, `verdict ${delay} ms after the crash line`);
      await waitFor('the notification', () => api.notifications().includes(v.summary), 5000);
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(api.verdicts().filter((x) => /queue credentials rejected/.test(x.summary)).length, 1);
    } finally {
      watch.stop();
      fs.rmSync(log, { force: true });
    }
  });

  it('every crash is kept in the crash history and listed in the Crashes view, with counts', () => {
    const recorded = api.history.entries({ includeResolved: true });
    for (const v of api.verdicts()) assert.ok(recorded.some((e) => e.pid === v.pid && e.cause === v.cause), `${v.cause} pid ${v.pid} recorded`);
    const rows = api.crashesProvider.getChildren();
    assert.match(String(rows[0]!.label), /^Last 24 h: \d+ crash/);
    assert.ok(rows.some((r) => r.contextValue === 'crash' && /crash-heap/.test(String(r.label))));
  });

  it('Mark Resolved greys a crash out and keeps it', async () => {
    const entry = api.history.entries({ includeResolved: false })[0]!;
    await vscode.commands.executeCommand('devServerDoctor.markResolved', { id: entry.id });
    assert.ok(api.history.entries({ includeResolved: true }).find((e) => e.id === entry.id)?.resolvedAt);
    assert.ok(api.crashesProvider.getChildren().some((r) => r.contextValue === 'crash.resolved'));
  });

  it('Investigate Crash shows and saves a report naming the crashes, without a single secret', async () => {
    await vscode.commands.executeCommand('devServerDoctor.investigateCrash');
    const report = api.lastReport();
    assert.ok(report, 'a report was shown');
    assert.ok(report.verdicts >= 5, `${report.verdicts} verdicts`);
    for (const cause of ['heap-oom', 'port-in-use', 'missing-module', 'uncaught-exception']) assert.ok(report.markdown.includes(cause), cause);
    // The .md and .json, and the memory curve of each crash with samples before it (SVG).
    assert.equal(report.files.filter((f) => /\.(md|json)$/.test(f)).length, 2);
    assert.ok(report.files.filter((f) => f.endsWith('.svg')).every((f) => fs.readFileSync(f, 'utf8').startsWith('<svg')));
    const saved = report.files.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
    assert.ok(JSON.parse(fs.readFileSync(report.files.find((f) => f.endsWith('.json'))!, 'utf8')).verdicts.length >= 5);
    for (const secret of SECRETS) {
      assert.ok(!report.markdown.includes(secret) && !saved.includes(secret), `${secret} leaked into the report`);
      assert.ok(!api.notifications().some((m) => m.includes(secret)), `${secret} leaked into a notification`);
    }
  });
});
