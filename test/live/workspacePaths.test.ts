// Live: a workspace opened through a symbolic link is the same workspace to every verb — `status` must see the running
// (orphaned) server that `zombies` finds, and both name the folder by its real path.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

function cli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, out) => (err && err.code !== 0 && err.code !== 1 ? reject(err) : resolve(out)));
  });
}

describe('live: a symlinked workspace path resolves the same way everywhere', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  after(() => jar.cleanup());

  it('status and zombies agree on an orphaned server when the workspace is given through a link', async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    const real = fs.realpathSync(jar.tempDir('dsd-linked-ws-'));
    const links = fs.realpathSync(jar.tempDir('dsd-links-'));
    const link = path.join(links, 'project');
    fs.symlinkSync(real, link, 'dir');
    writeFiles(real, {
      'package.json': JSON.stringify({ name: 'linked', scripts: { dev: 'node server.js' } }),
      'server.js': "require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { require('fs').writeFileSync('.port', String(this.address().port)); });",
      // Starts the server from the link's path (its cwd is then the real path, as the kernel reports it) and exits.
      'launch.js': "require('child_process').spawn(process.execPath, ['server.js'], { stdio: 'ignore', cwd: process.argv[2] }).unref();",
    });
    jar.start(process.execPath, ['launch.js', link], { cwd: link });
    await waitFor('the server to listen', () => fs.existsSync(path.join(real, '.port')));
    await new Promise((r) => setTimeout(r, 300));

    const zombies = JSON.parse(await cli(['zombies', '--json', '--workspace', link])) as { candidates: { serverName: string | null; pid: number }[] };
    const status = JSON.parse(await cli(['status', '--json', '--workspace', link])) as { workspaceFolders: string[]; servers: { name: string; state: string; pid: number | null }[] };
    const server = status.servers.find((s) => s.name === 'linked');
    assert.ok(zombies.candidates.length > 0, 'zombies finds the orphan');
    assert.notEqual(server?.state, 'down', `status shows the running server as down: ${JSON.stringify(status.servers)}`);
    assert.equal(server?.pid, zombies.candidates[0].pid);
    assert.deepEqual(status.workspaceFolders, [real]);
  });
});
