// Live, as root: deleting a listed cache while an unprivileged user swaps a folder inside it for a symbolic link to
// root-owned files elsewhere, and with a same-device bind mount inside it. Nothing outside may ever be deleted.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDisk } from '../../src/cli/disk';
import { deletePaths, scanDiskCandidates } from '../../src/core/remedies/disk';
import { ProcessJar, waitFor } from './liveHelpers';

const FILES = 40;

/** Runs as nobody: swaps `<dir>/d` for a link to `outside` and back, as fast as it can, until killed. */
const RACER_JS = `
const fs = require('fs');
const [dir, outside, count] = process.argv.slice(2);
const d = dir + '/d', real = dir + '/d.real', tmp = dir + '/d.tmp';
let swaps = 0;
for (;;) {
  try {
    fs.renameSync(d, real);
    fs.symlinkSync(outside, tmp);
    fs.renameSync(tmp, d);
    fs.writeFileSync(count, String(++swaps));
    const t = Date.now(); while (Date.now() - t < 2);
    fs.unlinkSync(d);
    fs.renameSync(real, d);
    const u = Date.now(); while (Date.now() - u < 2);
  } catch { try { fs.unlinkSync(tmp); } catch {} }
}
`;

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function hasRunuser(): boolean {
  try {
    execFileSync('runuser', ['-u', 'nobody', '--', 'true']);
    return true;
  } catch {
    return false;
  }
}

function outsideFiles(dir: string): number {
  return fs.readdirSync(dir).filter((n) => n.startsWith('f')).length;
}

