// The Servers view's rows as a user meets them, on real processes: memory numbers labelled (a real server started with
// --max-old-space-size=128), build-output scripts not counted while down, Start for a down server (in its named
// terminal), Kill Port Holder pre-filled from a row, menus by contextValue, and Free Disk Space's reports grouped.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import type { ServerTreeItem } from '../../../src/vscode/tree/serverItems';
import { crashingAppSource, freePort, HTTP_SERVER_JS, isAlive, waitFor, writeFiles } from '../../live/liveHelpers';
import { activateApi, answering, EXTENSION_ID, testFolder } from './helpers';

interface MenuItem { command: string; when?: string; group?: string }

/** The commands package.json's view/item/context menus show for a Servers row with this contextValue. */
function menuFor(contextValue: string): { inline: string[]; menu: string[] } {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON;
  const items: MenuItem[] = pkg.contributes.menus['view/item/context'];
  const atom = (c: string): boolean => {
    if (c === 'view == devServerDoctor.servers') return true;
    if (c.startsWith('view ==')) return false;
    const re = /^viewItem =~ \/(.*)\/$/.exec(c);
    if (re) return new RegExp(re[1]!).test(contextValue);
    const eq = /^viewItem == (.*)$/.exec(c);
    if (eq) return eq[1] === contextValue;
    throw new Error(`a when clause this test cannot read: ${c}`);
  };
  // `a && (b || c)`: the clauses package.json uses.
  const applies = (when = ''): boolean => when.split('&&').map((c) => c.trim().replace(/^\((.*)\)$/, '$1'))
    .every((c) => c.split('||').map((a) => a.trim()).some(atom));
  const shown = items.filter((i) => applies(i.when));
  return {
    inline: shown.filter((i) => i.group?.startsWith('inline')).map((i) => i.command),
    menu: shown.filter((i) => !i.group?.startsWith('inline')).map((i) => i.command),
  };
}

const isServer = (n: vscode.TreeItem): n is ServerTreeItem => /^server\./.test(n.contextValue ?? '');

