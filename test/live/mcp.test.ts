// The MCP server as an agent meets it: the SDK's own client spawns `dev-server-doctor mcp` (the bundled CLI)
// on a live workspace with real processes and a real crash.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { freePort, HTTP_SERVER_JS, isAlive, ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';

const CLI = path.join(REPO, 'dist', 'cli.js');

type ToolResult = { content: { type: string; text: string }[]; isError?: boolean; structuredContent?: Record<string, unknown> };

function json<T>(r: ToolResult): T {
  assert.ok(!r.isError, r.content[0]?.text);
  return JSON.parse(r.content[0].text) as T;
}

describe('live: MCP server for coding agents', function () {
  this.timeout(120_000);
  const jar = new ProcessJar();
  let ws: string;
  let client: Client;
  let port = 0;

  before(async function () {
    if (!fs.existsSync(CLI)) this.skip();
    ws = fs.realpathSync(jar.tempDir('dsd-mcp-'));
    port = await freePort();
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'shop', scripts: { dev: 'node server.js' } }),
      // Crashes on its first request with a TypeError in our own code, logged where investigate looks.
      'server.js': `const http = require('http');
http.createServer((q, s) => { const user = null; s.end(user.name); }).listen(${port}, '127.0.0.1');`,
    });
    fs.mkdirSync(path.join(ws, 'logs'));
    client = new Client({ name: 'dsd-test-agent', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp', '--workspace', ws], stderr: 'pipe' }));
  });

  after(async () => {
    await client?.close();
    await jar.cleanup();
  });

  it('lists its five tools, each with a description that says when to use it', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['apply_remedy', 'investigate', 'list_remedies', 'status', 'watch_for_crash']);
    for (const t of tools) assert.ok((t.description ?? '').length > 40, t.name);
    assert.deepEqual(tools.find((t) => t.name === 'apply_remedy')?.annotations?.destructiveHint, true);
  });

  it('status, watch_for_crash catching a crash it did not cause, then investigate naming it', async () => {
    const status = json<{ servers: { name: string; state: string }[] }>(await client.callTool({ name: 'status', arguments: {} }) as ToolResult);
    assert.deepEqual(status.servers.map((s) => [s.name, s.state]), [['shop', 'down']]);

    const waiting = client.callTool({ name: 'watch_for_crash', arguments: { server: 'shop', timeoutSeconds: 40 } }, undefined, { timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 1500));
    // Started by someone else (the user's terminal), output to a log the doctor reads.
    const log = fs.openSync(path.join(ws, 'logs', 'dev.log'), 'a');
    const app = jar.start('node', ['server.js'], { cwd: ws, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const started = Date.now();
    // It serves for a while (the watcher sees it up), then the first request crashes it.
    await new Promise((r) => setTimeout(r, 2000));
    await waitFor('the crash', async () => {
      try { await fetch(`http://127.0.0.1:${port}/`); } catch { /* the crash closes the socket */ }
      return !isAlive(app.pid!);
    }, 20_000);
    const died = Date.now();
    const got = json<{ verdict: { cause: string; server: string; pid: number; summary: string } | null }>(await waiting as ToolResult);
    assert.ok(got.verdict, 'a verdict arrived');
    assert.equal(got.verdict.server, 'shop');
    assert.equal(got.verdict.cause, 'uncaught-exception', got.verdict.summary);
    assert.ok(Date.now() - started < 40_000);
    console.log(`      watch_for_crash answered ${Date.now() - died} ms after the crash`);

    const report = json<{ verdicts: { cause: string; server: string | null; topFrame: string | null; remedies: { id: string }[] }[] }>(
      await client.callTool({ name: 'investigate', arguments: { since: '10m' } }) as ToolResult);
    const v = report.verdicts.find((x) => x.cause === 'uncaught-exception');
    assert.ok(v, JSON.stringify(report.verdicts.map((x) => x.cause)));
    assert.match(v.topFrame ?? '', /server\.js:2/);
    assert.ok(v.remedies.length > 0);
  });

  it('apply_remedy stops an orphan inside the workspace, refuses one outside, refuses a disallowed remedy and bad input', async () => {
    const inside = path.join(ws, 'worker');
    fs.mkdirSync(inside);
    const outside = jar.tempDir('dsd-mcp-outside-');
    const start = (dir: string): void => {
      // sh starts node in the background and exits: node is re-parented, its launcher (a shell) gone.
      jar.start('sh', ['-c', 'node -e "$JS" &'], { cwd: dir, env: { ...process.env, JS: `${HTTP_SERVER_JS}; setInterval(() => {}, 1000)`, PORTFILE: path.join(dir, '.port') } });
    };
    start(inside);
    start(outside);
    const portIn = Number(await waitFor('inside orphan', () => fs.existsSync(path.join(inside, '.port')) && fs.readFileSync(path.join(inside, '.port'), 'utf8')));
    await waitFor('outside orphan', () => fs.existsSync(path.join(outside, '.port')) && fs.readFileSync(path.join(outside, '.port'), 'utf8'));

    const plan = json<{ kill: { pid: number; ports: number[] }[]; catalogue: { id: string; allowedForAgents: boolean }[] }>(
      await client.callTool({ name: 'list_remedies', arguments: {} }) as ToolResult);
    const orphan = plan.kill.find((k) => k.ports.includes(portIn));
    assert.ok(orphan, JSON.stringify(plan.kill));
    assert.equal(plan.catalogue.find((c) => c.id === 'free-disk')?.allowedForAgents, false);
    assert.equal(plan.catalogue.find((c) => c.id === 'kill-port-holder')?.allowedForAgents, true);

    const outsidePid = Number(fs.readFileSync(path.join(outside, '.port'), 'utf8') && findPidByCwd(outside));
    assert.ok(outsidePid > 0 && isAlive(outsidePid));
    const refused = await client.callTool({ name: 'apply_remedy', arguments: { id: 'kill-zombies', pids: [outsidePid] } }) as ToolResult;
    assert.equal(refused.isError, true);
    assert.match(refused.content[0].text, /not an orphaned, duplicate or stuck process of this workspace/);
    assert.ok(isAlive(outsidePid), 'the process outside the workspace still runs');

    const destructive = await client.callTool({ name: 'apply_remedy', arguments: { id: 'free-disk' } }) as ToolResult;
    assert.equal(destructive.isError, true);
    assert.match(destructive.content[0].text, /free-disk is not applied for agents.*--allow-remedies free-disk/);

    // Schema validation: the SDK answers a bad argument with an MCP error (a rejection or an error result, by version).
    const bad = await client.callTool({ name: 'apply_remedy', arguments: { id: 'format-disk' } }).then((r) => r as ToolResult, (e: Error) => ({ isError: true, content: [{ type: 'text', text: e.message }] }));
    assert.equal(bad.isError, true);
    assert.match(bad.content[0].text, /invalid/i);

    const done = json<{ applied: boolean; message: string }>(await client.callTool({ name: 'apply_remedy', arguments: { id: 'kill-zombies', pids: [orphan.pid] } }) as ToolResult);
    assert.equal(done.applied, true);
    assert.match(done.message, new RegExp(`Stopped \\d+ process(es)?, freeing .* and port ${portIn}\\.`));
    await waitFor('orphan gone', () => !isAlive(orphan.pid), 5000);
    assert.ok(isAlive(outsidePid), 'still untouched');
  });
});

/** The node process whose cwd is `dir` (the orphan started there). */
function findPidByCwd(dir: string): number {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readlinkSync(`/proc/${name}/cwd`) === dir && fs.readFileSync(`/proc/${name}/comm`, 'utf8').trim() === 'node') return Number(name);
    } catch { /* gone or not ours */ }
  }
  return 0;
}
