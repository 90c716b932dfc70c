// Live: the CLI as a user gets it: `npm pack`, install the tarball into an empty project, then
// `npx dev-server-doctor …` against a workspace with a real server listening.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { StatusJson } from '../../src/core/statusJson';
import { HTTP_SERVER_JS, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const run = promisify(execFile);

describe('live: the packed CLI (npm pack, npm install the tarball, npx dev-server-doctor)', function () {
  this.timeout(240_000);
  const jar = new ProcessJar();
  let app: string;
  let ws: string;

  before(async function () {
    const tmp = fs.realpathSync(jar.tempDir('dsd-pack-'));
    // The tarball ships dist/ as built from this tree.
    await run(process.execPath, [path.join(REPO, 'esbuild.mjs')], { cwd: REPO });
    const packed = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: REPO, maxBuffer: 16 << 20 });
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    for (const f of ['dist/cli.js', 'dist/extension.js', 'package.json', 'README.md', 'LICENSE']) assert.ok(paths.includes(f), `${f} is packed: ${paths.join(', ')}`);
    assert.deepEqual(paths.filter((p) => /^(src|test|out|node_modules|\.cache)\//.test(p) || p.endsWith('.map')), [], 'no sources, tests or maps are packed');
    app = path.join(tmp, 'app');
    writeFiles(app, { 'package.json': JSON.stringify({ name: 'app', private: true }) });
    try {
      // Its dependencies come from the npm cache when `npm ci` filled it (the bundle does not need them).
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(tmp, filename)], { cwd: app, maxBuffer: 16 << 20 });
    } catch (err) {
      const text = String((err as { stderr?: string }).stderr ?? err);
      if (/ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(text)) {
        console.log(`      skipped: npm could not fetch the package's dependencies: ${text.split('\n')[0]}`);
        this.skip();
      }
      throw err;
    }
    ws = path.join(tmp, 'ws');
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'packed-ws', private: true, scripts: { start: 'node server.js' } }),
      'server.js': HTTP_SERVER_JS,
    });
  });

  after(() => jar.cleanup());

  it('is linked as a bin and `npx dev-server-doctor status --json` sees the running server', async () => {
    const bin = path.join(app, 'node_modules', '.bin', 'dev-server-doctor');
    assert.ok(fs.existsSync(bin), 'node_modules/.bin/dev-server-doctor exists');
    jar.start(process.execPath, ['server.js'], { cwd: ws, env: { ...process.env, PORTFILE: path.join(ws, '.port') } });
    const port = Number(await waitFor('the server to listen', () => fs.existsSync(path.join(ws, '.port')) && fs.readFileSync(path.join(ws, '.port'), 'utf8')));
    const status = await run('npx', ['--no', 'dev-server-doctor', 'status', '--json', '--workspace', ws], { cwd: app });
    const json = JSON.parse(status.stdout) as StatusJson;
    const server = json.servers.find((s) => s.name === 'packed-ws' || s.script === 'start');
    assert.ok(server, status.stdout);
    assert.equal(server.state, 'up');
    assert.deepEqual(server.ports, [port]);
  });

  it('prints the help with every verb, and exits 2 with the usage on a bad flag', async () => {
    const help = await run('npx', ['--no', 'dev-server-doctor', 'help'], { cwd: app });
    for (const verb of ['status', 'watch', 'investigate', 'zombies', 'disk', 'mcp']) assert.match(help.stdout, new RegExp(`dev-server-doctor ${verb} `));
    await assert.rejects(run('npx', ['--no', 'dev-server-doctor', 'status', '--since', '1h'], { cwd: app }), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr ?? '', /Unknown option "--since"/);
      return true;
    });
  });
});
