// Early warnings, supervision and opt-in crash capture inside a real VS Code, with real servers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import { HTTP_SERVER_JS, isAlive, waitFor, writeFiles } from '../../live/liveHelpers';
import { activateApi, answering, pick, testFolder } from './helpers';

const cfg = () => vscode.workspace.getConfiguration('devServerDoctor');

describe('Dev Server Doctor: early warnings and supervision in a real VS Code', function () {
  this.timeout(120_000);
  const { root, jar } = testFolder('early', { settings: { pollIntervalSeconds: 0.5, 'notifications.maxPerMinute': 60 }, resets: ['supervisor'] });
  let api: DevServerDoctorApi;
  before(async () => { api = await activateApi(); });
  after(() => vscode.commands.executeCommand('devServerDoctor.disableCrashCapture'));

  it('a leaking server raises the OOM-risk warning, with a projection, before it dies', async () => {
    const dir = path.join(root, 'leak');
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'leaky', scripts: { dev: 'node --max-old-space-size=512 server.js' } }),
      // ~15 MB/s of live JS objects: the heap limit is about 30 s away.
      'server.js': `${HTTP_SERVER_JS}; const keep = []; setInterval(() => { for (let i = 0; i < 1500; i++) keep.push('x'.repeat(10000) + i); }, 1000);`,
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const child = jar.start('sh', ['-c', 'npm run dev'], { cwd: dir });
    const risk = await waitFor('an OOM-risk warning', () => api.warnings().find((w) => w.kind === 'oom-risk' && /leaky/.test(w.server ?? '')), 60_000);
    console.log(`      ${risk.message}`);
    assert.match(risk.message, /grows \d+ MB\/min; at this rate it reaches its .*heap limit in about \d+ (s|sec|min)/);
    assert.ok(isAlive(child.pid!), 'warned while the server still runs');
    assert.ok(api.warningsShown().some((w) => w.kind === 'oom-risk' && w.subject === risk.subject), 'notified');
    assert.match(api.statusBarText(), /\$\((warning|error)\)/, 'the status bar shows it');
  });

  it('a supervised server that keeps crashing is restarted with growing delays, then given up on', async () => {
    const dir = path.join(root, 'super');
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'flaky', scripts: { dev: 'node server.js' } }),
      'server.js': `${HTTP_SERVER_JS}; setTimeout(() => { console.error('flaky: giving up'); process.exit(3); }, 300);`,
    });
    await cfg().update('supervisor', { maxRestarts: 2, windowSeconds: 60, rssLimitMb: 0 }, vscode.ConfigurationTarget.Workspace);
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const server = await waitFor('the flaky server', () => api.snapshot()?.servers.find((s) => s.cwd === dir && s.script === 'dev'));
    await vscode.commands.executeCommand('devServerDoctor.startSupervised', { serverId: server.id });
    const started = Date.now();
    const state = await waitFor('the supervisor to give up', () => {
      const st = api.supervisedState(server.id);
      return st?.status === 'gave-up' ? st : undefined;
    }, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; state: ${JSON.stringify(api.supervisedState(server.id))}; server: ${JSON.stringify(server)}; terminals: ${vscode.window.terminals.map((t) => t.name).join(', ')}`);
    });
    assert.equal(state.run, 3, 'the first run and two restarts');
    assert.equal(state.lastRun?.exitCode, 3);
    assert.ok(Date.now() - started >= 1000 + 1500, 'waited 1 s, then 1.5 s, before the restarts');
    const flaky = api.verdicts().filter((v) => v.server?.startsWith('flaky'));
    assert.ok(flaky.length >= 1, 'the crashes got verdicts');
    // The supervisor knows the exact exit code and hands it to the verdict, with the run's output.
    assert.ok(flaky.some((v) => v.cause === 'exit-nonzero' && v.detail?.exitCode === 3 && v.evidence.some((e) => e.text.includes('flaky: giving up'))),
      JSON.stringify(flaky.map((v) => [v.cause, v.detail, v.summary])));
    await vscode.commands.executeCommand('devServerDoctor.stopSupervised', { serverId: server.id });
    assert.equal(api.supervisedState(server.id), undefined);
  });

  it('opt-in crash capture: a heap OOM in a terminal writes a Node report that the verdict quotes', async () => {
    await answering({ showQuickPick: pick((i) => !i.heap) }, () => vscode.commands.executeCommand('devServerDoctor.enableCrashCapture'));
    const dir = path.join(root, 'capture');
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'captured', scripts: { dev: 'node --max-old-space-size=40 server.js' } }),
      'server.js': `${HTTP_SERVER_JS}; require('fs').writeFileSync(__dirname + '/.pid', String(process.pid)); setTimeout(() => { const a = []; setInterval(() => { for (let i = 0; i < 20000; i++) a.push({ i, s: 'x'.repeat(40) + i }); }, 5); }, 1500);`,
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const term = vscode.window.createTerminal({ name: 'dsd-capture', cwd: dir, shellPath: '/bin/bash' });
    try {
      const si = await waitFor('shell integration', () => term.shellIntegration, 30_000);
      si.executeCommand('npm run dev');
      const pid = Number(await waitFor('the app', () => fs.existsSync(path.join(dir, '.pid')) && fs.readFileSync(path.join(dir, '.pid'), 'utf8')));
      // The crash line gives a verdict at once; the report written just after joins the same crash's verdict.
      const v = await waitFor(`a verdict for pid ${pid} quoting its report`, () => api.verdicts().find((x) => x.pid === pid && x.evidence.some((e) => e.source === 'node-report')) ?? undefined, 40_000)
        .catch((e: Error) => { throw new Error(`${e.message}; verdicts: ${JSON.stringify(api.verdicts().filter((x) => x.pid === pid).map((x) => x.evidence.map((ev) => ev.source)))}`); });
      assert.equal(v.cause, 'heap-oom');
      assert.ok(v.evidence.some((e) => e.source === 'node-report'), `evidence: ${JSON.stringify(v.evidence)}`);
    } finally {
      term.dispose();
    }
  });
});
