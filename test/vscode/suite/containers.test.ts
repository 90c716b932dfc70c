// The workspace's containers inside a real VS Code, on a real Docker engine: the container node kind in
// the Servers view, the engine's line in the System view, a real OOM kill as a crash with its remedy that
// edits the compose file only after the OK, a restart through the tree command, and a container of
// another folder never shown or touched. Modal answers are stubs of vscode.window; everything else is real.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import { ContainerJar, composeLabels, dockerMissing, ensureEmptyImage } from '../../live/dockerHelpers';
import { ProcessJar, waitFor } from '../../live/liveHelpers';
import { activateApi, answering } from './helpers';

const SERVER = ['/usr/bin/node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"];
const LEAK = ['/usr/bin/node', '-e', "const a=[];setTimeout(()=>setInterval(()=>{const b=Buffer.alloc(8*1024*1024);b.fill(1);a.push(b)},20),300)"];

describe('Dev Server Doctor: containers of the workspace in a real VS Code', function () {
  this.timeout(120_000);
  const ws = process.env.DSD_TEST_WORKSPACE!;
  const jar = new ProcessJar();
  const containers = new ContainerJar();
  let api: DevServerDoctorApi;

  before(async function () {
    const missing = dockerMissing();
    if (missing) {
      console.log(`      skipped: ${missing}`);
      this.skip();
    }
    ensureEmptyImage();
    api = await activateApi();
    await waitFor('the engine to answer', () => api.containerEngine().available, 30_000);
  });

  after(async () => {
    containers.cleanup();
    await jar.cleanup();
    fs.rmSync(path.join(ws, 'docker-compose.yml'), { force: true });
  });

  it('shows a workspace container as its own node kind, the engine in the System view, and never one of another folder', async () => {
    const project = `dsdvs${Date.now()}`;
    const api1 = containers.run([...composeLabels(project, 'cache', ws), '-p', '127.0.0.1::8080', '--memory', '96m'], SERVER);
    const elsewhere = fs.realpathSync(jar.tempDir('dsd-other-'));
    const outside = containers.run([...composeLabels(`${project}x`, 'cache', elsewhere)], SERVER);
    const node = await waitFor('the container node', () => api.serversProvider.getChildren().find((n) => n.id === `container:${api1}` && /running/.test(String(n.description))), 30_000);
    assert.equal(node.contextValue, 'container.running.compose');
    assert.equal(node.label, 'cache');
    const hostPort = containers.inspect(api1).NetworkSettings.Ports['8080/tcp'][0].HostPort;
    assert.match(String(node.description), new RegExp(`running · :${hostPort} · .* / 96 MB`));
    assert.ok(node.iconPath instanceof vscode.ThemeIcon && node.iconPath.id === 'vm-running');
    assert.ok(!api.serversProvider.getChildren().some((n) => n.id === `container:${outside}`));
    const line = api.systemProvider.getChildren().find((n) => n.id === 'system.containers');
    assert.ok(line, 'the System view has the engine line');
    assert.match(String(line.description), /1 in this workspace · Docker /);

    // The outside container cannot be stopped by name through the command; it stays running.
    await answering({ showWarningMessage: () => 'Stop' }, async (said) => {
      await vscode.commands.executeCommand('devServerDoctor.stopContainer', { container: outside, name: 'outside' });
      assert.ok(said.some((m) => /not a container of this workspace/.test(m)), said.join(' | '));
    });
    assert.equal(containers.inspect(outside).State.Running, true);

    // Restart from the tree node: a modal names it; after the OK the engine restarts it.
    await answering({ showWarningMessage: (m: string) => (/^Restart container cache\?/.test(m) ? 'Restart' : undefined) }, async (said) => {
      await vscode.commands.executeCommand('devServerDoctor.restartContainer', node);
      assert.ok(said.some((m) => /^Restarted /.test(m.replace('Dev Server Doctor: ', ''))), said.join(' | '));
    });
    assert.equal(containers.inspect(api1).State.Running, true);
    assert.equal(api.containerVerdicts().filter((v) => v.detail?.container?.id === api1).length, 0, 'a restart the user asked for is no crash');
  });

  it('an OOM kill becomes a crash with the limit in words; raising the limit shows the YAML and writes it only after the OK', async () => {
    const compose = path.join(ws, 'docker-compose.yml');
    fs.writeFileSync(compose, '# the shop\nservices:\n  db:\n    image: local/dsd-empty # no registry here\n    mem_limit: 80m\n');
    const id = containers.run([...composeLabels(`dsdvs${Date.now()}`, 'db', ws), '--memory', '80m', '--memory-swap', '80m'], LEAK);
    const v = await waitFor('the oom-kill verdict', () => api.containerVerdicts().find((x) => x.detail?.container?.id === id), 60_000);
    assert.equal(v.cause, 'oom-kill');
    assert.match(v.summary, /^db was killed by its 80 MB memory limit/);
    await waitFor('the crash in the history', () => api.history.entries().some((e) => e.verdict.summary === v.summary));
    const raise = v.remedies.find((r) => r.id === 'raise-container-memory')!;
    assert.ok(raise);
    await waitFor('the exited container in the list', () => api.containers().find((c) => c.id === id && c.state === 'exited'));

    // No: nothing written.
    await answering({ showInputBox: () => '160', showWarningMessage: () => undefined }, async (said) => {
      await vscode.commands.executeCommand('devServerDoctor.raiseContainerMemory', raise.args);
      assert.ok(said.some((m) => /Change db's memory limit to 160m in docker-compose\.yml\?/.test(m)), said.join(' | '));
    });
    assert.match(fs.readFileSync(compose, 'utf8'), /mem_limit: 80m/);
    // Yes: exactly that change, comments kept.
    let detail = '';
    await answering({ showInputBox: () => '160', showWarningMessage: (_m: string, o: { detail?: string }) => { detail = o?.detail ?? ''; return 'Edit File'; } }, async () => {
      await vscode.commands.executeCommand('devServerDoctor.raiseContainerMemory', raise.args);
    });
    assert.match(detail, /mem_limit 80m → 160m/);
    assert.match(detail, /Before:\n  db:\n    image: local\/dsd-empty # no registry here\n    mem_limit: 80m/);
    assert.equal(fs.readFileSync(compose, 'utf8'), '# the shop\nservices:\n  db:\n    image: local/dsd-empty # no registry here\n    mem_limit: 160m\n');

    // Investigate Crash includes the container, quoting docker inspect.
    await vscode.commands.executeCommand('devServerDoctor.investigateCrash');
    const report = api.lastReport()?.markdown ?? '';
    assert.match(report, /db was killed by its 80 MB memory limit/);
    assert.match(report, /State\.OOMKilled=true/);
    assert.match(report, /### Containers/);
  });
});
