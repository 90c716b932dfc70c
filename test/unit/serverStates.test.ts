// States that tell the truth: crashed under a live watcher, starting far too long.
import * as assert from 'node:assert/strict';
import type { Verdict } from '../../src/core/crash/types';
import { crashReason, ServerStates } from '../../src/core/serverStates';
import { toStatusJson } from '../../src/core/statusJson';
import { summarize } from '../../src/core/summary';
import type { Server, ServerProcess, Snapshot } from '../../src/core/types';
import { DEFAULT_SETTINGS } from '../../src/core/settings';

const NOW = 1_800_000_000_000;
const CWD = '/ws/api';

function proc(pid: number, ppid: number, command: string, over: Partial<ServerProcess> = {}): ServerProcess {
  return { pid, ppid, state: 'S', zombie: false, comm: 'node', command, cwd: CWD, rssBytes: 1, startTimeMs: NOW - 60_000, ports: [], depth: 0, ...over };
}

function server(processes: ServerProcess[], over: Partial<Server> = {}): Server {
  const ports = processes.flatMap((p) => p.ports);
  return {
    id: `${CWD}#dev`, name: 'api', workspaceFolder: '/ws', cwd: CWD, script: 'dev', command: 'nodemon server.js', framework: 'node',
    state: processes.length === 0 ? 'down' : ports.length ? 'up' : 'starting', pid: processes[0]?.pid ?? null, pids: processes.map((p) => p.pid), ports,
    expectedPort: 3000, rssBytes: 1, heapLimitBytes: null, heapLimitSource: null, heapPid: null, startTimeMs: processes[0]?.startTimeMs ?? null,
    processes, zombiePids: [], source: 'package.json', cgroup: null, ...over,
  };
}

function snap(takenAt: number, servers: Server[]): Snapshot {
  return {
    takenAt, platform: 'linux', workspaceFolders: ['/ws'], servers, alerts: [], sockets: [], warnings: [],
    system: { memory: { totalBytes: 1, availableBytes: 1, usedPercent: 0, swapTotalBytes: 0, swapUsedBytes: 0 }, pressure: null, cgroup: null, disks: [], inotify: { maxUserWatches: null, maxUserInstances: null } },
  };
}

const verdict = (over: Partial<Verdict['detail']> = {}): Verdict => ({
  cause: 'watcher-waiting', confidence: 'high', server: 'api', pid: null, time: NOW - 1000, summary: 's', evidence: [], topFrame: null, remedies: [],
  detail: { serverId: `${CWD}#dev`, cwd: CWD, underlying: 'uncaught-exception', message: 'Error: connect ECONNREFUSED 127.0.0.1:5432', lineAt: NOW - 1000, ...over },
});

describe('ServerStates', () => {
  const nodemon = proc(10, 1, 'node /ws/node_modules/.bin/nodemon server.js');

  it('a watcher alive whose app crashed is crashed, with the reason; status --json and the status bar say so', () => {
    const states = new ServerStates();
    states.noteCrash(verdict());
    const s = states.apply(snap(NOW, [server([nodemon])]));
    assert.equal(s.servers[0].state, 'crashed');
    assert.equal(s.servers[0].crashReason, 'waiting for file changes — Error: connect ECONNREFUSED 127.0.0.1:5432');
    const json = toStatusJson(s).servers[0];
    assert.equal(json.state, 'crashed');
    assert.match(json.crashReason ?? '', /ECONNREFUSED 127\.0\.0\.1:5432/);
    const sum = summarize(s, DEFAULT_SETTINGS.thresholds);
    assert.equal(sum.severity, 'error');
    assert.match(sum.text, /0\/1 up · 1 crashed/);
  });

  it('the watcher restarting the app (a process newer than the crash) is starting again, then up', () => {
    const states = new ServerStates();
    states.noteCrash(verdict());
    const app = proc(11, 10, 'node server.js', { startTimeMs: NOW + 500, depth: 1 });
    assert.equal(states.apply(snap(NOW + 1000, [server([nodemon, app])])).servers[0].state, 'starting');
    assert.equal(states.apply(snap(NOW + 2000, [server([nodemon, { ...app, ports: [3000] }])])).servers[0].state, 'up');
  });

  it('with no verdict, a watcher with no app under it for 5 s is crashed too (status from a fresh CLI)', () => {
    const states = new ServerStates();
    const fresh = proc(10, 1, 'node /ws/node_modules/.bin/nodemon server.js', { startTimeMs: NOW - 2000 });
    assert.equal(states.apply(snap(NOW, [server([fresh])])).servers[0].state, 'starting', 'just started');
    const s = states.apply(snap(NOW, [server([nodemon])])).servers[0];
    assert.equal(s.state, 'crashed');
    assert.equal(s.crashReason, 'nodemon is waiting for file changes; its app is not running');
    const withApp = states.apply(snap(NOW, [server([nodemon, proc(11, 10, 'node server.js', { depth: 1 })])])).servers[0];
    assert.equal(withApp.state, 'starting');
  });

  it('flags a server starting far longer than it usually takes to listen', () => {
    const states = new ServerStates();
    const app = (pid: number, start: number) => proc(pid, 1, 'node server.js', { startTimeMs: start });
    // It usually listens within 2 s.
    for (let i = 0; i < 3; i++) {
      const t = NOW + i * 100_000;
      states.apply(snap(t, [server([app(100 + i, t)])]));
      states.apply(snap(t + 2000, [server([{ ...app(100 + i, t), ports: [3000] }])]));
    }
    const t = NOW + 500_000;
    assert.equal(states.apply(snap(t, [server([app(200, t)])])).servers[0].stuckStarting, undefined);
    assert.equal(states.apply(snap(t + 20_000, [server([app(200, t)])])).servers[0].stuckStarting, undefined, 'not before 30 s');
    const late = states.apply(snap(t + 31_000, [server([app(200, t)])]));
    assert.match(late.servers[0].stuckStarting ?? '', /has been starting for 31s? .*usually listens within 2/);
    assert.ok(late.alerts.some((a) => a.kind === 'starting-stuck'));
  });

  it('words a crash reason from any verdict', () => {
    assert.equal(crashReason({ ...verdict(), cause: 'port-in-use', detail: { port: 5173 } }), 'port already in use 5173');
  });
});
