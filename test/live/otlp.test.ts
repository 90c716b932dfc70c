// OTLP export to a collector the test runs on loopback: a small HTTP server decoding the OTLP/HTTP JSON
// payloads receives the verdict as a log record with the semantic-convention attributes and no secret,
// and the servers' memory as metrics.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { OtlpExport, checkEndpoint } from '../../src/core/export/otlp';
import { Monitor } from '../../src/core/monitor';
import { createProbe } from '../../src/core/system/probe';
import type { Verdict } from '../../src/core/crash/types';
import { HTTP_SERVER_JS, ProcessJar, waitFor, writeFiles } from './liveHelpers';

interface Received { path: string; body: unknown; raw: string }

describe('live: OTLP export of verdicts and server metrics', function () {
  this.timeout(60_000);
  const jar = new ProcessJar();
  const received: Received[] = [];
  let collector: http.Server;
  let endpoint: string;

  before(async () => {
    collector = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => { raw += d.toString(); });
      req.on('end', () => {
        let body: unknown = null;
        try { body = JSON.parse(raw); } catch { /* not JSON: recorded raw */ }
        received.push({ path: req.url ?? '', body, raw });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  });
  after(async () => {
    await jar.cleanup();
    await new Promise((r) => collector.close(r));
  });

  it('checks the endpoint setting', () => {
    assert.deepEqual(checkEndpoint('http://127.0.0.1:4318/'), { url: 'http://127.0.0.1:4318' });
    assert.ok('problem' in checkEndpoint('ftp://x'));
    assert.ok('problem' in checkEndpoint('not a url'));
  });

  it('sends a verdict as an OTLP log record (error.type, process.pid, process.command, exit code) and RSS as a metric, with no secret', async () => {
    const ws = fs.realpathSync(jar.tempDir('dsd-otlp-'));
    writeFiles(ws, { 'package.json': JSON.stringify({ name: 'billing', scripts: { dev: 'node server.js --db-password=hunter2pw' } }), 'server.js': HTTP_SERVER_JS });
    const app = jar.start('node', ['server.js', '--db-password=hunter2pw'], { cwd: ws, env: { ...process.env, PORTFILE: path.join(ws, '.port') } });
    await waitFor('listening', () => fs.existsSync(path.join(ws, '.port')));
    const monitor = new Monitor({ probe: createProbe(), workspaceFolders: [ws] });
    const snap = await monitor.pollOnce();
    monitor.dispose();
    const server = snap.servers.find((s) => s.pids.includes(app.pid!));
    assert.ok(server, JSON.stringify(snap.servers.map((s) => s.name)));

    const exporter = new OtlpExport({ endpoint, metricIntervalMs: 60_000, version: '9.9.9' });
    exporter.observe(snap);
    const verdict: Verdict = {
      cause: 'uncaught-exception', confidence: 'high', server: server.name, pid: app.pid!, time: Date.now(),
      summary: 'billing crashed on an uncaught exception: Error: connect to postgres://app:s3cr3t-pw@db/x failed',
      evidence: [], topFrame: 'handler (/ws/server.js:2:9)', remedies: [], detail: { exitCode: 1 },
    };
    exporter.verdict(verdict);
    await exporter.flush();
    await exporter.dispose();

    const logs = received.filter((r) => r.path === '/v1/logs');
    const metrics = received.filter((r) => r.path === '/v1/metrics');
    assert.ok(logs.length >= 1, `paths: ${received.map((r) => r.path).join(', ')}`);
    assert.ok(metrics.length >= 1, 'metrics sent');
    type Attr = { key: string; value: { stringValue?: string; intValue?: string | number } };
    const body = logs[0].body as { resourceLogs: { resource: { attributes: Attr[] }; scopeLogs: { logRecords: { body: { stringValue: string }; attributes: Attr[]; severityText: string }[] }[] }[] };
    const rec = body.resourceLogs[0].scopeLogs[0].logRecords[0];
    const attr = (k: string) => rec.attributes.find((a) => a.key === k)?.value;
    assert.equal(attr('error.type')?.stringValue, 'uncaught-exception');
    assert.equal(Number(attr('process.pid')?.intValue), app.pid);
    assert.equal(Number(attr('process.exit.code')?.intValue), 1);
    assert.match(attr('process.command')?.stringValue ?? '', /node server\.js --db-password=«redacted»/);
    assert.equal(attr('dev_server.name')?.stringValue, server.name);
    assert.equal(rec.severityText, 'ERROR');
    assert.match(rec.body.stringValue, /billing crashed on an uncaught exception/);
    assert.equal(body.resourceLogs[0].resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue, 'dev-server-doctor');
    const memory = metrics.map((m) => m.raw).join('\n');
    assert.match(memory, /process\.memory\.usage/);
    for (const secret of ['hunter2pw', 's3cr3t-pw']) {
      assert.ok(!received.some((r) => r.raw.includes(secret)), `${secret} left the machine`);
    }
  });
});
