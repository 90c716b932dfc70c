import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { verdictKey, type CauseId, type Verdict } from '../../src/core/crash/types';
import { parseKernelLog } from '../../src/core/crash/kernelLog';
import { ManualClock } from '../../src/core/clock';
import { CrashHistory, crashSeverity, HISTORY_FILE } from '../../src/core/history/crashHistory';
import { openJsonl } from '../../src/core/history/jsonl';
import { editorProcessIds, explainLastShutdown, JOURNAL_FILE, SampleJournal, type JournalSample, type JournalSession, type KillRecord } from '../../src/core/history/sampleJournal';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MB = 1024 * 1024;
const GB = 1024 * MB;

function fixture(rel: string): string {
  return path.resolve(__dirname, '../../../test/fixtures', rel);
}

function verdict(cause: CauseId, server: string, pid: number | null, time: number, evidenceText = 'line'): Verdict {
  return {
    cause, confidence: 'high', server, pid, time, summary: `${server} ${cause}`, topFrame: null, remedies: [],
    evidence: [{ source: 'output', text: evidenceText, time }], detail: { serverId: `/ws#${server}` },
  };
}

describe('history: crash history file', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-history-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('survives re-opening: entries, resolutions and counts for 24 h and 7 days', () => {
    const now = 30 * DAY;
    const clock = new ManualClock(now);
    const h = new CrashHistory({ dir, clock });
    h.add(verdict('oom-kill', 'api', 1, now - HOUR));
    h.add(verdict('heap-oom', 'api', 2, now - 2 * DAY));
    h.add(verdict('port-in-use', 'web', 3, now - 3 * HOUR));
    h.add(verdict('oom-kill', 'web', 4, now - 8 * DAY));
    const resolved = h.entries().find((e) => e.cause === 'port-in-use')!;
    assert.equal(h.markResolved(resolved.id), true);
    assert.equal(h.markResolved('nope'), false);

    const again = new CrashHistory({ dir, clock });
    assert.deepEqual(again.problems, []);
    assert.deepEqual(again.entries().map((e) => [e.server, e.cause]), [['api', 'oom-kill'], ['web', 'port-in-use'], ['api', 'heap-oom'], ['web', 'oom-kill']]);
    assert.equal(again.entries().find((e) => e.id === resolved.id)!.resolvedAt, now);
    assert.equal(again.entries({ includeResolved: false }).length, 3);
    assert.equal(again.entries({ limit: 1 })[0]!.cause, 'oom-kill');
    const { day, week } = again.counts();
    assert.deepEqual(day, { total: 2, unresolved: 1, byServer: { api: 1, web: 1 }, byCause: { 'oom-kill': 1, 'port-in-use': 1 } });
    assert.deepEqual(week, { total: 3, unresolved: 2, byServer: { api: 2, web: 1 }, byCause: { 'oom-kill': 1, 'port-in-use': 1, 'heap-oom': 1 } });
    assert.equal(again.entries()[0]!.severity, 'critical');
    assert.equal(crashSeverity('port-in-use'), 'warning');
  });

  it('stores one entry per crash (a second verdict for the same death is ignored)', () => {
    const h = new CrashHistory({ dir, clock: new ManualClock(0) });
    assert.ok(h.add(verdict('killed', 'api', 7, 1000)));
    assert.equal(h.add(verdict('oom-kill', 'api', 7, 1500)), null);
    assert.equal(verdictKey(verdict('oom-kill', 'api', 7, 1500)), '/ws#api#7');
    assert.equal(h.entries().length, 1);
  });

  it('skips a truncated last line, says so, and appends cleanly afterwards', () => {
    const h = new CrashHistory({ dir, clock: new ManualClock(0) });
    h.add(verdict('oom-kill', 'api', 1, 1000));
    h.add(verdict('heap-oom', 'api', 2, 2000));
    const file = path.join(dir, HISTORY_FILE);
    const full = fs.readFileSync(file, 'utf8');
    // The editor killed in the middle of writing the third record.
    const third = JSON.stringify({ t: 'crash', id: 'x', at: 3000, key: 'k', severity: 'warning', verdict: verdict('killed', 'web', 3, 3000) });
    fs.writeFileSync(file, full + third.slice(0, 60));

    const reopened = new CrashHistory({ dir, clock: new ManualClock(0) });
    assert.equal(reopened.entries().length, 2);
    assert.deepEqual(reopened.problems, [`The last line of ${HISTORY_FILE} was cut off (the editor stopped while writing it); it was skipped.`]);
    assert.equal(fs.readFileSync(file, 'utf8'), full, 'cut back to the last whole line');
    reopened.add(verdict('missing-module', 'web', 9, 4000));
    const third2 = new CrashHistory({ dir, clock: new ManualClock(0) });
    assert.deepEqual(third2.problems, []);
    assert.deepEqual(third2.entries().map((e) => e.cause), ['missing-module', 'heap-oom', 'oom-kill']);
  });

  it('skips damaged lines in the middle and a last line that merely lacks its newline is kept', () => {
    const file = path.join(dir, 'x.jsonl');
    fs.writeFileSync(file, '{"a":1}\nnot json\n\n{"b":2}\n{"c":3}');
    const read = openJsonl(file);
    assert.deepEqual(read.records, [{ a: 1 }, { b: 2 }, { c: 3 }]);
    assert.deepEqual(read.problems, ['1 damaged line in x.jsonl was skipped.']);
    assert.equal(fs.readFileSync(file, 'utf8').endsWith('{"c":3}\n'), true);
    assert.deepEqual(openJsonl(path.join(dir, 'none.jsonl')), { records: [], bytes: 0, problems: [] });
  });

  it('stays bounded: compacts to the newest crashes, resolutions kept', () => {
    const h = new CrashHistory({ dir, clock: new ManualClock(0), maxEntries: 10 });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      // Each a different problem (a different place in the code): none is counted as a repeat of another.
      const e = h.add({ ...verdict('exit-nonzero', 'api', 100 + i, i * 1000), topFrame: `f${i} (/ws/x.js:${i}:1)` })!;
      ids.push(e.id);
      if (i === 55) h.markResolved(e.id);
    }
    const file = path.join(dir, HISTORY_FILE);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    assert.ok(lines <= 21, `${lines} lines`);
    const again = new CrashHistory({ dir, clock: new ManualClock(0), maxEntries: 10 });
    assert.ok(again.entries().length <= 21 && again.entries().length >= 10);
    assert.equal(again.entries()[0]!.pid, 159);
    assert.notEqual(again.entries().find((e) => e.id === ids[55])!.resolvedAt, null);
  });

  it('stays bounded in bytes and cuts long evidence', () => {
    const h = new CrashHistory({ dir, clock: new ManualClock(0), maxBytes: 20_000 });
    for (let i = 0; i < 40; i++) h.add(verdict('uncaught-exception', 'api', i, i, 'x'.repeat(5000)));
    assert.ok(fs.statSync(path.join(dir, HISTORY_FILE)).size <= 20_000);
    assert.equal(h.entries()[0]!.verdict.evidence[0]!.text.length, 2001);
  });

  it('reports an unwritable folder instead of throwing', () => {
    const blocker = path.join(dir, 'file');
    fs.writeFileSync(blocker, '');
    const h = new CrashHistory({ dir: blocker, clock: new ManualClock(0) });
    assert.ok(h.add(verdict('oom-kill', 'api', 1, 1)));
    assert.match(h.problems.join(' '), /Could not write/);
  });
});

