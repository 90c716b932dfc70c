// The CLI's pictures: `watch` prints each server's memory as a sparkline and keeps the samples, so that
// `investigate --save` writes the memory curve before a crash as an SVG beside the report.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessJar, REPO, isAlive, waitFor, writeFiles, crashingAppSource } from './liveHelpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

describe('live: CLI sparklines and crash memory curves', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  after(() => jar.cleanup());

  it('watch prints sparklines; investigate --save writes the memory curve of the crash as SVG linked from the .md', async () => {
    const ws = fs.realpathSync(jar.tempDir('dsd-spark-'));
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'leaky', scripts: { dev: 'node server.js' } }),
      // Grows a little every 200 ms, then throws when the test says go (its output in logs/dev.log).
      'server.js': crashingAppSource("throw new Error('ledger overflow');").replace("const wait = setInterval", "const keep = []; setInterval(() => keep.push(Buffer.alloc(2e6, 1)), 200);\nconst wait = setInterval"),
      'logs/.keep': '',
    });
    let out = '';
    const watch = spawn(process.execPath, [CLI, 'watch', '--interval', '0.5', '--workspace', ws], { env: { ...process.env, DSD_SPARK_MS: '3000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    watch.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      const app = jar.start('sh', ['-c', 'exec node server.js > logs/dev.log 2>&1'], { cwd: ws });
      const pid = await waitFor('app pid', () => fs.existsSync(path.join(ws, '.pid')) && Number(fs.readFileSync(path.join(ws, '.pid'), 'utf8')));
      await waitFor('a sparkline', () => /memory {4}leaky [▁▂▃▄▅▆▇█ ]+ \d+(\.\d)? MB/.test(out), 20_000);
      // Samples are kept every 5 s: wait for three before the crash.
      await new Promise((r) => setTimeout(r, 12_000));
      fs.writeFileSync(path.join(ws, 'go'), '');
      await waitFor('the crash', () => !isAlive(pid) && app.exitCode !== null, 10_000);
      await waitFor('its verdict line', () => /verdict /.test(out), 20_000).catch((e: Error) => { throw new Error(`${e.message}\n${out}`); });
    } finally {
      watch.kill('SIGINT');
      await new Promise((r) => watch.once('exit', r));
    }
    const reports = path.join(ws, 'reports');
    const inv = spawn(process.execPath, [CLI, 'investigate', '--since', '10m', '--workspace', ws, '--save', reports], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    inv.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    await new Promise((r) => inv.once('exit', r));
    const files = fs.readdirSync(reports);
    const svg = files.find((f) => f.endsWith('.svg'));
    assert.ok(svg, `files: ${files.join(', ')}\n${err}`);
    const md = fs.readFileSync(path.join(reports, files.find((f) => f.endsWith('.md'))!), 'utf8');
    assert.match(md, new RegExp(`!\\[1\\. leaky: memory before the crash \\([a-z-]+\\)\\]\\(${svg.replace(/[.]/g, '\\.')}\\)`));
    const picture = fs.readFileSync(path.join(reports, svg), 'utf8');
    assert.match(picture, /leaky: memory before the crash/);
    assert.match(picture, /<path d="M/);
  });
});
