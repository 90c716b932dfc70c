// Live: a dev server whose postgres is down crashes on a real `pg` ECONNREFUSED → dependency-refused
// naming postgres; a real postgres (initdb + pg_ctl as nobody, on a port from the OS) comes up, and
// "wait until it listens, then restart" brings the app up.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { CrashWatcher } from '../../src/core/crash/watcher';
import type { Verdict } from '../../src/core/crash/types';
import { waitThenRestart } from '../../src/core/deps/waitThenRestart';
import { Monitor } from '../../src/core/monitor';
import { DEFAULT_SETTINGS } from '../../src/core/settings';
import { createProbe } from '../../src/core/system/probe';
import { freePort, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';
import { dockerMissing, ensureEmptyImage } from './dockerHelpers';

function onPath(bin: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((d) => d && fs.existsSync(path.join(d, bin)));
}

const APP = `
const { Client } = require('pg');
const http = require('http');
const fs = require('fs');
const url = fs.readFileSync(__dirname + '/.env', 'utf8').match(/DATABASE_URL=(\\S+)/)[1];
const client = new Client({ connectionString: url });
client.connect().then(async () => {
  const r = await client.query('select 1 as one');
  http.createServer((q, s) => s.end(JSON.stringify(r.rows))).listen(0, '127.0.0.1', function () {
    fs.writeFileSync(__dirname + '/.port', String(this.address().port));
  });
});
`;

function postgresBin(): string | null {
  try {
    const v = fs.readdirSync('/usr/lib/postgresql').filter((x) => /^\d+$/.test(x)).sort((a, b) => Number(b) - Number(a))[0];
    return v && fs.existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`) ? `/usr/lib/postgresql/${v}/bin` : null;
  } catch {
    return null;
  }
}

function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('dependency-refused (live: real pg driver, real postgres)', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  let monitor: Monitor | undefined;
  let watcher: CrashWatcher | undefined;
  let pgData: string | null = null;
  let bin: string | null = null;
  const composeProjects: { dir: string; project: string }[] = [];


  after(async () => {
    watcher?.dispose();
    monitor?.dispose();
    for (const c of composeProjects) spawnSync('docker-compose', ['-p', c.project, 'down', '-v', '--remove-orphans'], { cwd: c.dir, timeout: 60_000 });
    if (pgData && bin) spawnSync('runuser', ['-u', 'nobody', '--', `${bin}/pg_ctl`, '-D', pgData, '-m', 'immediate', 'stop'], { timeout: 30_000 });
    await jar.cleanup();
  });

  it('names postgres, says nothing listens there now, and "wait, then restart" brings the app up once postgres runs', async function () {
    bin = postgresBin();
    if (!bin) {
      console.log('      skipped: no PostgreSQL binaries (/usr/lib/postgresql/*/bin/pg_ctl); apt-get install postgresql');
      this.skip();
    }
    if (process.getuid?.() !== 0) {
      console.log('      skipped: running postgres as nobody needs root (runuser)');
      this.skip();
    }
    const ws = fs.realpathSync(jar.tempDir('dsd-dep-'));
    const pgPort = await freePort();
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'shop-api', version: '1.0.0', private: true, scripts: { dev: 'node server.js' } }),
      'server.js': APP,
      '.env': `DATABASE_URL=postgres://app:s3cret@127.0.0.1:${pgPort}/postgres\n`,
      'logs/.keep': '',
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(ws, 'node_modules'), 'dir');

    monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws], settings: { ...DEFAULT_SETTINGS, pollIntervalMs: 300 } });
    watcher = new CrashWatcher(monitor);
    const verdicts: Verdict[] = [];
    watcher.onVerdict((v) => verdicts.push(v));
    monitor.start();
    const startApp = (): void => { jar.start('sh', ['-c', 'exec node server.js >> logs/dev.log 2>&1'], { cwd: ws }); };
    // pg fails within milliseconds; the shell waits first so the monitor has seen the process before it dies.
    // The first poll reads the whole process table: on a loaded machine it may take a while; start after it.
    await waitFor('the first poll', () => monitor!.snapshot, 30_000);
    // A node that waits first (a shell running only `sleep` is not a dev server): the tree is seen, then it becomes the app.
    jar.start('sh', ['-c', 'node -e "setTimeout(() => {}, 3000)"; exec node server.js >> logs/dev.log 2>&1'], { cwd: ws });
    await waitFor('the shell to be seen', () => monitor!.snapshot?.servers.some((s) => s.state !== 'down'), 20_000)
      .catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(monitor!.snapshot?.servers.map((s) => [s.name, s.state, s.command]))} ${JSON.stringify(monitor!.snapshot?.warnings)}`); });
    const v = await waitFor('the dependency verdict', () => verdicts.find((x) => x.cause === 'dependency-refused'), 30_000)
      .catch((e: Error) => { throw new Error(`${e.message}; verdicts: ${JSON.stringify(verdicts.map((x) => x.cause))}; log: ${fs.readFileSync(path.join(ws, 'logs/dev.log'), 'utf8')}`); });
    assert.equal(v.detail?.service, 'postgres', JSON.stringify(v, null, 1));
    assert.equal(v.detail?.port, pgPort);
    assert.match(v.summary, new RegExp(`could not connect to postgres at 127\\.0\\.0\\.1:${pgPort} \\(connection refused\\): nothing listens on port ${pgPort} now`));
    assert.match(v.summary, /installed locally/);
    assert.ok(v.evidence.some((e) => e.source === 'socket-table' && e.text === `nothing listens on port ${pgPort} now`));
    assert.ok(!JSON.stringify(v).includes('s3cret'), 'the password in .env never shows');
    const titles = v.remedies.map((r) => r.title);
    // This machine has the Debian package: its init script (or systemd unit, or pg_ctl) is the local way to start it.
    assert.match(titles[0], /^Start postgres \((postgresql(\.service)?|pg_ctl)\)/);
    assert.match(v.remedies[0].detail ?? "", /service postgresql start|systemctl start postgresql|pg_ctl/);
    assert.match(titles[1], /DATABASE_URL in \.env/);
    assert.match(titles[titles.length - 1], new RegExp(`Wait until postgres listens on port ${pgPort}, then restart`));

    // The remedy: wait for the port, then restart. Postgres comes up meanwhile, as the user would start it.
    let restartedAt = 0;
    const waiting = waitThenRestart(pgPort, async () => { restartedAt = Date.now(); startApp(); return 'restarted'; }, { timeoutMs: 90_000 });
    pgData = path.join(jar.tempDir('dsd-pg-'), 'data');
    fs.mkdirSync(pgData);
    fs.chownSync(path.dirname(pgData), 65534, 65534);
    fs.chownSync(pgData, 65534, 65534);
    const init = spawnSync('runuser', ['-u', 'nobody', '--', `${bin}/initdb`, '-D', pgData, '-U', 'app', '--auth=trust'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(init.status, 0, init.stderr);
    const start = spawnSync('runuser', ['-u', 'nobody', '--', `${bin}/pg_ctl`, '-D', pgData, '-l', `${pgData}/log`, '-o', `-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1`, '-w', 'start'],
      { encoding: 'utf8', timeout: 60_000 });
    assert.equal(start.status, 0, start.stderr + start.stdout);
    const result = await waiting;
    assert.equal(result.listened.ok, true);
    assert.equal(result.restarted, 'restarted');
    assert.ok(restartedAt > 0);
    const appPort = Number(await waitFor('the app to listen', () => fs.existsSync(path.join(ws, '.port')) && fs.readFileSync(path.join(ws, '.port'), 'utf8'), 30_000));
    assert.equal(await get(appPort), '[{"one":1}]');
  });

  it('a service of the workspace\'s compose file: named, its up command run (docker-compose v1 here), then wait-then-restart brings the app up', async function () {
    const missing = dockerMissing();
    if (missing || !onPath('docker-compose')) {
      console.log(`      skipped: ${missing ?? 'no docker-compose on PATH'}`);
      this.skip();
    }
    ensureEmptyImage();
    const ws = fs.realpathSync(jar.tempDir('dsd-dep-compose-'));
    const port = await freePort();
    const project = `dsddep${Date.now()}`;
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'shop-worker', version: '1.0.0', private: true, scripts: { dev: 'node worker.js' } }),
      // A TCP client of the cache: sets up for a second, then dies on ECONNREFUSED, or serves HTTP once connected.
      'worker.js': `const net = require('net'); const fs = require('fs');
