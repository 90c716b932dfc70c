// Live: `dev-server-doctor zombies --pid / --port` (the lines `investigate` prints in a terminal) stop only
// the tree they name, and refuse what is not a dev process of the workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runZombies } from '../../src/cli/zombies';
import { isListening } from '../../src/core/remedies/wait';
import { HTTP_SERVER_JS, isAlive, ProcessJar, waitFor } from './liveHelpers';

function collect() {
  let text = '';
  const w = { write: (s: string) => { text += s; return true; } };
  return { io: { stdout: w, stderr: w }, text: () => text };
}

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return isAlive(pid) && !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe('live: zombies --pid / --port stop only the named tree', function () {
  this.timeout(60_000);
  const jar = new ProcessJar();
  let ws: string;

  before(() => { ws = fs.realpathSync(jar.tempDir('dsd-targets-')); });
  after(() => jar.cleanup());

  /** An orphaned node server in ws/<name>: its pid and port. */
  async function orphan(name: string): Promise<{ pid: number; port: number }> {
    const dir = path.join(ws, name);
    fs.mkdirSync(dir);
    const portFile = path.join(dir, '.port');
    jar.start('sh', ['-c', 'node -e "$JS" & echo $! > .pid'], { cwd: dir, env: { ...process.env, JS: `${HTTP_SERVER_JS}; setInterval(() => {}, 1000)`, PORTFILE: portFile } });
    const port = Number(await waitFor(`${name} to listen`, () => fs.existsSync(portFile) && fs.readFileSync(portFile, 'utf8')));
    return { pid: Number(fs.readFileSync(path.join(dir, '.pid'), 'utf8')), port };
  }

  it('--pid stops that orphan only; --port stops the holder of that port; a foreign pid is refused (exit 1)', async () => {
    const a = await orphan('a');
    const b = await orphan('b');
    const c = await orphan('c');

    const dry = collect();
    assert.equal(await runZombies(['--workspace', ws, '--kill', '--pid', String(a.pid), '--json'], dry.io), 0, dry.text());
    assert.deepEqual((JSON.parse(dry.text()) as { candidates: { pid: number }[] }).candidates.map((x) => x.pid), [a.pid]);

    const byPid = collect();
    assert.equal(await runZombies(['--workspace', ws, '--kill', '--yes', '--grace', '1', '--pid', String(a.pid)], byPid.io), 0, byPid.text());
    assert.match(byPid.text(), new RegExp(`Stopped 1 process, freeing .* and port ${a.port}\\.`));
    assert.ok(!running(a.pid) && running(b.pid) && running(c.pid), byPid.text());

    const byPort = collect();
    assert.equal(await runZombies(['--workspace', ws, '--kill', '--yes', '--grace', '1', '--port', String(b.port)], byPort.io), 0, byPort.text());
    assert.ok(!running(b.pid) && running(c.pid), byPort.text());
    assert.equal(await isListening(b.port), false);

    const foreign = collect();
    assert.equal(await runZombies(['--workspace', ws, '--kill', '--yes', '--pid', String(process.pid)], foreign.io), 1, foreign.text());
    assert.match(foreign.text(), new RegExp(`PID ${process.pid} is not a stray dev process, a server.s root or a port holder of this workspace`));
    assert.ok(running(c.pid), 'nothing else was stopped');

    const bad = collect();
    assert.equal(await runZombies(['--workspace', ws, '--port', '70000'], bad.io), 2);
    assert.match(bad.text(), /--port takes a whole number from 1 to 65535/);
  });
});
