// Health inside a real VS Code, with real servers: a hung Express route raises the unresponsive notification with
// [Find Where It's Stuck] [Restart] [Investigate], and its first button reads the stuck frames after a confirmation;
// Load Test Server… runs from the palette with progress, and cancels.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import { isAlive, REPO, waitFor, writeFiles } from '../../live/liveHelpers';
import { activateApi, answering, pick, testFolder } from './helpers';

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

const STUCK_APP = `const fs = require('fs');
const express = require('express');
const app = express();
app.get('/', (req, res) => res.send('ok'));
app.get('/spin', function spinForever(req, res) {
  let n = 0;
  while (true) { n++; }
});
const srv = app.listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;
const LOOP_LINE = STUCK_APP.split('\n').findIndex((l) => l.includes('while (true)')) + 1;

const PLAIN_APP = `const fs = require('fs');
const srv = require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => fs.writeFileSync('.port', String(srv.address().port)));
`;

describe('Dev Server Doctor: health, hangs and load tests in a real VS Code', function () {
  this.timeout(120_000);
  const { root, jar } = testFolder('health', { settings: { pollIntervalSeconds: 0.5, healthIntervalSeconds: 1, healthTimeoutSeconds: 1.5, 'notifications.maxPerMinute': 60 } });
  let api: DevServerDoctorApi;
  before(async () => { api = await activateApi(); });

  async function start(name: string, source: string, nodeArgs: string[] = []): Promise<{ dir: string; port: number; pid: number }> {
    const dir = path.join(root, name);
    writeFiles(dir, { 'package.json': JSON.stringify({ name, scripts: { start: 'node app.js' } }), 'app.js': source });
    if (!fs.existsSync(path.join(dir, 'node_modules'))) fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const child = jar.start(process.execPath, [...nodeArgs, 'app.js'], { cwd: dir });
    const port = await waitFor(`${name} to listen`, () => fs.existsSync(path.join(dir, '.port')) && Number(fs.readFileSync(path.join(dir, '.port'), 'utf8')));
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    return { dir, port, pid: child.pid! };
  }

  it('a hung server: the unresponsive notification offers Find Where It\'s Stuck, Restart and Investigate; the first reads the loop', async () => {
    const { port, pid } = await start('stuck', STUCK_APP, ['--inspect-port=0']);
    const server = await waitFor('its first healthy check', () => api.snapshot()?.servers.find((s) => s.pid === pid && s.health?.ok));
    const modals: string[] = [];
    const shownBefore = Math.max(0, ...api.notificationsShown().map((n) => n.id)); // the record is bounded: by id, not index
    const req = http.get({ host: '127.0.0.1', port, path: '/spin' }).on('error', () => undefined);
    try {
      await answering({
        showWarningMessage: (message: string, ...rest: unknown[]) => {
          modals.push(`${message} ${JSON.stringify(rest[0])}`);
          return Promise.resolve(message.startsWith('Find where') ? "Find Where It's Stuck" : undefined);
        },
      }, async () => {
        // A warning the extension can withdraw: its actions are links, two plus More… (the rest in a quick pick).
        const mine = () => api.notificationsShown().filter((n) => n.id > shownBefore).filter((n) => /did not answer/.test(n.message));
        const toast = await waitFor('the unresponsive notification', () => mine()[0], 30_000);
        assert.match(toast.message, /its event loop is blocked/);
        assert.equal(toast.kind, 'unresponsive');
        assert.deepEqual(toast.buttons, ["Find Where It's Stuck", 'Restart', 'More…']);
        const snap = api.snapshot()!;
        const hung = snap.servers.find((s) => s.id === server.id)!;
        assert.equal(hung.state, 'unresponsive');
        assert.match(api.statusBarText(), /\$\(error\)/, 'the status bar turns red');
        const items = await api.serversProvider.getChildren();
        const item = items.find((i) => 'server' in i && (i as { server: { id: string } }).server.id === server.id) as vscode.TreeItem | undefined;
        assert.match(String(item?.contextValue), /^server\.unresponsive/);
        // Its first action, as its link runs it.
        await vscode.commands.executeCommand('devServerDoctor.findWhereStuck', { serverId: server.id });
        const verdict = await waitFor('the stuck frames', () => api.lastStuck(), 30_000);
        assert.ok(modals.some((m) => /keeps that port open until it restarts/.test(m)), `the confirmation says the port stays open: ${modals.join(' | ')}`);
        assert.equal(verdict.cause, 'hang');
        assert.match(verdict.summary, /stuck in spinForever \(app\.js:\d+\)/);
        assert.ok(verdict.topFrame?.endsWith(`app.js:${LOOP_LINE}:${verdict.topFrame.split(':').pop()}`), String(verdict.topFrame));
        assert.match(api.lastReport()?.markdown ?? '', /spinForever/);
        // Only once: a hang that goes on is not announced again.
        assert.equal(mine().length, 1);
      });
    } finally {
      req.destroy();
    }
  });

  it('Load Test Server… from the palette: quick plan, confirmation, progress per stage, the report; and cancel stops it', async () => {
    const { port, pid } = await start('loaded', PLAIN_APP);
    const server = await waitFor('the server', () => api.snapshot()?.servers.find((s) => s.pid === pid && s.state === 'up'));
    const progress: string[] = [];
    const realProgress = vscode.window.withProgress;
    const confirmations: string[] = [];
    await answering({
      showInputBox: (o: vscode.InputBoxOptions) => Promise.resolve(o.value),
      showQuickPick: pick((i) => i.label === 'Quick'),
      showWarningMessage: (message: string, ...rest: unknown[]) => {
        confirmations.push(`${message} ${JSON.stringify(rest[0])}`);
        return Promise.resolve(message.startsWith('Load test') ? 'Start Load Test' : undefined);
      },
      showInformationMessage: (message: string) => { confirmations.push(message); return Promise.resolve(undefined); },
      withProgress: (o: vscode.ProgressOptions, task: Fn) => realProgress(o, (p, token) => task({ report: (v: { message?: string }) => { if (v.message) progress.push(v.message); p.report(v); } }, token)),
    }, async () => { await vscode.commands.executeCommand('devServerDoctor.loadTest', { serverId: server.id }); });
    const report = api.lastLoadTest();
    assert.ok(report, `no report; said: ${confirmations.join(' | ')}`);
    assert.equal(report.url, `http://127.0.0.1:${port}/`);
    assert.deepEqual(report.stages.map((s) => s.connections), [10, 50]);
    assert.ok(report.stages.every((s) => s.requests > 0 && s.errors === 0), JSON.stringify(report.stages));
    assert.equal(report.leak?.rounds.length, 3);
    assert.deepEqual(progress, ['stage 1/2: 10 connections for 2 s', 'stage 2/2: 50 connections for 2 s', ...[1, 2, 3].map((i) => `leak check ${i}/3: 10 connections for 2 s`)]);
    assert.ok(confirmations.some((c) => /only|loopback|GET http:\/\/127\.0\.0\.1/.test(c)), confirmations.join(' | '));
    assert.ok(api.lastReport()?.files.some((f) => f.endsWith('.svg')), 'the chart was saved');

    // Cancel: the standard plan (about 90 s) cancelled at its first progress report ends within seconds.
    const source = new vscode.CancellationTokenSource();
    let child = 0;
    const started = Date.now();
    await answering({
      showInputBox: (o: vscode.InputBoxOptions) => Promise.resolve(o.value),
      showQuickPick: pick((i) => i.label === 'Standard'),
      showWarningMessage: (message: string) => Promise.resolve(message.startsWith('Load test') ? 'Start Load Test' : undefined),
      showInformationMessage: () => Promise.resolve(undefined),
      withProgress: (_o: vscode.ProgressOptions, task: Fn) => task({ report: () => { child = api.loadTestPid() ?? child; source.cancel(); } }, source.token),
    }, async () => { await vscode.commands.executeCommand('devServerDoctor.loadTest', { serverId: server.id }); });
    assert.ok(Date.now() - started < 30_000, `cancel took ${Date.now() - started} ms`);
    assert.ok(child > 0 && !isAlive(child), 'the load process is gone');
    assert.equal(api.loadTestPid(), null);
    assert.equal(api.lastLoadTest()?.cancelled, true);
  });
});
