import * as assert from 'node:assert/strict';
import { findEngine } from '../../src/core/containers/engine';
import { demuxLogs, portsOf, toContainerInfo, workspaceOwner, type InspectLike } from '../../src/core/containers/model';
import { exitVerdict } from '../../src/core/containers/verdicts';
import { containerLine } from '../../src/cli/containers';
import { REMEDY_LINES } from '../../src/cli/remedyLines';

const WS = '/home/dev/shop';
const compose = (dir: string, files = `${dir}/docker-compose.yml`) => ({
  'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db',
  'com.docker.compose.project.working_dir': dir, 'com.docker.compose.project.config_files': files,
});

describe('container engine address (unit)', () => {
  const none = () => false;
  it('DOCKER_HOST unix:// and tcp:// are honoured; a missing socket says so', () => {
    assert.deepEqual(findEngine({ DOCKER_HOST: 'unix:///run/user/1000/podman/podman.sock' }, () => true).address,
      { kind: 'socket', socketPath: '/run/user/1000/podman/podman.sock', label: 'unix:///run/user/1000/podman/podman.sock' });
    assert.match(findEngine({ DOCKER_HOST: 'unix:///nope.sock' }, none).reason ?? '', /no socket is there/);
    assert.deepEqual(findEngine({ DOCKER_HOST: 'tcp://127.0.0.1:2375' }, none).address, { kind: 'tcp', host: '127.0.0.1', port: 2375, protocol: 'http', label: 'tcp://127.0.0.1:2375' });
    assert.equal((findEngine({ DOCKER_HOST: 'tcp://[::1]:2376', DOCKER_TLS_VERIFY: '1' }, none).address as { protocol: string }).protocol, 'https');
    assert.match(findEngine({ DOCKER_HOST: 'ssh://me@box' }, none).reason ?? '', /not a unix:\/\/ or tcp:\/\//);
  });
  it('without DOCKER_HOST: Docker first, then rootless and Podman sockets; none is a sentence, not an error', () => {
    assert.equal(findEngine({}, (p) => p === '/var/run/docker.sock').address?.label, 'unix:///var/run/docker.sock');
    assert.equal(findEngine({ XDG_RUNTIME_DIR: '/run/user/1000' }, (p) => p === '/run/user/1000/podman/podman.sock').address?.label, 'unix:///run/user/1000/podman/podman.sock');
    const nothing = findEngine({}, none);
    assert.equal(nothing.address, null);
    assert.match(nothing.reason ?? '', /No Docker or Podman engine found/);
  });
});

describe('which containers belong to the workspace (unit)', () => {
  it('by compose config file or working dir inside a workspace folder', () => {
    assert.deepEqual(workspaceOwner(compose(WS), [], [WS]), { folder: WS, by: 'compose', composeFile: `${WS}/docker-compose.yml` });
    assert.deepEqual(workspaceOwner(compose(`${WS}/infra`, 'compose.yaml'), [], [WS]), { folder: WS, by: 'compose', composeFile: `${WS}/infra/compose.yaml` });
    assert.equal(workspaceOwner(compose('/home/dev/other'), [], [WS]), null);
    // A sibling whose name starts the same is not inside.
    assert.equal(workspaceOwner(compose('/home/dev/shop-old'), [], [WS]), null);
  });
  it('by a bind mount inside it; volumes and mounts of parents do not count', () => {
    assert.equal(workspaceOwner({}, [{ Type: 'bind', Source: `${WS}/src` }], [WS])?.by, 'mount');
    assert.equal(workspaceOwner({}, [{ Type: 'bind', Source: '/home/dev' }], [WS]), null);
    assert.equal(workspaceOwner({}, [{ Type: 'volume', Source: `${WS}/data` }], [WS]), null);
    assert.equal(workspaceOwner(null, undefined, [WS]), null);
  });
});

describe('container facts from docker inspect (unit)', () => {
  const inspect: InspectLike = {
    Id: 'abc', Name: '/shop-db-1', RestartCount: 2,
    Config: { Image: 'postgres:16', Labels: compose(WS) },
    State: { Status: 'exited', OOMKilled: true, ExitCode: 137, Pid: 0, StartedAt: '2026-11-30T10:00:00.5Z', FinishedAt: '2026-11-30T10:05:00Z', Health: { Status: 'unhealthy' } },
    HostConfig: { Memory: 268435456 },
    NetworkSettings: { Ports: { '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '15432' }, { HostIp: '::1', HostPort: '15432' }], '9000/tcp': null } },
  };
  it('maps state, health, ports, limit, exit and ownership', () => {
    const c = toContainerInfo(inspect, [WS], null)!;
    assert.equal(c.name, 'shop-db-1');
    assert.equal(c.service, 'db');
    assert.equal(c.health, 'unhealthy');
    assert.deepEqual(c.ports.map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}`), ['::1:15432->5432', '127.0.0.1:15432->5432']);
    assert.equal(c.memoryLimitBytes, 268435456);
    assert.equal(c.memoryBytes, null, 'a stopped container uses no memory');
    assert.equal(c.oomKilled, true);
    assert.equal(c.exitCode, 137);
    assert.equal(c.restartCount, 2);
    assert.equal(c.finishedAt, Date.parse('2026-11-30T10:05:00Z'));
    assert.equal(toContainerInfo({ ...inspect, Config: { Labels: compose('/elsewhere') } }, [WS], null), null);
    assert.deepEqual(portsOf({ Id: 'x', Name: '/x' }), []);
    assert.match(containerLine(c), /exited {4}db \(shop-db-1\) {2}unhealthy {2}::1:15432→5432 127\.0\.0\.1:15432→5432 {2}limit 256 MB {2}restarts 2 {2}exit 137 \(OOM-killed\)/);
  });
  it('demultiplexes non-TTY logs and leaves TTY logs alone', () => {
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0, 0, 0, 0, text.length]), Buffer.from(text)]);
    assert.equal(demuxLogs(Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')])), 'out\nerr\n');
    assert.equal(demuxLogs(Buffer.from('plain tty output\n')), 'plain tty output\n');
    assert.equal(demuxLogs(Buffer.alloc(0)), '');
  });
  it('an exit quotes the log line that tells the failure, whichever stream reached the engine last', () => {
    const c = toContainerInfo({ ...inspect, State: { ...inspect.State, OOMKilled: false, ExitCode: 3 } }, [WS], null)!;
    // Captured from the live container test: stderr's line arrived before stdout's.
    const swapped = exitVerdict(c, inspect, 3, 'fatal: migrations failed\nconnecting with DATABASE_PASSWORD=hunter2\n', 0);
    assert.equal(swapped.summary, 'db (container shop-db-1) exited with code 3: fatal: migrations failed');
    assert.doesNotMatch(JSON.stringify(swapped), /hunter2/);
    assert.match(exitVerdict(c, inspect, 3, 'starting\nlistening on 8080\n', 0).summary, /exited with code 3: listening on 8080$/);
    assert.doesNotMatch(exitVerdict(c, inspect, 3, '', 0).summary, /:\s*$/);
  });
  it('the CLI line of each container remedy', () => {
    assert.equal(REMEDY_LINES['restart-container']({ name: 'shop-db-1' }), 'docker restart shop-db-1');
    assert.equal(REMEDY_LINES['start-dependency']({ cwd: WS, command: 'docker compose -f docker-compose.yml up -d db' }), `cd ${WS} && docker compose -f docker-compose.yml up -d db`);
    assert.match(REMEDY_LINES['wait-then-restart']({ port: 5432, host: '127.0.0.1' }), /until \(exec 3<>\/dev\/tcp\/127\.0\.0\.1\/5432\)/);
  });
});
