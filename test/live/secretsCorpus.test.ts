// Live: secrets planted in real processes' argv and environment, in an exception message and in log lines, then every
// CLI output (status, watch text and JSON, zombies, disk, investigate Markdown/JSON and its saved files) is searched
// for each of them. Also: control characters in a process title never reach the terminal; --save that saves nowhere
// exits non-zero.
import * as assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ProcessJar, REPO, waitFor, writeFiles } from './liveHelpers';
import { LOG_FORMS, PLANTED_ARGV, SECRETS, workerJs } from './secretsCorpusData';

const CLI = path.join(REPO, 'dist', 'cli.js');
const SERVER_JS = `
const http = require('http');
const srv = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', () => {
  console.log('api listening on', srv.address().port, 'with key', process.env.API_KEY, 'and db password', process.env.DB_PASSWORD);
});
`;

/** Starts server.js with the given argv and exits: the server is left an orphan, as after a closed terminal. */
const LAUNCH_JS = `
const { spawn } = require('child_process');
const fs = require('fs');
const log = fs.openSync('logs/api.log', 'a');
spawn(process.execPath, ['server.js', ...JSON.parse(process.argv[2])], { stdio: ['ignore', log, log] }).unref();
`;

interface Run { code: number | null; out: string; err: string }

function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 }, (err, out, errOut) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out, err: errOut });
    });
  });
}

