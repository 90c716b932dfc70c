// Live: the crash history and the sample journal across processes that die. A writer killed mid-stream
// leaves a history the next process opens; an "editor" that journals its samples is taken by the kernel
// OOM killer, and the next start tells whether the editor or the server was killed.
import * as assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readKernelOomRecords } from '../../src/core/crash/kernelSources';
import { CrashHistory } from '../../src/core/history/crashHistory';
import { explainLastShutdown, SampleJournal } from '../../src/core/history/sampleJournal';
import { ProcessJar, waitFor, writeFiles } from './liveHelpers';

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// The compiled modules, for the child processes (this file runs from out*/test/live/).
const HISTORY_JS = path.resolve(__dirname, '../../src/core/history/crashHistory.js');
const JOURNAL_JS = path.resolve(__dirname, '../../src/core/history/sampleJournal.js');

function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.signalCode)
    : new Promise((r) => child.once('exit', (_c, sig) => r(sig)));
}

/** A fresh v1 memory cgroup under our own, or null (with the reason printed) when this machine cannot make one. */
function memoryCgroup(name: string, limitBytes: number): string | null {
  const own = /^\d+:memory:(.*)$/m.exec(fs.readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
  const root = '/sys/fs/cgroup/memory';
  if (process.getuid?.() !== 0 || own === undefined || !fs.existsSync(path.join(root, own, 'memory.limit_in_bytes'))) {
    console.log('      skipped: needs root and a cgroup v1 memory controller to create a memory cgroup');
    return null;
  }
  const dir = path.join(root, own, `${name}-${process.pid}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  return dir;
}

async function removeCgroup(dir: string): Promise<void> {
  for (let i = 0; i < 50 && fs.existsSync(dir); i++) {
    try { fs.rmdirSync(dir); } catch { await sleep(100); }
  }
  assert.ok(!fs.existsSync(dir), `cgroup ${dir} removed`);
}

describe('live: crash history and sample journal across killed processes', function () {
  this.timeout(60_000);
  const jar = new ProcessJar();
  let dir: string;

  beforeEach(() => { dir = fs.realpathSync(jar.tempDir('dsd-history-live-')); });
  afterEach(() => jar.cleanup());

  it('history written by a process killed while writing survives re-opening in another process', async () => {
    writeFiles(dir, {
      'writer.js': `
        const { CrashHistory } = require(${JSON.stringify(HISTORY_JS)});
        const h = new CrashHistory({ dir: process.argv[2], maxEntries: 50 });
        let pid = 1;
        // Each a different server: repeats of one problem would be counted on one entry.
        const v = () => ({ cause: 'oom-kill', confidence: 'high', server: 'api-' + pid, pid: pid++, time: Date.now(), summary: 'killed',
          evidence: [{ source: 'kernel', text: 'Killed process '.repeat(40), time: null }], topFrame: null, remedies: [] });
        for (let i = 0; i < 10; i++) h.add(v());
        console.log('ready');
        for (;;) h.add(v());`,
    });
    const writer = jar.start(process.execPath, [path.join(dir, 'writer.js'), dir], { cwd: dir });
    await waitFor('writer ready', () => fs.existsSync(path.join(dir, 'crashes.jsonl')) && fs.statSync(path.join(dir, 'crashes.jsonl')).size > 20_000);
    await sleep(300);
    process.kill(writer.pid!, 'SIGKILL');
    assert.equal(await exited(writer), 'SIGKILL');

    const h = new CrashHistory({ dir, maxEntries: 50 });
    const n = h.entries().length;
    console.log(`      ${n} crashes after the kill; problems: ${h.problems.length ? h.problems.join(' ') : 'none'}`);
    assert.ok(n >= 10 && n <= 101, `${n} entries`);
    const pids = h.entries().map((e) => e.pid!);
    assert.deepEqual(pids, [...pids].sort((a, b) => b - a), 'newest first, none garbled');
    const added = h.add({ cause: 'heap-oom', confidence: 'high', server: 'web', pid: 999_999, time: Date.now(), summary: 's', evidence: [], topFrame: null, remedies: [] })!;
    assert.ok(h.markResolved(added.id));
    const reopened = new CrashHistory({ dir, maxEntries: 50 });
    assert.deepEqual(reopened.problems, []);
    assert.equal(reopened.entries()[0]!.cause, 'heap-oom');
    assert.notEqual(reopened.entries()[0]!.resolvedAt, null);
    assert.equal(reopened.counts().day.byServer.web, 1);
  });

  it('after the OOM killer took the "editor" itself, the next start says so', async function () {
    const cg = memoryCgroup('dsd-editor-oom', 160 * MB);
    if (!cg) this.skip();
    try {
      writeFiles(dir, {
        'editor.js': `
          const { SampleJournal } = require(${JSON.stringify(JOURNAL_JS)});
          const j = new SampleJournal({ dir: process.argv[2], minIntervalMs: 100 });
          j.startSession(process.pid, [process.pid]);
          const keep = [];
          setInterval(() => {
            keep.push(Buffer.alloc(4 * 1024 * 1024, 1));
            j.add({ at: Date.now(), totalBytes: 1e10, availableBytes: 5e9, swapUsedBytes: 0, pressureFull: null, selfRssBytes: process.memoryUsage.rss(), servers: [] });
          }, 100);`,
      });
      const started = Date.now();
      const editor = jar.start('/bin/sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec "${process.execPath}" editor.js "${dir}"`], { cwd: dir });
      assert.equal(await exited(editor), 'SIGKILL');

      const next = new SampleJournal({ dir });
      assert.equal(next.previous?.pid, editor.pid);
      assert.ok(next.previous!.samples.length > 5, `${next.previous!.samples.length} samples`);
      const kernel = await readKernelOomRecords({ sinceMs: started - 2000 });
      if (!kernel.kernelRead) {
        console.log(`      skipped: no kernel log is readable here (${kernel.problems.join(' ')})`);
        this.skip();
      }
      const e = explainLastShutdown(next.previous, kernel.records)!;
      console.log(`      ${e.message}`);
      assert.equal(e.kind, 'editor-killed');
      assert.match(e.message, new RegExp(`^The kernel OOM killer \\(memory cgroup limit\\) took the editor \\(node, PID ${editor.pid}\\) at `));
      next.startSession();
      next.end();
      assert.equal(explainLastShutdown(new SampleJournal({ dir }).previous, kernel.records), null, 'a clean close has nothing to explain');
    } finally {
      await jar.cleanup();
      await removeCgroup(cg!);
    }
  });

  it('when the OOM killer took the server and the editor died after, the next start blames the server', async function () {
    const cg = memoryCgroup('dsd-server-oom', 128 * MB);
    if (!cg) this.skip();
    try {
      const started = Date.now();
      const server = jar.start('/bin/sh', ['-c', `echo $$ > ${cg}/cgroup.procs && exec "${process.execPath}" -e "const k=[];setInterval(()=>k.push(Buffer.alloc(4<<20,1)),100)"`], { cwd: dir });
      writeFiles(dir, {
        'editor.js': `
          const { SampleJournal } = require(${JSON.stringify(JOURNAL_JS)});
          const j = new SampleJournal({ dir: process.argv[2], minIntervalMs: 100 });
          j.startSession(process.pid, [process.pid]);
          const server = Number(process.argv[3]);
          setInterval(() => j.add({ at: Date.now(), totalBytes: 1e10, availableBytes: 5e9, swapUsedBytes: 0, pressureFull: null,
            selfRssBytes: process.memoryUsage.rss(), servers: [{ id: '/ws#dev', name: 'api', pids: [server], rssBytes: 1e8 }] }), 100);`,
      });
      const editor = jar.start(process.execPath, [path.join(dir, 'editor.js'), dir, String(server.pid)], { cwd: dir });
      assert.equal(await exited(server), 'SIGKILL');
      await sleep(300);
      process.kill(editor.pid!, 'SIGKILL');
      await exited(editor);

      const kernel = await readKernelOomRecords({ sinceMs: started - 2000 });
      if (!kernel.kernelRead) {
        console.log(`      skipped: no kernel log is readable here (${kernel.problems.join(' ')})`);
        this.skip();
      }
      const e = explainLastShutdown(new SampleJournal({ dir }).previous, kernel.records)!;
      console.log(`      ${e.message}`);
      assert.equal(e.kind, 'server-killed');
      assert.match(e.message, new RegExp(`took the server api \\(node, PID ${server.pid}\\) at .*, not the editor`));
    } finally {
      await jar.cleanup();
      await removeCgroup(cg!);
    }
  });
});
