// Runs inside a real VS Code extension host (code-server here, desktop VS Code via test-electron elsewhere)
// against the fixture workspace: a live `node server.js` (dev script) and a declared api that is not running.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import type { Snapshot } from '../../../src/core/types';
import type { PortTreeItem, ProcessTreeItem, ServerTreeItem } from '../../../src/vscode/tree/serverItems';
import { EXTENSION_ID } from './helpers';

// The extension runs from its bundle, so its classes are not the ones this file could import: tell node
// kinds apart by contextValue, as menus do.
const isServer = (n: vscode.TreeItem): n is ServerTreeItem => /^server\./.test(n.contextValue ?? '');
const isPort = (n: vscode.TreeItem): n is PortTreeItem => n.contextValue === 'port';
const isProcess = (n: vscode.TreeItem): n is ProcessTreeItem => /^process/.test(n.contextValue ?? '');

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('Dev Server Doctor in a real VS Code', function () {
  this.timeout(60_000);
  const port = Number(process.env.DSD_TEST_SERVER_PORT);
  const pid = Number(process.env.DSD_TEST_SERVER_PID);
  let api: DevServerDoctorApi;
  let snap: Snapshot;

  before(async () => {
    assert.ok(port > 0 && pid > 0, 'the harness passes the fixture server port and pid');
    const ext = vscode.extensions.getExtension<DevServerDoctorApi>(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is installed`);
    api = await ext.activate();
    snap = await until('the fixture server to be up', async () => {
      const s = await api.refresh();
      return s?.servers.some((v) => v.pid === pid && v.state === 'up') ? s : undefined;
    });
  });

  it('declares a workspace extension with every command in the "Dev Server Doctor" category', () => {
    const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    for (const c of pkg.contributes.commands) assert.equal(c.category, 'Dev Server Doctor', c.command);
  });

  it('registers its commands', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of ['devServerDoctor.refresh', 'devServerDoctor.openInBrowser', 'devServerDoctor.copyPid', 'devServerDoctor.focus']) {
      assert.ok(all.includes(id), id);
    }
  });

  it('the snapshot has the live dev server up with its port and pid, and the api server down', () => {
    const dev = snap.servers.find((s) => s.pid === pid)!;
    assert.equal(dev.script, 'dev');
    assert.deepEqual(dev.ports, [port]);
    assert.equal(dev.heapLimitSource, 'default');
    const api2 = snap.servers.find((s) => s.name.includes('fixture-api'))!;
    assert.equal(api2.state, 'down');
    assert.equal(api2.expectedPort, 4999);
  });

  it('the Servers tree lists the server with port, memory and pid, and its port and process as children', () => {
    const roots = api.serversProvider.getChildren();
    const item = roots.filter(isServer).find((n) => n.server.pid === pid);
    assert.ok(item, `tree roots: ${roots.map((r) => r.label).join(', ')}`);
    assert.match(String(item.description), new RegExp(`^:${port} · RSS \\d+ MB · pid ${pid}$`));
    assert.equal(item.contextValue, 'server.up.port');
    assert.ok(item.iconPath instanceof vscode.ThemeIcon);
    const children = api.serversProvider.getChildren(item);
    assert.ok(children.filter(isPort).some((c) => c.port === port));
    assert.ok(children.filter(isProcess).some((c) => c.process.pid === pid));
    const down = roots.filter(isServer).find((n) => n.server.state === 'down');
    assert.ok(down && down.contextValue === 'server.down');
    assert.ok(!roots.some((r) => /^message\.(error|loading)/.test(r.contextValue ?? '')), 'no error or loading rows');
  });

  it('the System tree shows memory, swap, disk and the watcher limit', () => {
    const labels = api.systemProvider.getChildren().map((n) => String(n.label));
    for (const l of ['Memory', 'Swap', 'File watchers']) assert.ok(labels.includes(l), `${l} in ${labels.join(', ')}`);
    assert.ok(labels.some((l) => l.startsWith('Disk ')));
  });

  it('the System tree says where the servers run and the memory ceiling there (Environment)', () => {
    const env = api.systemProvider.getChildren().find((n) => String(n.label) === 'Environment');
    assert.ok(env, 'an Environment row');
    assert.match(String(env.description), /^(?:This machine|Container|WSL 2|Dev container|GitHub Codespaces|Docker Desktop VM|Gitpod) · memory ceiling \d/);
    assert.match(env.contextValue ?? '', /^system\.environment\./);
  });

  it('the status bar shows servers up of declared, memory and disk', async () => {
    const text = await until('status bar text', () => (/up ·/.test(api.statusBarText()) ? api.statusBarText() : undefined));
    assert.match(text, /1\/2 up · mem \d+% · disk \d+%/);
  });

  it('Refresh polls again and Copy PID copies the server pid', async () => {
    const before = api.snapshot()!.takenAt;
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    assert.ok(api.snapshot()!.takenAt > before);
    const item = api.serversProvider.getChildren().filter(isServer).find((n) => n.server.pid === pid)!;
    await vscode.commands.executeCommand('devServerDoctor.copyPid', item);
    assert.equal(await vscode.env.clipboard.readText(), String(pid));
  });
});
