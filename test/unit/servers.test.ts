import * as assert from 'node:assert/strict';
import {
  buildServers, commandKeys, groupTrees, isInteractiveShell, launcherOf, launchEvidenceInEnv, matchScore, orphanReason, type ServerFacts,
} from '../../src/core/servers';
import type { ExpectedServer, ListeningSocket, ProcessInfo } from '../../src/core/types';

const WS = '/home/dev/shop';
const NOW = 1_800_000_000_000;

function proc(pid: number, ppid: number, cmd: string, cwd: string | null = WS, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  const cmdline = cmd ? cmd.split(' ') : [];
  return {
    pid, ppid, state: 'S', comm: (cmdline[0] ?? 'x').split('/').pop()!.slice(0, 15), cmdline, cwd,
    rssBytes: 10 * 1024 * 1024, startTimeMs: NOW - 60_000, uid: 1000, ...extra,
  };
}

function sock(port: number, pid: number | null, family: 4 | 6 = 4): ListeningSocket {
  return { family, address: family === 4 ? '127.0.0.1' : '::1', port, inode: port * 10, pid };
}

function expected(script: string, command: string, extra: Partial<ExpectedServer> = {}): ExpectedServer {
  return {
    name: `shop · ${script}`, workspaceFolder: WS, cwd: WS, script, command, framework: 'unknown',
    expectedPort: null, portSource: null, source: 'package.json', ...extra,
  };
}

const facts: ServerFacts = {
  heapLimitOf: (p) => (p.comm === 'node' ? { bytes: 4096 * 1024 * 1024, source: 'default' } : null),
  cgroupOf: () => null,
  // The monitor reads this from /proc/PID/environ; here every process was started by `npm run dev`.
  launchedFrom: () => 'npm run dev',
};

// init, a terminal's interactive bash, then npm → sh → node vite → esbuild
const INIT = proc(1, 0, '/sbin/init', '/', { startTimeMs: NOW - 86_400_000 });
const BASH = proc(100, 1, 'bash', WS, { startTimeMs: NOW - 3_600_000 });
const VITE_TREE = [
  proc(200, 100, 'npm run dev'),
  proc(201, 200, 'sh -c vite --port 5173'),
  proc(202, 201, 'node /home/dev/shop/node_modules/.bin/vite --port 5173', WS, { rssBytes: 300 * 1024 * 1024 }),
  proc(203, 202, '/home/dev/shop/node_modules/@esbuild/linux-x64/bin/esbuild --service=0.21.5 --ping'),
];

