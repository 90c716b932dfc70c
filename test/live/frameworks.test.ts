// Live: real dev tools from the npm registry (nodemon, tsx, next, vite) crashing the way users see it —
// most in well under a second, before any poll could see the process — run through the CLI's `run`
// wrapper (the product path: supervisor + streaming crash watcher) and `watch`. Each case asserts the
// cause, the server, the pid where known and the delay from the crash line to the verdict; the normal
// restart and Ctrl-C give none. Delays are printed (crash line seen by the test → verdict line seen).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { freePort, isAlive, pidsInside, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface VerdictLine {
  cause: string;
  server: string | null;
  pid: number | null;
  summary: string;
  detail?: { underlying?: string; port?: number; holder?: { pid: number | null }; workerPid?: number; workerCommand?: string; parentAlive?: boolean; lineAt?: number; detectedAt?: number; exitCode?: number; via?: string; message?: string; watcherPid?: number };
  via?: string;
  /** When the test received it. */
  seenAt: number;
}

interface Wrapped {
  readonly child: ChildProcess;
  readonly verdicts: VerdictLine[];
  /** Other JSON lines (watch events). */
  readonly events: Record<string, unknown>[];
  output(): string;
  /** When a line matching `re` first arrived (ms), or null. */
  lineAt(re: RegExp): number | null;
  exited: Promise<number | null>;
}

