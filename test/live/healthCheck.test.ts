// One health check: the supervisor's health URL and Restart's "wait until healthy" use the same rule (an answer
// below HTTP 500 in time), so they never disagree about the same URL.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkHealth } from '../../src/core/health/check';
import { waitForHealthy } from '../../src/core/remedies/wait';

describe('live: one health check for the supervisor and Restart', function () {
  this.timeout(30_000);
  let server: http.Server;
  let base = '';

  before(async () => {
    server = http.createServer((q, s) => {
      if (q.url === '/down') { s.statusCode = 503; s.end('down'); return; }
      if (q.url === '/slow') { setTimeout(() => s.end('late'), 3000); return; }
      s.statusCode = q.url === '/' ? 200 : 404;
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  it('agree: 200 and 404 are healthy, 503, a timeout and a refused port are not', async () => {
    for (const [p, healthy] of [['/', true], ['/missing', true], ['/down', false], ['/slow', false]] as const) {
      const once = await checkHealth(`${base}${p}`, { timeoutMs: 1000 });
      const waited = await waitForHealthy(`${base}${p}`, 1500);
      assert.equal(once.ok, healthy, `checkHealth ${p}: ${JSON.stringify(once)}`);
      assert.equal(waited.ok, healthy, `waitForHealthy ${p}: ${JSON.stringify(waited)}`);
    }
    const refused = await checkHealth('http://127.0.0.1:1/', { timeoutMs: 1000 });
    assert.equal(refused.ok, false);
  });
});
