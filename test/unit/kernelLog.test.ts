import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseKernelLog, parseLogLine } from '../../src/core/crash/kernelLog';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
const read = (name: string): string => fs.readFileSync(fixture('kernel-log', name), 'utf8');

const BOOT = Date.UTC(2026, 10, 22, 6, 0, 0);
const MB = 1024 * 1024;

describe('parseKernelLog: captured cgroup v1 OOM kill', () => {
  it('dmesg (boot-relative): one memcg record joined from the oom-kill, memory and Killed lines', () => {
    const records = parseKernelLog(read('cgroup-oom-kill.dmesg.txt'), { bootTimeMs: BOOT });
    assert.equal(records.length, 1);
    const r = records[0];
    assert.deepEqual(
      [r.kind, r.pid, r.comm, r.constraint, r.memcg, r.oomScoreAdj],
      ['memcg', 21014, 'node', 'CONSTRAINT_MEMCG', '/user.slice/user-1000.slice/app-shop-api.scope', 0]);
    assert.equal(r.time, BOOT + 1189948);
    assert.equal(r.anonRssBytes, 152444 * 1024);
    assert.equal(r.totalVmBytes, 1138412 * 1024);
    assert.equal(r.fileRssBytes, 35728 * 1024);
    assert.equal(r.shmemRssBytes, 0);
    assert.equal(r.cgroupLimitBytes, 150 * MB);
    assert.equal(r.lines.length, 4);
    assert.match(r.lines[0], /invoked oom-killer/);
    assert.match(r.lines[3], /Killed process 21014/);
  });

  it('dmesg without a boot time: the record has no time rather than a wrong one', () => {
    assert.equal(parseKernelLog(read('cgroup-oom-kill.dmesg.txt'))[0].time, null);
  });

  it('dmesg -T (local wall clock)', () => {
    const [r, ...rest] = parseKernelLog(read('cgroup-oom-kill.dmesg-T.txt'));
    assert.equal(rest.length, 0);
    assert.deepEqual([r.kind, r.pid, r.memcg], ['memcg', 21014, '/user.slice/user-1000.slice/app-shop-api.scope']);
    assert.equal(r.time, new Date(2026, 10, 22, 6, 18, 48).getTime());
    assert.equal(r.cgroupLimitBytes, undefined, 'the three-line excerpt has no "memory: usage" line');
  });
});

const GLOBAL_KILLED = 'Out of memory: Killed process 4242 (node) total-vm:2097152kB, anon-rss:1992294kB, file-rss:1024kB, shmem-rss:8kB, UID:1000 pgtables:4096kB oom_score_adj:200';
const GLOBAL_OOMKILL = 'oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/user.slice/user-1000.slice/session-2.scope,task=node,pid=4242,uid=1000';