const url = new URL(fs.readFileSync(__dirname + '/.env', 'utf8').match(/REDIS_URL=(\\S+)/)[1]);
setTimeout(() => net.connect(Number(url.port), url.hostname, () => require('http').createServer((q, r) => r.end('up')).listen(0, '127.0.0.1', function () { fs.writeFileSync(__dirname + '/.port', String(this.address().port)); })), 1500);
`,
      '.env': `REDIS_URL=redis://127.0.0.1:${port}\n`,
      'docker-compose.yml': [
        'services:', '  cache:', '    image: local/dsd-empty',
        '    command: ["/usr/bin/node", "-e", "require(\'net\').createServer((c) => c.on(\'error\', () => {})).listen(6379)"]',
        `    ports: ["127.0.0.1:${port}:6379"]`,
        '    volumes: ["/usr:/usr:ro", "/lib:/lib:ro", "/lib64:/lib64:ro", "/bin:/bin:ro"]',
        '    labels: ["dev-server-doctor.test=1"]', '',
      ].join('\n'),
      'logs/.keep': '',
    });
    composeProjects.push({ dir: ws, project });
    const m = new Monitor({ probe: createProbe(), workspaceFolders: [ws], settings: { ...DEFAULT_SETTINGS, pollIntervalMs: 300 } });
    const w = new CrashWatcher(m);
    try {
      const verdicts: Verdict[] = [];
      const problems: string[] = [];
      w.onVerdict((v) => verdicts.push(v));
      w.onProblem((p) => problems.push(p));
      m.start();
      await waitFor('the first poll', () => m.snapshot, 30_000);
      jar.start('sh', ['-c', 'sleep 3; exec node worker.js >> logs/dev.log 2>&1'], { cwd: ws });
      const v = await waitFor('the dependency verdict', () => verdicts.find((x) => x.cause === 'dependency-refused'), 30_000)
        .catch((e: Error) => { throw new Error(`${e.message}; verdicts: ${JSON.stringify(verdicts.map((x) => x.summary))}; problems: ${JSON.stringify(problems)}; log: ${fs.readFileSync(path.join(ws, 'logs/dev.log'), 'utf8')}`); });
      assert.equal(v.detail?.service, 'redis');
      assert.match(v.summary, new RegExp(`could not connect to redis at 127\\.0\\.0\\.1:${port} \\(connection refused\\): nothing listens on port ${port} now; redis is the compose service "cache" in docker-compose\\.yml`));
      const start = v.remedies[0];
      assert.equal(start.id, 'start-dependency');
      assert.equal(start.detail, 'docker compose -f docker-compose.yml up -d cache');
      assert.equal(start.args?.commandV1, 'docker-compose -f docker-compose.yml up -d cache');
      const wait = v.remedies.find((r) => r.id === 'wait-then-restart');
      assert.ok(wait);

      // The remedies as the user runs them: the compose service's up command (v1 is what this machine has), then wait-then-restart.
      const waiting = waitThenRestart(port, async () => { jar.start('sh', ['-c', 'exec node worker.js >> logs/dev.log 2>&1'], { cwd: ws }); return 'restarted'; }, { timeoutMs: 90_000 });
      const up = spawnSync('sh', ['-c', `${start.args!.commandV1!.replace('docker-compose', `docker-compose -p ${project}`)}`], { cwd: start.args!.cwd, encoding: 'utf8', timeout: 90_000 });
      assert.equal(up.status, 0, up.stderr);
      const result = await waiting;
      assert.equal(result.restarted, 'restarted');
      const appPort = Number(await waitFor('the app to listen', () => fs.existsSync(path.join(ws, '.port')) && fs.readFileSync(path.join(ws, '.port'), 'utf8'), 30_000));
      assert.equal(await get(appPort), 'up');
    } finally {
      w.dispose();
      m.dispose();
    }
  });
});
