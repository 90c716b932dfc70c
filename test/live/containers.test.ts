// Real containers on a real engine (dockerd started by .ci/run): the workspace's containers listed with
// ports and limits, a real OOM kill judged within 2 s, exits and failing health checks, and a container
// outside the workspace never shown or touched.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { ContainerMonitor } from '../../src/core/containers/containerMonitor';
import { readContainersOnce, toStatusContainers } from '../../src/core/containers/status';
import type { Verdict } from '../../src/core/crash/types';
import { investigate } from '../../src/core/crash/investigate';
import { renderMarkdown, toReportJson } from '../../src/core/crash/report';
import { ContainerJar, composeLabels, dockerMissing, ensureEmptyImage } from './dockerHelpers';
import { ProcessJar, waitFor } from './liveHelpers';

const MB = 1024 * 1024;
const SERVER = ['/usr/bin/node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"];
const LEAK = ['/usr/bin/node', '-e', "const a=[];setTimeout(()=>setInterval(()=>{const b=Buffer.alloc(8*1024*1024);b.fill(1);a.push(b)},20),300)"];

describe('containers of the workspace (live, real Docker)', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  const containers = new ContainerJar();
  let monitor: ContainerMonitor | undefined;
  let ws: string;
  let elsewhere: string;

  before(function () {
    const missing = dockerMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    ensureEmptyImage();
  });

  beforeEach(() => {
    ws = fs.realpathSync(jar.tempDir('dsd-ws-'));
    elsewhere = fs.realpathSync(jar.tempDir('dsd-other-'));
    fs.writeFileSync(`${ws}/docker-compose.yml`, 'services:\n  db:\n    image: local/dsd-empty\n    mem_limit: 80m\n');
  });

  afterEach(async () => {
    monitor?.dispose();
    monitor = undefined;
    containers.cleanup();
    await jar.cleanup();
  });

  it('lists only the workspace containers (compose labels, bind mount) with ports, memory used/limit, restart count', async () => {
    const project = `dsd${Date.now()}`;
    const api = containers.run([...composeLabels(project, 'api', ws), '-p', '127.0.0.1::8080', '--memory', '128m'], SERVER);
    const mounted = containers.run(['-v', `${ws}:/app:ro`], SERVER);
    const outside = containers.run([...composeLabels(`${project}x`, 'api', elsewhere), '-p', '127.0.0.1::8080'], SERVER);
    monitor = new ContainerMonitor({ workspaceFolders: () => [ws] });
    await monitor.start();
    assert.equal(monitor.status().available, true, monitor.status().message);
    const list = await waitFor('both workspace containers running', () => {
      const l = monitor!.containers();
      return l.length === 2 && l.every((c) => c.state === 'running') && l;
    });
    assert.deepEqual(new Set(list.map((c) => c.id)), new Set([api, mounted]));
    assert.ok(!list.some((c) => c.id === outside), 'a container of another folder is not shown');

    const a = list.find((c) => c.id === api)!;
    const truth = containers.inspect(api);
    const published = truth.NetworkSettings.Ports['8080/tcp'][0];
    assert.deepEqual(a.ports, [{ hostIp: '127.0.0.1', hostPort: Number(published.HostPort), containerPort: 8080, protocol: 'tcp' }]);
    assert.equal(a.service, 'api');
    assert.equal(a.project, project);
    assert.equal(a.belongsBy, 'compose');
    assert.equal(a.memoryLimitBytes, 128 * MB);
    assert.equal(a.restartCount, 0);
    assert.ok(a.memoryBytes !== null && a.memoryBytes > 1 * MB && a.memoryBytes < 128 * MB, `memory ${a.memoryBytes}`);
    const m = list.find((c) => c.id === mounted)!;
    assert.equal(m.belongsBy, 'mount');
    assert.equal(m.memoryLimitBytes, null);

    // status --json's shape.
    const once = await readContainersOnce([ws]);
    const json = toStatusContainers(once.containers).find((c) => c.id === api)!;
    for (const k of ['name', 'service', 'project', 'state', 'health', 'ports', 'memoryBytes', 'memoryLimitBytes', 'restartCount', 'oomKilled', 'exitCode']) {
      assert.ok(k in json, `status --json containers[].${k}`);
    }
    assert.equal(json.state, 'running');

    // The outside container cannot be acted on, and was left as it was.
    const refused = await monitor.act('stop', outside);
    assert.equal(refused.ok, false);
    assert.equal(containers.inspect(outside).State.Running, true);
    assert.equal(containers.inspect(outside).RestartCount, 0);

    // Nothing changes → no list or inspect calls: they follow the event stream, not a timer.
    const calls = { ...monitor.calls };
    await new Promise((r) => setTimeout(r, 3000));
    assert.deepEqual(monitor.calls, calls);

    // A restart through the monitor: an event, a refresh, the restart count and state right.
    const stopped = await monitor.act('stop', a.name);
    assert.equal(stopped.ok, true, stopped.message);
    await waitFor('api shown exited', () => monitor!.containers().find((c) => c.id === api)?.state === 'exited');
    assert.ok(monitor.calls.list > calls.list);
    assert.equal(monitor.verdicts().length, 0, 'a stop the user asked for is no crash');
  });

  it('a compose-labelled container OOM-killed by its 80 MB limit gets an oom-kill verdict within 2 s', async () => {
    monitor = new ContainerMonitor({ workspaceFolders: () => [ws] });
    await monitor.start();
    const verdicts: { v: Verdict; at: number }[] = [];
    monitor.onVerdict((v) => verdicts.push({ v, at: Date.now() }));
    const id = containers.run([...composeLabels(`dsd${Date.now()}`, 'db', ws), '--memory', '80m', '--memory-swap', '80m'], LEAK);
    const { v, at } = await waitFor('the oom-kill verdict', () => verdicts.find((x) => x.v.detail?.container?.id === id), 60_000);
    const truth = containers.inspect(id);
    assert.equal(truth.State.OOMKilled, true);
    assert.equal(truth.State.ExitCode, 137);
    const died = Date.parse(truth.State.FinishedAt);
    console.log(`      verdict ${at - died} ms after the container died`);
    assert.ok(at - died < 2000, `verdict came ${at - died} ms after the death`);
    assert.equal(v.cause, 'oom-kill');
    assert.equal(v.confidence, 'high');
    assert.equal(v.summary.split(' (')[0], 'db was killed by its 80 MB memory limit');
    assert.ok(v.evidence.some((e) => e.source === 'container' && /State\.OOMKilled=true/.test(e.text) && /HostConfig\.Memory=83886080/.test(e.text)));
    assert.equal(v.remedies[0].title, "Raise db's memory limit to 160 MB in docker-compose.yml");
    const shown = await waitFor('the list shows it OOM-killed', () => monitor!.containers().find((c) => c.id === id && c.state === 'exited'));
    assert.equal(shown.oomKilled, true);
    assert.equal(shown.exitCode, 137);

    // Investigate Crash, cold: the container's crash and its docker inspect facts are in the report.
    const facts = await readContainersOnce([ws], undefined, Date.now() - 10 * 60_000);
    const cold = facts.verdicts.find((x) => x.detail?.container?.id === id);
    assert.equal(cold?.cause, 'oom-kill');
    const inv = await investigate({ workspaceFolders: [ws], sinceMs: Date.now() - 10 * 60_000, containers: facts, skipInotifyUsage: true, readKernel: async () => ({ records: [], faults: [], kernelRead: false, kernelSource: null, sources: [], problems: [] }) });
    const md = renderMarkdown(inv);
    assert.match(md, /db was killed by its 80 MB memory limit/);
    assert.match(md, /State\.OOMKilled=true/);
    assert.match(md, /### Containers/);
    assert.equal(toReportJson(inv).state?.containers?.find((c) => c.id === id)?.oomKilled, true);
  });

  it('a non-zero exit quotes the last log lines, redacted; a failing health check is unhealthy', async () => {
    monitor = new ContainerMonitor({ workspaceFolders: () => [ws] });
    await monitor.start();
    const verdicts: Verdict[] = [];
    monitor.onVerdict((v) => verdicts.push(v));
    const project = `dsd${Date.now()}`;
    const failing = containers.run([...composeLabels(project, 'worker', ws)],
      ['/usr/bin/node', '-e', "console.log('connecting with DATABASE_PASSWORD=hunter2');console.error('fatal: migrations failed');process.exit(3)"]);
    const sick = containers.run([...composeLabels(project, 'web', ws), '--health-cmd', 'exit 1', '--health-interval', '1s', '--health-retries', '1'], SERVER);
    const exit = await waitFor('exit verdict', () => verdicts.find((v) => v.detail?.container?.id === failing));
    assert.equal(exit.cause, 'exit-nonzero');
    assert.equal(exit.detail?.exitCode, 3);
    assert.match(exit.summary, /worker \(container .*\) exited with code 3: fatal: migrations failed/);
    const logs = exit.evidence.find((e) => e.location?.startsWith('docker logs'));
    assert.ok(logs && /migrations failed/.test(logs.text));
    assert.ok(!JSON.stringify(exit).includes('hunter2'));
    const unhealthy = await waitFor('unhealthy verdict', () => verdicts.find((v) => v.detail?.container?.id === sick), 30_000);
    assert.equal(unhealthy.cause, 'unhealthy');
    assert.match(unhealthy.summary, /^web \(container .*\) is unhealthy/);
    await waitFor('health shown', () => monitor!.containers().find((c) => c.id === sick)?.health === 'unhealthy');
  });

  it('no engine: silently absent with one sentence why', async () => {
    const m = new ContainerMonitor({ workspaceFolders: () => [ws], address: { kind: 'socket', socketPath: `${ws}/nope.sock`, label: `unix://${ws}/nope.sock` } });
    try {
      await m.start();
      assert.equal(m.status().available, false);
      assert.match(m.status().message, /does not answer/);
      assert.deepEqual(m.containers(), []);
    } finally {
      m.dispose();
    }
    const none = await readContainersOnce([ws], null);
    assert.equal(none.engine.available, false);
  });
});