function sample(at: number, servers: JournalSample['servers'], availableBytes = 4 * GB): JournalSample {
  return { at, totalBytes: 16 * GB, availableBytes, swapUsedBytes: 0, pressureFull: null, selfRssBytes: 300 * MB, servers };
}

describe('history: sample journal', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-journal-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('tells the next start about a session that never closed', () => {
    const clock = new ManualClock(1000);
    const j = new SampleJournal({ dir, clock });
    assert.equal(j.previous, null);
    j.startSession(500, [500, 400]);
    assert.equal(j.add(sample(2000, [{ id: 'a', name: 'api', pids: [600, 601], rssBytes: GB }])), true);
    assert.equal(j.add(sample(4000, [])), false, 'within 5 s of the last sample');
    assert.equal(j.add(sample(7000, [{ id: 'a', name: 'api', pids: [600, 601], rssBytes: 2 * GB }])), true);

    const next = new SampleJournal({ dir, clock });
    assert.deepEqual(next.previous, {
      pid: 500, editorPids: [500, 400], startedAt: 1000, endedAt: null,
      samples: [sample(2000, [{ id: 'a', name: 'api', pids: [600, 601], rssBytes: GB }]), sample(7000, [{ id: 'a', name: 'api', pids: [600, 601], rssBytes: 2 * GB }])],
    });
    next.startSession(700);
    next.end();
    const third = new SampleJournal({ dir, clock });
    assert.equal(third.previous!.pid, 700);
    assert.equal(third.previous!.endedAt, 1000);
    assert.equal(explainLastShutdown(third.previous, []), null, 'closed cleanly: nothing to explain');
  });

  it('keeps the file small: the last minutes only', () => {
    const clock = new ManualClock(0);
    const j = new SampleJournal({ dir, clock, keepMs: 60_000, maxBytes: 4096 });
    j.startSession(1);
    const servers = [{ id: 'a', name: 'api', pids: [2, 3], rssBytes: 100 * MB }];
    for (let t = 0; t < 3_600_000; t += 5000) j.add(sample(t, servers));
    assert.ok(fs.statSync(path.join(dir, JOURNAL_FILE)).size < 4096 + 400);
    const prev = new SampleJournal({ dir }).previous!;
    // Compacted to the last minute (13 samples), then appended to until the size cap again.
    assert.ok(prev.samples.length >= 13 && prev.samples.length <= 4096 / 150, `${prev.samples.length} samples`);
    assert.equal(prev.samples[prev.samples.length - 1]!.at, 3_595_000);
  });

  it('a cut-off last sample is skipped and said', () => {
    const j = new SampleJournal({ dir, clock: new ManualClock(0) });
    j.startSession(1);
    j.add(sample(0, []));
    fs.appendFileSync(path.join(dir, JOURNAL_FILE), '{"t":"sample","at":50');
    const next = new SampleJournal({ dir });
    assert.equal(next.previous!.samples.length, 1);
    assert.match(next.problems[0]!, /cut off/);
  });

  it('records a snapshot\'s figures', () => {
    const j = new SampleJournal({ dir, clock: new ManualClock(0) });
    j.startSession(1);
    const snapshot = {
      takenAt: 9000, platform: 'linux', workspaceFolders: [], alerts: [], sockets: [], warnings: [],
      system: {
        memory: { totalBytes: 8 * GB, availableBytes: GB, usedPercent: 87.5, swapTotalBytes: 0, swapUsedBytes: 0 },
        pressure: { someAvg10: 3, fullAvg10: 1.5 }, cgroup: null, disks: [], inotify: { maxUserWatches: null, maxUserInstances: null },
      },
      servers: [{ id: '/ws#dev', name: 'web', pid: 5, pids: [5, 6], rssBytes: 300 * MB }, { id: '/ws#x', name: 'x', pid: null, pids: [], rssBytes: 0 }],
    } as unknown as Parameters<SampleJournal['record']>[0];
    assert.equal(j.record(snapshot, 123), true);
    assert.deepEqual(new SampleJournal({ dir }).previous!.samples, [{
      at: 9000, totalBytes: 8 * GB, availableBytes: GB, swapUsedBytes: 0, pressureFull: 1.5, selfRssBytes: 123,
      servers: [{ id: '/ws#dev', name: 'web', pids: [5, 6], rssBytes: 300 * MB }],
    }]);
  });
});