describe('live: deletion cannot be redirected outside the listed folder', function () {
  this.timeout(180_000);
  const jar = new ProcessJar();
  let racer: ChildProcess | null = null;
  /** A private tmpfs: thousands of files are made in milliseconds there, however busy the shared disk is. */
  let fast: string | null = null;

  before(function () {
    if (!isRoot() || !hasRunuser()) {
      console.log('      (skipped: needs root and runuser to race as another user)');
      this.skip();
    }
    fast = fs.realpathSync(jar.tempDir('dsd-race-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=755', 'tmpfs', fast]);
  });

  afterEach(() => {
    if (racer?.pid) { try { process.kill(-racer.pid, 'SIGKILL'); } catch { /* gone */ } }
    racer = null;
  });

  after(async () => {
    if (fast) execFileSync('umount', [fast]);
    await jar.cleanup();
  });

  /** A workspace whose node_modules/.cache (owned by nobody) holds d/f0…f39; root-owned f0…f39 sit outside. */
  function tree(): { ws: string; cache: string; outside: string } {
    const ws = fs.mkdtempSync(path.join(fast!, 'ws-'));
    const outside = fs.mkdtempSync(path.join(fast!, 'outside-'));
    fs.chmodSync(ws, 0o755);
    fs.chmodSync(outside, 0o755);
    fs.writeFileSync(path.join(ws, 'package.json'), '{"name":"race"}');
    const cache = path.join(ws, 'node_modules/.cache');
    fs.mkdirSync(path.join(cache, 'd'), { recursive: true });
    for (let i = 0; i < FILES; i++) {
      fs.writeFileSync(path.join(cache, 'd', `f${i}`), 'cache entry');
      fs.writeFileSync(path.join(outside, `f${i}`), 'root-owned, outside the workspace');
    }
    // Filler between them makes the delete loop last a few milliseconds, as a real cache's would.
    for (let i = 0; i < 3000; i++) fs.writeFileSync(path.join(cache, 'd', `g${i}`), '');
    execFileSync('chown', ['-R', 'nobody', cache]);
    return { ws, cache, outside };
  }

  it('a directory swapped for a symbolic link mid-delete never redirects deletion (racer as nobody)', async () => {
    const racerFile = path.join(jar.tempDir('dsd-racer-'), 'racer.js');
    fs.writeFileSync(racerFile, RACER_JS);
    fs.chmodSync(path.dirname(racerFile), 0o777);
    const countFile = path.join(path.dirname(racerFile), 'swaps');
    let rounds = 0;
    let outsideDeleted = 0;
    let swaps = 0;
    const skippedReasons: string[] = [];
    const started = Date.now();
    // Enough rounds for the old path-based code to lose every time it was tried here (it lost 40 of 40 in round 1).
    while (rounds < 15 && Date.now() - started < 60_000) {
      rounds++;
      const { ws, cache, outside } = tree();
      const scan = await scanDiskCandidates([ws], {});
      const item = scan.items.find((i) => i.path === cache);
      assert.ok(item, JSON.stringify(scan.items));
      racer = spawn('runuser', ['-u', 'nobody', '--', process.execPath, racerFile, cache, outside, countFile], { stdio: 'ignore', detached: true });
      // Delete only once the racer is swapping (a loaded machine takes a while to start node as nobody).
      await waitFor('the racer to swap', () => fs.existsSync(countFile), 15_000);
      const result = await deletePaths([item], { toTrash: null });
      const exited = new Promise((r) => racer!.once('exit', r));
      process.kill(-racer.pid!, 'SIGKILL');
      await exited;
      racer = null;
      const s = fs.existsSync(countFile) ? Number(fs.readFileSync(countFile, 'utf8')) : 0;
      fs.rmSync(countFile, { force: true });
      swaps += s;
      outsideDeleted += FILES - outsideFiles(outside);
      skippedReasons.push(...result.skipped.map((x) => x.reason));
    }
    console.log(`      ${rounds} rounds, ${swaps} swaps by the racer, ${outsideDeleted} files outside deleted; skipped: ${skippedReasons.length ? skippedReasons[0] : 'none'}`);
    assert.ok(swaps > rounds, 'the racer really ran');
    assert.equal(outsideDeleted, 0, `${outsideDeleted} root-owned files outside the workspace were deleted`);
  });

  it('never deletes through a same-device bind mount inside the tree, and says what it left', async () => {
    const { ws, cache } = tree();
    const other = fs.mkdtempSync(path.join(fast!, 'bind-src-'));
    fs.writeFileSync(path.join(other, 'precious.txt'), 'must survive');
    const mnt = path.join(cache, 'bound');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['--bind', other, mnt]);
    try {
      assert.equal(fs.statSync(mnt).dev, fs.statSync(cache).dev, 'a bind mount on the same device');
      const scan = await scanDiskCandidates([ws], {});
      const item = scan.items.find((i) => i.path === cache)!;
      assert.ok(item);
      const result = await deletePaths([item], { toTrash: null });
      assert.ok(fs.existsSync(path.join(other, 'precious.txt')), 'the bind-mounted folder was emptied');
      const left = [...result.deleted.flatMap((d) => d.leftBehind), ...result.skipped.map((s) => s.reason)].join(' ');
      assert.match(left, /bound/, JSON.stringify(result));
      assert.ok(!fs.existsSync(path.join(cache, 'd')), 'the rest of the cache is gone');
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

describe('live: disk lists only what is provably ours to delete', function () {
  this.timeout(60_000);
  const jar = new ProcessJar();
  const mounts: string[] = [];
  after(async () => {
    for (const m of mounts) { try { execFileSync('umount', [m]); } catch { /* not mounted */ } }
    await jar.cleanup();
  });

  function cli(): { io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } }; text: () => string } {
    let text = '';
    const w = { write: (s: string) => { text += s; return true; } };
    return { io: { stdout: w, stderr: w }, text: () => text };
  }

  it('disk --reports DIR --clean --yes deletes only our report files, by name and first bytes', async () => {
    const ws = fs.realpathSync(jar.tempDir('dsd-rep-ws-'));
    const dir = fs.realpathSync(jar.tempDir('dsd-rep-'));
    const ours = {
      'dev-server-doctor-20240101-120000.md': '# Dev Server Doctor: crash investigation\n\nGenerated…\n',
      'dev-server-doctor-20240101-120000.json': '{\n  "generatedAt": "2024-01-01T12:00:00.000Z"\n}\n',
    };
    const theirs = {
      'notes.md': '# my notes',
      'thesis.pdf': 'not ours',
      'dev-server-doctor-20240101-130000.md': '# somebody else\'s file with our name',
      'dev-server-doctor-setup.md': '# Dev Server Doctor: crash investigation\n(a name we never write)',
    };
    for (const [n, t] of Object.entries({ ...ours, ...theirs })) fs.writeFileSync(path.join(dir, n), t);
    execFileSync('mkfifo', [path.join(dir, 'dev-server-doctor-20240101-140000.md')]);
    const { io, text } = cli();
    assert.equal(await runDisk(['--workspace', ws, '--reports', dir, '--clean', '--yes'], io), 0, text());
    assert.deepEqual(fs.readdirSync(dir).sort(), [...Object.keys(theirs), 'dev-server-doctor-20240101-140000.md'].sort(), text());
  });

  it('caches only at known places (src/.cache is source), logs only by name, never an executable', async () => {
    const ws = fs.realpathSync(jar.tempDir('dsd-names-'));
    fs.writeFileSync(path.join(ws, 'package.json'), '{}');
    const big = Buffer.alloc(11 * 1024 * 1024, 1);
    fs.mkdirSync(path.join(ws, 'src/.cache'), { recursive: true });
    fs.writeFileSync(path.join(ws, 'src/.cache/generated-source.ts'), 'export const x = 1;');
    fs.mkdirSync(path.join(ws, 'tools/.turbo'), { recursive: true }); // no package.json in tools: not a project
    fs.writeFileSync(path.join(ws, 'a.out'), big, { mode: 0o755 });
    fs.writeFileSync(path.join(ws, 'build.err'), big);
    fs.writeFileSync(path.join(ws, 'run.log'), big, { mode: 0o755 }); // executable, named like a log
    fs.writeFileSync(path.join(ws, 'server.log'), big);
    fs.mkdirSync(path.join(ws, '.turbo'));
    const scan = await scanDiskCandidates([ws], {});
    assert.deepEqual(scan.items.map((i) => path.relative(ws, i.path)).sort(), ['.turbo', 'server.log']);
  });

  it('a log held open by a running process: left alone (freeing nothing is never claimed), or truncated with consent; freed measured', async function () {
    if (!isRoot()) {
      console.log('      (skipped: mounting a private tmpfs to measure freed space needs root)');
      this.skip();
    }
    const ws = fs.realpathSync(jar.tempDir('dsd-open-log-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', ws]);
    mounts.push(ws);
    fs.writeFileSync(path.join(ws, 'package.json'), '{}');
    const log = path.join(ws, 'server.log');
    fs.writeFileSync(log, Buffer.alloc(12 * 1024 * 1024, 1));
    // A real server process keeping its log open, as `node app.js >> server.log` does.
    const holder = jar.start(process.execPath, ['-e', `const fd = require('fs').openSync(${JSON.stringify(log)}, 'a'); setInterval(() => {}, 1000);`], { cwd: '/' });
    try {
    await new Promise((r) => setTimeout(r, 500));
    let run = cli();
    assert.equal(await runDisk(['--workspace', ws, '--clean', '--yes'], run.io), 1, run.text());
    assert.match(run.text(), new RegExp(`held open by pid ${holder.pid}`));
    assert.match(run.text(), /would free nothing until that process restarts/);
    assert.match(run.text(), /Of 1 item, nothing was deleted\./);
    assert.doesNotMatch(run.text(), /freeing [1-9]/, 'no space is claimed');
    assert.ok(fs.existsSync(log) && fs.statSync(log).size === 12 * 1024 * 1024, 'the open log is untouched');

    const freeBefore = fs.statfsSync(ws).bfree;
    run = cli();
    assert.equal(await runDisk(['--workspace', ws, '--clean', '--yes', '--truncate-open-logs', '--json'], run.io), 0, run.text());
    const json = JSON.parse(run.text()) as { result: { freedBytes: number; deleted: { truncated?: boolean }[] } };
    const measured = (fs.statfsSync(ws).bfree - freeBefore) * fs.statfsSync(ws).bsize;
    assert.equal(fs.statSync(log).size, 0);
    assert.deepEqual(json.result.deleted.map((d) => d.truncated), [true]);
    assert.equal(json.result.freedBytes, measured);
    assert.ok(measured >= 12 * 1024 * 1024, `freed ${measured}`);
    } finally {
      const gone = new Promise((r) => holder.once('exit', r));
      process.kill(-holder.pid!, 'SIGKILL');
      await gone;
      execFileSync('umount', [ws]);
      mounts.splice(mounts.indexOf(ws), 1);
    }
  });
});
