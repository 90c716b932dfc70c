import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findNodeReports, parseNodeReport, readNodeReport, type NodeReportSummary } from '../../src/core/crash/nodeReport';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);
const REPORT = fixture('node-report', 'heap-oom-report.json');
const text = (): string => fs.readFileSync(REPORT, 'utf8');
const SECRETS = ['hunter2', 'sk-test-51HnotReal'];

function parsed(json: string): NodeReportSummary {
  const r = parseNodeReport(json);
  assert.ok(r.ok, r.ok ? '' : r.problem);
  return r.report;
}

describe('parseNodeReport', () => {
  it('summarises the heap-oom fixture', () => {
    const r = parsed(text());
    assert.deepEqual([r.trigger, r.event, r.pid, r.time, r.cwd, r.nodeVersion, r.filename], [
      'OOMError', 'Allocation failed - JavaScript heap out of memory', 20843, 1795328319644, '/home/dev/shop-api', 'v20.20.2',
      'report.20261122.061839.20843.0.001.json']);
    assert.deepEqual(r.heap, { usedBytes: 44332816, totalBytes: 48947200, limitBytes: 92274688 });
    assert.deepEqual(r.commandLine, ['node', '--max-old-space-size=40', '--report-on-fatalerror',
      '--report-directory=/home/dev/shop-api/.crash', 'server.js']);
    assert.deepEqual([r.stack, r.topFrame, r.errorMessage], [[], null, null], '"Unavailable." / "No stack." are not frames');
    assert.deepEqual(r.env, { PORT: '5000', NODE_ENV: 'development' });
  });

  it('no secret of the fixture appears anywhere in the summary', () => {
    const json = JSON.stringify(parseNodeReport(text()));
    for (const s of SECRETS) assert.ok(!json.includes(s), s);
  });

  it('redacts secrets in the command line, NODE_OPTIONS and the stack, and finds the user frame', () => {
    const data = JSON.parse(text());
    data.header.commandLine = ['node', 'server.js', '--api-key', 'sk-test-51HnotReal', '--db=postgres://app:hunter2@db/app'];
    data.environmentVariables.NODE_OPTIONS = '--require ./trace.js --token=hunter2';
    data.environmentVariables.npm_lifecycle_script = 'API_KEY=sk-test-51HnotReal node server.js';
    data.javascriptStack = {
      message: 'Error: auth failed for postgres://app:hunter2@db/app',
      stack: ['at Parser.parse (/home/dev/shop-api/node_modules/pg/lib/parser.js:10:5)', 'at connect (/home/dev/shop-api/src/db.js:42:13)',
        'at a (x.js:1:1)', 'at b (x.js:1:1)', 'at c (x.js:1:1)', 'at d (x.js:1:1)'],
    };
    const r = parsed(JSON.stringify(data));
    const json = JSON.stringify(r);
    for (const s of SECRETS) assert.ok(!json.includes(s), s);
    assert.deepEqual(r.commandLine.slice(0, 3), ['node', 'server.js', '--api-key']);
    assert.equal(r.env.NODE_OPTIONS, '--require ./trace.js --token=«redacted»');
    assert.equal(r.stack.length, 5);
    assert.equal(r.topFrame, 'connect (/home/dev/shop-api/src/db.js:42:13)');
    assert.match(r.errorMessage ?? '', /^Error: auth failed/);
  });

  it('falls back to dumpEventTime when there is no timestamp', () => {
    const data = JSON.parse(text());
    delete data.header.dumpEventTimeStamp;
    assert.equal(parsed(JSON.stringify(data)).time, Date.UTC(2026, 10, 22, 6, 18, 39));
  });

  it('truncated JSON is a clear problem, not an exception', () => {
    const r = parseNodeReport(text().slice(0, 3000));
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.problem, /not valid JSON \(truncated or corrupted\)/);
  });

  it('JSON that is not a report, or nothing at all', () => {
    for (const bad of ['[]', '{"a":1}', 'null', '{"header":"x"}']) {
      const r = parseNodeReport(bad);
      assert.equal(r.ok, false, bad);
      assert.match(r.ok ? '' : r.problem, /not a Node\.js diagnostic report/);
    }
    assert.equal(parseNodeReport('').ok, false);
  });

  it('missing fields become nulls', () => {
    const r = parsed('{"header":{}}');
    assert.deepEqual([r.trigger, r.pid, r.time, r.heap.limitBytes, r.stack, r.env], [null, null, null, null, [], {}]);
  });
});

describe('readNodeReport / findNodeReports', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'noderep-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('reads a report file, and says why when it cannot', () => {
    assert.equal(readNodeReport(REPORT).ok, true);
    const missing = readNodeReport(path.join(dir, 'report.nope.json'));
    assert.match(missing.ok ? '' : missing.problem, /could not be read \(ENOENT\)/);
    const cut = path.join(dir, 'cut.json');
    fs.writeFileSync(cut, text().slice(0, 500));
    const r = readNodeReport(cut);
    assert.match(r.ok ? '' : r.problem, /cut\.json: The Node\.js report is not valid JSON/);
  });

  it('lists recent report.*.json files newest first, skipping old ones, other files, folders and missing dirs', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.mkdirSync(a);
    fs.mkdirSync(b);
    const now = Date.now();
    const put = (d: string, name: string, ageMs: number): string => {
      const p = path.join(d, name);
      fs.writeFileSync(p, '{}');
      fs.utimesSync(p, (now - ageMs) / 1000, (now - ageMs) / 1000);
      return p;
    };
    const newest = put(a, 'report.20261122.061839.1.0.001.json', 1000);
    const older = put(b, 'report.20261122.050000.2.0.001.json', 60_000);
    put(a, 'report.20261121.000000.3.0.001.json', 3 * 86_400_000);
    put(a, 'notes.json', 0);
    fs.mkdirSync(path.join(b, 'report.dir.json'));
    assert.deepEqual(findNodeReports([a, b, a, path.join(dir, 'missing')], now - 86_400_000), [newest, older]);
  });
});
