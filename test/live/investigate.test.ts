// Live: the cold investigation and the report against bad input (a 5 GB sparse log, a binary log, a
// truncated Node report, no kernel log access, a full disk while saving) and secrets in a real server.
import * as assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readLogEvidence } from '../../src/core/crash/evidence';
import { investigate, type Investigation } from '../../src/core/crash/investigate';
import { readKernelOomRecords, type CommandResult } from '../../src/core/crash/kernelSources';
import { renderMarkdown, saveReport, type ReportJson } from '../../src/core/crash/report';
import { isAlive, output, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const run = promisify(execFile);
const CLI = path.join(REPO, 'dist', 'cli.js');
const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
const isRoot = process.getuid?.() === 0;
const HOUR = 3_600_000;

function skipUnlessRoot(ctx: Mocha.Context, what: string): void {
  if (!isRoot) {
    console.log(`      skipped: ${what} needs root (running as uid ${process.getuid?.()})`);
    ctx.skip();
  }
}

describe('live: investigate and the report, with bad input', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  let ws: string;

  before(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    ws = fs.realpathSync(jar.tempDir('dsd-investigate-'));
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'bad-input', version: '1.0.0', scripts: { dev: 'node server.js' } }),
      'logs/small.log': fs.readFileSync(fixture('crash-output', 'emfile.txt'), 'utf8'),
    });
  });
  after(() => jar.cleanup());

  const quick = (over: Partial<Parameters<typeof investigate>[0]> = {}): Promise<Investigation> =>
    investigate({ workspaceFolders: [ws], sinceMs: Date.now() - HOUR, skipInotifyUsage: true, ...over });

  it('a 5 GB sparse log costs what a small one does, and its crash at the end is found', async () => {
    const huge = path.join(ws, 'logs', 'huge.log');
    const tail = fs.readFileSync(fixture('crash-output', 'eaddrinuse.txt'));
    const size = 5 * 1024 ** 3;
    const fd = fs.openSync(huge, 'w');
    try {
      fs.ftruncateSync(fd, size - tail.length - 1);
      fs.writeSync(fd, Buffer.concat([Buffer.from('\n'), tail]), 0, tail.length + 1, size - tail.length - 1);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.statSync(huge).size, size);
    const time = (file: string): number => {
      const t0 = process.hrtime.bigint();
      const found = readLogEvidence([path.dirname(file)], 0, { globs: [path.basename(file)] });
      assert.equal(found.items.length, 1, file);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const small = time(path.join(ws, 'logs', 'small.log'));
    const big = time(huge);
    console.log(`      small log ${small.toFixed(1)} ms, 5 GB log ${big.toFixed(1)} ms`);
    assert.ok(big < 250, `${big} ms`);
    const inv = await quick();
    const v = inv.verdicts.find((x) => x.evidence.some((e) => e.location === huge));
    assert.equal(v?.cause, 'port-in-use');
    assert.ok(inv.problems.some((p) => p === `${huge} is 5.0 GB; only its last 256 KB were read.`), inv.problems.join('\n'));
    fs.rmSync(huge);
  });

  it('a binary log and a truncated Node report each get a clear line, never an exception', async () => {
    const bin = path.join(ws, 'logs', 'garbage.log');
    fs.writeFileSync(bin, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
    const report = path.join(ws, 'report.20261122.093000.4242.0.001.json');
    const full = fs.readFileSync(fixture('node-report', 'heap-oom-report.json'), 'utf8');
    fs.writeFileSync(report, full.slice(0, Math.floor(full.length / 2)));
    try {
      const inv = await quick();
      assert.ok(inv.problems.includes(`${bin} does not look like text (binary data); it was skipped.`), inv.problems.join('\n'));
      assert.ok(inv.problems.some((p) => p.startsWith(`${report}: The Node.js report is not valid JSON (truncated or corrupted)`)), inv.problems.join('\n'));
      assert.ok(!inv.verdicts.some((v) => v.evidence.some((e) => e.location === bin || e.location === report)));
      assert.match(renderMarkdown(inv), /## Could not read\n\n(- .*\n)*- .*garbage\.log does not look like text/);
      const missing = await quick({ workspaceFolders: [path.join(ws, 'no-such-folder')] });
      assert.ok(missing.problems.some((p) => /no-such-folder could not be searched for log files \(ENOENT\)/.test(p)));
    } finally {
      fs.rmSync(bin);
      fs.rmSync(report);
    }
  });

  it('no kernel log access (dmesg_restrict, no journal): the report says how to grant it, and a SIGKILL stays "killed", low', async () => {
    const denied = async (file: string): Promise<CommandResult> => (file === 'dmesg'
      ? { stdout: '', stderr: 'dmesg: read kernel buffer failed: Operation not permitted\n', error: null, exitCode: 1 }
      : { stdout: '', stderr: 'Hint: You are currently not seeing messages from other users and the system.\n', error: null, exitCode: 0 });
    const log = path.join(ws, 'logs', 'killed.log');
    fs.writeFileSync(log, '\n> bad-input@1.0.0 dev\n> node server.js\n\nlistening on 3000\nKilled\n');
    try {
      const inv = await quick({ readKernel: (sinceMs) => readKernelOomRecords({ sinceMs, run: denied, kernLogPath: path.join(ws, 'no-kern.log') }) });
      const v = inv.verdicts.find((x) => x.evidence.some((e) => e.location === log));
      assert.deepEqual([v?.cause, v?.confidence], ['killed', 'low']);
      assert.match(v!.summary, /the kernel log could not be read, so an OOM kill cannot be ruled out/);
      const md = renderMarkdown(inv);
      assert.match(md, /## Could not read[\s\S]*dmesg: reading the kernel log is not permitted \(kernel\.dmesg_restrict=1/);
      assert.match(md, /sudo sysctl kernel\.dmesg_restrict=0/);
      assert.match(md, /usermod -aG systemd-journal/);
    } finally {
      fs.rmSync(log);
    }
  });

  it('ENOSPC while saving into a full tiny tmpfs: says where and why, saves elsewhere, the CLI still prints the report', async function () {
    skipUnlessRoot(this, 'mounting a tmpfs');
    const mnt = fs.realpathSync(jar.tempDir('dsd-savefs-'));
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
    assert.equal(mount.status, 0, mount.stderr);
    try {
      fs.mkdirSync(path.join(mnt, 'reports'));
      const fill = fs.openSync(path.join(mnt, 'filler'), 'w');
      try {
        for (;;) fs.writeSync(fill, Buffer.alloc(64 * 1024, 1));
      } catch (err) {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
      } finally {
        fs.closeSync(fill);
      }
      const ok = jar.tempDir('dsd-saveok-');
      const saved = saveReport(await quick(), [path.join(mnt, 'reports'), ok]);
      assert.deepEqual(saved.problems, [`Could not save the report in ${path.join(mnt, 'reports')}: no space left on the device (ENOSPC).`]);
      assert.equal(saved.files.length, 2);
      assert.ok(saved.files.every((f) => f.startsWith(ok)));
      assert.deepEqual(fs.readdirSync(path.join(mnt, 'reports')), [], 'no half-written report left behind');

      // Saved elsewhere too, so the CLI succeeds (saving nowhere at all exits 1: secretsCorpus.test.ts).
      const cli = await run(process.execPath, [CLI, 'investigate', '--workspace', ws, '--save', path.join(mnt, 'reports'), '--save', ok], { maxBuffer: 32 << 20 });
      assert.match(cli.stderr, /Could not save the report in .*reports: no space left on the device \(ENOSPC\)\./);
      assert.match(cli.stdout, /^# Dev Server Doctor: crash investigation/);
    } finally {
      const um = spawnSync('umount', [mnt], { encoding: 'utf8' });
      assert.equal(um.status, 0, um.stderr);
    }
  });

  it('a server with secrets in its env and command line: no secret in status, watch, investigate (JSON, Markdown) or saved files', async () => {
    const secrets = { key: 'sk-live-4f9aQz7TnotReal', db: 'hunter2-db-pass', flag: 'opensesame-cli-42' };
    const app = fs.realpathSync(jar.tempDir('dsd-secrets-'));
    writeFiles(app, {
      'package.json': JSON.stringify({ name: 'secret-api', version: '1.0.0', scripts: { dev: `node --max-old-space-size=40 --report-on-fatalerror server.js --password=${secrets.flag}` } }),
      'server.js': `
        const fs = require('fs');
        fs.writeFileSync(__dirname + '/.pid', String(process.pid));
        console.log('DATABASE_URL=' + process.env.DATABASE_URL);
        console.error('Error: connect ECONNREFUSED ' + process.env.DATABASE_URL + ' (retrying)');
        require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
        const a = [];
        const wait = setInterval(() => {
          if (!fs.existsSync(__dirname + '/go')) return;
          clearInterval(wait);
          setInterval(() => { for (let i = 0; i < 20000; i++) a.push({ i, s: 'x'.repeat(40) + i }); }, 5);
        }, 50);`,
      'logs/.keep': '',
    });
    const env = { ...process.env, API_KEY: secrets.key, DATABASE_URL: `postgres://app:${secrets.db}@db.local:5432/app` };
    const watch = jar.start(process.execPath, [CLI, 'watch', '--json', '--interval', '0.3', '--workspace', app], { cwd: REPO });
    jar.start('sh', ['-c', 'npm run dev > logs/dev.log 2>&1'], { cwd: app, env });
    const pid = Number(await waitFor('app', () => fs.existsSync(path.join(app, '.pid')) && fs.readFileSync(path.join(app, '.pid'), 'utf8')));
    assert.ok(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(secrets.flag), 'the secret really is on the command line');
    await waitFor('watch saw it', () => output(watch).includes(`"serverId":"${app}#dev"`));
    const outputs: Record<string, string> = {};
    outputs.statusJson = (await run(process.execPath, [CLI, 'status', '--json', '--workspace', app])).stdout;
    outputs.statusText = (await run(process.execPath, [CLI, 'status', '--workspace', app])).stdout;
    assert.match(outputs.statusJson, /--password=«redacted»/);
    await new Promise((r) => setTimeout(r, 700));
    fs.writeFileSync(path.join(app, 'go'), '');
    await waitFor('the heap-oom verdict', () => output(watch).includes('"type":"verdict"'), 30_000);
    await waitFor('the app gone', () => !isAlive(pid));
    const reportFile = await waitFor('the node report', () => fs.readdirSync(app).find((f) => /^report\..*\.json$/.test(f)));
    assert.ok(fs.readFileSync(path.join(app, reportFile), 'utf8').includes(secrets.key), 'the Node report really holds the API key');
    assert.ok(fs.readFileSync(path.join(app, 'logs/dev.log'), 'utf8').includes(secrets.db), 'the log really holds the password');

    const saveDir = jar.tempDir('dsd-secrets-saved-');
    const inv = await run(process.execPath, [CLI, 'investigate', '--json', '--since', '10m', '--workspace', app, '--save', saveDir], { maxBuffer: 32 << 20 });
    outputs.investigateJson = inv.stdout;
    outputs.investigateMd = (await run(process.execPath, [CLI, 'investigate', '--since', '10m', '--workspace', app], { maxBuffer: 32 << 20 })).stdout;
    outputs.watch = output(watch);
    for (const f of fs.readdirSync(saveDir)) outputs[`saved ${f}`] = fs.readFileSync(path.join(saveDir, f), 'utf8');
    // The .md and .json (and an SVG memory curve when `watch` kept samples: searched for secrets like the rest).
    assert.equal(Object.keys(outputs).filter((k) => /^saved .*\.(md|json)$/.test(k)).length, 2);

    const json = JSON.parse(outputs.investigateJson) as ReportJson;
    const v = json.verdicts.find((x) => x.server?.startsWith('secret-api'));
    assert.equal(v?.cause, 'heap-oom');
    assert.ok(v.evidence.some((e) => e.source === 'node-report'), 'the report (with the env) was read');
    for (const [name, text] of Object.entries(outputs)) {
      for (const s of Object.values(secrets)) assert.ok(!text.includes(s), `${name} leaks ${s}`);
    }
  });
});
