// How a server is started, said once (core/remedies/launch.ts), on real folders with real lock files; and the port
// a server's Kill Port Holder offers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { launchEnv, launchSpecOf, startCommandOf, type LaunchTarget } from '../../src/core/remedies/launch';
import { portToFree } from '../../src/core/remedies/portHolder';
import { REMEDY_LINES } from '../../src/cli/remedyLines';
import type { CrashEntry } from '../../src/core/history/crashHistory';
import type { Server } from '../../src/core/types';

describe('launchSpecOf: one way to say how a server starts', () => {
  let ws: string;
  beforeEach(() => { ws = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-launch-')); });
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  const target = (over: Partial<LaunchTarget>): LaunchTarget => ({ script: 'dev', command: 'vite --port 5173', cwd: ws, workspaceFolder: ws, source: 'package.json', ...over });

  it('a script runs through the package manager its lock file names (up to the workspace folder), the body kept for the supervisor', () => {
    const app = path.join(ws, 'apps', 'web');
    fs.mkdirSync(path.join(app, 'node_modules', '.bin'), { recursive: true });
    fs.mkdirSync(path.join(ws, 'node_modules', '.bin'), { recursive: true });
    const npm = launchSpecOf(target({ cwd: app }))!;
    assert.equal(npm.command, 'npm run dev');
    assert.equal(npm.body, 'vite --port 5173');
    assert.equal(npm.packageManager, 'npm');
    assert.equal(npm.cwd, app);
    assert.deepEqual(npm.env.PATH!.split(path.delimiter).slice(0, 2), [path.join(app, 'node_modules', '.bin'), path.join(ws, 'node_modules', '.bin')]);
    fs.writeFileSync(path.join(ws, 'pnpm-lock.yaml'), 'lockfileVersion: 9\n');
    assert.equal(launchSpecOf(target({ cwd: app }))!.command, 'pnpm run dev');
    fs.rmSync(path.join(ws, 'pnpm-lock.yaml'));
    fs.writeFileSync(path.join(app, 'yarn.lock'), '');
    assert.equal(startCommandOf(target({ cwd: app }) as Server), 'yarn run dev');
    assert.equal(launchSpecOf(target({ cwd: app, script: 'dev:web' }))!.command, 'yarn run dev:web');
    assert.equal(launchSpecOf(target({ cwd: app, script: 'dev; rm -rf ~' }))!.command, "yarn run 'dev; rm -rf ~'", 'a script name is one shell word');
  });

  it('a configured command runs as written; an undeclared tree by its running argv, quoted; nothing known: null', () => {
    const configured = launchSpecOf(target({ script: null, source: 'settings', command: 'node api.js --port 4000' }))!;
    assert.deepEqual([configured.command, configured.body, configured.packageManager], ['node api.js --port 4000', 'node api.js --port 4000', null]);
    const running = launchSpecOf(target({ script: null, source: 'process', command: 'node server.js' }), { runningCommandLine: ['node', 'my server.js', '--title=a b'] })!;
    assert.equal(running.command, "node 'my server.js' '--title=a b'");
    assert.equal(launchSpecOf(target({ script: null, source: 'process' })), null);
    assert.equal(launchSpecOf(target({ script: null, source: 'process' }), { runningCommandLine: [] }), null);
  });

  it('the CLI\'s start and restart lines say the same command (the folder\'s package manager)', () => {
    fs.writeFileSync(path.join(ws, 'pnpm-lock.yaml'), 'lockfileVersion: 9\n');
    assert.equal(REMEDY_LINES['start-server']({ server: 'web · dev:web', cwd: ws }), `cd ${ws} && pnpm run dev:web`);
    assert.equal(REMEDY_LINES['restart-server']({ server: 'web · dev', cwd: ws, pid: 42 }), `dev-server-doctor zombies --kill --pid 42; cd ${ws} && pnpm run dev`);
    assert.equal(REMEDY_LINES['start-server']({ server: 'web · dev' }), 'npm run dev');
  });

  it('launchEnv keeps the rest of the environment and puts node_modules/.bin first', () => {
    fs.mkdirSync(path.join(ws, 'node_modules', '.bin'), { recursive: true });
    const env = launchEnv(ws, ws, { PATH: '/usr/bin', FOO: 'bar' });
    assert.equal(env.FOO, 'bar');
    assert.equal(env.PATH, [path.join(ws, 'node_modules', '.bin'), '/usr/bin'].join(path.delimiter));
  });
});

describe('portToFree: the port a server row\'s Kill Port Holder offers', () => {
  const server = { id: 'ws/api#dev', name: 'api · dev', expectedPort: 4000, ports: [] as number[] };
  const entry = (over: Partial<CrashEntry> & { port?: number }): Pick<CrashEntry, 'serverId' | 'server' | 'cause' | 'verdict'> => ({
    serverId: 'ws/api#dev', server: 'api · dev', cause: 'port-in-use',
    verdict: { detail: over.port !== undefined ? { port: over.port } : {} } as CrashEntry['verdict'], ...over,
  });

  it('the newest port-in-use crash of this server, else its expected port, else the one it listens on', () => {
    assert.equal(portToFree(server, [entry({ port: 4001 }), entry({ port: 3999 })]), 4001);
    assert.equal(portToFree(server, [entry({ cause: 'heap-oom', port: 1 }), entry({ serverId: 'other', server: 'other', port: 2 }), entry({ port: 4002 })]), 4002);
    assert.equal(portToFree(server, [entry({ serverId: null, port: 4003 })]), 4003, 'an entry without a server id, by name');
    assert.equal(portToFree(server, [entry({})]), 4000, 'a port-in-use crash that named no port');
    assert.equal(portToFree({ ...server, expectedPort: null, ports: [5173] }, []), 5173);
    assert.equal(portToFree({ ...server, expectedPort: null }, []), null);
  });
});
