// Orphan evidence from the session and process group (issue 9, item 1): a process whose session or group was led by a
// shell, npm or a watcher came from a dev session; a leader seen only after the process started proves nothing.
import * as assert from 'node:assert/strict';
import { ProcessFactsCache } from '../../src/core/snapshot';
import type { ProcessInfo, SystemProbe } from '../../src/core/types';

const probe: SystemProbe = { sample: () => { throw new Error('not used'); }, readEnviron: () => ({ PATH: '/usr/bin' }), readCgroup: () => null };
const T = 1_700_000_000_000;
const proc = (pid: number, ppid: number, argv: string, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
  pid, ppid, state: 'S', comm: argv.split(' ')[0]!, cmdline: argv.split(' '), cwd: '/ws', rssBytes: 0, startTimeMs: T, uid: 0, pgid: pid, sid: pid, ...extra,
});

describe('orphan evidence: the session or process group leader', () => {
  it('a living shell leading its session is evidence; a daemon leading its own session is not', () => {
    const facts = new ProcessFactsCache(probe);
    const shell = proc(100, 99, 'bash', { startTimeMs: T - 60_000 });
    const server = proc(200, 1, 'node server.js', { sid: 100, pgid: 150, startTimeMs: T });
    const daemon = proc(300, 1, 'node daemon.js', { startTimeMs: T });
    facts.noteLaunchers([shell, server, daemon], T + 1000);
    assert.equal(facts.launchedFrom(server), 'bash (PID 100), leader of its session');
    assert.equal(facts.launchedFrom(daemon), null);
  });

  it('a `sh -c` wrapper leading the session is no evidence (services use them too); a leader turned zombie keeps what it was', () => {
    const wrapper = new ProcessFactsCache(probe);
    const sh = proc(100, 1, 'sh -c node server.js & sleep 9', { startTimeMs: T - 60_000 });
    const server = proc(200, 1, 'node server.js', { sid: 100, pgid: 100, startTimeMs: T });
    wrapper.noteLaunchers([sh, server], T + 1000);
    assert.equal(wrapper.launchedFrom(server), null);
    const facts = new ProcessFactsCache(probe);
    const bash = proc(100, 99, 'bash -i', { startTimeMs: T - 60_000 });
    facts.noteLaunchers([bash, server], T + 1000);
    facts.noteLaunchers([{ ...bash, state: 'Z', cmdline: [] }, server], T + 3000);
    assert.equal(facts.launchedFrom(server), 'bash (PID 100), leader of its session');
  });

  it('remembers the leader once it is gone, while the session has members', () => {
    const facts = new ProcessFactsCache(probe);
    const npm = proc(150, 100, 'npm run dev', { sid: 100, startTimeMs: T - 5000 });
    const server = proc(200, 150, 'node server.js', { sid: 100, pgid: 150, startTimeMs: T });
    facts.noteLaunchers([npm, server], T + 1000);
    const alone = { ...server, ppid: 1 };
    facts.prune([alone]);
    facts.noteLaunchers([alone], T + 3000);
    // Seen under npm (its parent) first; the group leader is the same npm.
    assert.match(facts.launchedFrom(alone) ?? '', /npm \(PID 150\)/);
    const fresh = new ProcessFactsCache(probe);
    fresh.noteLaunchers([npm, { ...server, ppid: 1 }], T + 1000);
    fresh.prune([{ ...server, ppid: 1 }]);
    assert.equal(fresh.launchedFrom({ ...server, ppid: 1 }), 'npm (PID 150), leader of its process group');
  });

  it('a leader seen only before the process started, or started after it, is no evidence (pid reuse)', () => {
    const facts = new ProcessFactsCache(probe);
    facts.noteLaunchers([proc(100, 99, 'bash', { startTimeMs: T - 60_000 })], T - 30_000);
    // A process in "session 100" that started after that shell was last seen: pid 100 may have been reused meanwhile.
    assert.equal(facts.launchedFrom(proc(200, 1, 'node server.js', { sid: 100, startTimeMs: T })), null);
    const later = new ProcessFactsCache(probe);
    later.noteLaunchers([proc(100, 99, 'bash', { startTimeMs: T + 5000 })], T + 6000);
    assert.equal(later.launchedFrom(proc(201, 1, 'node server.js', { sid: 100, startTimeMs: T })), null);
  });
});
