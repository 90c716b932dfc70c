// Safety in a real VS Code (issue 9): secrets planted in real servers' argv, environment, crash output and logs never
// reach the extension's log, its notifications, the tree's labels, descriptions and tooltips, or the saved report;
// and Free Disk Space's trash: what VS Code here really does with `useTrash`, deleting for good only after a second
// confirmation and only when there is no trash, and a deletion that really fails reported with its reason.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isNoTrashError } from '../../../src/vscode/trash';
import type { DevServerDoctorApi } from '../../../src/extension';
import { isAlive, waitFor, writeFiles } from '../../live/liveHelpers';
import { LOG_FORMS, PLANTED_ARGV, PLANTED_ENV, SECRETS } from '../../live/secretsCorpusData';
import { activateApi, answering, pick, testFolder, type Shown } from './helpers';

/** Every tree item's label, description and tooltip, depth first. */
function treeTexts(provider: { getChildren(node?: any): any[]; getTreeItem(node: any): vscode.TreeItem; resolveTreeItem?(item: vscode.TreeItem, node: any): vscode.TreeItem }): string[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out: string[] = [];
  const walk = (node: unknown, depth: number): void => {
    if (depth > 6) return;
    for (const child of provider.getChildren(node)) {
      // The tooltip VS Code asks for when the pointer rests on the row.
      const item = provider.resolveTreeItem?.(provider.getTreeItem(child), child) ?? provider.getTreeItem(child);
      const label = typeof item.label === 'object' ? item.label?.label : item.label;
      const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip.value : item.tooltip;
      out.push([label, item.description, tooltip].filter((t) => typeof t === 'string').join('\n'));
      walk(child, depth + 1);
    }
  };
  walk(undefined, 0);
  return out;
}

const PLANTED = Object.entries(SECRETS).filter(([form]) => form !== 'watchPassword');

/** A server that prints its planted environment, then on `go` prints every log form and throws one of them. */
const leakyServer = (throwForm: number): string => `
const http = require('http');
const fs = require('fs');
const srv = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
  console.log('api listening on', srv.address().port, 'with key', process.env.API_KEY, 'and db password', process.env.DB_PASSWORD);
  fs.writeFileSync(__dirname + '/.pid', String(process.pid));
});
setInterval(() => {
  if (!fs.existsSync(__dirname + '/go')) return;
  ${LOG_FORMS.map((f) => `console.log(${f});`).join('\n  ')}
  throw new Error('leak${throwForm}: ' + (${LOG_FORMS[throwForm]}));
}, 100);
`;