describe('history: what ended the last session', () => {
  const t0 = Date.UTC(2025, 0, 10, 14, 0, 0);
  const timeOf = (ms: number) => new Date(ms).toISOString().slice(11, 19);
  const session = (samples: JournalSample[]): JournalSession => ({ pid: 500, editorPids: [500, 400, 450], startedAt: t0, endedAt: null, samples });
  const api = { id: '/ws#dev', name: 'api', pids: [600, 601], rssBytes: 1.8 * GB };
  const last = session([sample(t0 + 60_000, [api]), sample(t0 + 65_000, [api], 120 * MB)]);
  const kill = (pid: number | null, comm: string, at: number, kind: KillRecord['kind'] = 'global'): KillRecord => ({ kind, pid, comm, time: at });

  it('the OOM killer took the editor', () => {
    const e = explainLastShutdown(last, [kill(450, 'code', t0 + 66_000)], { timeOf })!;
    assert.equal(e.kind, 'editor-killed');
    assert.equal(e.message, 'The kernel OOM killer took the editor (code, PID 450) at 14:01:06. Last sample at 14:01:05: 120 MB of 16.0 GB available, api used 1.8 GB, the extension host 300 MB.');
  });

  it('it took the server, not the editor', () => {
    const e = explainLastShutdown(last, [kill(601, 'node', t0 + 64_000, 'memcg')], { timeOf })!;
    assert.equal(e.kind, 'server-killed');
    assert.match(e.message, /^The kernel OOM killer \(memory cgroup limit\) took the server api \(node, PID 601\) at 14:01:04, not the editor/);
  });

  it('both: the editor is named first and the server after', () => {
    const e = explainLastShutdown(last, [kill(601, 'node', t0 + 64_000), kill(500, 'node', t0 + 67_000)], { timeOf })!;
    assert.equal(e.kind, 'editor-killed');
    assert.match(e.message, /took the editor \(node, PID 500\) at 14:01:07\. It also killed the server api \(node, PID 601\)\./);
  });

  it('systemd-oomd killing the editor\'s unit', () => {
    const e = explainLastShutdown(last, [{ kind: 'oomd', pid: null, comm: null, time: t0 + 70_000, memcg: '/user.slice/user-1000.slice/user@1000.service/app.slice/app-code-1234.scope' }], { timeOf })!;
    assert.equal(e.kind, 'editor-killed');
    assert.match(e.message, /^Systemd-oomd took the editor at 14:01:10\./);
  });

  it('a stranger killed near the end, and old kills that do not matter', () => {
    const e = explainLastShutdown(last, [kill(999, 'java', t0 + 66_000), kill(998, 'chrome', t0 - HOUR), kill(997, 'late', t0 + HOUR)], { timeOf })!;
    assert.equal(e.kind, 'other-killed');
    assert.deepEqual(e.victims.map((v) => v.pid), [999]);
    assert.match(e.message, /killed java \(PID 999\) at 14:01:06, a process this session did not know/);
  });

  it('no record: says when it was last seen, and that memory was nearly exhausted', () => {
    const e = explainLastShutdown(last, [], { timeOf })!;
    assert.equal(e.kind, 'unknown');
    assert.equal(e.lastSeenAt, t0 + 65_000);
    assert.match(e.message, /^The editor stopped without closing cleanly after 14:01:05\. No OOM kill was found .* Memory was nearly exhausted/);
    const plenty = explainLastShutdown(session([sample(t0 + 5000, [])]), [], { timeOf })!;
    assert.doesNotMatch(plenty.message, /nearly exhausted/);
  });

  it('works with kill records parsed from a real kernel log', () => {
    const text = fs.readFileSync(fixture('kernel-log/cgroup-oom-kill.dmesg-T.txt'), 'utf8');
    const records = parseKernelLog(text);
    const victim = records.find((r) => r.pid !== null)!;
    assert.ok(victim.time !== null);
    const s: JournalSession = {
      pid: 1, editorPids: [1], startedAt: victim.time - 60_000, endedAt: null,
      samples: [sample(victim.time - 2000, [{ id: '/home/dev/shop-api#start', name: 'shop-api', pids: [victim.pid!], rssBytes: 150 * MB }])],
    };
    const e = explainLastShutdown(s, records, { timeOf })!;
    assert.equal(e.kind, 'server-killed');
    assert.equal(e.victims[0]!.server, 'shop-api');
  });
});

