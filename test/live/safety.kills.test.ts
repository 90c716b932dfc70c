// Live: the kill remedies' safety promises, each reproduced as the hole it closes (issue 9, "Kills"):
// broad workspaces and orphans without dev-session evidence, pid reuse between the list and the signal
// (in a private pid namespace), other users' processes as root, healthy servers taken for port holders,
// `zombies --kill --yes` narrowed and re-checked, and supervised trees that setsid away from their group.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runZombies } from '../../src/cli/zombies';
import { Monitor } from '../../src/core/monitor';
import { createProbe } from '../../src/core/system/probe';
import { isListening, waitForListening } from '../../src/core/remedies/wait';
import { Supervisor, type RunReport } from '../../src/core/supervisor/supervisor';
import { freePort, isAlive, ProcessJar, waitFor, writeFiles } from './liveHelpers';

const OUT = path.resolve(__dirname, '..', '..');
const isRoot = process.getuid?.() === 0;

/** Listens on $PORT (0 = any), then writes `{ port, pid }` to $PORTFILE. */
const SERVER_JS = `
const srv = require('http').createServer((q, s) => s.end('ok'));
srv.listen(Number(process.env.PORT || 0), '127.0.0.1', () =>
  require('fs').writeFileSync(process.env.PORTFILE, JSON.stringify({ port: srv.address().port, pid: process.pid })));
setInterval(() => {}, 1e9);`;

interface Ready { port: number; pid: number }

function collect(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; text: () => string } {
  let text = '';
  const sink = { write: (s: string) => { text += s; return true; } };
  return { io: { stdout: sink, stderr: sink }, text: () => text };
}

interface ZombiesJson {
  candidates: { pid: number; pids: number[]; ports: number[]; reasons: { kind: string; message: string }[] }[];
  warnings: string[];
  result: { killed: number[]; errors: { pid: number; code: string; message: string }[] } | null;
}

async function zombiesJson(args: string[]): Promise<{ code: number; json: ZombiesJson; text: string }> {
  const out = collect();
  const code = await runZombies([...args, '--json'], out.io);
  return { code, json: JSON.parse(out.text()) as ZombiesJson, text: out.text() };
}

function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ...stat.slice(stat.lastIndexOf(')') + 2).split(' ')];
}
const ppidOf = (pid: number): number => Number(statFields(pid)[2]);
const commOf = (pid: number): string => statFields(pid)[0]!;
const sidOf = (pid: number): number => Number(statFields(pid)[4]);

