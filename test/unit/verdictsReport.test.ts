import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Investigation } from '../../src/core/crash/investigate';
import { recommendations, renderMarkdown, saveReport, toReportJson } from '../../src/core/crash/report';
import { remedyLink } from '../../src/vscode/remedyCommands';
import { cliRemedy } from '../../src/cli/remedyLines';
import type { Verdict } from '../../src/core/crash/types';
import { UsageError } from '../../src/cli/args';
import { parseArgs } from '../../src/cli/main';
import { formatStatus } from '../../src/cli/status';
import { formatEvent, formatVerdict, redactEvent } from '../../src/cli/watch';
import { parseDuration } from '../../src/core/format';
import type { Snapshot } from '../../src/core/types';
import type { StatusJson } from '../../src/core/statusJson';

const T = Date.UTC(2026, 10, 22, 9, 30, 0);
const MB = 1024 * 1024;

const oomVerdict: Verdict = {
  cause: 'oom-kill', confidence: 'high', server: 'api · dev', pid: 4242, time: T - 60_000,
  summary: 'api · dev was killed by the kernel OOM killer at 1.9 GB, cgroup limit 2.0 GB',
  evidence: [
    { source: 'kernel', text: 'Memory cgroup out of memory: Killed process 4242 (node)', time: T - 60_000, location: 'dmesg' },
    { source: 'log-file', text: 'Killed', time: T - 59_000, location: '/ws/logs/dev.log' },
  ],
  topFrame: null,
  remedies: [{ id: 'kill-zombies', title: 'Stop orphaned and zombie dev servers to free memory' },
    { id: 'restart-server', title: 'Restart the server', args: { server: 'api · dev', pid: 4242 } }],
};

const exceptionVerdict: Verdict = {
  cause: 'uncaught-exception', confidence: 'high', server: 'web · dev', pid: null, time: T - 5_000,
  summary: 'web · dev crashed on an uncaught exception: Error: `bad` [thing] at web/x.js:1:2',
  evidence: [{ source: 'log-file', text: 'const q = ```fenced``` ;\nError: `bad`', time: null, location: '/ws/web/logs/dev.log' }],
  topFrame: 'handler (/ws/web/x.js:1:2)',
  remedies: [{ id: 'raise-inotify-limit', title: 'Raise [the] limit', detail: 'sudo sysctl fs.inotify.max_user_watches=524288', args: { maxUserWatches: 524288 } }],
};

function state(over: Partial<StatusJson> = {}): StatusJson {
  return {
    generatedAt: new Date(T).toISOString(), workspaceFolders: ['/ws'],
    servers: [
      { name: 'api · dev', workspaceFolder: '/ws', cwd: '/ws/api', script: 'dev', command: 'node server.js --password=hunter2', framework: 'node', state: 'down', pid: null, pids: [], ports: [],
        expectedPort: 3000, rssBytes: 0, heapLimitBytes: null, heapLimitSource: null, id: '/ws/api#dev', source: 'package.json', startTimeMs: null, zombiePids: [], orphanReason: null, processes: [] },
      { name: 'web · vite', workspaceFolder: '/ws', cwd: '/ws/web', script: null, command: 'vite', framework: 'vite', state: 'orphaned', pid: 777, pids: [777, 778], ports: [5173],
        expectedPort: null, rssBytes: 300 * MB, heapLimitBytes: 4096 * MB, heapLimitSource: 'default', id: 'proc:/ws/web#vite#777', source: 'process', startTimeMs: T - 3_600_000,
        zombiePids: [778], orphanReason: 'its launcher is gone and it was re-parented to PID 1', processes: [] },
    ],
    system: {
      memory: { totalBytes: 16 * 1024 * MB, availableBytes: 2 * 1024 * MB, usedPercent: 87.5, swapTotalBytes: 0, swapUsedBytes: 0 },
      cgroup: { limitBytes: 2048 * MB, usageBytes: 1900 * MB, oomKills: 3, version: 2, path: '/user.slice/app.scope' },
      disks: [{ mount: '/', totalBytes: 100 * 1024 * MB, freeBytes: 5 * 1024 * MB, usedPercent: 95, paths: ['/ws'] }],
      inotify: { maxUserWatches: 8192, maxUserInstances: 128 },
      pressure: null,
    },
    alerts: [
      { severity: 'critical', kind: 'disk', message: 'Disk / is 95% full (5.0 GB free).', server: null },
      { severity: 'warning', kind: 'memory', message: 'System memory is 87.5% used: 2.0 GB of 16.0 GB available.', server: null },
      { severity: 'info', kind: 'inotify', message: 'fs.inotify.max_user_watches is 8192', server: null },
    ],
    warnings: [],
    ...over,
  };
}