describe('history: the editor\'s processes', () => {
  it('walks up from the extension host to the editor and leaves terminals out', () => {
    const fake = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-editor-'));
    try {
      const stat = (pid: number, ppid: number, comm: string) => {
        fs.mkdirSync(path.join(fake, String(pid)));
        // A full stat line (52 fields), as the kernel writes it.
        fs.writeFileSync(path.join(fake, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 1000 0 0 ${'0 '.repeat(28)}0\n`);
      };
      stat(1, 0, 'systemd');
      stat(10, 1, 'bash'); // the shell the editor was started from
      stat(20, 10, 'code'); // main
      stat(21, 20, 'code'); // renderer
      stat(22, 20, 'code'); // extension host
      stat(23, 20, 'code'); // pty host
      stat(30, 23, 'bash'); // a terminal
      stat(31, 30, 'npm run dev');
      stat(40, 22, 'tsserver');
      assert.deepEqual(editorProcessIds(22, fake).sort((a, b) => a - b), [20, 21, 22, 23, 40]);
      assert.deepEqual(editorProcessIds(77, fake), [77]);
    } finally {
      fs.rmSync(fake, { recursive: true, force: true });
    }
  });

  it('the same crash again (same server, cause and frame, unresolved) is one entry with a count, kept across reloads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-repeat-'));
    const h = new CrashHistory({ dir, clock: new ManualClock(0) });
    const bug = (pid: number, t: number) => ({ ...verdict('uncaught-exception', 'api', pid, t), topFrame: 'handler (/ws/server.js:16:45)' });
    const first = h.add(bug(10, 1000))!;
    const again = h.add(bug(11, 12_000))!;
    assert.equal(again.id, first.id);
    assert.deepEqual([again.count, again.lastTime, again.pid], [2, 12_000, 11]);
    assert.equal(h.add(bug(11, 12_000)), null, 'the same death twice is still one');
    const other = h.add({ ...bug(12, 13_000), topFrame: 'other (/ws/server.js:99:1)' })!;
    assert.notEqual(other.id, first.id);
    h.markResolved(first.id);
    assert.notEqual(h.add(bug(13, 14_000))!.id, first.id, 'after Mark Resolved it is a new entry');
    const reread = new CrashHistory({ dir, clock: new ManualClock(0) });
    assert.deepEqual(reread.entries().find((e) => e.id === first.id)?.count, 2);
    assert.equal(reread.entries().length, 3);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