describe('Dev Server Doctor: safety in a real VS Code', function () {
  this.timeout(240_000);
  const { ws, root, jar } = testFolder('safety', { settings: { 'notifications.maxPerMinute': 60 } });
  let api: DevServerDoctorApi;
  before(async () => { api = await activateApi(); });

  describe('secrets', () => {
    const outputs = new Map<string, string>();

    it('crashes two servers carrying every planted form and collects the log, notifications, tree and saved report', async () => {
      // The extension host never had these variables: only the servers' environments (read by the poll worker) do.
      for (const name of Object.keys(PLANTED_ENV)) assert.equal(process.env[name], undefined, `${name} is not in the extension host's environment`);
      const argv = PLANTED_ARGV.slice(0, PLANTED_ARGV.indexOf('--title')).map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      // Every notification recorded, crash toasts (errors) too, none answered.
      await answering({ showErrorMessage: () => undefined }, async (said) => {
        // One server per form, each crashing on it: each form is then the first line of a crash, shown whole.
        for (let form = 0; form < LOG_FORMS.length; form++) {
          const dir = path.join(root, `leaky${form}`);
          writeFiles(dir, {
            'package.json': JSON.stringify({ name: `crash-leaky${form}`, private: true, scripts: { dev: `node server.js ${argv}` } }),
            'server.js': leakyServer(form),
            'logs/.keep': '',
          });
          await vscode.commands.executeCommand('devServerDoctor.refresh');
          jar.start('sh', ['-c', 'npm run dev > logs/dev.log 2>&1'], { cwd: dir, env: { ...process.env, ...PLANTED_ENV } });
          const pid = await waitFor('the server to write its pid', () => fs.existsSync(path.join(dir, '.pid')) && Number(fs.readFileSync(path.join(dir, '.pid'), 'utf8')));
          const server = await waitFor(`the monitor to see pid ${pid} up`, async () => (await api.refresh())?.servers.find((s) => s.pids.includes(pid) && s.state === 'up'), 30_000);
          outputs.set(`servers tree, leaky${form} up`, treeTexts(api.serversProvider as never).join('\n'));
          if (form === 0) assert.match(outputs.get(`servers tree, leaky${form} up`)!, /server\.js --password «redacted»/, `the planted argv reached the tree (redacted); ${server.command}`);
          fs.writeFileSync(path.join(dir, 'go'), '');
          await waitFor('the server to die', () => !isAlive(pid), 30_000);
          const v = await waitFor(`a verdict for pid ${pid}`, () => api.verdicts().find((x) => x.pid === pid), 30_000);
          assert.match(v.summary, new RegExp(`leak${form}: `), `the exception message is in the verdict: ${v.summary}`);
          await waitFor('its notification', () => said.some((m) => m.includes(`leak${form}: `)), 10_000);
        }
        outputs.set('notifications shown', said.join('\n'));
      });
      outputs.set('notifications (api)', api.notifications().join('\n'));
      outputs.set('servers tree after the crashes', treeTexts(api.serversProvider as never).join('\n'));
      outputs.set('crashes tree', treeTexts(api.crashesProvider as never).join('\n'));

      await vscode.commands.executeCommand('devServerDoctor.investigateCrash');
      const report = api.lastReport();
      assert.ok(report, 'a report was shown');
      outputs.set('report (shown)', report.markdown);
      for (const f of report.files) outputs.set(`report file ${path.basename(f)}`, fs.readFileSync(f, 'utf8'));

      // The Output channel's log file: its verdict lines are there (redacted), so the search below can fail.
      const logDir = api.logFolder();
      const logText = () => fs.readdirSync(logDir).filter((f) => f.endsWith('.log')).map((f) => fs.readFileSync(path.join(logDir, f), 'utf8')).join('\n');
      await waitFor(`the log in ${logDir} to have every crash`, () => LOG_FORMS.every((_, i) => logText().includes(`leak${i}: `)) && /investigation: /.test(logText()), 15_000);
      outputs.set('extension log', logText());

      const dump = path.join(ws, '..', `${path.basename(ws)}-safety-outputs`);
      fs.mkdirSync(dump, { recursive: true });
      for (const [name, text] of outputs) fs.writeFileSync(path.join(dump, `${name.replace(/[^\w.-]+/g, '_')}.txt`), text);
      console.log(`      outputs kept in ${dump}`);

      // The planted material really reached each output, redacted.
      assert.match(outputs.get('notifications shown')!, /leak0: config loaded: «redacted» and «redacted»/);
      assert.match(outputs.get('notifications shown')!, /leak8: cannot connect to postgres:\/\/app:«redacted»@/);
      for (let i = 0; i < LOG_FORMS.length; i++) {
        for (const name of ['notifications shown', 'extension log', 'crashes tree', 'report (shown)']) {
          assert.match(outputs.get(name)!, new RegExp(`leak${i}: [^\n]*«redacted»`), `form ${i} reached the ${name}, redacted`);
        }
      }
      assert.match(outputs.get('extension log')!, /leak0: config loaded: «redacted» and «redacted»/);
      assert.match(outputs.get('servers tree, leaky0 up')!, /--password «redacted»/);
      assert.match(outputs.get('crashes tree')!, /leak8: /);
      assert.match(outputs.get('report (shown)')!, /«redacted»/);
      assert.ok(report.files.some((f) => f.endsWith('.md')) && report.files.some((f) => f.endsWith('.json')));
    });

    for (const [form, value] of PLANTED) {
      it(`never shows ${form}`, () => {
        assert.ok(outputs.size > 0, 'outputs were collected');
        const leaks = [...outputs].filter(([, text]) => text.includes(value)).map(([name]) => name);
        assert.deepEqual(leaks, [], `${value} appears in: ${leaks.join(', ')}`);
      });
    }
  });

  describe('trash', () => {
    const dir = path.join(root, 'trash');
    const big = (name: string) => ({ [`logs/${name}`]: 'log line\n'.repeat(700_000) }); // 6 MB: above largeLogMb = 5
    let hasTrash = false;

    before(async () => {
      await vscode.workspace.getConfiguration('devServerDoctor').update('freeDisk.largeLogMb', 5, vscode.ConfigurationTarget.Workspace);
    });
    after(async () => {
      spawnSync('chattr', ['-i', path.join(dir, 'logs', 'stuck.log')]);
      await vscode.workspace.getConfiguration('devServerDoctor').update('freeDisk.largeLogMb', undefined, vscode.ConfigurationTarget.Workspace);
    });

    /** Runs Free Disk Space on this folder's items; `answer` answers the modals. */
    async function freeDisk(answer: (message: string) => string | undefined): Promise<Shown[]> {
      return answering({ showErrorMessage: answer, showWarningMessage: answer, showInformationMessage: answer, showQuickPick: pick((i) => i.item.path.startsWith(dir)) }, async (_said, shown) => {
        await vscode.commands.executeCommand('devServerDoctor.freeDisk');
        return shown;
      });
    }

    it('what VS Code does here with useTrash: a platform without a trash refuses in words isNoTrashError knows, and deletes nothing', async () => {
      writeFiles(dir, { 'probe.txt': 'x' });
      const probe = path.join(dir, 'probe.txt');
      try {
        await vscode.workspace.fs.delete(vscode.Uri.file(probe), { useTrash: true });
        hasTrash = true;
        console.log(`      this VS Code (${vscode.env.appHost}, remote ${vscode.env.remoteName ?? 'none'}) has a trash: the file went there`);
        assert.ok(!fs.existsSync(probe));
      } catch (err) {
        console.log(`      useTrash here: ${err instanceof Error ? err.message : String(err)}`);
        assert.ok(isNoTrashError(err), `not recognised as "no trash": ${String(err)}`);
        assert.ok(fs.existsSync(probe), 'nothing was deleted');
      }
    });

    it('Free Disk Space without a trash: after the pick, one modal question that says the deletion is permanent; declined, nothing is deleted', async function () {
      if (hasTrash) {
        console.log('      skipped: this VS Code has a trash, so deleting for good is never offered');
        this.skip();
      }
      writeFiles(dir, { 'package.json': '{"name":"trash-test"}', ...big('keep.log') });
      const said = await freeDisk(() => undefined);
      const questions = said.filter((m) => m.modal);
      assert.equal(questions.length, 1, said.map((m) => m.message).join('\n'));
      assert.match(questions[0]!.message, /^Delete 1 item .* permanently\? There is no trash here, so this cannot be undone\.$/);
      assert.ok(!said.some((m) => /to the trash\?/.test(m.message)), 'the trash is not offered where there is none');
      assert.ok(fs.existsSync(path.join(dir, 'logs', 'keep.log')), 'declined: nothing deleted');
      assert.ok(!said.some((m) => /freeing [1-9]|freed \d/.test(m.message)), 'no space is claimed');
    });

    it('a deletion that really fails (an immutable file) is reported with its real reason', async function () {
      if (hasTrash) {
        console.log('      skipped: this VS Code has a trash (its failures are covered by the unit tests on VS Code\'s messages)');
        this.skip();
      }
      writeFiles(dir, big('stuck.log'));
      const stuck = path.join(dir, 'logs', 'stuck.log');
      if (spawnSync('chattr', ['+i', stuck]).status !== 0) {
        console.log('      skipped: chattr +i is not possible here (needs root and a file system with attributes)');
        this.skip();
      }
      try {
        const said = await freeDisk((m) => (/permanently\? There is no trash here/.test(m) ? 'Delete Permanently' : /to the trash\?$/.test(m) ? 'Move to Trash' : undefined));
        const result = said.at(-1)!;
        assert.ok(fs.existsSync(stuck), 'the immutable file is still there');
        assert.ok(!fs.existsSync(path.join(dir, 'logs', 'keep.log')), 'the other log was deleted');
        assert.match(result.message, new RegExp(`Not deleted: ${stuck.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*(EPERM|operation not permitted)`, 'i'));
        console.log(`      ${result.message}`);
      } finally {
        spawnSync('chattr', ['-i', stuck]);
      }
    });
  });
});