describe('parseKernelLog: formats not captured here', () => {
  it('global OOM killer in journalctl -o short-iso (both offset spellings)', () => {
    for (const zone of ['+00:00', '+0000']) {
      const text = [
        `2026-11-22T06:54:19${zone} devbox kernel: node invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=200`,
        `2026-11-22T06:54:19${zone} devbox kernel: ${GLOBAL_OOMKILL}`,
        `2026-11-22T06:54:19${zone} devbox kernel: ${GLOBAL_KILLED}`,
      ].join('\n');
      const [r, ...rest] = parseKernelLog(text);
      assert.equal(rest.length, 0);
      assert.deepEqual([r.kind, r.pid, r.comm, r.constraint, r.oomScoreAdj, r.time],
        ['global', 4242, 'node', 'CONSTRAINT_NONE', 200, Date.UTC(2026, 10, 22, 6, 54, 19)]);
      assert.equal(r.anonRssBytes, 1992294 * 1024);
      assert.equal(r.shmemRssBytes, 8 * 1024);
      assert.equal(r.memcg, '/user.slice/user-1000.slice/session-2.scope');
      assert.equal(r.cgroupLimitBytes, undefined);
    }
  });

  it('kern.log with RFC 3339 microseconds and the kernel\'s own bracketed time', () => {
    const [r] = parseKernelLog(`2026-11-22T06:54:19.123456+01:00 devbox kernel: [ 5012.001] ${GLOBAL_KILLED}`);
    assert.equal(r.time, Date.UTC(2026, 10, 22, 5, 54, 19, 123));
    assert.equal(r.pid, 4242);
  });

  it('traditional syslog / journalctl -o short-precise: local time, year from "now"', () => {
    const now = new Date(2026, 10, 23, 12, 0, 0).getTime();
    const [a] = parseKernelLog(`Nov 22 06:54:19 devbox kernel: [ 5012.001234] ${GLOBAL_KILLED}`, { nowMs: now });
    assert.equal(a.time, new Date(2026, 10, 22, 6, 54, 19).getTime());
    const [b] = parseKernelLog(`Nov 22 06:54:19.250000 devbox kernel: ${GLOBAL_KILLED}`, { nowMs: now });
    assert.equal(b.time, new Date(2026, 10, 22, 6, 54, 19, 250).getTime());
    const [c] = parseKernelLog(`Dec 31 23:59:59 devbox kernel: ${GLOBAL_KILLED}`, { nowMs: new Date(2027, 0, 1, 0, 10).getTime() });
    assert.equal(c.time, new Date(2026, 11, 31, 23, 59, 59).getTime(), 'a date in the future belongs to last year');
  });

  it('cgroup v2 memcg kill with the memory line; an unlimited swap line is not a limit', () => {
    const text = [
      '[  300.000001] node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
      '[  300.000100] memory: usage 2097152kB, limit 2097152kB, failcnt 12',
      '[  300.000101] swap: usage 0kB, limit 9007199254740988kB, failcnt 0',
      '[  300.000200] Memory cgroup stats for /user.slice/user-1000.slice/user@1000.service/app.slice/api.scope:',
      '[  300.000300] Memory cgroup out of memory: Killed process 777 (node) total-vm:3000000kB, anon-rss:1990000kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:5000kB oom_score_adj:0',
    ].join('\n');
    const [r] = parseKernelLog(text, { bootTimeMs: BOOT });
    assert.deepEqual([r.kind, r.pid, r.cgroupLimitBytes, r.memcg, r.time],
      ['memcg', 777, 2 * 1024 * MB, '/user.slice/user-1000.slice/user@1000.service/app.slice/api.scope', BOOT + 300000]);
  });

  it('the limit of one OOM event does not leak into the next (global) one', () => {
    const text = [
      '[  10.0] node invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0',
      '[  10.1] memory: usage 153600kB, limit 153600kB, failcnt 51',
      '[  10.2] Memory cgroup out of memory: Killed process 1 (node) total-vm:1kB, anon-rss:1kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4kB oom_score_adj:0',
      '[  20.0] vite invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0',
      `[  20.1] ${GLOBAL_KILLED}`,
    ].join('\n');
    const records = parseKernelLog(text, { bootTimeMs: 0 });
    assert.deepEqual(records.map((r) => [r.kind, r.pid, r.cgroupLimitBytes]), [['memcg', 1, 150 * MB], ['global', 4242, undefined]]);
  });

  it('old kernels: "Kill process … or sacrifice child" then a bare "Killed process"; the oom_reaper line joins', () => {
    const text = [
      '[ 99.0] Memory cgroup out of memory: Kill process 31337 (node) score 1000 or sacrifice child',
      '[ 99.1] Killed process 31337 (node) total-vm:500000kB, anon-rss:400000kB, file-rss:100kB, shmem-rss:0kB',
      '[ 99.2] oom_reaper: reaped process 31337 (node), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB',
    ].join('\n');
    const [r] = parseKernelLog(text, { bootTimeMs: 0 });
    assert.deepEqual([r.kind, r.pid, r.anonRssBytes, r.oomScoreAdj], ['memcg', 31337, 400000 * 1024, undefined]);
    assert.equal(r.lines.length, 3);
  });

  it('a cut log with only the oom-kill line still yields the kill', () => {
    const [r] = parseKernelLog(`[ 7.5] ${GLOBAL_OOMKILL.replace('CONSTRAINT_NONE', 'CONSTRAINT_MEMCG')}`, { bootTimeMs: 0 });
    assert.deepEqual([r.kind, r.pid, r.comm, r.time, r.anonRssBytes], ['memcg', 4242, 'node', 7500, undefined]);
  });

  it('systemd-oomd kills (pressure and swap formats): no pid, the unit path kept', () => {
    const text = [
      '2026-11-22T07:01:02+00:00 devbox systemd-oomd[612]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-code-1234.scope due to memory pressure for /user.slice/user-1000.slice/user@1000.service being 71.23% > 50.00% for > 20s with reclaim activity',
      'Nov 22 07:05:00 devbox systemd-oomd[612]: Killed /user.slice/user-1000.slice/user@1000.service/app.slice/app-npm-run-dev.scope due to memory used (15.4G) / total (15.6G) and swap used (3.8G) / total (4.0G) being more than 90.00%',
      'Nov 22 07:05:00 devbox systemd[1]: Started something unrelated.',
    ].join('\n');
    const records = parseKernelLog(text, { nowMs: new Date(2026, 10, 23).getTime() });
    assert.equal(records.length, 2);
    assert.deepEqual([records[0].kind, records[0].pid, records[0].comm, records[0].time],
      ['oomd', null, null, Date.UTC(2026, 10, 22, 7, 1, 2)]);
    assert.equal(records[0].memcg, '/user.slice/user-1000.slice/user@1000.service/app.slice/app-code-1234.scope');
    assert.match(records[0].reason ?? '', /^memory pressure for .* > 50\.00%/);
    assert.equal(records[1].memcg, '/user.slice/user-1000.slice/user@1000.service/app.slice/app-npm-run-dev.scope');
    assert.match(records[1].reason ?? '', /being more than 90\.00%$/);
  });

  it('unrelated, empty and garbage input gives no records', () => {
    assert.deepEqual(parseKernelLog(''), []);
    assert.deepEqual(parseKernelLog('-- No entries --\n\u0000\u0001binary\n[ 1.0] EXT4-fs (vda): mounted filesystem\n'), []);
  });

  it('CONFIG_PRINTK_CALLER ids after the time are skipped', () => {
    const line = parseLogLine(`[ 1189.947915][ T2101] ${GLOBAL_KILLED}`, { bootTimeMs: 0 });
    assert.equal(line.time, 1189948);
    assert.ok(line.body.startsWith('Out of memory: Killed process 4242'));
  });
});