describe('servers: grouping processes into trees', () => {
  it('groups npm → sh → node vite → esbuild into one tree under npm, leaving the interactive shell out', () => {
    const trees = groupTrees([INIT, BASH, ...VITE_TREE], [sock(5173, 202)], [WS], 99999);
    assert.equal(trees.length, 1);
    assert.equal(trees[0]!.root.pid, 200);
    assert.deepEqual(trees[0]!.members.map((m) => [m.proc.pid, m.depth]), [[200, 0], [201, 1], [202, 2], [203, 3]]);
    assert.deepEqual(trees[0]!.ports, [5173]);
  });

  it('keeps processes outside the workspace folders out', () => {
    const other = proc(300, 100, 'node server.js', '/home/dev/other');
    assert.equal(groupTrees([INIT, BASH, other], [sock(8080, 300)], [WS], 99999).length, 0);
  });

  it('never counts this process, its ancestors or the editor\'s language servers', () => {
    const server = proc(399, 1, 'node /opt/vscode-server/out/server-main.js', WS);
    const host = proc(400, 399, 'node /opt/vscode-server/out/bootstrap-fork --type=extensionHost', WS);
    const tsserver = proc(401, 400, 'node /opt/app/node_modules/typescript/lib/tsserver.js', WS);
    assert.equal(groupTrees([INIT, server, host, tsserver], [], [WS], 400).length, 0);
  });

  it('counts a server this process started itself (a supervised server)', () => {
    const host = proc(400, 1, 'node extension-host.js', WS);
    const child = proc(402, 400, 'node server.js', WS);
    const trees = groupTrees([INIT, host, child], [sock(3000, 402)], [WS], 400);
    assert.deepEqual(trees.map((t) => t.root.pid), [402]);
  });

  it('lists a zombie child (no cwd, no cmdline) inside its parent tree', () => {
    const parent = proc(500, 100, 'node server.js');
    const zombie = proc(501, 500, '', null, { state: 'Z', comm: 'node' });
    const trees = groupTrees([INIT, BASH, parent, zombie], [sock(3000, 500)], [WS], 99999);
    assert.equal(trees.length, 1);
    assert.deepEqual(trees[0]!.members.map((m) => m.proc.pid), [500, 501]);
  });

  it('lists a zombie shell child too (its empty argv does not make it an interactive shell)', () => {
    const parent = proc(510, 100, 'node server.js');
    const zombie = proc(511, 510, '', null, { state: 'Z', comm: 'sh' });
    const [tree] = groupTrees([INIT, BASH, parent, zombie], [sock(3001, 510)], [WS], 99999);
    assert.deepEqual(tree!.members.map((m) => m.proc.pid), [510, 511]);
  });

  it('drops portless trees that run no known runtime (an editor in the terminal)', () => {
    const vim = proc(600, 100, 'vim README.md');
    assert.equal(groupTrees([INIT, BASH, vim], [], [WS], 99999).length, 0);
  });

  it('tells interactive shells from script runners', () => {
    assert.equal(isInteractiveShell(proc(1, 0, 'bash')), true);
    assert.equal(isInteractiveShell(proc(1, 0, '-zsh')), true);
    assert.equal(isInteractiveShell(proc(1, 0, '/bin/bash --login')), true);
    assert.equal(isInteractiveShell(proc(1, 0, 'sh -c vite')), false);
    assert.equal(isInteractiveShell(proc(1, 0, 'bash -lc npm run dev')), false);
    assert.equal(isInteractiveShell(proc(1, 0, 'bash ./start.sh')), false);
  });
});

