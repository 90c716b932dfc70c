// Live: the /proc probe reads the TCP tables only when a watched process's sockets change, with real listeners
// inside and outside the watched folder.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { NET_TABLE_SAFETY_POLLS } from '../../src/core/system/netTableGate';
import { ProcfsProbe } from '../../src/core/system/procfsProbe';
import type { SystemSample } from '../../src/core/types';
import { isAlive, ProcessJar, waitFor } from './liveHelpers';

const LISTEN = `const s = require('net').createServer().listen(0, '127.0.0.1', () => console.log(s.address().port)); setInterval(() => {}, 1e9);`;

describe('live: ProcfsProbe re-reads the TCP tables only when watched sockets change', function () {
  if (process.platform !== 'linux') return;
  const jar = new ProcessJar();
  let ws: string;
  let outside: string;
  const probe = new ProcfsProbe();
  const sample = (): Promise<SystemSample> => probe.sample({ diskPaths: [], watchFolders: [ws], watchPids: [] });

  async function listener(cwd: string): Promise<{ pid: number; port: number }> {
    const child = jar.start(process.execPath, ['-e', LISTEN], { cwd });
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    return { pid: child.pid!, port };
  }

  before(() => {
    ws = fs.realpathSync(jar.tempDir('dsd-gate-ws-'));
    outside = fs.realpathSync(jar.tempDir('dsd-gate-out-'));
  });
  after(() => jar.cleanup());

  it('reads on the first poll, then not while the watched folder has no process', async () => {
    await sample();
    assert.equal(probe.lastNetTables.decision, 'first');
    await sample();
    // Another engineer's process may start in a folder of ours only if it is inside the temp workspace: it is not.
    assert.ok(['unchanged', 'owner-gone', 'safety'].includes(probe.lastNetTables.decision), probe.lastNetTables.decision);
    assert.equal(probe.lastNetTables.watched, 0);
  });

  it('a server starting in the watched folder is seen at the poll it listens, with its owner', async () => {
    const { pid, port } = await listener(ws);
    const s = await sample();
    assert.equal(probe.lastNetTables.decision, 'changed');
    assert.equal(probe.lastNetTables.watched, 1);
    const sock = s.sockets.find((x) => x.port === port);
    assert.equal(sock?.pid, pid, `socket of port ${port}`);
    await sample();
    assert.notEqual(probe.lastNetTables.decision, 'changed', 'nothing changed since');
  });

  it(`a port opened outside the watched folder shows up within ${NET_TABLE_SAFETY_POLLS} polls (the safety net)`, async () => {
    const { pid, port } = await listener(outside);
    const decisions: string[] = [];
    let found = false;
    for (let i = 0; i < NET_TABLE_SAFETY_POLLS && !found; i++) {
      const s = await sample();
      decisions.push(probe.lastNetTables.decision);
      found = s.sockets.some((x) => x.port === port && x.pid === pid);
    }
    assert.ok(found, `not seen after ${decisions.join(', ')}`);
    assert.ok(decisions.some((d) => d !== 'unchanged'), decisions.join(', '));
  });

  it('a server that dies is dropped at the next poll: a watched one by its sockets, an outside one by its gone owner', async () => {
    const inWs = (await sample()).sockets.filter((x) => x.pid !== null && fs.readlinkSync(`/proc/${x.pid}/cwd`) === ws);
    assert.equal(inWs.length, 1);
    const outsideSock = (await sample()).sockets.find((x) => x.pid !== null && (() => { try { return fs.readlinkSync(`/proc/${x.pid}/cwd`) === outside; } catch { return false; } })());
    assert.ok(outsideSock, 'the outside listener is known');
    // Let the safety net pass first, so the next read is owed to the death alone.
    await waitFor('a safety read', async () => { await sample(); return probe.lastNetTables.decision === 'safety'; });
    process.kill(outsideSock.pid!, 'SIGKILL');
    await waitFor('outside listener gone', () => !isAlive(outsideSock.pid!));
    let s = await sample();
    assert.equal(probe.lastNetTables.decision, 'owner-gone');
    assert.ok(!s.sockets.some((x) => x.inode === outsideSock.inode));
    process.kill(inWs[0]!.pid!, 'SIGKILL');
    await waitFor('watched listener gone', () => !isAlive(inWs[0]!.pid!));
    s = await sample();
    assert.equal(probe.lastNetTables.decision, 'changed');
    assert.ok(!s.sockets.some((x) => x.inode === inWs[0]!.inode));
  });

  it('reads the stat of a server\'s child working elsewhere every poll, of unrelated processes every few polls', async () => {
    const GROW = `process.on('SIGUSR2', () => { global.b = Buffer.alloc(96 * 2 ** 20, 1); console.log('grown'); }); setInterval(() => {}, 1e9);`;
    const PARENT = `const c = require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(GROW)}], { cwd: ${JSON.stringify(outside)}, stdio: 'inherit' }); console.log(c.pid); setInterval(() => {}, 1e9);`;
    const parent = jar.start(process.execPath, ['-e', PARENT], { cwd: ws });
    const childPid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    const unrelated = jar.start(process.execPath, ['-e', GROW], { cwd: outside });
    // Past the identity cache's minimum age, so both count as settled processes.
    await new Promise((r) => setTimeout(r, 2500));
    for (let i = 0; i < 2; i++) await sample();
    const rss = (s: SystemSample, pid: number) => s.processes.find((p) => p.pid === pid)?.rssBytes ?? 0;
    const grown = (pid: number) => { process.kill(pid, 'SIGUSR2'); return new Promise((r) => setTimeout(r, 500)); };
    await grown(childPid);
    let s = await sample();
    assert.ok(rss(s, childPid) > 90 * 2 ** 20, `the child's memory is read at the next poll: ${rss(s, childPid)}`);
    assert.ok(probe.lastStatReads < s.processes.length, `${probe.lastStatReads} stat reads for ${s.processes.length} processes`);
    await grown(unrelated.pid!);
    let polls = 0;
    do {
      s = await sample();
      polls++;
    } while (rss(s, unrelated.pid!) < 90 * 2 ** 20 && polls < 10);
    assert.ok(polls <= 5, `an unrelated process's memory is read again within 5 polls (took ${polls})`);
  });

  it('reads every sample when the caller names no watch scope (the old contract)', async () => {
    await probe.sample({ diskPaths: [os.tmpdir()] });
    assert.equal(probe.lastNetTables.decision, 'always');
  });
});
