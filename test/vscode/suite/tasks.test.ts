// Task output as a crash trigger inside a real VS Code: a dev server run as a task (the extension's
// `devServerDoctor` tasks, listed by its task provider and run in a pseudoterminal whose output is read
// as it streams) dies at start of EADDRINUSE: one verdict naming the cause from the task's output.
// A plain shell task (whose output VS Code 1.100 gives no extension) is judged from its exit code.
// Stopping a task is never a crash.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Verdict } from '../../../src/core/crash/types';
import type { DevServerDoctorApi } from '../../../src/extension';
import { freePort, pidsInside, REPO, waitFor, writeFiles } from '../../live/liveHelpers';
import { note } from './notes';
import { activateApi, killProcessesUnder, testFolder } from './helpers';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Dev Server Doctor: task output in a real VS Code', function () {
  this.timeout(90_000);
  const { root } = testFolder('tasks', { settings: { 'notifications.maxPerMinute': 60 } });
  const executions: vscode.TaskExecution[] = [];
  let api: DevServerDoctorApi;
  let folder: vscode.WorkspaceFolder;
  let n = 0;
  before(async () => {
    api = await activateApi();
    folder = vscode.workspace.workspaceFolders![0];
  });
  afterEach(async () => {
    for (const e of executions.splice(0)) e.terminate();
    await sleep(300);
    killProcessesUnder(root);
  });

  /** A package `tasks/<name>-N` the monitor knows (its scripts declared); returns its real folder. */
  async function pkg(name: string, scripts: Record<string, string>, files: Record<string, string>): Promise<string> {
    const dir = path.join(root, `${name}-${++n}`);
    writeFiles(dir, { 'package.json': JSON.stringify({ name, private: true, scripts }), ...files });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const real = fs.realpathSync(dir);
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    await waitFor('the monitor to declare the package', async () => api.snapshot()?.servers.some((s) => s.cwd === real) || (await vscode.commands.executeCommand('devServerDoctor.refresh'), false), 20_000);
    return real;
  }

  /** Runs a task and resolves with its exit code when it ends. */
  async function execute(task: vscode.Task): Promise<{ exec: vscode.TaskExecution; ended: Promise<number | undefined> }> {
    let resolveEnd!: (code: number | undefined) => void;
    const ended = new Promise<number | undefined>((r) => { resolveEnd = r; });
    const started: { exec?: vscode.TaskExecution } = {};
    const sub = vscode.tasks.onDidEndTaskProcess((e) => {
      if (started.exec && e.execution === started.exec) { sub.dispose(); resolveEnd(e.exitCode); }
    });
    const exec = started.exec = await vscode.tasks.executeTask(task);
    executions.push(exec);
    return { exec, ended };
  }

  const mine = (dir: string, since: number): Verdict[] => api.verdicts().filter((x) => x.detail?.cwd === dir && x.time >= since - 1000);

  it('a devServerDoctor task (listed for the package\'s script) dying of EADDRINUSE at start: one verdict naming the cause from the task\'s output', async () => {
    const port = await freePort();
    const dir = await pkg('task-port', { start: 'node server.js' }, { 'server.js': `require('http').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'));\n` });
    const rel = path.relative(fs.realpathSync(folder.uri.fsPath), dir);
    const srv = net.createServer().listen(port, '127.0.0.1');
    try {
      // The holder is outside the workspace: its socket shows in the monitor's table within a few polls.
      await waitFor('the holder in the socket table', () => api.snapshot()?.sockets.some((x) => x.port === port && x.pid === process.pid) || (void api.refresh(), false), 20_000);
      const tasks = await vscode.tasks.fetchTasks({ type: 'devServerDoctor' });
      const task = tasks.find((t) => t.definition.script === 'start' && t.definition.path === rel);
      assert.ok(task, `the provider lists start - ${rel}: ${tasks.map((t) => t.name).join(', ')}`);
      const since = Date.now();
      const { ended } = await execute(task);
      const v = await waitFor('a verdict for the task', () => mine(dir, since)[0], 20_000);
      // A poll landing while the crash line settles may judge it first, with the task's output: also one verdict.
      const internal = v.detail?.lineAt !== undefined ? v.detail.detectedAt! - v.detail.lineAt : null;
      note(`      devServerDoctor task: ${v.cause} via ${v.detail?.via}, ${internal ?? '-'} ms after the crash line, ${v.detail!.detectedAt! - since} ms after the task started: ${v.summary}`);
      assert.equal(v.cause, 'port-in-use');
      assert.equal(v.detail?.port, port);
      assert.equal(v.detail?.holder?.pid, process.pid, 'the holder is the extension host, which took the port for this test');
      assert.ok(v.detail?.via === 'output' || v.detail?.via === 'poll', String(v.detail?.via));
      assert.ok(v.evidence.some((e) => e.source === 'output' && /^task: /.test(e.location ?? '') && /EADDRINUSE/.test(e.text)), JSON.stringify(v.evidence));
      assert.match(v.server ?? '', /^task-port\b/);
      if (internal !== null) assert.ok(internal < 1000, `verdict ${internal} ms after the crash line`);
      await waitFor('the notification', () => api.notifications().includes(v.summary), 5000);
      assert.equal(await ended, 1, 'the task ends with the exit code');
      await sleep(3000);
      assert.equal(mine(dir, since).length, 1, mine(dir, since).map((x) => x.summary).join('\n'));
    } finally {
      srv.close();
    }
  });

  it('a devServerDoctor task stopped by the user (Terminate Task): no verdict', async () => {
    const dir = await pkg('task-calm', { dev: 'node server.js' }, { 'server.js': `require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');\n` });
    const rel = path.relative(fs.realpathSync(folder.uri.fsPath), dir);
    const task = (await vscode.tasks.fetchTasks({ type: 'devServerDoctor' })).find((t) => t.definition.script === 'dev' && t.definition.path === rel);
    assert.ok(task, 'the provider lists dev');
    const since = Date.now();
    const { exec, ended } = await execute(task);
    await waitFor('the server to listen', () => api.snapshot()?.servers.some((s) => s.cwd === dir && s.state === 'up') || (void api.refresh(), false), 20_000);
    exec.terminate();
    await ended;
    await waitFor('its processes gone', () => pidsInside(dir).length === 0, 10_000);
    await sleep(3000);
    assert.deepEqual(mine(dir, since).map((x) => x.summary), []);
  });

  it('a plain shell task dying of EADDRINUSE: one verdict from its exit code', async () => {
    const port = await freePort();
    const dir = await pkg('task-shell', { start: 'node server.js' }, { 'server.js': `require('http').createServer().listen(${port}, '127.0.0.1');\n` });
    const srv = net.createServer().listen(port, '127.0.0.1');
    try {
      const task = new vscode.Task({ type: 'shell' }, folder, 'shell start', 'test', new vscode.ShellExecution('npm run start', { cwd: dir }));
      const since = Date.now();
      const { ended } = await execute(task);
      assert.equal(await ended, 1);
      const v = await waitFor('a verdict for the shell task', () => mine(dir, since)[0], 20_000);
      const fromOutput = v.evidence.some((e) => e.source === 'output' && /EADDRINUSE/.test(e.text));
      note(`      shell task: ${v.cause} via ${v.detail?.via}; its output ${fromOutput ? 'was' : 'was not'} readable: ${v.summary}`);
      assert.ok(v.cause === 'port-in-use' || v.cause === 'exit-nonzero', v.cause);
      await sleep(3000);
      assert.equal(mine(dir, since).length, 1, mine(dir, since).map((x) => x.summary).join('\n'));
    } finally {
      srv.close();
    }
  });
});