describe('live: real frameworks crash; verdicts from output within a second', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  let ws: string;
  let state: string;
  const delays: { name: string; internalMs: number; seenMs: number | null }[] = [];
  const wrappers: ChildProcess[] = [];

  before(function () {
    if (!fs.existsSync(CLI)) {
      console.log('      skipped: dist/cli.js is missing (npm run build)');
      this.skip();
    }
    ws = fs.realpathSync(jar.tempDir('dsd-frameworks-'));
    state = path.join(ws, '.state');
  });

  afterEach(async () => {
    for (const w of wrappers.splice(0)) {
      if (w.exitCode === null && w.pid) try { process.kill(w.pid, 'SIGINT'); } catch { /* gone */ }
    }
    await sleep(300);
    for (const pid of pidsInside(ws)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  });

  after(async () => {
    if (delays.length) {
      console.log('      crash line → verdict (ms): internal = measured by the watcher (relay: after run\'s own verdict line), seen = crash line arriving here → verdict line arriving here');
      for (const d of delays) console.log(`        ${d.name.padEnd(34)} internal ${String(d.internalMs).padStart(5)}   seen ${d.seenMs === null ? '    ?' : String(d.seenMs).padStart(5)}`);
    }
    await jar.cleanup();
  });

  let n = 0;
  /** A package in the workspace with the repo's node_modules; returns its folder. */
  function app(name: string, scripts: Record<string, string>, files: Record<string, string>): string {
    const dir = path.join(ws, `${name}-${++n}`);
    writeFiles(dir, { 'package.json': JSON.stringify({ name, private: true, scripts }), ...files });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    return dir;
  }

  function track(child: ChildProcess, streams: ('stdout' | 'stderr')[]): Wrapped {
    let out = '';
    const firstSeen: { at: number; line: string }[] = [];
    const verdicts: VerdictLine[] = [];
    const events: Record<string, unknown>[] = [];
    let partial = '';
    for (const s of streams) {
      child[s]!.on('data', (d: Buffer) => {
        const at = Date.now();
        const text = d.toString();
        out += text;
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          firstSeen.push({ at, line });
          if (!line.startsWith('{"type":')) continue;
          try {
            const j = JSON.parse(line) as Record<string, unknown>;
            if (j.type === 'verdict') verdicts.push({ ...(j as unknown as VerdictLine), seenAt: at });
            else events.push(j);
          } catch { /* not ours */ }
        }
      });
    }
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return {
      child, verdicts, events, exited,
      output: () => out,
      lineAt: (re) => firstSeen.find((l) => re.test(l.line))?.at ?? null,
    };
  }

  function run(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Wrapped {
    const child = spawn(process.execPath, [CLI, 'run', '--json', '--workspace', ws, ...args], {
      cwd: dir, detached: true, stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, DEV_SERVER_DOCTOR_STATE: state, NEXT_TELEMETRY_DISABLED: '1', ...env },
    });
    wrappers.push(child);
    return track(child, ['stdout', 'stderr']);
  }

  async function verdictOf(w: Wrapped, name: string, crashLine: RegExp, timeoutMs = 20_000): Promise<VerdictLine> {
    const v = await waitFor(`a verdict for ${name}\n${w.output().slice(-3000)}`, () => w.verdicts[0], timeoutMs);
    const line = w.lineAt(crashLine);
    const internal = v.detail!.detectedAt! - v.detail!.lineAt!;
    delays.push({ name, internalMs: internal, seenMs: line === null ? null : v.seenAt - line });
    console.log(`      ${name}: ${v.cause}${v.detail?.underlying ? `/${v.detail.underlying}` : ''} pid ${v.pid} — ${v.summary}`);
    // Within 1 s measured by the watcher; within 2 s as a person sees it (tolerating a loaded machine).
    assert.ok(internal < 1000, `verdict took ${internal} ms after the crash line`);
    if (line !== null) assert.ok(v.seenAt - line < 2000, `verdict seen ${v.seenAt - line} ms after the crash line`);
    return v;
  }

  /** Exactly one verdict, still one a few seconds later (later polls and the exit merge into it). */
  async function onlyOne(w: Wrapped, ms = 3000): Promise<void> {
    await sleep(ms);
    assert.equal(w.verdicts.length, 1, w.verdicts.map((v) => v.summary).join('\n'));
  }

  it('nodemon + an app whose database refuses the connection at start: watcher-waiting, ECONNREFUSED named', async () => {
    const dbPort = await freePort();
    const dir = app('api-db', { dev: 'nodemon server.js' }, {
      'server.js': `const net = require('net'); net.connect(${dbPort}, '127.0.0.1').on('connect', () => console.log('db ok'));`,
    });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    const v = await verdictOf(w, 'nodemon ECONNREFUSED', /\[nodemon\] app crashed|^Node\.js v/);
    assert.equal(v.cause, 'watcher-waiting');
    // The refused connection is named as a dependency (issue 11), and its remedies are offered.
    assert.equal(v.detail?.underlying, 'dependency-refused');
    assert.match(v.summary, new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${dbPort}|127\\.0\\.0\\.1:${dbPort}`));
    assert.match(v.server ?? '', /^api-db\b/);
    assert.equal(v.detail?.via, 'output');
    assert.ok(v.detail?.watcherPid && isAlive(v.detail.watcherPid), 'names the live nodemon');
    await onlyOne(w);
    // status --json tells it as crashed, with the reason.
    const st = JSON.parse(await cli(['status', '--json', '--workspace', ws], dir)) as { servers: { name: string; state: string; crashReason: string | null }[] };
    const s = st.servers.find((x) => x.name.startsWith('api-db'));
    assert.equal(s?.state, 'crashed', JSON.stringify(st.servers.map((x) => [x.name, x.state])));
    assert.match(s?.crashReason ?? '', /waiting for file changes — Error: connect ECONNREFUSED/);
  });

  it('nodemon + an app that throws at start: uncaught exception with its top frame', async () => {
    const dir = app('api-throw', { dev: 'nodemon server.js' }, { 'server.js': `function boot() { throw new Error('config JWT_SECRET missing'); }\nboot();\n` });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    const v = await verdictOf(w, 'nodemon thrown error', /\[nodemon\] app crashed|^Node\.js v/);
    assert.equal(v.cause, 'watcher-waiting');
    assert.equal(v.detail?.underlying, 'uncaught-exception');
    assert.match(v.summary, /config JWT_SECRET missing at .*server\.js:1/);
    await onlyOne(w);
  });

  it('nodemon + an app requiring a missing package: missing-module, the package named', async () => {
    const dir = app('api-missing', { dev: 'nodemon server.js' }, { 'server.js': `require('express-nope');\n` });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    const v = await verdictOf(w, 'nodemon missing module', /\[nodemon\] app crashed|^Node\.js v/);
    assert.equal(v.cause, 'missing-module');
    assert.match(v.summary, /express-nope/);
    assert.match(v.server ?? '', /^api-missing\b/);
    await onlyOne(w);
  });

  it('nodemon + an app that crashes after a while (seen alive by a poll): its pid named, one verdict', async () => {
    const dir = app('api-later', { dev: 'nodemon server.js' }, {
      'server.js': `require('fs').writeFileSync(__dirname + '/.pid', String(process.pid));
        require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
        setTimeout(() => { throw new Error('lost connection to redis'); }, 5000);`,
    });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    const appPid = await waitFor('the app pid', () => fs.existsSync(path.join(dir, '.pid')) && Number(fs.readFileSync(path.join(dir, '.pid'), 'utf8')));
    const v = await verdictOf(w, 'nodemon crash after 5 s', /\[nodemon\] app crashed|^Node\.js v/);
    assert.equal(v.cause, 'watcher-waiting');
    assert.equal(v.pid, appPid);
    assert.match(v.summary, /lost connection to redis/);
    await onlyOne(w, 4000);
  });

  it('tsx watch whose port is held by an orphan: port-in-use naming the orphan; the watcher lives on', async () => {
    const port = await freePort();
    const dir = app('api-tsx', { dev: 'tsx watch server.ts' }, {
      'server.ts': `import http from 'node:http';\nhttp.createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1', () => console.log('listening ${port}'));\n`,
      'holder.js': `require('net').createServer().listen(${port}, '127.0.0.1', () => require('fs').writeFileSync(__dirname + '/holder.pid', String(process.pid)));`,
    });
    // The orphan: started by a shell that exits at once, so it is re-parented (to PID 1 or a subreaper).
    jar.start('sh', ['-c', 'node holder.js > /dev/null 2>&1 &'], { cwd: dir });
    const holder = await waitFor('the orphan to listen', () => fs.existsSync(path.join(dir, 'holder.pid')) && Number(fs.readFileSync(path.join(dir, 'holder.pid'), 'utf8')));
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    const v = await verdictOf(w, 'tsx watch EADDRINUSE (orphan)', /EADDRINUSE|^Node\.js v/);
    assert.equal(v.cause, 'port-in-use');
    assert.equal(v.detail?.port, port);
    assert.equal(v.detail?.holder?.pid, holder);
    assert.match(v.server ?? '', /^api-tsx\b/);
    assert.ok(v.detail?.watcherPid, 'tsx watch is still running');
    await onlyOne(w);
  });

  it('vite with --strictPort on a taken port: port-in-use, exit code 1 propagated', async () => {
    const port = await freePort();
    const dir = app('web-vite', { dev: `vite --port ${port} --strictPort` }, { 'index.html': '<!doctype html><title>x</title>' });
    const srv = net.createServer().listen(port, '127.0.0.1');
    try {
      const w = run(dir, ['--', 'npm', 'run', 'dev']);
      const v = await verdictOf(w, 'vite --strictPort taken', /is already in use/);
      assert.equal(v.cause, 'port-in-use');
      assert.equal(v.detail?.port, port);
      assert.equal(v.detail?.holder?.pid, process.pid, 'the holder is this test process');
      assert.match(v.server ?? '', /^web-vite\b/);
      assert.equal(await w.exited, 1, 'the exit code is propagated');
      assert.equal(w.verdicts.length, 1);
    } finally {
      srv.close();
    }
  });

  it('webpack-dev-server on a taken fixed --port: port-in-use naming the holder, exit code 1 propagated', async function () {
    if (!fs.existsSync(path.join(REPO, 'node_modules', 'webpack-dev-server'))) {
      console.log('      skipped: webpack-dev-server is not installed');
      this.skip();
    }
    const port = await freePort();
    const dir = app('web-wds', { dev: `webpack serve --port ${port} --host 127.0.0.1` }, {
      'webpack.config.js': `module.exports = { mode: 'development', entry: './src/index.js' };\n`,
      'src/index.js': `console.log('hello');\n`,
    });
    const srv = net.createServer().listen(port, '127.0.0.1');
    try {
      const w = run(dir, ['--', 'npm', 'run', 'dev']);
      const v = await verdictOf(w, 'webpack-dev-server port taken', /EADDRINUSE|^Node\.js v/, 60_000);
      assert.equal(v.cause, 'port-in-use');
      assert.equal(v.detail?.port, port);
      assert.equal(v.detail?.holder?.pid, process.pid, 'the holder is this test process');
      assert.match(v.server ?? '', /^web-wds\b/);
      assert.equal(await w.exited, 1, 'the exit code is propagated');
      await sleep(500);
      assert.equal(w.verdicts.length, 1, w.verdicts.map((x) => x.summary).join('\n'));
    } finally {
      srv.close();
    }
  });

  it('webpack-cli rejecting its configuration: one verdict quoting its error line, exit code 2 propagated', async function () {
    if (!fs.existsSync(path.join(REPO, 'node_modules', 'webpack-cli'))) {
      console.log('      skipped: webpack-cli is not installed');
      this.skip();
    }
    const dir = app('web-wds-config', { dev: 'webpack serve --port 0 --host 127.0.0.1' }, {
      'webpack.config.js': `module.exports = { mode: 'developmnt', entry: './src/index.js' };\n`,
      'src/index.js': `console.log('hello');\n`,
    });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    // No crash line: the verdict comes from the exit, with the tool's own error line as the reason.
    const v = await verdictOf(w, 'webpack-cli invalid config', /Invalid configuration object/, 60_000);
    assert.equal(v.cause, 'exit-nonzero');
    assert.match(v.summary, /^web-wds-config\b.* exited with code 2: \[webpack-cli\] Invalid configuration object\./);
    assert.equal(await w.exited, 2);
    await sleep(500);
    assert.equal(w.verdicts.length, 1, w.verdicts.map((x) => x.summary).join('\n'));
  });

  it('storybook: skipped (reason printed)', function () {
    // Storybook's dev server needs storybook + a framework package (@storybook/react-vite…): hundreds of MB
    // and a minute of start-up per run on this shared 2-core machine; its port conflict ends in the same
    // EADDRINUSE / "Port … is not available" lines the cases above cover.
    console.log('      skipped: storybook is not installed (too heavy for this machine: hundreds of MB, a minute to start; see the comment)');
    this.skip();
  });

  it('next dev whose next-server worker exhausts a small heap: heap-oom naming the worker pid and the server', async function () {
    if (!fs.existsSync(path.join(REPO, 'node_modules', 'next'))) {
      console.log('      skipped: next is not installed');
      this.skip();
    }
    const port = await freePort();
    const dir = app('web-next', { dev: `next dev -p ${port}` }, {
      'pages/index.js': 'export default function Home() { return "hello"; }\n',
      'pages/api/leak.js': 'const keep = [];\nexport default function handler(req, res) { for (;;) keep.push(new Array(1e5).fill({ x: Math.random() })); }\n',
    });
    const w = run(dir, ['--', 'npm', 'run', 'dev'], { NODE_OPTIONS: '--max-old-space-size=192' });
    await waitFor(`next to be ready\n${w.output().slice(-2000)}`, () => /Ready in|ready started|Local:/.test(w.output()), 60_000);
    // The first request compiles the route (about 5 s here), then the handler leaks until V8 gives up.
    void fetch(`http://127.0.0.1:${port}/api/leak`).catch(() => undefined);
    const v = await verdictOf(w, 'next dev worker heap OOM', /FATAL ERROR|JavaScript heap out of memory/, 90_000);
    assert.equal(v.cause, 'heap-oom');
    assert.match(v.server ?? '', /^web-next\b/);
    assert.ok(v.pid, 'the worker pid is named');
    assert.equal(v.detail?.workerPid, v.pid, 'the child is named as a worker of the server');
    assert.match(v.detail?.workerCommand ?? '', /next/);
    console.log(`      worker ${v.detail?.workerPid} (${v.detail?.workerCommand}); parent alive: ${String(v.detail?.parentAlive)}`);
    await sleep(3000);
    assert.equal(w.verdicts.length, 1, w.verdicts.map((x) => x.summary).join('\n'));
  });

  it('nodemon restarting its app after a file change gives no verdict', async () => {
    const dir = app('api-edit', { dev: 'nodemon server.js' }, { 'server.js': `require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => console.log('listening'));\n` });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    await waitFor('the app to listen', () => /listening/.test(w.output()), 20_000);
    await sleep(2500);
    fs.appendFileSync(path.join(dir, 'server.js'), '// edited\n');
    await waitFor('nodemon to restart it', () => (w.output().match(/listening/g) ?? []).length >= 2, 20_000);
    await sleep(6000);
    assert.deepEqual(w.verdicts, []);
  });

  it('Ctrl-C stops it: no verdict, exit code 130', async () => {
    const dir = app('api-ctrlc', { dev: 'nodemon server.js' }, { 'server.js': `require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => console.log('listening'));\n` });
    const w = run(dir, ['--', 'npm', 'run', 'dev']);
    await waitFor('the app to listen', () => /listening/.test(w.output()), 20_000);
    await sleep(2500);
    process.kill(w.child.pid!, 'SIGINT');
    assert.equal(await w.exited, 130);
    await sleep(500);
    assert.deepEqual(w.verdicts, []);
    assert.deepEqual(pidsInside(dir), [], 'the whole tree is gone');
  });

  it('a plain `node server.js` dying of EADDRINUSE in milliseconds: port-in-use; a separate watch sees it and the exit code', async () => {
    const port = await freePort();
    const dir = app('api-plain', { start: 'node server.js' }, { 'server.js': `require('http').createServer().listen(${port}, '127.0.0.1');\n` });
    const srv = net.createServer().listen(port, '127.0.0.1');
    const watcher = track(spawn(process.execPath, [CLI, 'watch', '--json', '--workspace', ws], {
      cwd: ws, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEV_SERVER_DOCTOR_STATE: state },
    }), ['stdout']);
    wrappers.push(watcher.child);
    try {
      await sleep(1500);
      const w = run(dir, ['--name', 'plain-api', '--', 'node', 'server.js']);
      const v = await verdictOf(w, 'plain node EADDRINUSE', /EADDRINUSE|^Node\.js v/);
      assert.equal(v.cause, 'port-in-use');
      assert.equal(v.server, 'plain-api');
      assert.equal(await w.exited, 1);
      const seen = await waitFor('watch to relay the verdict', () => watcher.verdicts.find((x) => x.via === 'run'), 10_000);
      assert.equal(seen.cause, 'port-in-use');
      // The crash line as run passed it through → the verdict line from the separate watch (it reads the shared runs file).
      const line = w.lineAt(/EADDRINUSE|^Node\.js v/);
      delays.push({ name: 'watch relaying run\'s verdict', internalMs: seen.seenAt - v.seenAt, seenMs: line === null ? null : seen.seenAt - line });
      if (line !== null) assert.ok(seen.seenAt - line < 2000, `watch relayed it ${seen.seenAt - line} ms after the crash line`);
      const exit = await waitFor('watch to report the exit', () => watcher.events.find((e) => e.type === 'run-exit'), 10_000);
      assert.equal(exit.exitCode, 1);
      assert.match(String(exit.outputTail), /EADDRINUSE/);
    } finally {
      srv.close();
    }
  });

  it('run --restart: each crash of each run gets its verdict, restarts back off, then it gives up with the exit code', async () => {
    const dir = app('api-flaky', { start: 'node crash.js' }, { 'crash.js': `console.log('up'); setTimeout(() => { throw new Error('flaky start'); }, 300);\n` });
    const w = run(dir, ['--restart', '--max-restarts', '2', '--', 'node', 'crash.js']);
    assert.equal(await w.exited, 1, 'the last exit code');
    await sleep(300);
    assert.equal(w.verdicts.length, 3, w.verdicts.map((v) => v.summary).join('\n'));
    assert.ok(w.verdicts.every((v) => v.cause === 'uncaught-exception' && /flaky start/.test(v.summary)));
    assert.equal(new Set(w.verdicts.map((v) => v.pid)).size, 3, 'three processes, three pids');
    assert.match(w.output(), /Restarting in 1\.0 s[\s\S]*Restarting in 1\.5 s[\s\S]*not restarted again/);
  });

  it('watch follows a log file in the workspace folder live: a crash written there gets its verdict within a second', async () => {
    const dir = app('api-logged', { dev: 'node server.js' }, { 'server.js': `setTimeout(() => { throw new Error('worker pool exhausted'); }, 4000);\n`, 'logs/.keep': '' });
    // Monorepo style: logs/ at the workspace root.
    fs.mkdirSync(path.join(ws, 'logs'), { recursive: true });
    const log = path.join(ws, 'logs', 'api.log');
    fs.writeFileSync(log, 'an old crash from yesterday\nNode.js v20.0.0\n');
    const watcher = track(spawn(process.execPath, [CLI, 'watch', '--json', '--interval', '2', '--workspace', ws], {
      cwd: ws, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEV_SERVER_DOCTOR_STATE: state },
    }), ['stdout']);
    wrappers.push(watcher.child);
    await sleep(2000);
    // Not a terminal, not `run`: a background process writing to the log.
    jar.start('sh', ['-c', `node server.js >> ${log} 2>&1`], { cwd: dir });
    let lineAt = 0;
    const poll = setInterval(() => { if (!lineAt && /^Node\.js v/m.test(fs.readFileSync(log, 'utf8').split('v20.0.0')[1] ?? '')) lineAt = Date.now(); }, 20);
    try {
      const v = await waitFor('a verdict from the log', () => watcher.verdicts.find((x) => /worker pool exhausted/.test(x.summary)), 20_000);
      const internal = v.detail!.detectedAt! - v.detail!.lineAt!;
      delays.push({ name: 'log file followed by watch', internalMs: internal, seenMs: lineAt ? v.seenAt - lineAt : null });
      console.log(`      log: ${v.cause} via ${v.detail?.via}: ${v.summary}`);
      assert.equal(v.cause, 'uncaught-exception');
      assert.match(v.server ?? '', /^api-logged\b/, 'named after the server whose code is in the stack');
      assert.equal(v.detail?.via, 'log');
      assert.ok(lineAt && v.seenAt - lineAt < 2000, `seen ${v.seenAt - lineAt} ms after the line was written`);
      await sleep(3000);
      assert.equal(watcher.verdicts.filter((x) => /worker pool exhausted/.test(x.summary)).length, 1, 'one crash, one verdict (the poll merges)');
      assert.ok(!watcher.verdicts.some((x) => /yesterday/.test(JSON.stringify(x))), 'what was in the log before is not judged');
    } finally {
      clearInterval(poll);
    }
  });

  function cli(args: string[], cwd: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, DEV_SERVER_DOCTOR_STATE: state } });
      let out = '';
      c.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });
  }
});
