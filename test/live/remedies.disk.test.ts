// Live: scanning and deleting in a generated tree with symbolic-link traps, hard links and a mounted tmpfs.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runDisk } from '../../src/cli/disk';
import { deletePaths, scanDiskCandidates, type DiskItem, type DiskScan } from '../../src/core/remedies/disk';
import { ProcessJar, writeFiles } from './liveHelpers';

const MB = 1024 * 1024;
const DAY_MS = 86_400_000;

/** A file of real (not sparse) bytes. */
function fill(file: string, bytes: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.alloc(bytes, 7));
}

function age(p: string, days: number): void {
  const t = new Date(Date.now() - days * DAY_MS);
  fs.utimesSync(p, t, t);
}

/** Every file under a folder with its content, to check nothing outside was touched. */
function snapshotTree(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const st = fs.lstatSync(path.join(dir, name));
    out[name] = st.isFile() ? st.size : -1;
  }
  return out;
}

function relPaths(scan: DiskScan, root: string): string[] {
  return scan.items.map((i) => path.relative(root, i.path)).sort();
}

describe('live: free disk space over a generated tree', function () {
  const jar = new ProcessJar();
  let ws: string;
  let outside: string;
  let mounted: string | null = null;

  before(() => {
    ws = fs.realpathSync(jar.tempDir('dsd-disk-ws-'));
    outside = fs.realpathSync(jar.tempDir('dsd-disk-outside-'));
    writeFiles(ws, {
      'package.json': '{"name":"root"}',
      'app/package.json': '{"name":"app"}',
      'app/src/index.ts': 'export {};',
      'docs/coverage/keep.md': 'docs about coverage: not a project, not a cache',
      'logs/small.log': 'tiny',
      'old/package.json': '{"name":"old"}',
      'old/node_modules/left-pad/index.js': 'module.exports = 1;',
    });
    fill(path.join(ws, 'logs/big.log'), 11 * MB);
    fs.linkSync(path.join(ws, 'logs/big.log'), path.join(ws, 'logs/hardlink.log'));
    fill(path.join(ws, 'big.txt'), 12 * MB); // large, but not a log
    fill(path.join(ws, 'app/.next/cache/webpack/0.pack'), 3 * MB);
    fill(path.join(ws, 'app/node_modules/.vite/deps/chunk.js'), 1 * MB);
    fill(path.join(ws, 'app/node_modules/react/index.js'), 100_000);
    fill(path.join(ws, 'app/coverage/lcov.info'), 200_000);
    fill(path.join(ws, 'src/.cache/babel/x.json'), 300_000); // source: src has no package.json
    fill(path.join(ws, 'app/.cache/babel/x.json'), 300_000);
    fill(path.join(ws, 'old/node_modules/big/blob.bin'), 2 * MB);
    for (const p of ['old/node_modules', 'old/package.json']) age(path.join(ws, p), 60);
    // Traps: a loop back up the tree, a link to a folder outside the workspace, a link out of a cache.
    fs.symlinkSync(ws, path.join(ws, 'app/src/loop'), 'dir');
    fs.symlinkSync('../..', path.join(ws, 'app/.cache/up'), 'dir');
    fill(path.join(outside, '.cache/huge.bin'), 5 * MB);
    fill(path.join(outside, 'huge.log'), 11 * MB);
    fs.symlinkSync(outside, path.join(ws, 'outside-link'), 'dir');
    fs.symlinkSync(outside, path.join(ws, 'app/.cache/escape'), 'dir');
  });

  after(async () => {
    if (mounted) execFileSync('umount', [mounted]);
    await jar.cleanup();
  });

  it('lists logs, caches and stale node_modules with lstat sizes, stays inside and never follows a link', async () => {
    const before = snapshotTree(outside);
    const scan = await scanDiskCandidates([ws], { staleNodeModulesDays: 30 });
    assert.deepEqual(relPaths(scan, ws), [
      'app/.cache', 'app/.next/cache', 'app/coverage', 'app/node_modules/.vite', 'logs/big.log', 'old/node_modules',
    ], JSON.stringify(scan.items, null, 1));
    const item = (rel: string): DiskItem => scan.items.find((i) => i.path === path.join(ws, rel))!;
    assert.equal(item('logs/big.log').bytes, 11 * MB);
    assert.equal(item('logs/big.log').kind, 'log');
    assert.deepEqual([item('app/.next/cache').kind, item('app/.next/cache').label], ['cache', '.next/cache']);
    assert.equal(item('old/node_modules').kind, 'node_modules');
    assert.ok(Date.now() - item('old/node_modules').lastUsed > 59 * DAY_MS);
    assert.ok(item('app/.next/cache').bytes >= 3 * MB && item('app/.next/cache').bytes < 3.2 * MB);
    // The .cache folder holds 300 KB plus two links: the links are counted as links, never followed.
    assert.ok(item('app/.cache').bytes < 400_000, `app/.cache counted ${item('app/.cache').bytes} bytes`);
    assert.equal(scan.byKind.log.count, 1, 'the hard link to big.log is counted once');
    assert.equal(scan.totalBytes, scan.items.reduce((s, i) => s + i.bytes, 0));
    assert.deepEqual([scan.cancelled, scan.truncated], [false, false]);
    assert.ok(scan.items.every((i) => i.root === ws));
    assert.deepEqual(snapshotTree(outside), before);
  });

  it('does not list node_modules without a stale setting or when recently installed', async () => {
    const scan = await scanDiskCandidates([ws], {});
    assert.ok(!relPaths(scan, ws).includes('old/node_modules'));
    const fresh = await scanDiskCandidates([ws], { staleNodeModulesDays: 90 });
    assert.ok(!relPaths(fresh, ws).includes('old/node_modules'));
  });

  it('does not cross into a tmpfs mounted inside the tree, in scans or deletes', async function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: mounting a tmpfs needs root)');
      this.skip();
    }
    const tree = fs.realpathSync(jar.tempDir('dsd-disk-mnt-'));
    fill(path.join(tree, 'web/.turbo/cache/a.bin'), 1 * MB);
    fs.writeFileSync(path.join(tree, 'web/package.json'), '{}');
    fs.mkdirSync(path.join(tree, 'web/.turbo/mnt'));
    fs.mkdirSync(path.join(tree, 'data'));
    mounted = path.join(tree, 'web/.turbo/mnt');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', mounted]);
    const second = path.join(tree, 'data');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', second]);
    try {
      fill(path.join(mounted, 'inside-mount.bin'), 4 * MB);
      fill(path.join(second, 'server.log'), 11 * MB);
      fill(path.join(second, '.cache/x.bin'), 1 * MB);
      const scan = await scanDiskCandidates([tree], {});
      assert.deepEqual(relPaths(scan, tree), ['web/.turbo']);
      const turbo = scan.items[0];
      assert.ok(turbo.bytes < 2 * MB, `the mount's 4 MB are not counted: ${turbo.bytes}`);
      assert.deepEqual(turbo.otherFilesystems, [mounted]);

      const toTrash = await deletePaths([turbo], { toTrash: async () => true });
      assert.equal(toTrash.skipped[0]?.code, 'mount-inside');
      const gone = await deletePaths([turbo], { toTrash: null });
      assert.deepEqual(gone.deleted.map((d) => [d.path, d.leftBehind]), [[turbo.path, [mounted]]]);
      assert.ok(fs.existsSync(path.join(mounted, 'inside-mount.bin')), 'the mounted file system is untouched');
      assert.ok(!fs.existsSync(path.join(tree, 'web/.turbo/cache')));
    } finally {
      execFileSync('umount', [second]);
      execFileSync('umount', [mounted]);
      mounted = null;
    }
  });

  it('reports progress and stops when cancelled, returning what it found so far', async () => {
    const progress: number[] = [];
    let cancel = false;
    const scan = await scanDiskCandidates([ws], {
      token: { get isCancellationRequested() { return cancel; } },
      onProgress: (p) => { progress.push(p.scannedDirs); cancel = true; },
    });
    assert.equal(scan.cancelled, true);
    assert.equal(progress.length, 1);
    const aborted = await scanDiskCandidates([ws], { signal: AbortSignal.abort() });
    assert.deepEqual([aborted.cancelled, aborted.items.length], [true, 0]);
    const bounded = await scanDiskCandidates([ws], { maxEntries: 5 });
    assert.equal(bounded.truncated, true);
    assert.match(bounded.warnings.join(' '), /incomplete/);
  });

  it('lists the npm cache and our reports when asked', async () => {
    const npmCache = jar.tempDir('dsd-npm-cache-');
    fill(path.join(npmCache, '_cacache/content-v2/sha512/ab/cd'), 500_000);
    const reports = jar.tempDir('dsd-reports-');
    writeFiles(reports, {
      'dev-server-doctor-20240101-120000.md': '# Dev Server Doctor: crash investigation\n\nGenerated…',
      'dev-server-doctor-20240101-120000.json': '{\n  "generatedAt": "2024-01-01T12:00:00.000Z"\n}\n',
    });
    const scan = await scanDiskCandidates([], { includeNpmCache: true, npmCacheDir: npmCache, reportDirs: [reports] });
    assert.deepEqual(scan.items.map((i) => i.kind).sort(), ['npm-cache', 'report', 'report']);
    assert.equal(scan.items.find((i) => i.kind === 'npm-cache')!.path, path.join(fs.realpathSync(npmCache), '_cacache'));
    const missing = await scanDiskCandidates([path.join(ws, 'nope')], {});
    assert.match(missing.warnings.join(' '), /does not exist/);
  });

  it('deletes only what it listed: not a path that became a symbolic link, not a copied item; reports freed bytes and disk use', async () => {
    const scan = await scanDiskCandidates([ws], { staleNodeModulesDays: 30 });
    const outsideBefore = snapshotTree(outside);
    const item = (rel: string): DiskItem => scan.items.find((i) => i.path === path.join(ws, rel))!;
    // After the scan, app/coverage is swapped for a link to the outside folder.
    fs.renameSync(path.join(ws, 'app/coverage'), path.join(ws, 'app/coverage-moved'));
    fs.symlinkSync(outside, path.join(ws, 'app/coverage'), 'dir');
    const forged = { ...item('old/node_modules') };
    const result = await deletePaths([item('app/coverage'), forged, item('app/.cache'), item('logs/big.log')], { toTrash: null });

    assert.deepEqual(result.skipped.map((s) => [path.relative(ws, s.path), s.code]), [['app/coverage', 'changed'], ['old/node_modules', 'not-listed']]);
    assert.match(result.skipped[0].reason, /became a symbolic link/);
    assert.deepEqual(result.deleted.map((d) => path.relative(ws, d.path)), ['app/.cache', 'logs/big.log']);
    // Measured on a disk other programs write to: never more than what was removed.
    assert.equal(result.listedBytes, item('app/.cache').bytes + item('logs/big.log').bytes);
    assert.ok(result.freedBytes <= result.listedBytes);
    assert.ok(!fs.existsSync(path.join(ws, 'app/.cache')) && !fs.existsSync(path.join(ws, 'logs/big.log')));
    assert.ok(fs.existsSync(path.join(ws, 'logs/hardlink.log')) && fs.existsSync(path.join(ws, 'old/node_modules/big/blob.bin')));
    assert.deepEqual(snapshotTree(outside), outsideBefore, 'nothing outside the workspace was touched through the links');
    const disk = result.disks[0];
    assert.equal(disk.path, ws);
    assert.ok(disk.totalBytes > 0 && disk.freeBytes > 0 && disk.usedPercent > 0 && disk.usedPercent <= 100);
  });

  it('moves to the trash when there is one, and says so when there is none', async () => {
    const scan = await scanDiskCandidates([ws], {});
    const next = scan.items.find((i) => i.label === '.next/cache')!;
    const vite = scan.items.find((i) => i.label === 'node_modules/.vite')!;
    const trash = jar.tempDir('dsd-trash-');
    const result = await deletePaths([next, vite], {
      toTrash: async (p) => {
        if (p !== next.path) return false;
        fs.renameSync(p, path.join(trash, 'cache'));
        return true;
      },
    });
    assert.deepEqual(result.deleted.map((d) => [d.path, d.trashed]), [[next.path, true]]);
    assert.equal(result.trashedBytes, next.bytes);
    assert.equal(result.freedBytes, 0);
    assert.deepEqual(result.skipped.map((s) => [s.path, s.code]), [[vite.path, 'no-trash']]);
    assert.ok(fs.existsSync(vite.path));
  });

  it('disk CLI: lists totals and items as a dry run, refuses a lone --yes, deletes with --clean --yes', async () => {
    const folder = fs.realpathSync(jar.tempDir('dsd-disk-cli-'));
    fill(path.join(folder, 'server.log'), 2 * MB);
    fill(path.join(folder, '.turbo/x'), 100_000);
    fs.writeFileSync(path.join(folder, 'package.json'), '{}');
    let text = '';
    const io = { stdout: { write: (s: string) => { text += s; return true; } }, stderr: { write: (s: string) => { text += s; return true; } } };

    assert.equal(await runDisk(['--workspace', folder, '--large-log-mb', '1', '--json'], io), 0);
    const json = JSON.parse(text) as DiskScan & { result: unknown };
    assert.deepEqual(json.items.map((i) => i.label).sort(), ['.turbo', 'log']);
    assert.equal(json.result, null);

    text = '';
    assert.equal(await runDisk(['--workspace', folder, '--large-log-mb', '1', '--clean'], io), 0);
    assert.match(text, /^.* could be freed in 2 places:\n {2}log .*\n {2}cache /);
    assert.match(text, /Dry run: nothing was deleted\. Add --yes/);
    assert.ok(fs.existsSync(path.join(folder, 'server.log')));

    text = '';
    assert.equal(await runDisk(['--workspace', folder, '--yes'], io), 2);
    assert.match(text, /--yes confirms --clean/);
    assert.equal(await runDisk(['--workspace', path.join(folder, 'missing')], io), 2);

    text = '';
    assert.equal(await runDisk(['--workspace', folder, '--large-log-mb', '1', '--clean', '--yes'], io), 0, text);
    assert.match(text, /Deleted 2 of 2, freeing [\d.]+ [KMGT]?B \(measured on the disk\)\./);
    assert.match(text, /now \d+(\.\d)?% used/);
    assert.ok(!fs.existsSync(path.join(folder, 'server.log')) && !fs.existsSync(path.join(folder, '.turbo')));
  });
});