/** Runs `watch`, does `during` once it prints its first line, then stops it with SIGINT. */
async function watchFor(args: string[], env: NodeJS.ProcessEnv, cwd: string, during: (output: () => string) => Promise<void>): Promise<Run> {
  const child = spawn(process.execPath, [CLI, 'watch', '--interval', '0.5', ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  try {
    await waitFor('watch to start', () => out.length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    await during(() => out);
  } finally {
    child.kill('SIGINT');
  }
  return { code: await exited, out, err };
}

describe('live: no planted secret reaches any CLI output', function () {
  this.timeout(240_000);
  const jar = new ProcessJar();
  let ws: string;
  const outputs = new Map<string, string>();
  const env = { ...process.env, API_KEY: SECRETS.envApiKey, DB_PASSWORD: SECRETS.envDbPass };
  // The shell the user runs the CLI from has the project's API key too; the database password only the server has.
  const cliEnv = { ...process.env, API_KEY: SECRETS.envApiKey };

  before(async function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
    ws = fs.realpathSync(jar.tempDir('dsd-secrets-'));
    writeFiles(ws, {
      'package.json': JSON.stringify({ name: 'leaky', version: '1.0.0', scripts: { dev: 'node server.js' } }),
      'server.js': SERVER_JS,
      // One package per form: crashes of one server moments apart would be taken for one crash.
      ...Object.fromEntries(LOG_FORMS.map((_, i) => [`w${i}/worker.js`, workerJs(i)])),
      ...Object.fromEntries(LOG_FORMS.map((_, i) => [`w${i}/package.json`, JSON.stringify({ name: `w${i}`, scripts: { worker: 'node worker.js' } })])),
      'launch.js': LAUNCH_JS,
    });
    fs.mkdirSync(path.join(ws, 'logs'));
    const argv = PLANTED_ARGV;
    // Same process group as the launcher, so the jar's cleanup ends it.
    jar.start(process.execPath, ['launch.js', JSON.stringify(argv)], { cwd: ws, env });
    await waitFor('the api to listen', () => fs.readFileSync(path.join(ws, 'logs/api.log'), 'utf8').includes('listening'));
    for (let i = 0; i < LOG_FORMS.length; i++) {
      const log = fs.openSync(path.join(ws, `w${i}/worker.log`), 'a');
      const worker = jar.start(process.execPath, ['worker.js'], { cwd: path.join(ws, `w${i}`), env, stdio: ['ignore', log, log] });
      fs.closeSync(log);
      await new Promise((r) => worker.once('exit', r));
    }
  });

  after(() => jar.cleanup());

  it('collects status, zombies, disk, investigate (and saved files) and watch output', async () => {
    const saveDir = jar.tempDir('dsd-secrets-save-');
    const runs: [string, string[]][] = [
      ['status', ['status', '--workspace', ws]],
      ['status --json', ['status', '--json', '--workspace', ws]],
      ['zombies', ['zombies', '--workspace', ws]],
      ['zombies --json', ['zombies', '--json', '--workspace', ws]],
      ['disk', ['disk', '--large-log-mb', '0', '--workspace', ws]],
      ['disk --json', ['disk', '--json', '--large-log-mb', '0', '--workspace', ws]],
      ['investigate', ['investigate', '--since', '1h', '--workspace', ws, '--save', saveDir]],
      ['investigate --json', ['investigate', '--json', '--since', '1h', '--workspace', ws]],
    ];
    for (const [name, args] of runs) {
      const r = await cli(args, cliEnv, ws);
      outputs.set(name, `${r.out}\n${r.err}`);
    }
    for (const f of fs.readdirSync(saveDir)) outputs.set(`saved ${f}`, fs.readFileSync(path.join(saveDir, f), 'utf8'));
    const saved = [...outputs.keys()].filter((k) => k.startsWith('saved '));
    assert.ok(saved.some((k) => k.endsWith('.md')) && saved.some((k) => k.endsWith('.json')), 'investigate --save wrote .md and .json (and any charts, searched too)');

    // A server with a secret flag starts and dies while watch runs: watch prints it coming up and exiting.
    const during = async (output: () => string): Promise<void> => {
      const p = jar.start(process.execPath, ['server.js', '--password', SECRETS.watchPassword], { cwd: ws, env });
      await waitFor('watch to see the server', () => output().includes(String(p.pid)), 30_000).catch(() => undefined);
      process.kill(-p.pid!, 'SIGKILL');
      await waitFor('watch to see it exit', () => /exited|process-exited/.test(output()), 30_000).catch(() => undefined);
    };
    outputs.set('watch', (await watchFor(['--workspace', ws], cliEnv, ws, during)).out);
    outputs.set('watch --json', (await watchFor(['--json', '--workspace', ws], cliEnv, ws, during)).out);

    // Kept for a person to read (test-output is not committed).
    const dump = path.join(REPO, 'test-output', 'secrets-corpus');
    fs.mkdirSync(dump, { recursive: true });
    for (const [name, text] of outputs) fs.writeFileSync(path.join(dump, `${name.replace(/[^\w.-]+/g, '_')}.txt`), text);
    // The planted material really reached the outputs (redacted), so the search below can fail.
    assert.match(outputs.get('status --json')!, /server\.js --password «redacted»/);
    for (let i = 0; i < LOG_FORMS.length; i++) {
      assert.match(outputs.get('investigate')!, new RegExp(`Error: form${i}: [^\\n]*«redacted»[^\\n…]*\\n`), `form ${i} was shown whole`);
    }
    assert.match(outputs.get('investigate')!, /config loaded: «redacted» and «redacted»/);
    assert.match(outputs.get('watch')!, /exited .*server\.js --password «redacted»/);
    assert.match(outputs.get('watch --json')!, /"type":"process-exited"/);
  });

  for (const [form, value] of Object.entries(SECRETS)) {
    it(`never prints ${form}`, () => {
      assert.ok(outputs.size > 0, 'outputs were collected');
      const leaks = [...outputs].filter(([, text]) => text.includes(value)).map(([name]) => name);
      assert.deepEqual(leaks, [], `${value} appears in: ${leaks.join(', ')}`);
    });
  }

  it('never prints control characters from a process title to the terminal', () => {
    for (const name of ['status', 'zombies', 'investigate', 'watch']) {
      const text = outputs.get(name)!;
      assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/.test(text), `${name} printed a control character`);
    }
    assert.match(outputs.get('status --json')!, /api\\u001b\]0;pwned|api\]0;pwned/, 'the title is in the JSON (escaped), so the check is real');
  });

  it('--save that can save nowhere exits non-zero (the report is still printed)', async () => {
    const r = await cli(['investigate', '--since', '1h', '--workspace', ws, '--save', '/proc/version/not-a-folder', '--save', '/dev/null/x'], cliEnv, ws);
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /Could not save the report in \/proc\/version\/not-a-folder/);
    assert.match(r.out, /# Dev Server Doctor: crash investigation/);
  });
});
