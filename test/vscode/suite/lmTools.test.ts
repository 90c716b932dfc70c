// The language-model tools agent mode calls: registered, described, and answering with the verdict text
// of a real crash in the fixture workspace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import { crashingAppSource, isAlive, waitFor, writeFiles } from '../../live/liveHelpers';
import { activateApi, testFolder } from './helpers';

interface LmToolInfo { name: string; description: string; inputSchema?: object }
interface LmApi {
  tools: readonly LmToolInfo[];
  invokeTool(name: string, options: { input: object; toolInvocationToken: undefined }): Thenable<{ content: { value?: string }[] }>;
}

describe('Dev Server Doctor: language-model tools for agent mode', function () {
  this.timeout(90_000);
  const { root: dir, jar } = testFolder('lm-tools');
  let api: DevServerDoctorApi;
  const lm = (vscode as unknown as { lm: LmApi }).lm;
  before(async () => { api = await activateApi(); });

  it('registers devServerDoctor_status, _investigate and _applyRemedy with descriptions that say when to use them', () => {
    const ours = lm.tools.filter((t) => t.name.startsWith('devServerDoctor_'));
    assert.deepEqual(ours.map((t) => t.name).sort(), ['devServerDoctor_applyRemedy', 'devServerDoctor_investigate', 'devServerDoctor_status']);
    assert.match(ours.find((t) => t.name === 'devServerDoctor_investigate')!.description, /stopped responding or exited/);
  });

  it('status and investigate answer with the servers and the verdict of a real crash', async () => {
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'lm-api', private: true, scripts: { dev: 'node server.js' } }),
      'server.js': crashingAppSource("throw new TypeError(\"Cannot read properties of undefined (reading 'total')\");"),
      'logs/.keep': '',
    });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
    jar.start('sh', ['-c', 'node server.js > logs/dev.log 2>&1'], { cwd: dir });
    const pid = await waitFor('the app pid', () => fs.existsSync(path.join(dir, '.pid')) && Number(fs.readFileSync(path.join(dir, '.pid'), 'utf8')));
    await waitFor('the monitor to see it', () => api.snapshot()?.servers.some((s) => s.pids.includes(pid)));

    const status = await lm.invokeTool('devServerDoctor_status', { input: {}, toolInvocationToken: undefined });
    const statusText = status.content.map((p) => p.value ?? '').join('');
    assert.match(statusText, /- lm-api( · dev)?: (up|starting), pid \d+/);

    fs.writeFileSync(path.join(dir, 'go'), '');
    await waitFor('the crash', () => !isAlive(pid), 20_000);
    const v = await waitFor('the verdict', () => api.verdicts().find((x) => x.pid === pid), 20_000);
    const result = await lm.invokeTool('devServerDoctor_investigate', { input: {}, toolInvocationToken: undefined });
    const text = result.content.map((p) => p.value ?? '').join('');
    assert.ok(text.includes(v.summary), text.slice(0, 2000));
    assert.match(text, /"cause": "uncaught-exception"/);
    assert.doesNotMatch(text, /command:devServerDoctor/);
  });
});
