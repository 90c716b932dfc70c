// Unit: the pure rules behind the kill safety promises (issue 9): broad workspaces, identities, other users as
// root, what is (not) evidence of a port holder, and what the VS Code pick ticks.
import * as assert from 'node:assert/strict';
import { buildServers } from '../../src/core/servers';
import { candidateForPort, candidateForServer, findKillCandidates, isPreselected, type KillPlanOptions } from '../../src/core/remedies/kill';
import { identityMismatch, identityOf } from '../../src/core/remedies/identity';
import { buildProtection, lookupFromList, whyProtected } from '../../src/core/remedies/processes';
import { broadFolderReason, broadFolderWarnings } from '../../src/core/remedies/scope';
import type { ExpectedServer, ListeningSocket, PortSource, ProcessInfo, Snapshot } from '../../src/core/types';

const WS = '/srv/work/shop';
const NOW = 1_800_000_000_000;
const HOMES = ['/home/dev', '/root'];

function proc(pid: number, ppid: number, cmd: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const cmdline = cmd.split(' ');
  return { pid, ppid, state: 'S', comm: cmdline[0]!.split('/').pop()!.slice(0, 15), cmdline, cwd: WS, rssBytes: 1 << 20, startTimeMs: NOW - 60_000, uid: 0, ...extra };
}

const sock = (port: number, pid: number): ListeningSocket => ({ family: 4, address: '127.0.0.1', port, inode: port, pid });

function exp(script: string, command: string, port: number, portSource: PortSource = 'flag', cwd = WS): ExpectedServer {
  return { name: `shop · ${script}`, workspaceFolder: WS, cwd, script, command, framework: 'unknown', expectedPort: port, portSource, source: 'package.json' };
}

const INIT = proc(1, 0, '/sbin/init', { cwd: '/', startTimeMs: NOW - 86_400_000 });

function world(processes: ProcessInfo[], sockets: ListeningSocket[], expected: ExpectedServer[], folders = [WS]) {
  const all = [INIT, ...processes];
  const servers = buildServers({ processes: all, sockets, expected, workspaceFolders: folders, selfPid: 99999 },
    { heapLimitOf: () => null, cgroupOf: () => null, launchedFrom: () => 'npm run dev' });
  const snapshot = { takenAt: NOW, platform: 'linux', workspaceFolders: folders, servers, alerts: [], sockets, warnings: [], system: {} } as unknown as Snapshot;
  const opts: KillPlanOptions = { selfPid: 99999, ownUid: 0, lookup: lookupFromList(all), now: NOW, homeFolders: HOMES };
  return { snapshot, opts };
}

describe('kill safety: broad workspaces', () => {
  it('/, a home folder and a folder containing one are broad; a project folder is not', () => {
    assert.match(broadFolderReason('/', HOMES) ?? '', /root of the file system/);
    assert.match(broadFolderReason('/home/dev', HOMES) ?? '', /is a home folder/);
    assert.match(broadFolderReason('/home', HOMES) ?? '', /contains the home folder \/home\/dev/);
    assert.equal(broadFolderReason('/home/dev/shop', HOMES), null);
    assert.equal(broadFolderReason(WS, HOMES), null);
    assert.deepEqual(broadFolderWarnings([WS], 'killing', HOMES), []);
  });

  it('a broad workspace gets no kill candidates at all, and says how to narrow it', () => {
    const orphan = proc(500, 1, 'node server.js', { cwd: '/home/dev/app' });
    const { snapshot, opts } = world([orphan], [sock(3000, 500)], [], ['/home/dev']);
    assert.equal(snapshot.servers.find((s) => s.pid === 500)?.state, 'orphaned', 'monitoring still shows it');
    const plan = findKillCandidates(snapshot, opts);
    assert.deepEqual(plan.candidates, []);
    assert.match(plan.warnings[0]!, /\/home\/dev is a home folder.*narrow/);
    const server = snapshot.servers.find((s) => s.pid === 500)!;
    assert.ok('refused' in candidateForServer(server, snapshot, opts));
    assert.ok('refused' in candidateForPort(3000, snapshot, opts));
  });
});

