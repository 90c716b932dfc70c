import * as assert from 'node:assert/strict';
import { buildServers } from '../../src/core/servers';
import { candidateForPort, candidateForServer, findKillCandidates, type KillCandidate, type KillPlanOptions } from '../../src/core/remedies/kill';
import { lookupFromList } from '../../src/core/remedies/processes';
import type { ExpectedServer, ListeningSocket, ProcessInfo, Snapshot } from '../../src/core/types';

const WS = '/home/dev/shop';
const NOW = 1_800_000_000_000;
const MB = 1024 * 1024;
const UID = 1000;

function proc(pid: number, ppid: number, cmd: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const cmdline = cmd ? cmd.split(' ') : [];
  return {
    pid, ppid, state: 'S', comm: (cmdline[0] ?? 'x').split('/').pop()!.slice(0, 15), cmdline, cwd: WS,
    rssBytes: 10 * MB, startTimeMs: NOW - 60_000, uid: UID, ...extra,
  };
}

function sock(port: number, pid: number | null): ListeningSocket {
  return { family: 4, address: '127.0.0.1', port, inode: port * 10, pid };
}

function expected(script: string, command: string, port: number | null): ExpectedServer {
  return {
    name: `shop · ${script}`, workspaceFolder: WS, cwd: WS, script, command, framework: 'unknown',
    expectedPort: port, portSource: port === null ? null : 'flag', source: 'package.json',
  };
}

const INIT = proc(1, 0, '/sbin/init', { cwd: '/', startTimeMs: NOW - 86_400_000, uid: 0 });
/** The editor: VS Code server → extension host (this process, pid 400). */
const EDITOR = [
  proc(399, 1, 'node /opt/vscode-server/out/server-main.js', { startTimeMs: NOW - 7_200_000 }),
  proc(400, 399, 'node /opt/vscode-server/out/bootstrap-fork --type=extensionHost', { startTimeMs: NOW - 7_100_000 }),
];
const SELF = 400;

/** A snapshot as the monitor builds it, plus a lookup over the same processes. */
function world(processes: ProcessInfo[], sockets: ListeningSocket[], expectedServers: ExpectedServer[] = [], selfPid = 99999) {
  const all = [INIT, ...EDITOR, ...processes];
  const servers = buildServers(
    { processes: all, sockets, expected: expectedServers, workspaceFolders: [WS], selfPid },
    { heapLimitOf: () => null, cgroupOf: () => null, launchedFrom: () => 'npm run dev' },
  );
  const snapshot: Snapshot = {
    takenAt: NOW, platform: 'linux', workspaceFolders: [WS], servers, alerts: [], sockets, warnings: [],
    system: {
      memory: { totalBytes: 0, availableBytes: 0, usedPercent: 0, swapTotalBytes: 0, swapUsedBytes: 0 },
      pressure: null, cgroup: null, disks: [], inotify: { maxUserWatches: null, maxUserInstances: null },
    },
  };
  const opts: KillPlanOptions = { selfPid: SELF, ownUid: UID, lookup: lookupFromList(all), now: NOW };
  return { snapshot, opts };
}

function only(cands: readonly KillCandidate[]): KillCandidate {
  assert.equal(cands.length, 1, `one candidate, got ${JSON.stringify(cands.map((c) => [c.pid, c.reasons]))}`);
  return cands[0];
}

