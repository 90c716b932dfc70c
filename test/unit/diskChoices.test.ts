// Free Disk Space's pick list: our own reports as one entry that keeps the newest, on a real scan of real files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diskChoices, FRESH_REPORT_MS, scanDiskCandidates } from '../../src/core/remedies/disk';

const DAY = 86_400_000;

describe('Free Disk Space choices', () => {
  let dir: string;
  let reports: string;
  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-choices-')));
    reports = path.join(dir, 'reports');
    fs.mkdirSync(reports);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"x"}');
    fs.mkdirSync(path.join(dir, '.vite'));
    fs.writeFileSync(path.join(dir, '.vite', 'chunk.js'), 'x'.repeat(64 * 1024));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A report as saveReport writes it (its .md and .json), changed `ageMs` ago; returns the .md. */
  function report(name: string, ageMs: number, now: number): string {
    const file = path.join(reports, name);
    fs.writeFileSync(file, `# Dev Server Doctor: crash investigation\n\n${'evidence line\n'.repeat(400)}`);
    const json = file.replace(/\.md$/, '.json');
    fs.writeFileSync(json, '{\n  "generatedAt": "2026-11-30T10:15:00.000Z"\n}\n');
    const t = new Date(now - ageMs);
    fs.utimesSync(file, t, t);
    fs.utimesSync(json, t, t);
    return file;
  }

  it('fresh reports: one entry "N crash reports, keep the newest", not ticked; the newest is kept; caches stay their own entries', async () => {
    const now = Date.now();
    const newest = report('dev-server-doctor-20261130-101500.md', 60_000, now);
    const older = [report('dev-server-doctor-20261130-101000.md', 10 * 60_000, now), report('dev-server-doctor-20261130-100000.md', 3600_000, now)];
    const scan = await scanDiskCandidates([dir], { reportDirs: [reports] });
    assert.equal(scan.items.filter((i) => i.kind === 'report').length, 6, 'the scan lists each file of each report');
    const choices = diskChoices(scan.items, now);
    const group = choices.find((c) => c.kept !== null)!;
    assert.match(group.label, /^\s*\d+(\.\d)? KB {2}3 crash reports, keep the newest$/);
    assert.deepEqual(group.items.map((i) => i.path).sort(), older.flatMap((f) => [f, f.replace(/\.md$/, '.json')]).sort());
    assert.equal(group.kept!.path, newest);
    assert.equal(group.picked, false, 'fresh reports are not ticked in advance');
    assert.equal(group.bytes, group.items.reduce((n, i) => n + i.bytes, 0));
    assert.match(group.detail, /deletes 2 older reports \(4 files\), keeps the newest \(1m 0s old\)/);
    assert.equal(choices.filter((c) => c.items.some((i) => i.kind === 'report')).length, 1, 'no report listed on its own');
    const cache = choices.find((c) => c.items[0]!.kind === 'cache')!;
    assert.equal(cache.picked, true);
    assert.match(cache.detail, /^cache, 1 file, last changed/);
  });

  it('reports all older than a week are ticked; a single report is kept and offers nothing', async () => {
    const now = Date.now();
    report('dev-server-doctor-20261001-101500.md', FRESH_REPORT_MS + DAY, now);
    report('dev-server-doctor-20261001-101000.md', FRESH_REPORT_MS + 2 * DAY, now);
    const both = diskChoices((await scanDiskCandidates([dir], { reportDirs: [reports] })).items, now);
    assert.equal(both.find((c) => c.kept)!.picked, true);
    assert.match(both.find((c) => c.kept)!.label, /2 crash reports, keep the newest$/);
    fs.rmSync(path.join(reports, 'dev-server-doctor-20261001-101000.md'));
    fs.rmSync(path.join(reports, 'dev-server-doctor-20261001-101000.json'));
    const one = diskChoices((await scanDiskCandidates([dir], { reportDirs: [reports] })).items, now);
    assert.deepEqual(one.map((c) => c.items[0]!.kind), ['cache']);
  });
});