const investigation = (over: Partial<Investigation> = {}): Investigation => ({
  generatedAt: T, sinceMs: T - 86_400_000, workspaceFolders: ['/ws'],
  verdicts: [exceptionVerdict, oomVerdict], state: state(),
  inotify: { watches: 8000, instances: 12, top: { pid: 777, command: 'vite', watches: 7000 } },
  problems: ['Could not read the kernel log: dmesg: reading the kernel log is not permitted.'],
  ...over,
});

describe('report: Markdown', () => {
  it('crashes newest first, each with summary, cause, evidence, top frame and remedy links; then the state and recommendations', () => {
    const md = renderMarkdown(investigation());
    const order = ['## Recent crashes (2)', '### 1. web · dev: uncaught exception', '### 2. api · dev: killed by the kernel OOM killer', '## Current state',
      '### Servers', '### Memory', '### Disks', '### File watchers (inotify)', '### Orphans and zombies', '## Recommendations', '## Could not read'];
    let at = -1;
    for (const h of order) {
      const i = md.indexOf(h);
      assert.ok(i > at, `${h} after the previous section`);
      at = i;
    }
    assert.match(md, /\*\*api · dev was killed by the kernel OOM killer at 1\.9 GB, cgroup limit 2\.0 GB\*\*/);
    assert.match(md, /- Cause: `oom-kill` \(high confidence\)/);
    assert.match(md, /- \*\*kernel\*\* \(dmesg, 2026-11-22 \d\d:29:00\):/);
    assert.match(md, /- Top frame: `handler \(\/ws\/web\/x\.js:1:2\)`/);
    assert.match(md, /Memory cgroup \(v2\) `\/user\.slice\/app\.scope`: 1\.9 GB used, limit 2\.0 GB, OOM kills so far: 3/);
    assert.match(md, /- Watches: 8000 in use of 8192 allowed \(fs\.inotify\.max_user_watches\), 192 left/);
    assert.match(md, /web · vite: pid 777, port 5173 is orphaned/);
    assert.match(md, /web · vite: zombie pid 778/);
  });

  it('remedies are VS Code command links with URL-encoded JSON arguments (in the editor)', () => {
    const link = remedyLink({ id: 'raise-heap-limit', title: 'Raise heap limit', args: { megabytes: 4096, server: 'api · dev' } });
    const m = /^\[Raise heap limit\]\(command:devServerDoctor\.raiseHeapLimit\?([^)\s]+)\)$/.exec(link);
    assert.ok(m, link);
    assert.deepEqual(JSON.parse(decodeURIComponent(m[1])), { megabytes: 4096, server: 'api · dev' });
    assert.equal(remedyLink({ id: 'investigate', title: 'a [b]' }), '[a \\[b\\]](command:devServerDoctor.investigateCrash)');
    assert.match(renderMarkdown(investigation(), remedyLink), /\[Restart the server\]\(command:devServerDoctor\.restartServer\?%7B%22server%22/);
  });

  it('remedies are the lines to type in a terminal (CLI), and plain titles by default: no command links', () => {
    const cli = renderMarkdown(investigation(), cliRemedy);
    assert.doesNotMatch(cli, /command:/);
    assert.match(cli, /Stop orphaned and zombie dev servers to free memory: `dev-server-doctor zombies --kill`/);
    assert.match(cli, /Raise \[the\] limit: `(sudo )?sysctl fs\.inotify\.max_user_watches=524288/);
    assert.doesNotMatch(renderMarkdown(investigation()), /command:/);
  });

  it('quoted evidence survives backticks (the fence is longer than any run in it)', () => {
    const md = renderMarkdown(investigation());
    assert.match(md, / {2}````text\n  const q = ```fenced``` ;\n  Error: `bad`\n  ````/);
  });

  it('no crashes: says so, and still shows the state', () => {
    const md = renderMarkdown(investigation({ verdicts: [], problems: [] }));
    assert.match(md, /## Recent crashes \(0\)\n\nNo crash recorded in that time/);
    assert.match(md, /## Current state/);
    assert.ok(!md.includes('## Could not read'));
  });

  it('secrets planted anywhere never come out', () => {
    const leaky: Verdict = { ...oomVerdict, summary: 'x DATABASE_URL=postgres://u:hunter2@db/app', evidence: [{ source: 'output', text: 'API_KEY=sk-live-abc123 node x', time: null }] };
    const inv = investigation({ verdicts: [leaky], problems: ['token: Bearer sk-live-abc123'] });
    for (const out of [renderMarkdown(inv), JSON.stringify(toReportJson(inv))]) {
      assert.ok(!/hunter2|sk-live-abc123/.test(out), out);
    }
  });
});

describe('report: JSON and recommendations', () => {
  it('the contract fields, ISO times, state as status --json shows it', () => {
    const json = toReportJson(investigation());
    assert.deepEqual(Object.keys(json), ['generatedAt', 'since', 'workspaceFolders', 'verdicts', 'state', 'inotify', 'recommendations', 'problems']);
    assert.equal(json.generatedAt, new Date(T).toISOString());
    const v = json.verdicts[1];
    for (const key of ['cause', 'confidence', 'server', 'pid', 'time', 'evidence', 'remedies', 'summary', 'topFrame']) assert.ok(key in v, key);
    assert.equal(v.time, new Date(T - 60_000).toISOString());
    assert.deepEqual(v.evidence[0], { source: 'kernel', text: 'Memory cgroup out of memory: Killed process 4242 (node)', time: new Date(T - 60_000).toISOString(), location: 'dmesg' });
    assert.equal(json.state?.servers[0].command, 'node server.js --password=«redacted»');
  });

  it('recommendations: each crash\'s top remedy first, then orphans and zombies, watchers, disks, memory; no duplicates', () => {
    const recs = recommendations(investigation());
    assert.deepEqual(recs.map((r) => r.id), [
      'raise-inotify-limit', 'kill-zombies', 'kill-zombies', 'free-disk']);
    assert.deepEqual(recs[2].args, { pids: [777, 778] });
    assert.match(recs[2].reason, /web · vite \(pid 777, port 5173\) is orphaned; 1 zombie process/);
    assert.equal(recs[0].reason, exceptionVerdict.summary);
    assert.deepEqual(recs[3].args, { path: '/ws' });
  });
});

describe('saveReport', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-save-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes dev-server-doctor-YYYYMMDD-HHMMSS.md and .json, a second one in the same second gets -2', () => {
    const inv = investigation();
    const first = saveReport(inv, [path.join(dir, 'reports')]);
    const second = saveReport(inv, [path.join(dir, 'reports')]);
    assert.deepEqual(first.problems, []);
    assert.equal(first.files.length, 2);
    for (const f of first.files) assert.match(path.basename(f), /^dev-server-doctor-\d{8}-\d{6}\.(md|json)$/);
    assert.match(path.basename(second.files[0]), /^dev-server-doctor-\d{8}-\d{6}-2\.md$/);
    assert.equal(fs.readFileSync(first.files[0], 'utf8'), `${renderMarkdown(inv)}`);
    assert.deepEqual(JSON.parse(fs.readFileSync(first.files[1], 'utf8')), toReportJson(inv));
  });

  it('a folder it cannot write says where and why, saves the others, never throws', () => {
    const file = path.join(dir, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const r = saveReport(investigation(), [path.join(file, 'sub'), dir]);
    assert.equal(r.files.length, 2);
    assert.equal(r.problems.length, 1);
    assert.match(r.problems[0], /^Could not save the report in .*not-a-folder\/sub: (ENOTDIR|EEXIST)\.$/);
  });
});

describe('cli: investigate arguments', () => {
  it('durations', () => {
    assert.deepEqual(['30m', '24h', '7d', '90s', '2w', '1.5h'].map(parseDuration), [1_800_000, 86_400_000, 604_800_000, 90_000, 1_209_600_000, 5_400_000]);
    assert.deepEqual(['', '24', 'h', '-1h', '0m', '3y'].map(parseDuration), [null, null, null, null, null, null]);
  });

  it('investigate --json --workspace --since --save; default 24 h; bad values are usage errors', () => {
    const a = parseArgs(['investigate', '--json', '--workspace', os.tmpdir(), '--since', '30m', '--save', 'out'], '/x');
    assert.deepEqual([a.command, a.json, a.workspaces, a.sinceMs, a.saveDirs], ['investigate', true, [os.tmpdir()], 1_800_000, ['/x/out']]);
    assert.equal(parseArgs(['investigate', '-w', os.tmpdir()], '/').sinceMs, 86_400_000);
    assert.throws(() => parseArgs(['investigate', '--since', 'yesterday', '-w', os.tmpdir()], '/'), UsageError);
    assert.throws(() => parseArgs(['status', '--since', '1h', '-w', os.tmpdir()], '/'), UsageError);
  });
});

describe('cli: nothing it prints shows a secret', () => {
  const snap = {
    takenAt: T, platform: 'linux', workspaceFolders: ['/ws'], sockets: [], warnings: ['could not read /proc/1/environ for TOKEN=abc'],
    servers: [{ id: 'proc:/ws#node s.js --password=hunter2#5', name: 'ws · node s.js --password=hunter2', workspaceFolder: '/ws', cwd: '/ws', script: null,
      command: 'node s.js --password=hunter2', framework: 'node', state: 'orphaned', pid: 5, pids: [5], ports: [3000], expectedPort: null, rssBytes: 1, heapLimitBytes: null,
      heapLimitSource: null, heapPid: null, startTimeMs: T - 1000, processes: [], zombiePids: [], source: 'process', cgroup: null, orphanReason: 're-parented to PID 1' }],
    system: { memory: { totalBytes: 1, availableBytes: 1, usedPercent: 0, swapTotalBytes: 0, swapUsedBytes: 0 }, pressure: null, cgroup: null, disks: [], inotify: { maxUserWatches: 1, maxUserInstances: 1 } },
    alerts: [{ severity: 'warning', kind: 'orphan', message: 'ws · node s.js --password=hunter2 (PID 5) is orphaned', server: 'ws · node s.js --password=hunter2' }],
  } as unknown as Snapshot;

  it('status text, event lines (text and JSON) and verdict lines are redacted', () => {
    const exited = { type: 'process-exited', at: T, serverId: 'x', server: 'ws · node s.js --password=hunter2', pid: 5, command: 'node s.js --password=hunter2 API_KEY=sk-1', lastRssBytes: 1, uptimeMs: 1, ports: [], root: true } as const;
    const texts = [formatStatus(snap), formatEvent(exited), JSON.stringify(redactEvent(exited)), formatVerdict({ ...oomVerdict, summary: 'x --password=hunter2' })];
    for (const t of texts) {
      assert.ok(!t.includes('hunter2') && !t.includes('sk-1') && !t.includes('TOKEN=abc'), t);
      assert.match(t, /«redacted»/);
    }
    assert.deepEqual(redactEvent(exited), { ...exited, server: 'ws · node s.js --password=«redacted»', command: 'node s.js --password=«redacted» API_KEY=«redacted»' });
  });
});