describe('kill safety: identity', () => {
  const seen = proc(700, 1, 'node server.js --token=s3cr3t', { uid: 1000 });
  const want = identityOf(seen);

  it('the same process matches; the command is compared as shown (redacted)', () => {
    assert.doesNotMatch(want.command, /s3cr3t/);
    assert.equal(identityMismatch(want, seen), null);
  });

  it('a recycled pid (another start time), another owner, folder or command does not match', () => {
    assert.match(identityMismatch(want, { ...seen, startTimeMs: seen.startTimeMs + 5000 }) ?? '', /pid was reused/);
    assert.match(identityMismatch(want, { ...seen, uid: 0 }) ?? '', /uid 0/);
    assert.match(identityMismatch(want, { ...seen, cwd: '/elsewhere' }) ?? '', /runs in \/elsewhere/);
    assert.match(identityMismatch(want, { ...seen, cmdline: ['sleep', '300'] }) ?? '', /runs "sleep 300"/);
  });

  it('what is unknown is not compared (a zombie has no argv; a snapshot without uid)', () => {
    assert.equal(identityMismatch({ ...want, uid: -1 }, { ...seen, cmdline: [] }), null);
  });

  it('candidates carry the identity of every process of their tree, as the snapshot saw it', () => {
    const { snapshot, opts } = world([proc(800, 1, 'node vite.js'), proc(801, 800, 'esbuild --service', { startTimeMs: NOW - 59_000 })], [sock(5173, 800)], []);
    const [c] = findKillCandidates(snapshot, opts).candidates;
    assert.deepEqual(c!.members.map((m) => [m.pid, m.startTimeMs, m.uid, m.command]), [[800, NOW - 60_000, 0, 'node vite.js'], [801, NOW - 59_000, 0, 'esbuild --service']]);
  });
});

describe('kill safety: other users, as root', () => {
  it('another user\'s process is protected inside the workspace too; an unreadable owner as well', () => {
    const prot = buildProtection({ selfPid: 99999, ownUid: 0, workspaceFolders: [WS] }, lookupFromList([]));
    assert.match(whyProtected(proc(900, 1, 'node x.js', { uid: 65534 }), prot) ?? '', /another user \(uid 65534\)/);
    assert.match(whyProtected(proc(900, 1, 'node x.js', { uid: 65534 }), prot, true) ?? '', /another user/);
    assert.match(whyProtected(proc(900, 1, 'node x.js', { uid: -1 }), prot) ?? '', /owner that cannot be read/);
    assert.equal(whyProtected(proc(900, 1, 'node x.js', { uid: 0 }), prot), null);
  });

  it('an orphan of another user in the workspace is not offered, and the plan says why', () => {
    const { snapshot, opts } = world([proc(910, 1, 'node server.js', { uid: 1000 })], [sock(4000, 910)], []);
    const plan = findKillCandidates(snapshot, opts);
    assert.deepEqual(plan.candidates, []);
    assert.ok(plan.warnings.some((w) => /PID 910 .*another user \(uid 1000\)/.test(w)), plan.warnings.join('\n'));
  });
});

describe('kill safety: port holders', () => {
  it('a framework\'s default port alone is no evidence: the process on it is not offered', () => {
    const { snapshot, opts } = world([proc(1000, 1, 'node other.js', { cwd: `${WS}/tools` })], [sock(5173, 1000)],
      [exp('dev', 'vite', 5173, 'framework-default')]);
    const plan = findKillCandidates(snapshot, opts);
    assert.ok(!plan.candidates.some((c) => c.reasons.some((r) => r.kind === 'port-holder')), JSON.stringify(plan.candidates));
    assert.ok(plan.warnings.some((w) => /only the framework's default port of shop · dev/.test(w)), plan.warnings.join('\n'));
  });

  it('the same holder of a port declared with --port is offered', () => {
    const { snapshot, opts } = world([proc(1000, 1, 'node other.js', { cwd: `${WS}/tools` })], [sock(5173, 1000)],
      [exp('dev', 'vite --port 5173', 5173, 'flag')]);
    const plan = findKillCandidates(snapshot, opts);
    assert.ok(plan.candidates.some((c) => c.pid === 1000 && c.reasons.some((r) => r.kind === 'port-holder')), JSON.stringify(plan));
  });

  it('a running declared server on its own port is not a holder of another declared server\'s port', () => {
    const docs = proc(1100, 1099, 'node docs.js --port 4000');
    const shell = proc(1099, 1, 'bash', { cwd: '/srv' });
    const { snapshot, opts } = world([shell, docs], [sock(4000, 1100)], [exp('web', 'node web.js --port 4000', 4000), exp('docs', 'node docs.js --port 4000', 4000)]);
    const plan = findKillCandidates(snapshot, opts);
    assert.deepEqual(plan.candidates, []);
    assert.ok(plan.warnings.some((w) => /Port 4000, which shop · web expects, is used by shop · docs/.test(w)), plan.warnings.join('\n'));
  });
});

describe('kill safety: what the VS Code pick ticks', () => {
  it('only candidates holding a declared server\'s port; a plain orphan is offered unticked', () => {
    const { snapshot, opts } = world([
      proc(1200, 1, 'node left.js', { cwd: `${WS}/a` }),
      proc(1201, 1, 'node squatter.js', { cwd: `${WS}/b` }),
    ], [sock(3999, 1200), sock(3000, 1201)], [exp('api', 'node api.js --port 3000', 3000)]);
    const plan = findKillCandidates(snapshot, opts);
    const byPid = new Map(plan.candidates.map((c) => [c.pid, c]));
    assert.equal(byPid.get(1200)?.reasons[0]?.kind, 'orphan');
    assert.equal(isPreselected(byPid.get(1200)!, snapshot), false);
    assert.equal(isPreselected(byPid.get(1201)!, snapshot), true);
  });
});