describe('servers: orphans', () => {
  /** What the monitor found in the process's environment: npm started it. */
  const FROM_NPM = (): string => 'npm run dev';

  it('a root re-parented to PID 1 long after boot is orphaned', () => {
    const byPid = new Map([[1, INIT]]);
    assert.match(orphanReason(proc(700, 1, 'node vite.js'), byPid, FROM_NPM) ?? '', /re-parented to PID 1/);
  });

  it('without evidence of a dev session, a child of PID 1 or systemd is a service, not an orphan', () => {
    const reaper = proc(50, 1, '/lib/systemd/systemd --user', '/', { comm: 'systemd', startTimeMs: NOW - 3_600_000 });
    assert.equal(orphanReason(proc(700, 1, 'node vite.js'), new Map([[1, INIT]])), null);
    assert.equal(orphanReason(proc(700, 50, 'node vite.js'), new Map([[1, INIT], [50, reaper]])), null);
    assert.match(orphanReason(proc(700, 1, 'node vite.js'), new Map([[1, INIT]]), FROM_NPM) ?? '', /^its launcher \(npm run dev\) is gone/);
  });

  it('dev-session evidence: npm/pnpm/yarn variables, a terminal, a shell; none in a service\'s environment', () => {
    assert.equal(launchEvidenceInEnv({ npm_lifecycle_event: 'dev', npm_config_user_agent: 'pnpm/8.15.0 npm/? node/v20' }), 'pnpm run dev');
    assert.equal(launchEvidenceInEnv({ npm_lifecycle_event: 'start' }), 'npm run start');
    assert.equal(launchEvidenceInEnv({ npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js', npm_command: 'exec' }), 'npm exec');
    assert.equal(launchEvidenceInEnv({ TERM_PROGRAM: 'vscode', VSCODE_PID: '12' }), 'a VS Code terminal, task or extension');
    assert.equal(launchEvidenceInEnv({ VSCODE_IPC_HOOK: '/run/user/1000/vscode-ipc.sock' }), 'a VS Code terminal, task or extension');
    assert.equal(launchEvidenceInEnv({ TERM_PROGRAM: 'iTerm.app' }), 'a iTerm.app terminal');
    assert.equal(launchEvidenceInEnv({ SHLVL: '1', _: '/usr/bin/node' }), 'a shell');
    // A systemd service's environment: no shell, no terminal, no package manager.
    assert.equal(launchEvidenceInEnv({ PATH: '/usr/bin', INVOCATION_ID: 'abc', JOURNAL_STREAM: '8:1', PWD: '/' }), null);
  });

  it('launchers: shells, package managers and watchers; never init or systemd', () => {
    assert.equal(launcherOf(BASH), 'bash (PID 100)');
    assert.equal(launcherOf(proc(300, 100, 'node /usr/lib/node_modules/npm/bin/npm-cli.js run dev')), 'npm (PID 300)');
    assert.equal(launcherOf(proc(301, 100, 'npm run dev', WS, { comm: 'npm run dev' })), 'npm (PID 301)');
    assert.equal(launcherOf(proc(302, 100, 'node /x/node_modules/.bin/nodemon server.js')), 'nodemon (PID 302)');
    assert.equal(launcherOf(INIT), null);
    assert.equal(launcherOf(proc(50, 1, '/lib/systemd/systemd --user', '/', { comm: 'systemd' })), null);
    assert.equal(launcherOf(proc(303, 1, 'node server.js')), null);
  });

  it('a process init itself launched at boot (container entrypoint) is not', () => {
    const init = proc(1, 0, '/sbin/tini', '/', { startTimeMs: NOW - 60_000 });
    assert.equal(orphanReason(proc(2, 1, 'node server.js', WS, { startTimeMs: NOW - 59_000 }), new Map([[1, init]]), FROM_NPM), null);
  });

  it('a root re-parented to a subreaper (systemd --user) is orphaned', () => {
    const reaper = proc(50, 1, '/lib/systemd/systemd --user', '/', { comm: 'systemd', startTimeMs: NOW - 3_600_000 });
    assert.match(orphanReason(proc(700, 50, 'node vite.js'), new Map([[1, INIT], [50, reaper]]), FROM_NPM) ?? '', /systemd \(PID 50\)/);
  });

  it('a root started from a terminal is not orphaned', () => {
    assert.equal(orphanReason(VITE_TREE[0]!, new Map([[1, INIT], [100, BASH]]), FROM_NPM), null);
  });
});

describe('servers: matching running trees to declared servers', () => {
  it('extracts the programs a script runs', () => {
    assert.deepEqual(commandKeys('vite --port 3000'), ['vite']);
    assert.deepEqual(commandKeys('cross-env NODE_ENV=development PORT=4000 node server.js'), ['node server.js']);
    assert.deepEqual(commandKeys('npm run build && node dist/index.js --port 3000'), ['node index.js']);
    assert.deepEqual(commandKeys('npx next dev -p 3001'), ['next dev']);
    assert.deepEqual(commandKeys('npm exec vite'), ['vite']);
    assert.deepEqual(commandKeys('vite preview --port 4999'), ['vite preview']);
    assert.deepEqual(commandKeys('node -r dotenv/config --inspect src/server.js'), ['node server.js']);
  });

  it('matches by script name, script body and program', () => {
    const [tree] = groupTrees([INIT, BASH, ...VITE_TREE], [sock(5173, 202)], [WS], 99999);
    const dev = expected('dev', 'vite --port 5173', { expectedPort: 5173 });
    const start = expected('start', 'node server.js');
    assert.ok(matchScore(tree!, dev) >= 8, `dev scored ${matchScore(tree!, dev)}`);
    assert.equal(matchScore(tree!, start), 0);
  });

  it('a program with another subcommand does not match (vite is not vite preview)', () => {
    const [tree] = groupTrees([INIT, BASH, proc(950, 100, 'node /home/dev/shop/node_modules/.bin/vite --port 5174')], [sock(5174, 950)], [WS], 99999);
    assert.equal(matchScore(tree!, expected('preview', 'vite preview --port 4999')), 0);
    assert.equal(matchScore(tree!, expected('dev', 'vite')), 2);
  });

  it('a tree in another package folder never matches', () => {
    const [tree] = groupTrees([INIT, BASH, ...VITE_TREE], [], [WS], 99999);
    assert.equal(matchScore(tree!, expected('dev', 'vite --port 5173', { cwd: `${WS}/packages/web` })), 0);
  });

  it('builds up, down and unmatched servers with ports, summed RSS and heap limit of the listening node', () => {
    const other = proc(800, 100, 'node scripts/worker.js');
    const servers = buildServers(
      {
        processes: [INIT, BASH, ...VITE_TREE, other],
        sockets: [sock(5173, 202), sock(5173, 202, 6)],
        expected: [expected('dev', 'vite --port 5173', { expectedPort: 5173, framework: 'vite' }), expected('start', 'node server.js', { expectedPort: 3000 })],
        workspaceFolders: [WS],
        selfPid: 99999,
      },
      facts,
    );
    const byName = new Map(servers.map((s) => [s.name, s]));
    const dev = byName.get('shop · dev')!;
    assert.equal(dev.state, 'up');
    assert.equal(dev.pid, 200);
    assert.deepEqual(dev.pids, [200, 201, 202, 203]);
    assert.deepEqual(dev.ports, [5173]);
    assert.equal(dev.rssBytes, (300 + 30) * 1024 * 1024);
    assert.equal(dev.heapPid, 202);
    assert.equal(dev.heapLimitSource, 'default');
    assert.equal(byName.get('shop · start')!.state, 'down');
    const unmatched = servers.find((s) => s.source === 'process')!;
    assert.equal(unmatched.pid, 800);
    assert.equal(unmatched.state, 'starting');
    assert.match(unmatched.name, /shop · node scripts\/worker\.js/);
  });

  it('a second copy of a declared server is listed separately, not hidden', () => {
    const copy = [proc(900, 1, 'node /home/dev/shop/node_modules/.bin/vite --port 5174', WS, { startTimeMs: NOW - 1000 })];
    const servers = buildServers(
      {
        processes: [INIT, BASH, ...VITE_TREE, ...copy],
        sockets: [sock(5173, 202), sock(5174, 900)],
        expected: [expected('dev', 'vite --port 5173', { expectedPort: 5173 })],
        workspaceFolders: [WS],
        selfPid: 99999,
      },
      facts,
    );
    assert.equal(servers.length, 2);
    const twin = servers.find((s) => s.pid === 900)!;
    assert.equal(twin.state, 'orphaned');
    assert.match(twin.name, /another copy/);
    assert.notEqual(twin.id, servers[0]!.id);
  });

  it('never shows secrets from command lines or script bodies', () => {
    const leaky = proc(960, 100, 'node server.js --password=hunter2 --db postgres://app:s3cret@db.local/shop');
    const servers = buildServers(
      {
        processes: [INIT, BASH, leaky],
        sockets: [sock(3000, 960)],
        expected: [expected('start', 'API_TOKEN=tok-123 node server.js', { expectedPort: 3000 })],
        workspaceFolders: [WS],
        selfPid: 99999,
      },
      facts,
    );
    const text = JSON.stringify(servers);
    for (const secret of ['hunter2', 's3cret', 'tok-123']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.equal(servers[0]!.state, 'up');
  });
});

describe('servers: scripts that serve build output', () => {
  it('`next start` / `vite preview` / `serve dist` are listed while they run, never as down servers', () => {
    const preview = [proc(600, 100, 'npm run preview'), proc(601, 600, 'node /home/dev/shop/node_modules/.bin/vite preview')];
    const input = (processes: ProcessInfo[]) => ({
      processes: [INIT, BASH, ...processes],
      sockets: processes.length ? [sock(4173, 601)] : [],
      expected: [
        expected('dev', 'vite --port 5173', { expectedPort: 5173 }),
        expected('preview', 'vite preview', { expectedPort: 4173, servesBuild: true }),
        expected('start', 'next start', { expectedPort: 3000, servesBuild: true }),
      ],
      workspaceFolders: [WS],
      selfPid: 99999,
    });
    const down = buildServers(input([]), facts);
    assert.deepEqual(down.map((s) => `${s.name} ${s.state}`), ['shop · dev down']);
    const running = buildServers(input(preview), facts);
    assert.deepEqual(running.map((s) => `${s.name} ${s.state}`).sort(), ['shop · dev down', 'shop · preview up']);
  });
});