function running(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('live: kill safety (issue 9)', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  /** Processes that left their process group (setsid): killed by pid at the end. */
  const strays = new Set<number>();
  let root: string;

  before(() => {
    root = fs.realpathSync(jar.tempDir('dsd-safety-kills-'));
    fs.chmodSync(root, 0o755);
  });

  after(async () => {
    for (const pid of strays) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await jar.cleanup();
  });

  const folder = (name: string, files: Record<string, string> = {}): string => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    writeFiles(dir, { 'server.js': SERVER_JS, ...files });
    return dir;
  };

  /** A node server that outlives the `sh` that started it in the background (re-parented: its launcher is gone). */
  async function orphan(dir: string, env: NodeJS.ProcessEnv, name: string): Promise<Ready> {
    const portFile = path.join(dir, `.${name}`);
    jar.start('env', ['-i', ...Object.entries({ ...env, PORTFILE: portFile }).map(([k, v]) => `${k}=${v}`), 'setsid', 'sh', '-c', 'node server.js &'], { cwd: dir });
    const ready = JSON.parse(await waitFor(`${name} listening`, () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8'))) as Ready;
    strays.add(ready.pid);
    await waitFor(`${name} re-parented`, () => !['sh', 'setsid', 'env'].includes(commOf(ppidOf(ready.pid))));
    return ready;
  }

  const PATH_ONLY = { PATH: '/usr/local/bin:/usr/bin:/bin' };
  /** What `npm run dev` puts into its script's environment. */
  const FROM_NPM = { ...PATH_ONLY, npm_lifecycle_event: 'dev', npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js' };

  it('1. a workspace at / offers nothing; in a narrowed folder only an orphan from a dev session is offered', async function () {
    if (!isRoot) {
      console.log('      (skipped: the broad-workspace hole is the one root sees: every service of the machine)');
      this.skip();
    }
    const dir = folder('services');
    const service = await orphan(dir, PATH_ONLY, 'service');
    const dev = await orphan(dir, FROM_NPM, 'dev');

    const whole = await zombiesJson(['--workspace', '/']);
    assert.deepEqual(whole.json.candidates.map((c) => c.pid), [], `nothing is offered for "/": ${whole.text.slice(0, 2000)}`);
    assert.ok(whole.json.warnings.some((w) => /\/ .*(narrow|choose)/i.test(w)), whole.json.warnings.join('\n'));

    const home = await zombiesJson(['--workspace', os.homedir()]);
    assert.deepEqual(home.json.candidates, []);
    assert.ok(home.json.warnings.some((w) => /home folder.*narrow/.test(w)), home.text);

    const narrow = await zombiesJson(['--workspace', dir]);
    const pids = narrow.json.candidates.map((c) => c.pid);
    assert.ok(!pids.includes(service.pid), `a service re-parented to PID 1 without dev-session evidence is not an orphan: ${narrow.text}`);
    const devCandidate = narrow.json.candidates.find((c) => c.pid === dev.pid);
    assert.ok(devCandidate, `the orphan npm started is offered: ${narrow.text}`);
    assert.equal(devCandidate.reasons[0]!.kind, 'orphan');
    assert.match(devCandidate.reasons[0]!.message, /npm/);
    assert.ok(isAlive(service.pid) && isAlive(dev.pid), 'dry runs stop nothing');
  });

  it('1b. a server seen under its shell earlier is an orphan once that shell is gone, even with a bare environment', async () => {
    const dir = folder('seen');
    const portFile = path.join(dir, '.seen');
    // dash exports no SHLVL: nothing in the server's environment tells where it came from; only the monitor's memory does.
    jar.start('env', ['-i', ...Object.entries({ ...PATH_ONLY, PORTFILE: portFile }).map(([k, v]) => `${k}=${v}`), 'sh', '-c', 'node server.js & wait'], { cwd: dir });
    const ready = JSON.parse(await waitFor('server listening', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8'))) as Ready;
    const shPid = ppidOf(ready.pid);
    assert.equal(commOf(shPid), 'sh');
    const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [dir] });
    try {
      await waitFor('server seen under sh', async () => (await monitor.pollOnce()).servers.some((s) => s.pids.includes(ready.pid)));
      process.kill(shPid, 'SIGKILL');
      await waitFor('re-parented', () => ppidOf(ready.pid) !== shPid);
      const orphaned = await waitFor('orphaned', async () => (await monitor.pollOnce()).servers.find((s) => s.pid === ready.pid && s.state === 'orphaned'));
      assert.match(orphaned.orphanReason ?? '', new RegExp(`sh \\(PID ${shPid}\\), seen earlier`));
      // A one-shot look (the CLI) has no memory and the environment says nothing: not an orphan there.
      const cli = await zombiesJson(['--workspace', dir]);
      assert.ok(!cli.json.candidates.some((c) => c.pid === ready.pid), cli.text);
    } finally {
      monitor.dispose();
      process.kill(ready.pid, 'SIGKILL');
    }
  });

  it('1c. a server in the session of a terminal\'s shell is an orphan (the shell alive, then gone); in a session of its own, or a `sh -c` wrapper\'s, it is not', async () => {
    const dir = folder('session', {
      // Starts the server and exits at once, before any poll: the server's parent was never seen, and it was node.
      'launch.js': `require('child_process').spawn(process.execPath, ['server.js'], { stdio: 'ignore' }).unref();`,
      // The same, but the server gets a session of its own (setsid), as a daemon does.
      'daemon.js': `require('child_process').spawn(process.execPath, ['server.js'], { stdio: 'ignore', detached: true }).unref();`,
    });
    const bare = (portFile: string) => Object.entries({ ...PATH_ONLY, PORTFILE: portFile }).map(([k, v]) => `${k}=${v}`).join(' ');
    /** `cmd` typed into an interactive bash leading its own session, as in a terminal; the server gets a bare environment. */
    const launch = async (shell: 'bash -i' | 'sh -c', script: string, name: string): Promise<Ready & { sh: number }> => {
      const portFile = path.join(dir, `.${name}`);
      const line = `env -i ${bare(portFile)} node ${script}`;
      const child = shell === 'bash -i'
        ? jar.start('env', ['-i', 'PATH=/usr/bin:/bin', 'bash', '--norc', '-i'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] })
        : jar.start('env', ['-i', 'PATH=/usr/bin:/bin', 'sh', '-c', `${line}; sleep 600`], { cwd: dir });
      if (shell === 'bash -i') child.stdin!.write(`${line}\n`);
      const ready = JSON.parse(await waitFor(`${name} listening`, () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8'))) as Ready;
      strays.add(ready.pid);
      await waitFor(`${name} re-parented`, () => commOf(ppidOf(ready.pid)) !== 'node');
      assert.equal(sidOf(child.pid!), child.pid, `${shell} leads its session`);
      return { ...ready, sh: child.pid! };
    };
    const server = await launch('bash -i', 'launch.js', 'in-session');
    const daemon = await launch('bash -i', 'daemon.js', 'daemon');
    const wrapped = await launch('sh -c', 'launch.js', 'wrapped');
    assert.equal(sidOf(server.pid), server.sh, 'the server is in the shell\'s session');
    assert.equal(sidOf(daemon.pid), daemon.pid, 'the daemon leads a session of its own');
    assert.equal(sidOf(wrapped.pid), wrapped.sh, 'the wrapped server is in the sh -c session');
    const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [dir] });
    try {
      const stateOf = async (pid: number) => (await monitor.pollOnce()).servers.find((s) => s.pids.includes(pid));
      const orphaned = await waitFor('the server orphaned while its session\'s shell lives', async () => { const s = await stateOf(server.pid); return s?.state === 'orphaned' && s; });
      assert.match(orphaned.orphanReason ?? '', new RegExp(`bash \\(PID ${server.sh}\\), leader of its session`));
      // The CLI's one look sees the living shell too.
      const cli = await zombiesJson(['--workspace', dir]);
      assert.ok(cli.json.candidates.some((c) => c.pid === server.pid && c.reasons[0]!.kind === 'orphan'), cli.text);
      for (const other of [daemon, wrapped]) {
        assert.ok(!cli.json.candidates.some((c) => c.pid === other.pid), `${other.pid} is not offered: ${cli.text}`);
        assert.notEqual((await stateOf(other.pid))?.state, 'orphaned', `${other.pid} is not an orphan`);
      }
      // The terminal closes: its shell is gone, and the monitor remembers it led the server's session.
      process.kill(server.sh, 'SIGKILL');
      await waitFor('the shell gone', () => !running(server.sh));
      const after = await stateOf(server.pid);
      assert.equal(after?.state, 'orphaned', JSON.stringify(after));
      assert.match(after?.orphanReason ?? '', /leader of its session/);
    } finally {
      monitor.dispose();
      for (const pid of [server.pid, server.sh, daemon.pid, daemon.sh, wrapped.pid, wrapped.sh]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    }
  });

  it('2. pid reuse between the list and the signal: the new process at that pid is never signalled (private pid namespace)', function () {
    if (!isRoot || spawnSync('unshare', ['--version']).status !== 0) {
      console.log('      (skipped: needs root and unshare for a private pid namespace)');
      this.skip();
    }
    const port = 20000 + Math.floor(Math.random() * 20000);
    const dir = folder('reuse', { 'package.json': JSON.stringify({ name: 'reuse', scripts: { dev: `node app.js --port ${port}` } }) });
    fs.mkdirSync(path.join(dir, 'squatter'));
    const script = path.join(dir, 'race.js');
    fs.writeFileSync(script, `
const cp = require('child_process');
const fs = require('fs');
const { runZombies } = require(${JSON.stringify(path.join(OUT, 'src/cli/zombies.js'))});
const { createProbe } = require(${JSON.stringify(path.join(OUT, 'src/core/system/probe.js'))});
const dir = ${JSON.stringify(dir)};
const portFile = dir + '/squatter/.port';
const victim = cp.spawn(process.execPath, [dir + '/server.js'], { cwd: dir + '/squatter', env: { ...process.env, PORT: '${port}', PORTFILE: portFile }, stdio: 'ignore' });
let imposter = null;
const real = createProbe();
let samples = 0;
const probe = new Proxy(real, { get(t, k) {
  if (k !== 'sample') { const v = t[k]; return typeof v === 'function' ? v.bind(t) : v; }
  return async (o) => {
    if (++samples === 2) {
      // The list was printed; before any signal the squatter exits and its pid goes to another program.
      await new Promise((r) => { victim.once('exit', r); victim.kill('SIGKILL'); });
      fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(victim.pid - 1));
      imposter = cp.spawn('sleep', ['300'], { cwd: dir, stdio: 'ignore' });
    }
    return t.sample(o);
  };
} });
(async () => {
  while (!fs.existsSync(portFile)) await new Promise((r) => setTimeout(r, 50));
  let text = '';
  const sink = { write: (s) => { text += s; return true; } };
  const code = await runZombies(['--workspace', dir, '--kill', '--yes', '--grace', '1'], { stdout: sink, stderr: sink }, { probe });
  let alive = false;
  try { alive = fs.readFileSync('/proc/' + imposter.pid + '/cmdline', 'utf8').startsWith('sleep'); } catch {}
  console.log(JSON.stringify({ victim: victim.pid, imposter: imposter && imposter.pid, alive, code, text }));
  process.exit(0);
})();
`);
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, script], { timeout: 90_000, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as { victim: number; imposter: number; alive: boolean; code: number; text: string };
    assert.equal(res.imposter, res.victim, `the pid was reused (${JSON.stringify(res)})`);
    assert.match(res.text, new RegExp(`PID ${res.victim} [^]*holds port ${port}`), `the list named the squatter: ${res.text}`);
    console.log(res.text.trim().split('\n').map((l) => `      | ${l}`).join('\n'));
    assert.ok(res.alive, `the process that took over PID ${res.victim} was not signalled:\n${res.text}`);
    assert.match(res.text, new RegExp(`PID ${res.victim}.*(changed|no longer|not the process)`, 'i'), res.text);
  });

  it('2b. a process held open is signalled through pidfd_send_signal: once it is gone, its recycled pid gets nothing', function () {
    if (!isRoot || spawnSync('unshare', ['--version']).status !== 0) {
      console.log('      (skipped: needs root and unshare for a private pid namespace)');
      this.skip();
    }
    const script = path.join(root, 'pidfd.js');
    fs.writeFileSync(script, `
const cp = require('child_process');
const fs = require('fs');
const { ProcessHandle, signalHandles, signalPath } = require(${JSON.stringify(path.join(OUT, 'src/core/remedies/signal.js'))});
const { ProcfsLookup } = require(${JSON.stringify(path.join(OUT, 'src/core/remedies/processes.js'))});
const lookup = new ProcfsLookup();
const reuse = async (victim) => {
  await new Promise((r) => { victim.once('exit', r); victim.kill('SIGKILL'); });
  fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(victim.pid - 1));
  return cp.spawn('sleep', ['300'], { stdio: 'ignore' });
};
const isSleep = (pid) => { try { return fs.readFileSync('/proc/' + pid + '/cmdline', 'utf8').startsWith('sleep'); } catch { return false; } };
(async () => {
  const out = { path: signalPath() };
  // Sent while it is the same process: delivered.
  const alive = cp.spawn('sleep', ['300'], { stdio: 'ignore' });
  const h0 = ProcessHandle.open(alive.pid, lookup);
  const t = process.hrtime.bigint();
  out.sent = signalHandles([h0], 'SIGTERM');
  out.ms = Number(process.hrtime.bigint() - t) / 1e6;
  out.deliveredSignal = await new Promise((r) => alive.once('exit', (c, sig) => r(sig)));
  // Held open, then the process exits and another takes its pid: the pidfd path, then the re-check path.
  for (const via of ['pidfd', 'recheck']) {
    const victim = cp.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    const h = ProcessHandle.open(victim.pid, lookup);
    const imposter = await reuse(victim);
    const codes = signalHandles([h], 'SIGKILL', via === 'recheck' ? (pid, sig) => process.kill(pid, sig) : undefined);
    await new Promise((r) => setTimeout(r, 200));
    out[via] = { victim: victim.pid, imposter: imposter.pid, code: codes[0], imposterAlive: isSleep(imposter.pid), readsGone: h.read() === null };
    h.close();
    imposter.kill('SIGKILL');
  }
  console.log(JSON.stringify(out));
  process.exit(0);
})();
`);
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, script], { timeout: 60_000, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, never> & {
      path: string; ms: number; sent: string[]; deliveredSignal: string;
      pidfd: { victim: number; imposter: number; code: string; imposterAlive: boolean; readsGone: boolean };
      recheck: { victim: number; imposter: number; code: string; imposterAlive: boolean; readsGone: boolean };
    };
    console.log(`      signal path: ${res.path}; one batch took ${res.ms.toFixed(1)} ms`);
    assert.equal(res.path, 'pidfd', 'perl and pidfd_send_signal are available here');
    assert.deepEqual([res.sent, res.deliveredSignal], [[''], 'SIGTERM']);
    for (const via of ['pidfd', 'recheck'] as const) {
      const v = res[via];
      assert.equal(v.imposter, v.victim, `${via}: the pid was reused (${JSON.stringify(v)})`);
      assert.deepEqual([v.code, v.imposterAlive, v.readsGone], ['ESRCH', true, true], `${via}: ${JSON.stringify(v)}`);
    }
  });

  it('3. as root, another user\'s process in the workspace is never a candidate (port holder or orphan)', async function () {
    if (!isRoot) {
      console.log('      (skipped: needs root to run a process as nobody)');
      this.skip();
    }
    const port = await freePort();
    const dir = folder('shared', { 'package.json': JSON.stringify({ name: 'shared', scripts: { dev: `node app.js --port ${port}` } }) });
    fs.mkdirSync(path.join(dir, 'run'), { mode: 0o777 });
    fs.chmodSync(path.join(dir, 'run'), 0o777);
    const portFile = path.join(dir, 'run', '.nobody');
    jar.start('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, '../server.js'], { cwd: path.join(dir, 'run'), env: { ...FROM_NPM, PORT: String(port), PORTFILE: portFile } });
    const holder = JSON.parse(await waitFor('nobody listening', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8'))) as Ready;
    assert.equal(fs.statSync(`/proc/${holder.pid}`).uid, 65534);

    const { json, text } = await zombiesJson(['--workspace', dir]);
    assert.ok(!json.candidates.some((c) => c.pids.includes(holder.pid)), `nobody's server is not offered: ${text}`);
    assert.ok(json.warnings.some((w) => new RegExp(`PID ${holder.pid} .*another user \\(uid 65534\\)`).test(w)), text);
  });

  it('4a. a healthy declared server on its own port is not a holder of another server\'s port', async () => {
    const port = await freePort();
    const dir = folder('monorepo', {
      'package.json': JSON.stringify({ name: 'mono', scripts: { 'dev:web': `node web.js --port ${port}`, 'dev:docs': `node docs.js --port ${port}` } }),
      'docs.js': SERVER_JS,
      'web.js': SERVER_JS,
    });
    const portFile = path.join(dir, '.docs');
    jar.start(process.execPath, ['docs.js', '--port', String(port)], { cwd: dir, env: { ...FROM_NPM, PORT: String(port), PORTFILE: portFile } });
    const docs = JSON.parse(await waitFor('docs listening', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8'))) as Ready;
    const { json, text } = await zombiesJson(['--workspace', dir]);
    assert.ok(!json.candidates.some((c) => c.pids.includes(docs.pid)), `docs, up on its own port, is not offered: ${text}`);
    assert.ok(json.warnings.some((w) => new RegExp(`${port}.*docs`).test(w)), text);
  });

  it('4b. zombies --kill --yes --only holders / --pid N stop exactly what was narrowed to', async () => {
    const port = await freePort();
    const dir = folder('narrow', { 'package.json': JSON.stringify({ name: 'narrow', scripts: { dev: `node app.js --port ${port}` } }) });
    fs.mkdirSync(path.join(dir, 'squatter'));
    fs.writeFileSync(path.join(dir, 'squatter', 'server.js'), SERVER_JS);
    const portFile = path.join(dir, 'squatter', '.port');
    jar.start(process.execPath, ['server.js'], { cwd: path.join(dir, 'squatter'), env: { ...FROM_NPM, PORT: String(port), PORTFILE: portFile } });
    const squatter = JSON.parse(await waitFor('squatter listening', () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8'))) as Ready;
    const left = await orphan(dir, FROM_NPM, 'left');

    const dry = await zombiesJson(['--workspace', dir]);
    assert.deepEqual(dry.json.candidates.map((c) => c.pid).sort(), [squatter.pid, left.pid].sort(), dry.text);

    const holders = await zombiesJson(['--workspace', dir, '--kill', '--yes', '--grace', '1', '--only', 'holders']);
    assert.equal(holders.code, 0, holders.text);
    assert.deepEqual(holders.json.candidates.map((c) => c.pid), [squatter.pid]);
    assert.deepEqual(holders.json.result?.killed, [squatter.pid]);
    assert.ok(!running(squatter.pid) && running(left.pid), 'only the holder was stopped');

    const bad = collect();
    assert.equal(await runZombies(['--workspace', dir, '--only', 'everything'], bad.io), 2);
    assert.match(bad.text(), /--only takes orphans, holders or duplicates/);

    const one = await zombiesJson(['--workspace', dir, '--kill', '--yes', '--grace', '1', '--pid', String(left.pid)]);
    assert.equal(one.code, 0, one.text);
    assert.deepEqual(one.json.result?.killed, [left.pid]);
    assert.ok(!running(left.pid));
    assert.equal(await isListening(left.port), false);
  });

  describe('5. the supervisor ends the whole tree it started, setsid descendants included', () => {
    const supervisors: Supervisor[] = [];
    afterEach(async () => {
      for (const s of supervisors.splice(0)) await s.dispose();
    });

    const setsidServer = (tail: string): string =>
      `setsid ${JSON.stringify(process.execPath)} server.js & while [ ! -s .ready ]; do sleep 0.05; done; ${tail}`;

    it('crash clean-up frees the port a setsid child held, and keeps the command\'s own exit status (exit 3)', async () => {
      const port = await freePort();
      const dir = folder('supervised-crash');
      const s = new Supervisor({ name: 'crashy', cwd: dir, command: setsidServer('exit 3'), env: { ...process.env, PORT: String(port), PORTFILE: '.ready' }, restart: { maxRestarts: 0 } });
      supervisors.push(s);
      const runs: RunReport[] = [];
      s.onRunEnd((r) => runs.push(r));
      s.start();
      const ready = JSON.parse(await waitFor('setsid server ready', () => fs.existsSync(path.join(dir, '.ready')) && fs.readFileSync(path.join(dir, '.ready'), 'utf8'))) as Ready;
      strays.add(ready.pid);
      await waitFor('run ended', () => runs.length === 1, 30_000);
      assert.deepEqual([runs[0]!.exitCode, runs[0]!.signal, runs[0]!.ending], [3, null, 'crashed']);
      await waitFor('leftover gone', () => !running(ready.pid), 10_000).catch(() => undefined);
      assert.ok(!running(ready.pid), `the setsid child PID ${ready.pid} was ended with its run`);
      assert.equal(await isListening(port), false, `port ${port} is free for the restart`);
    });

    it('without a cgroup (as without privileges), a setsid child seen while the run was alive is ended with it', async () => {
      const port = await freePort();
      const dir = folder('supervised-nocgroup');
      const s = new Supervisor({ name: 'plain', cwd: dir, command: setsidServer('sleep 1.5; exit 3'), cgroup: false, trackMs: 200, env: { ...process.env, PORT: String(port), PORTFILE: '.ready' }, restart: { maxRestarts: 0 } });
      supervisors.push(s);
      const runs: RunReport[] = [];
      s.onRunEnd((r) => runs.push(r));
      s.start();
      const ready = JSON.parse(await waitFor('setsid server ready', () => fs.existsSync(path.join(dir, '.ready')) && fs.readFileSync(path.join(dir, '.ready'), 'utf8'))) as Ready;
      strays.add(ready.pid);
      await waitFor('run ended', () => runs.length === 1, 30_000);
      assert.deepEqual([runs[0]!.exitCode, runs[0]!.ending], [3, 'crashed']);
      assert.ok(!running(ready.pid), `the setsid child PID ${ready.pid} was ended with its run`);
      assert.equal(await isListening(port), false);
    });

    it('stop() ends a double-forked setsid descendant too, and the port is free afterwards', async () => {
      const port = await freePort();
      const dir = folder('supervised-stop');
      const cmd = `(setsid ${JSON.stringify(process.execPath)} server.js &); while [ ! -s .ready ]; do sleep 0.05; done; ${JSON.stringify(process.execPath)} -e "setInterval(() => {}, 1e9)"`;
      // trackMs 200: the check that the run joined its cgroup has run before the stop (and kept the cgroup).
      const s = new Supervisor({ name: 'stoppy', cwd: dir, command: cmd, env: { ...process.env, PORT: String(port), PORTFILE: '.ready' }, stopTimeoutMs: 2000, trackMs: 200 });
      supervisors.push(s);
      s.start();
      const ready = JSON.parse(await waitFor('setsid server ready', () => fs.existsSync(path.join(dir, '.ready')) && fs.readFileSync(path.join(dir, '.ready'), 'utf8'))) as Ready;
      strays.add(ready.pid);
      assert.ok((await waitForListening(port, 5000)).ok);
      await new Promise((r) => setTimeout(r, 600));
      await s.stop();
      await waitFor('leftover gone', () => !running(ready.pid), 10_000).catch(() => undefined);
      assert.ok(!running(ready.pid), `the double-forked setsid server PID ${ready.pid} was stopped`);
      assert.equal(await isListening(port), false);
      assert.equal(s.state.lastRun?.ending, 'stopped');
    });
  });
});