describe('remedies: which process trees to offer for killing', () => {
  it('offers an orphaned dev tree (re-parented to PID 1) whole, with RSS, age, ports and a redacted command', () => {
    const { snapshot, opts } = world([
      proc(500, 1, 'node node_modules/.bin/vite --port 5173 --api-token=s3cr3t', { rssBytes: 200 * MB, startTimeMs: NOW - 3_600_000 }),
      proc(501, 500, 'node_modules/@esbuild/linux-x64/bin/esbuild --service', { rssBytes: 20 * MB }),
    ], [sock(5173, 500)]);
    const c = only(findKillCandidates(snapshot, opts).candidates);
    assert.equal(c.pid, 500);
    assert.deepEqual(c.pids, [500, 501]);
    assert.equal(c.rssBytes, 220 * MB);
    assert.equal(c.ageMs, 3_600_000);
    assert.deepEqual(c.ports, [5173]);
    assert.equal(c.reasons[0].kind, 'orphan');
    assert.match(c.reasons[0].message, /re-parented to PID 1/);
    assert.doesNotMatch(c.command, /s3cr3t/);
    assert.match(c.command, /vite --port 5173/);
  });

  it('never offers this process or its ancestors, even when they look orphaned or hold an expected port', () => {
    // Built by another process (selfPid 99999), the snapshot holds this process's own chain as an orphaned "server".
    const chain = [proc(390, 1, 'node runner.js', { startTimeMs: NOW - 7_200_000 }), proc(391, 390, 'node self.js')];
    const { snapshot, opts } = world(chain, [sock(3000, 390)], [expected('start', 'node server.js', 3000)]);
    const own = { ...opts, selfPid: 391 };
    assert.ok(snapshot.servers.some((s) => s.pids.includes(390) && s.state === 'orphaned'), 'the chain is in the snapshot');
    const plan = findKillCandidates(snapshot, own);
    assert.deepEqual(plan.candidates, []);
    assert.ok(plan.warnings.some((w) => /PID 390 .*Dev Server Doctor itself or one of its parents/.test(w)), plan.warnings.join('\n'));
    const chainServer = snapshot.servers.find((s) => s.pids.includes(391))!;
    assert.ok('refused' in candidateForServer(chainServer, snapshot, own));
    assert.ok('refused' in candidateForPort(3000, snapshot, own));
  });

  it('never offers PID 1, editor tooling or another user\'s process as a port holder', () => {
    const tsserver = proc(700, 1, 'node /x/node_modules/typescript/lib/tsserver.js', { cwd: '/elsewhere' });
    const foreign = proc(701, 1, 'node other.js', { cwd: '/home/bob', uid: 1001 });
    const { snapshot, opts } = world([tsserver, foreign], [sock(3000, 1), sock(3001, 700), sock(3002, 701)], [
      expected('a', 'node a.js --port 3000', 3000), expected('b', 'node b.js --port 3001', 3001), expected('c', 'node c.js --port 3002', 3002),
    ]);
    const plan = findKillCandidates(snapshot, opts);
    assert.deepEqual(plan.candidates, []);
    assert.ok(plan.warnings.some((w) => /PID 1 .*init/.test(w)));
    assert.ok(plan.warnings.some((w) => /PID 700 .*editor tooling/.test(w)));
    assert.ok(plan.warnings.some((w) => /PID 701 .*another user \(uid 1001\)/.test(w)));
  });

  it('as root, offers root processes in the workspace but never a root system process outside it', () => {
    const inside = proc(800, 1, 'node server.js', { uid: 0 });
    const itsChild = proc(802, 800, 'node worker.js', { uid: 0, cwd: '/tmp/work' });
    const system = proc(801, 1, '/usr/sbin/nginx', { cwd: '/', uid: 0 });
    const { snapshot, opts } = world([inside, itsChild, system], [sock(80, 801)], [expected('web', 'vite --port 80', 80)]);
    const plan = findKillCandidates(snapshot, { ...opts, ownUid: 0 });
    assert.deepEqual(plan.candidates.map((c) => c.pids), [[800, 802]], 'a child outside the workspace is part of the tree, not a system process');
    assert.ok(plan.warnings.some((w) => /PID 801 .*system process/.test(w)), plan.warnings.join('\n'));
  });

  it('offers the holder of a port a declared server expects, naming the port and the server', () => {
    const { snapshot, opts } = world([
      proc(900, 899, 'node old-api.js', { cwd: '/home/dev/other' }),
      proc(899, 1, 'bash', { cwd: '/home/dev' }),
    ], [sock(5173, 900)], [expected('dev', 'vite --port 5173', 5173)]);
    const c = only(findKillCandidates(snapshot, opts).candidates);
    assert.equal(c.pid, 900);
    assert.deepEqual(c.pids, [900]);
    assert.equal(c.reasons[0].kind, 'port-holder');
    assert.match(c.reasons[0].message, /holds port 5173, which shop · dev expects/);
    assert.deepEqual(c.ports, [5173]);
  });

  it('does not offer a server for the port it is expected to hold, and warns when the holder is unknown', () => {
    const { snapshot, opts } = world([proc(949, 1, 'bash', { cwd: '/home/dev' }), proc(950, 949, 'node server.js')],
      [sock(3000, 950), sock(4000, null)], [expected('start', 'node server.js', 3000), expected('api', 'node api.js --port 4000', 4000)]);
    const plan = findKillCandidates(snapshot, opts);
    assert.deepEqual(plan.candidates, []);
    assert.ok(plan.warnings.some((w) => /Port 4000.*owner cannot be read/.test(w)));
  });

  it('offers the parent of a zombie and says why the zombie itself cannot be killed', () => {
    const { snapshot, opts } = world([
      proc(1000, 999, 'node server.js'),
      proc(999, 998, 'npm start'),
      proc(998, 1, 'bash', { cwd: '/home/dev' }),
      proc(1001, 1000, '', { state: 'Z', comm: 'sleep', cwd: null }),
    ], [sock(3000, 1000)]);
    const c = only(findKillCandidates(snapshot, opts).candidates);
    assert.equal(c.pid, 1000);
    assert.deepEqual(c.pids, [1000, 1001]);
    assert.equal(c.reasons[0].kind, 'zombie-parent');
    assert.match(c.reasons[0].message, /PID 1001 is a zombie.*cannot be killed/);
  });

  it('merges the reasons of one tree: an orphan that is also the parent of a zombie', () => {
    const { snapshot, opts } = world([
      proc(1100, 1, 'node server.js', { startTimeMs: NOW - 600_000 }),
      proc(1101, 1100, '', { state: 'Z', comm: 'node', cwd: null }),
    ], [sock(3000, 1100)]);
    const c = only(findKillCandidates(snapshot, opts).candidates);
    assert.deepEqual(c.reasons.map((r) => r.kind), ['orphan', 'zombie-parent']);
  });

  it('offers the older of two `tsx watch` of the same folder and file, not watchers of different files', () => {
    const tree = (pid: number, file: string, started: number) => [
      proc(pid, 1200, `node /home/dev/shop/node_modules/.bin/tsx watch ${file}`, { startTimeMs: started }),
      proc(pid + 1, pid, `node --require /home/dev/shop/node_modules/tsx/dist/preflight.cjs ${file}`, { startTimeMs: started + 100 }),
    ];
    const shell = proc(1200, 1, 'bash', { cwd: '/home/dev' });
    const { snapshot, opts } = world([shell, ...tree(1300, 'src/index.ts', NOW - 7_200_000), ...tree(1400, 'src/index.ts', NOW - 60_000),
      ...tree(1500, 'src/worker.ts', NOW - 7_000_000)], []);
    const c = only(findKillCandidates(snapshot, opts).candidates);
    assert.equal(c.pid, 1300);
    assert.deepEqual(c.pids, [1300, 1301]);
    assert.equal(c.reasons[0].kind, 'duplicate-watcher');
    assert.match(c.reasons[0].message, /another tsx watch \(PID 1400, started later\)/);
  });

  it('treats two nodemon on different ports of one app as duplicates', () => {
    const shell = proc(1600, 1, 'bash', { cwd: '/home/dev' });
    const { snapshot, opts } = world([shell,
      proc(1610, 1600, 'node /home/dev/shop/node_modules/.bin/nodemon server.js --port 3000', { startTimeMs: NOW - 50_000 }),
      proc(1620, 1600, 'node /home/dev/shop/node_modules/.bin/nodemon server.js --port 3001', { startTimeMs: NOW - 40_000 }),
    ], []);
    assert.equal(only(findKillCandidates(snapshot, opts).candidates).pid, 1610);
  });

  it('calls a drizzle-kit push running for half an hour stuck, but not drizzle-kit studio', () => {
    const shell = proc(1700, 1, 'bash', { cwd: '/home/dev' });
    const { snapshot, opts } = world([shell,
      proc(1710, 1700, 'node /home/dev/shop/node_modules/.bin/drizzle-kit push', { startTimeMs: NOW - 1_800_000 }),
      proc(1720, 1700, 'node /home/dev/shop/node_modules/.bin/drizzle-kit studio', { startTimeMs: NOW - 1_800_000 }),
      proc(1730, 1700, 'node /home/dev/shop/node_modules/.bin/drizzle-kit migrate', { startTimeMs: NOW - 60_000 }),
    ], []);
    const c = only(findKillCandidates(snapshot, opts).candidates);
    assert.equal(c.pid, 1710);
    assert.equal(c.reasons[0].kind, 'stuck');
    assert.match(c.reasons[0].message, /drizzle-kit push has been running for 30m 0s.*interactive prompt/);
  });

  it('candidateForServer gives a running server\'s whole tree; candidateForPort the tree holding a port', () => {
    const { snapshot, opts } = world([
      proc(1800, 1799, 'npm run dev'), proc(1801, 1800, 'sh -c vite'), proc(1802, 1801, 'node node_modules/.bin/vite'),
      proc(1799, 1, 'bash', { cwd: '/home/dev' }),
    ], [sock(5173, 1802)], [expected('dev', 'vite', 5173)]);
    const server = snapshot.servers.find((s) => s.script === 'dev')!;
    const byServer = candidateForServer(server, snapshot, opts);
    assert.ok(!('refused' in byServer));
    assert.deepEqual(byServer.pids, [1800, 1801, 1802]);
    assert.equal(byServer.reasons[0].kind, 'requested');
    const byPort = candidateForPort(5173, snapshot, opts);
    assert.ok(!('refused' in byPort));
    assert.equal(byPort.pid, 1800, 'the whole server tree, not only the node process holding the socket');
    assert.match((candidateForPort(9999, snapshot, opts) as { refused: string }).refused, /Nothing was listening on port 9999/);
  });
});