describe('Dev Server Doctor: the Servers view\'s rows in a real VS Code', function () {
  this.timeout(120_000);
  const { ws, root, jar } = testFolder('rows');
  let api: DevServerDoctorApi;
  before(async () => { api = await activateApi(); });

  const rowOf = (id: string): ServerTreeItem | undefined =>
    (api.serversProvider.getChildren() as vscode.TreeItem[]).filter(isServer).find((n) => n.server.id === id);

  it('a server started with --max-old-space-size=128: the row says "heap limit 128 MB · RSS …", the tooltip tells tree from node process', async () => {
    const dir = path.join(root, 'catalog');
    const port = await freePort();
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'catalog', scripts: { dev: `PORT=${port} node --max-old-space-size=128 server.js` } }),
      'server.js': HTTP_SERVER_JS,
    });
    jar.start('sh', ['-c', 'npm run dev'], { cwd: dir });
    const s = await waitFor('catalog up with its heap limit', async () =>
      (await api.refresh())?.servers.find((v) => v.cwd === dir && v.state === 'up' && v.ports.includes(port) && v.heapLimitSource === 'flag'), 30_000)
      .catch((err: Error) => {
        // What the monitor sees instead (another state, port or heap limit source), so a failure says why.
        const seen = (api.snapshot()?.servers ?? []).filter((v) => v.cwd === dir || v.ports.includes(port))
          .map((v) => ({ id: v.id, state: v.state, ports: v.ports, heap: v.heapLimitSource, pids: v.pids, commands: v.processes.map((p) => p.command) }));
        throw new Error(`${err.message} (port ${port}); the monitor sees: ${JSON.stringify(seen)}`);
      });
    assert.equal(s.heapLimitBytes, 128 * 1024 * 1024, 'the resolver reads the flag');
    const row = await waitFor('its row', () => rowOf(s.id));
    const description = String(row.description);
    console.log(`      row: ${String(row.label)} — ${description}`);
    assert.match(description, new RegExp(`^:${port} · heap limit 128 MB · RSS \\d+(\\.\\d)? MB · pid ${s.pid}$`));
    const tooltip = (api.serversProvider.resolveTreeItem(new vscode.TreeItem(''), row).tooltip as vscode.MarkdownString).value;
    assert.match(tooltip, /Heap limit: `128 MB \(--max-old-space-size\)`/);
    assert.match(tooltip, /RSS \(whole tree\): `\d+(\.\d)? MB in \d+ processes \(.*npm run dev.* \+ node\)`/);
    assert.match(tooltip, new RegExp(`RSS \\(node process\\): \`\\d+(\\.\\d)? MB \\(PID ${s.heapPid}, the one the heap limit belongs to\\)\``));
    assert.match(tooltip, /Heap used: `not measured while it runs/);
    assert.ok(!/Memory: /.test(tooltip), 'no unlabelled memory figure');
  });

  it('next start / vite preview are not counted while down; Start starts a down server in its named terminal; Kill Port Holder is pre-filled', async () => {
    const dir = path.join(root, 'shop');
    const port = await freePort();
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'shop', scripts: { dev: `PORT=${port} PORTFILE=.port node server.js`, start: 'next start', preview: 'vite preview', build: 'next build' } }),
      'server.js': HTTP_SERVER_JS,
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const down = await waitFor('shop · dev listed down', async () => (await api.refresh())?.servers.find((v) => v.cwd === dir && v.script === 'dev' && v.state === 'down'));
    const snap = api.snapshot()!;
    assert.deepEqual(snap.servers.filter((v) => v.cwd === dir).map((v) => v.script), ['dev'], 'next start and vite preview are not listed while down');
    assert.match(api.statusBarText(), /\d+\/\d+ up/);
    const declared = snap.servers.filter((v) => v.source !== 'process');
    assert.ok(api.statusBarText().includes(`/${declared.length} up`), `${api.statusBarText()} counts ${declared.length} declared servers`);

    // The down row's menus: Start inline, no Restart inline; Kill Port Holder in the menu.
    const row = await waitFor('the down row', () => rowOf(down.id));
    assert.equal(row.contextValue, 'server.down');
    const menus = menuFor(row.contextValue!);
    assert.ok(menus.inline.includes('devServerDoctor.startServer') && !menus.inline.includes('devServerDoctor.restartServer'), JSON.stringify(menus));
    assert.ok(menus.menu.includes('devServerDoctor.startServer') && menus.menu.includes('devServerDoctor.killPortHolder'), JSON.stringify(menus));

    const outcome = await answering({}, async (said) => {
      const r = await vscode.commands.executeCommand<{ ok: boolean; command: string } | undefined>('devServerDoctor.startServer', row);
      assert.ok(said.some((m) => new RegExp(`shop · dev is up on port ${port} after \\d+\\.\\d s`).test(m)), said.join('\n'));
      return r;
    });
    assert.deepEqual([outcome?.ok, outcome?.command], [true, 'npm run dev']);
    assert.ok(vscode.window.terminals.some((t) => t.name === 'shop · dev'), 'started in a terminal named after it');
    const up = await waitFor('shop · dev up', async () => (await api.refresh())?.servers.find((v) => v.id === down.id && v.state === 'up' && v.ports.includes(port)));

    // Kill Port Holder from the running row: the port is offered, nothing is killed when the box is dismissed.
    const upRow = await waitFor('the up row', () => { const r = rowOf(up.id); return r && r.server.state === 'up' ? r : undefined; });
    let offered: string | undefined;
    await answering({ showInputBox: (opts: vscode.InputBoxOptions) => { offered = opts.value; return Promise.resolve(undefined); } }, async () => {
      await vscode.commands.executeCommand('devServerDoctor.killPortHolder', upRow);
    });
    assert.equal(offered, String(port));
    assert.ok((await api.refresh())?.servers.find((v) => v.id === up.id && v.state === 'up'), 'dismissed: still up');
    for (const pid of up.pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    for (const t of vscode.window.terminals) if (t.name === 'shop · dev') t.dispose();
  });

  it('Kill Port Holder from a crashed server\'s row offers the port its last port-in-use crash named', async () => {
    const port = await freePort();
    const holder = jar.start(process.execPath, ['-e', `require('http').createServer().listen(${port}, '127.0.0.1')`], { cwd: ws });
    const dir = path.join(root, 'pfill');
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'pfill', scripts: { dev: 'node server.js' } }),
      'server.js': crashingAppSource(`require('http').createServer().listen(${port}, '127.0.0.1');`),
      'logs/.keep': '',
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    jar.start('sh', ['-c', 'npm run dev > logs/dev.log 2>&1'], { cwd: dir });
    const pid = await waitFor('the app to write its pid', () => fs.existsSync(path.join(dir, '.pid')) && Number(fs.readFileSync(path.join(dir, '.pid'), 'utf8')));
    await waitFor(`the monitor to see pid ${pid}`, async () => (await api.refresh())?.servers.some((s) => s.pids.includes(pid)));
    fs.writeFileSync(path.join(dir, 'go'), '');
    const v = await waitFor('a verdict for the app', () => api.verdicts().find((x) => x.pid === pid), 30_000);
    assert.deepEqual([v.cause, v.detail?.port], ['port-in-use', port], v.summary);
    await waitFor('the crash in the history', () => api.history.entries().find((e) => e.cause === 'port-in-use' && e.verdict.detail?.port === port));
    const s = await waitFor('pfill listed without its port', async () => (await api.refresh())?.servers.find((x) => x.cwd === dir && x.source === 'package.json' && x.ports.length === 0));
    assert.equal(s.expectedPort, null, 'no port of its own to offer instead');
    const row = await waitFor('its row', () => rowOf(s.id));
    let offered: string | undefined;
    await answering({ showInputBox: (opts: vscode.InputBoxOptions) => { offered = opts.value; return Promise.resolve(undefined); } }, async () => {
      await vscode.commands.executeCommand('devServerDoctor.killPortHolder', row);
    });
    assert.equal(offered, String(port));
    assert.ok(isAlive(holder.pid!), 'dismissed: the holder is untouched');
  });

  it('orphan rows offer only what applies to an orphan', () => {
    const orphan = menuFor('server.orphaned.port');
    for (const c of ['devServerDoctor.restartServer', 'devServerDoctor.startServer', 'devServerDoctor.startSupervised', 'devServerDoctor.raiseHeapLimit', 'devServerDoctor.loadTest']) {
      assert.ok(![...orphan.inline, ...orphan.menu].includes(c), `${c} is not offered on an orphan`);
    }
    for (const c of ['devServerDoctor.killProcessTree', 'devServerDoctor.killPortHolder', 'devServerDoctor.copyPid', 'devServerDoctor.openInBrowser']) {
      assert.ok(orphan.menu.includes(c), `${c} is offered on an orphan`);
    }
    assert.ok(orphan.inline.includes('devServerDoctor.killProcessTree'));
    const up = menuFor('server.up.port');
    assert.ok(up.inline.includes('devServerDoctor.restartServer') && !up.inline.includes('devServerDoctor.startServer'));
  });

  it('Free Disk Space: our reports are one entry that keeps the newest, and there is one confirmation', async () => {
    // Real reports, written by Investigate.
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      await vscode.commands.executeCommand('devServerDoctor.investigateCrash');
      made.push(...(api.lastReport()?.files ?? []).filter((f) => f.endsWith('.md')));
    }
    assert.equal(new Set(made).size, 3, made.join('\n'));
    const now = Date.now();
    const sibling = (md: string) => md.replace(/\.md$/, '.json');
    made.forEach((f, i) => { const t = new Date(now - (3 - i) * 60_000); fs.utimesSync(f, t, t); fs.utimesSync(sibling(f), t, t); });
    const reportDir = path.dirname(made[0]!);
    // Crash reports only (a load test's dev-server-doctor-load-… files, written by the health suite, are not among them).
    const ours = fs.readdirSync(reportDir).filter((f) => /^dev-server-doctor-\d{8}-\d{6}(?:-\d+)?\.(md|json)$/.test(f)).map((f) => path.join(reportDir, f));
    const stems = new Set(ours.map((f) => f.replace(/\.(md|json)$/, '')));
    // Reports other suites wrote a moment ago are older than these three (so "the newest" is this test's last).
    const past = new Date(now - 10 * 60_000);
    for (const f of ours) if (!made.includes(f) && !made.includes(f.replace(/\.json$/, '.md'))) fs.utimesSync(f, past, past);
    const newest = made[2]!;
    let entries: any[] = []; // eslint-disable-line @typescript-eslint/no-explicit-any
    const asked = await answering({
      showQuickPick: async (items: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        entries = await items;
        return entries.filter((e) => e.choice.kept !== null);
      },
      showWarningMessage: (m: string) => (/to the trash\?$/.test(m) ? 'Move to Trash' : /permanently\? There is no trash here/.test(m) ? 'Delete Permanently' : undefined),
    }, async (said) => {
      await vscode.commands.executeCommand('devServerDoctor.freeDisk');
      return said;
    });
    const group = entries.filter((e) => e.choice.items.some((i: { kind: string }) => i.kind === 'report'));
    assert.equal(group.length, 1, `reports in one entry: ${entries.map((e) => e.label).join(' | ')}`);
    assert.match(group[0].label, new RegExp(`${stems.size} crash reports, keep the newest$`));
    assert.equal(group[0].choice.kept.path, newest);
    assert.equal(group[0].picked, false, 'fresh reports are not ticked');
    const confirmations = asked.filter((m) => /to the trash\?$|permanently\?/.test(m));
    assert.equal(confirmations.length, 1, `asked once: ${asked.join(' | ')}`);
    console.log(`      asked: ${confirmations[0]}`);
    assert.ok(fs.existsSync(newest) && fs.existsSync(sibling(newest)), 'the newest report (.md and .json) is kept');
    for (const f of ours.filter((x) => x !== newest && x !== sibling(newest))) assert.ok(!fs.existsSync(f), `${f} deleted`);
  });
});
