// Live: files a repository can carry that hang or balloon a naive reader — a FIFO named package.json, .env linked to
// /dev/zero, a 6 MB package.json — must give a clear problem line, at once, with no memory balloon.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanWorkspace } from '../../src/core/workspace/scan';
import { readWorkspaceFile } from '../../src/core/workspace/readWorkspaceFile';
import { ProcessJar, REPO } from './liveHelpers';

describe('live: bad files in the workspace never hang or balloon the scan', function () {
  this.timeout(60_000);
  const jar = new ProcessJar();
  after(() => jar.cleanup());

  function badWorkspace(): string {
    const ws = fs.realpathSync(jar.tempDir('dsd-badfiles-'));
    fs.mkdirSync(path.join(ws, 'fifo'));
    execFileSync('mkfifo', [path.join(ws, 'fifo/package.json')]);
    fs.mkdirSync(path.join(ws, 'zero'));
    fs.writeFileSync(path.join(ws, 'zero/package.json'), JSON.stringify({ name: 'zero', scripts: { dev: 'vite' } }));
    fs.symlinkSync('/dev/zero', path.join(ws, 'zero/.env'));
    fs.mkdirSync(path.join(ws, 'zero-pkg'));
    fs.symlinkSync('/dev/zero', path.join(ws, 'zero-pkg/package.json'));
    fs.mkdirSync(path.join(ws, 'huge'));
    fs.writeFileSync(path.join(ws, 'huge/package.json'), `{"name":"huge","scripts":{"dev":"vite"},"x":"${'a'.repeat(6 * 1024 * 1024)}"}`);
    fs.mkdirSync(path.join(ws, 'ok'));
    fs.writeFileSync(path.join(ws, 'ok/package.json'), JSON.stringify({ name: 'ok', scripts: { dev: 'vite --port 5174' } }));
    execFileSync('mkfifo', [path.join(ws, 'ok/.env.local')]);
    return ws;
  }

  it('status --json in a child process answers within seconds with a problem line for each bad file', async () => {
    const ws = badWorkspace();
    const child = spawn(process.execPath, [path.join(REPO, 'dist', 'cli.js'), 'status', '--json', '--workspace', ws], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const started = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => { child.kill('SIGKILL'); resolve(null); }, 30_000);
      child.once('exit', (c) => { clearTimeout(t); resolve(c); });
    });
    assert.notEqual(code, null, 'status hung on a FIFO or /dev/zero (killed after 30 s)');
    console.log(`      status answered in ${Date.now() - started} ms`);
    assert.equal(code, 0, out);
    const messages = (JSON.parse(out) as { alerts: { message: string }[] }).alerts.map((a) => a.message).join('\n');
    assert.match(messages, /fifo[/\\]package\.json[^\n]*FIFO/);
    assert.match(messages, /zero[/\\]\.env[^\n]*device/);
    assert.match(messages, /zero-pkg[/\\]package\.json[^\n]*device/);
    assert.match(messages, /huge[/\\]package\.json[^\n]*over the 5120 KB/);
    assert.match(messages, /ok[/\\]\.env\.local[^\n]*FIFO/);
  });

  it('the scan itself returns at once without reading more than the caps', () => {
    const ws = badWorkspace();
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    const scan = scanWorkspace([ws]);
    const ms = Date.now() - started;
    assert.ok(ms < 5000, `took ${ms} ms`);
    assert.ok(process.memoryUsage().rss - rssBefore < 100 * 1024 * 1024, 'memory ballooned');
    assert.deepEqual(scan.servers.map((s) => s.name).sort(), ['ok · dev', 'zero · dev']);
    assert.equal(scan.servers.find((s) => s.name === 'ok · dev')?.expectedPort, 5174);
    assert.deepEqual(readWorkspaceFile(path.join(ws, 'nope'), 10), { missing: true });
    assert.deepEqual(readWorkspaceFile(path.join(ws, 'ok/package.json'), 10), { problem: 'it is 1 KB, over the 0 KB this reads' });
  });
});
