// One incident, one story, inside a real VS Code: stops the extension makes on purpose (Restart Server, Start
// Supervised's stop, the supervised stop) are never crashes — no verdict, no Crashes entry, no badge, no toast —
// while the same server killed by someone else (a real `kill -TERM`) still is.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import type { ServerTreeItem } from '../../../src/vscode/tree/serverItems';
import { freePort, HTTP_SERVER_JS, isAlive, waitFor, writeFiles } from '../../live/liveHelpers';
import { activateApi, answering, testFolder } from './helpers';

describe('Dev Server Doctor: incidents (stops on purpose, one toast per incident)', function () {
  this.timeout(240_000);
  // Servers the extension started (Restart, the supervisor) run in terminals the jar does not know: testFolder's
  // cleanup stops every process still working in this test's folders, by pid.
  const { root, jar } = testFolder('incidents', { resets: ['pollIntervalSeconds', 'notifications.maxPerMinute'] });
  let api: DevServerDoctorApi;
  before(async () => { api = await activateApi(); });
  after(() => { for (const t of vscode.window.terminals) if (/^(stops-test|leak-test)/.test(t.name)) t.dispose(); });

  /** Crash entries, verdicts and crash toasts about servers of this folder. */
  const crashesOf = (dir: string) => ({
    verdicts: api.verdicts().filter((v) => v.detail?.cwd === dir || (v.server ?? '').startsWith('stops-test')),
    entries: api.history.entries({ includeResolved: true }).filter((e) => (e.verdict.server ?? '').startsWith('stops-test')),
    toasts: api.notifications().filter((m) => m.startsWith('stops-test')),
    warnings: api.warningsShown().filter((w) => (w.server ?? '').startsWith('stops-test')),
  });
  const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('Restart Server, Start Supervised (stopping the running copy), Stop Supervised and Ctrl-C give no crash; an external kill -TERM does', async () => {
    const dir = path.join(root, 'stops');
    const port = await freePort();
    writeFiles(dir, { 'package.json': JSON.stringify({ name: 'stops-test', scripts: { dev: `PORT=${port} node server.js` } }), 'server.js': HTTP_SERVER_JS });
    jar.start('sh', ['-c', 'npm run dev'], { cwd: dir });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const up = () => waitFor('stops-test up', async () => (await api.refresh())?.servers.find((s) => s.cwd === dir && s.state === 'up' && s.ports.includes(port)), 60_000);
    const first = await up();
    const badgeBefore = api.history.counts().day.unresolved;
    // The terminal Restart Server reuses (it runs the server in the terminal named after it): bash, with shell
    // integration, so the editor sees the command's output and exit code as a user's terminal would give them.
    const term = vscode.window.createTerminal({ name: first.name, cwd: dir, shellPath: '/bin/bash' });
    await waitFor('shell integration', () => term.shellIntegration, 30_000);

    // 1. Restart Server: stops the tree (SIGTERM), starts it again in a terminal.
    await answering((m) => (m.startsWith('Restart ') ? 'Restart' : undefined), () => vscode.commands.executeCommand('devServerDoctor.restartServer', { serverId: first.id }));
    assert.ok(api.lastRestart()?.ok, 'the restart reached healthy');
    await waitFor('the watcher to note the restart as a stop on purpose', () => api.expectedEnds().some((e) => e.serverId === first.id && e.reason === 'restart'), 20_000);
    const second = await up();
    assert.notEqual(second.pid, first.pid);

    // 2. Start Supervised on the running copy: "Stop and Supervise" stops it, the supervisor starts it.
    await answering((m) => (/already running .* Stop it and start it supervised\?/.test(m) ? 'Stop and Supervise' : undefined),
      () => vscode.commands.executeCommand('devServerDoctor.startSupervised', { serverId: second.id }));
    await waitFor('the supervised run', () => api.supervisedState(second.id)?.status === 'running', 30_000);
    const third = await up();
    assert.notEqual(third.pid, second.pid);

    // 3. Stop Supervised: the supervisor's own stop.
    await vscode.commands.executeCommand('devServerDoctor.stopSupervised', { serverId: third.id });
    await waitFor('stops-test down', async () => (await api.refresh())?.servers.find((s) => s.cwd === dir && s.state === 'down'), 30_000);
    // Long enough for a poll verdict, a terminal's exit code and the down detector's grace period.
    await settle(8000);
    await api.refresh();
    const quiet = crashesOf(dir);
    console.log(`      ends on purpose: ${JSON.stringify(api.expectedEnds().filter((e) => e.server.startsWith('stops-test')).map((e) => `${e.reason} by ${e.by}`))}`);
    assert.deepEqual(quiet.verdicts.map((v) => v.summary), [], 'no verdict for a stop on purpose');
    assert.deepEqual(quiet.entries.map((e) => e.verdict.summary), [], 'no Crashes entry');
    assert.deepEqual(quiet.toasts, [], 'no crash toast');
    assert.deepEqual(quiet.warnings.map((w) => w.message), [], 'no "is down" warning');
    assert.equal(api.history.counts().day.unresolved, badgeBefore, 'the Crashes badge did not move');
    assert.ok(!api.warnings().some((w) => w.subject === first.id), 'no active warning keeps the status bar coloured');

    // 4. The same server, started again in its terminal (Restart Server on the down server, as a user would), killed
    // by someone else: a real kill -TERM from outside is a crash, with its toast and its entry.
    await answering((m) => (m.startsWith('Restart ') ? 'Restart' : undefined), () => vscode.commands.executeCommand('devServerDoctor.restartServer', { serverId: first.id }));
    const fourth = await up();
    // The app itself (not `sh -c PORT=… node server.js`, whose command line also names it).
    const node = fourth.processes.find((p) => /^(\S*\/)?node server\.js/.test(p.command))!;
    await settle(2500); // a couple of polls with it up
    const r = spawnSync('kill', ['-TERM', String(node.pid)]);
    assert.equal(r.status, 0, String(r.stderr));
    await waitFor('the app to die', () => !isAlive(node.pid), 10_000);
    const v = await waitFor('a verdict for the external kill', () => api.verdicts().find((x) => x.pid === node.pid || (x.detail?.cwd === dir && (x.time ?? 0) > Date.now() - 60_000)), 30_000)
      .catch((e: Error) => { throw new Error(`${e.message}; verdicts: ${JSON.stringify(api.verdicts().slice(-3).map((x) => x.summary))}; ends on purpose: ${JSON.stringify(api.expectedEnds().slice(-5))}`); });
    console.log(`      external kill: ${v.cause}: ${v.summary}`);
    assert.equal(v.cause, 'killed');
    await waitFor('its Crashes entry', () => crashesOf(dir).entries.length === 1, 10_000);
    assert.ok(api.notifications().includes(v.summary), 'the crash was notified');
    assert.equal(api.history.counts().day.unresolved, badgeBefore + 1, 'the badge counts it');

    // 5. Ctrl-C in its terminal: the user's own stop, no crash and no "is down".
    await answering((m) => (m.startsWith('Restart ') ? 'Restart' : undefined), () => vscode.commands.executeCommand('devServerDoctor.restartServer', { serverId: first.id }));
    await up();
    const verdictsBefore = api.verdicts().length;
    term.sendText('\x03', false);
    await waitFor('stops-test down after Ctrl-C', async () => (await api.refresh())?.servers.find((s) => s.cwd === dir && s.state === 'down'), 30_000);
    await settle(8000);
    await api.refresh();
    assert.deepEqual(api.verdicts().slice(verdictsBefore).map((x) => x.summary), [], 'Ctrl-C is no crash');
    assert.ok(!api.warnings().some((w) => w.kind === 'down' && w.subject === first.id), 'nor an outage');
  });

  it('a code bug: "Open server.js:3" is the first remedy (toast, entry\'s report) and opens the line; the same crash again is one entry counted twice', async () => {
    const dir = path.join(root, 'codebug');
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'codebug-test', scripts: { dev: 'node server.js' } }),
      // Up first, then an uncaught TypeError on line 3, as a handler reading a field of undefined.
      'server.js': `require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');\nconst user = undefined;\nsetTimeout(function handler() { console.log(user.name); }, 1500);\n`,
      'logs/.keep': '',
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const shownBefore = Math.max(0, ...api.notificationsShown().map((n) => n.id));
    const verdictsBefore = api.verdicts().length;
    const crashOnce = async (n: number) => {
      // Each run logs to its own file, as a run started anew by hand would: a new log, a new crash.
      jar.start('sh', ['-c', `npm run dev > logs/dev-${n}.log 2>&1`], { cwd: dir });
      return waitFor(`crash ${n} of codebug-test`, () => api.verdicts().slice(verdictsBefore).filter((x) => x.detail?.cwd === dir || (x.server ?? '').startsWith('codebug-test'))[n - 1], 60_000);
    };
    const v = await crashOnce(1);
    assert.equal(v.cause, 'uncaught-exception', v.summary);
    assert.deepEqual([v.remedies[0]?.id, v.remedies[0]?.title], ['open-file', 'Open server.js:3'], JSON.stringify(v.remedies.map((r) => r.title)));
    const toast = await waitFor('the crash toast', () => api.notificationsShown().find((n) => n.id > shownBefore && n.kind === 'crash' && n.message.includes('codebug-test')));
    console.log(`      toast: ${toast.message} [${toast.buttons.join(' | ')}]`);
    assert.ok(toast.buttons.includes('Open server.js:3'), toast.buttons.join(', '));
    // The remedy opens the file at the failing line.
    await vscode.commands.executeCommand('devServerDoctor.openFile', v.remedies[0]!.args);
    const editor = await waitFor('server.js open', () => vscode.window.activeTextEditor?.document.uri.fsPath === path.join(dir, 'server.js') && vscode.window.activeTextEditor);
    assert.equal(editor.selection.active.line, 2, 'line 3 (0-based 2)');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // The same bug again, once the first run is seen down: one entry, counted twice, not a second identical entry.
    await waitFor('the first run seen down', async () => (await api.refresh())?.servers.find((s) => s.cwd === dir && (s.state === 'down' || s.state === 'crashed')), 20_000);
    // Past the watcher's 30 s episode (deaths of one tree that close together are one crash), so that the second run's
    // crash is judged on its own whichever way it is seen first (log, poll).
    await settle(Math.max(0, (v.detail?.detectedAt ?? v.time) + 31_000 - Date.now()));
    await crashOnce(2);
    const entries = await waitFor('one entry counted twice', () => {
      const mine = api.history.entries().filter((e) => (e.verdict.server ?? '').startsWith('codebug-test'));
      return mine.length === 1 && mine[0]!.count === 2 ? mine : undefined;
    }, 10_000).catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(api.history.entries().filter((x) => (x.verdict.server ?? '').startsWith('codebug-test')).map((x) => [x.id, x.count]))}`); });
    // A click on the entry (its tree item's command) opens that crash's own report, the file first among remedies.
    const items = api.crashesProvider.getChildren().map((n) => api.crashesProvider.getTreeItem(n));
    const item = items.find((i) => String(i.label).startsWith('codebug-test'));
    assert.ok(item?.command, `a crash entry with a command: ${JSON.stringify(items.map((i) => i.label))}`);
    assert.match(String(item.description ?? ''), /2×/, 'the row shows the count');
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    const shown = api.shownReport();
    assert.ok(shown && shown.title.startsWith('Crash: codebug-test'), shown?.title);
    const remedies = shown.markdown.slice(shown.markdown.indexOf('Remedies'));
    assert.match(remedies, /^Remedies:?\s*\n+1\. \[Open server\.js:3\]/, remedies.slice(0, 200));
    assert.equal(entries[0]!.id, (item.command.arguments ?? [])[0]);
  });

  it('one crash, one toast: the OOM-risk warning it predicted is withdrawn, no "is down" toast follows, at most two buttons plus More… each', async () => {
    const cfg = vscode.workspace.getConfiguration('devServerDoctor');
    await cfg.update('pollIntervalSeconds', 0.5, vscode.ConfigurationTarget.Workspace);
    await cfg.update('notifications.maxPerMinute', 60, vscode.ConfigurationTarget.Workspace);
    const dir = path.join(root, 'leak');
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'leak-test', scripts: { dev: 'node --max-old-space-size=256 server.js' } }),
      // ~3 MB/s of live arrays (not repeated strings, which V8 shares): the limit is over a minute away, and the
      // trend needs 30 s of growth before it warns.
      'server.js': `${HTTP_SERVER_JS}; const keep = []; setInterval(() => keep.push(new Array(100000).fill(keep.length)), 250);`,
      'logs/.keep': '',
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    const shownBefore = Math.max(0, ...api.notificationsShown().map((n) => n.id)); // the record is bounded: by id, not index
    jar.start('sh', ['-c', 'npm run dev > logs/dev.log 2>&1'], { cwd: dir });
    const server = await waitFor('leak-test up', async () => (await api.refresh())?.servers.find((s) => s.cwd === dir && s.state === 'up'), 30_000);
    const mine = () => api.notificationsShown().filter((n) => n.id > shownBefore).filter((n) => n.subject === server.id || n.message.includes('leak-test'));
    const warning = await waitFor('the OOM-risk notification', () => mine().find((n) => n.kind === 'oom-risk'), 90_000);
    console.log(`      warning: ${warning.message} [${warning.buttons.join(' | ')}]`);
    assert.equal(warning.closedAt, null, 'still up before the crash');
    const v = await waitFor('the heap crash', () => api.verdicts().find((x) => x.detail?.serverId === server.id || x.detail?.cwd === dir), 120_000)
      .catch((e: Error) => { throw new Error(`${e.message}; verdicts: ${JSON.stringify(api.verdicts().slice(-3).map((x) => x.summary))}; ends on purpose: ${JSON.stringify(api.expectedEnds().slice(-5))}`); });
    console.log(`      crash: ${v.cause}: ${v.summary}`);
    await waitFor('the warning withdrawn', () => warning.closedAt !== null, 10_000);
    assert.match(warning.closedWhy ?? '', /^superseded by the crash/);
    // The down detector's grace period and any poll-late evidence: 30 s after the crash, still one toast.
    await settle(30_000);
    const after = mine().filter((n) => n.shownAt >= (v.detail?.detectedAt ?? 0) - 1000);
    console.log(`      after the crash: ${JSON.stringify(after.map((n) => `${n.kind}: ${n.message.slice(0, 60)} [${n.buttons.join(' | ')}]`))}`);
    assert.deepEqual(after.map((n) => n.kind), ['crash'], 'one incident, one toast');
    for (const n of api.notificationsShown()) assert.ok(n.buttons.length <= 3, `${n.kind} has ${n.buttons.length} buttons: ${n.buttons.join(', ')}`);
    const kinds = [...new Set(api.notificationsShown().map((n) => `${n.kind}:${n.buttons.length}`))];
    console.log(`      notification kinds seen (kind:buttons): ${kinds.join(', ')}`);
    assert.ok(after[0]!.buttons.length >= 2 && after[0]!.buttons.length <= 3, after[0]!.buttons.join(', '));
  });
  it('Mark Resolved on the crashed server\'s own row (what its context menu passes): the row stops saying it crashed, the entry is resolved, no "is down" follows', async () => {
    const dir = path.join(root, 'leak');
    const rowOf = () => (api.serversProvider.getChildren() as vscode.TreeItem[])
      .find((n): n is ServerTreeItem => /^server\./.test(n.contextValue ?? '') && (n as ServerTreeItem).server.cwd === dir);
    const row = await waitFor('the leak-test row saying it crashed', async () => { await api.refresh(); const r = rowOf(); return r && /crashed/.test(String(r.description)) && r; }, 60_000)
      .catch((e: Error) => { throw new Error(`${e.message}; row: ${JSON.stringify(rowOf()?.description)} ${rowOf()?.contextValue}`); });
    assert.match(row.contextValue ?? '', /\.alert/, 'its context menu offers Mark Resolved');
    const shownBefore = Math.max(0, ...api.notificationsShown().map((n) => n.id)); // the record is bounded: by id, not index
    await vscode.commands.executeCommand('devServerDoctor.markResolved', row);
    const after = await waitFor('the row no longer warning', async () => { await api.refresh(); const r = rowOf(); return r && !/crashed|stopped unexpectedly/.test(String(r.description)) && r; }, 20_000)
      .catch((e: Error) => { throw new Error(`${e.message}; row: ${JSON.stringify(rowOf()?.description)}; warnings: ${JSON.stringify(api.warnings().map((w) => [w.kind, w.subject]))}`); });
    console.log(`      after Mark Resolved: ${String(after.label)} — ${String(after.description)} (${after.contextValue})`);
    assert.ok(!/\.alert/.test(after.contextValue ?? ''), after.contextValue);
    const open = api.history.entries({ includeResolved: false }).filter((e) => e.verdict.detail?.cwd === dir || (e.verdict.server ?? '').startsWith('leak-test'));
    assert.deepEqual(open.map((e) => e.verdict.summary), [], 'its crash entry is resolved');
    await settle(8000);
    await api.refresh();
    const rowNow = rowOf();
    assert.ok(rowNow && !/crashed|stopped unexpectedly/.test(String(rowNow.description)), `still resolved: ${String(rowNow?.description)}`);
    assert.deepEqual(api.notificationsShown().filter((n) => n.id > shownBefore).filter((n) => n.message.includes('leak-test')).map((n) => n.message), [], 'no toast about it after Mark Resolved');
  });
});
