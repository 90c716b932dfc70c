// Live, as root: two real OOM kills — one of a workspace server's child in the server's own memory cgroup, one of a
// node process elsewhere on the machine. `investigate` lists the first as this workspace's crash and the second only
// under "Elsewhere on this machine".
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const CLI = path.join(REPO, 'dist', 'cli.js');
const HOG = 'const k = []; setInterval(() => k.push(Buffer.alloc(8 << 20, 1)), 50);';

function memoryCgroup(name: string, limitBytes: number): string | null {
  const own = /^\d+:memory:(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  const root = '/sys/fs/cgroup/memory';
  if (process.getuid?.() !== 0 || own === undefined || !fs.existsSync(path.join(root, own, 'memory.limit_in_bytes'))) return null;
  const dir = path.join(root, own, `${name}-${process.pid}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  return dir;
}

async function removeCgroup(dir: string): Promise<void> {
  for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
    try { fs.rmdirSync(dir); } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
}

describe('live: investigate attributes kernel records to the workspace only when tied to it', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  const cgroups: string[] = [];
  after(async () => {
    await jar.cleanup();
    for (const c of cgroups) await removeCgroup(c);
  });

  it('an OOM kill in a workspace server\'s cgroup is ours; one elsewhere goes to "elsewhere on this machine"', async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    const mineCg = memoryCgroup('dsd-attr-mine', 96 << 20);
    const otherCg = mineCg && memoryCgroup('dsd-attr-other', 96 << 20);
    if (!mineCg || !otherCg) {
      console.log('      skipped: needs root and a cgroup v1 memory controller to OOM-kill for real');
      this.skip();
    }
    cgroups.push(mineCg, otherCg);
    const ws = fs.realpathSync(jar.tempDir('dsd-attr-ws-'));
    const other = fs.realpathSync(jar.tempDir('dsd-attr-other-'));
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'attr', scripts: { dev: 'node server.js' } }),
      // The server stays small and alive; the worker it starts (in its cgroup) is the one the kernel kills.
      'server.js': `require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
const w = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(HOG)}], { stdio: 'ignore' });
require('fs').writeFileSync('worker.pid', String(w.pid));`,
    });
    const started = Date.now();
    jar.start('/bin/sh', ['-c', `echo $$ > ${mineCg}/cgroup.procs && exec "${process.execPath}" server.js`], { cwd: ws });
    const stranger = jar.start('/bin/sh', ['-c', `echo $$ > ${otherCg}/cgroup.procs && exec "${process.execPath}" -e "${HOG}"`], { cwd: other });
    await waitFor('the worker pid', () => fs.existsSync(path.join(ws, 'worker.pid')));
    const workerPid = Number(fs.readFileSync(path.join(ws, 'worker.pid'), 'utf8'));
    const strangerPid = stranger.pid!;
    const oomKills = (cg: string): number => Number(/oom_kill (\d+)/.exec(fs.readFileSync(path.join(cg, 'memory.oom_control'), 'utf8'))?.[1] ?? 0);
    await waitFor('both OOM kills', () => oomKills(mineCg) > 0 && oomKills(otherCg) > 0, 60_000);
    await new Promise((r) => setTimeout(r, 1000));

    const minutes = Math.ceil((Date.now() - started) / 60_000) + 1;
    const out = await new Promise<string>((resolve, reject) => execFile(process.execPath, [CLI, 'investigate', '--json', '--since', `${minutes}m`, '--workspace', ws],
      { timeout: 60_000, maxBuffer: 32 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    const json = JSON.parse(out) as { verdicts: { pid: number | null; server: string | null; cause: string }[]; elsewhere?: { pid: number | null }[] };
    const ours = json.verdicts.map((v) => v.pid);
    const elsewhere = (json.elsewhere ?? []).map((v) => v.pid);
    console.log(`      workspace crashes: ${JSON.stringify(json.verdicts.map((v) => [v.pid, v.server, v.cause]))}; elsewhere: ${elsewhere.length} records`);
    assert.ok(ours.includes(workerPid), `the worker's OOM kill (pid ${workerPid}) is this workspace's: ${JSON.stringify(json.verdicts)}`);
    assert.equal(json.verdicts.find((v) => v.pid === workerPid)?.server, 'attr', 'named by the server whose cgroup it was');
    assert.ok(!ours.includes(strangerPid), `the stranger (pid ${strangerPid}) is not this workspace's crash`);
    assert.ok(elsewhere.includes(strangerPid), 'the stranger is listed elsewhere');
    assert.deepEqual(ours.filter((p) => p !== workerPid), [], 'no other kernel record is attributed to the workspace');
  });
});
