import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { candidateForPort } from '../../src/core/remedies/kill';
import { lookupPortHolder, withPortHolder } from '../../src/core/remedies/portHolder';
import type { Snapshot } from '../../src/core/types';
import { freePort, HTTP_SERVER_JS, ProcessJar, waitFor } from './liveHelpers';

describe('live: on-demand port holder lookup (find-process)', function () {
  this.timeout(30_000);
  const jar = new ProcessJar();
  after(() => jar.cleanup());

  it('finds the pid and command listening on a port, and fills an ownerless socket in a snapshot', async () => {
    const dir = jar.tempDir('dsd-holder-');
    const port = await freePort();
    const child = jar.start(process.execPath, ['-e', HTTP_SERVER_JS, '--', '--token=abc123secret'], { cwd: dir, env: { ...process.env, PORT: String(port), PORTFILE: path.join(dir, '.port') } });
    await waitFor('listening', () => fs.existsSync(path.join(dir, '.port')));
    const holder = await lookupPortHolder(port);
    assert.equal(holder?.pid, child.pid);
    assert.ok(!holder!.command.includes('abc123secret'), holder!.command);
    // A snapshot whose socket has no owner (as on macOS without privileges) gets it filled in.
    const snap = {
      takenAt: Date.now(), platform: 'darwin', workspaceFolders: [dir], servers: [], alerts: [], warnings: [],
      sockets: [{ family: 4, address: '127.0.0.1', port, inode: 0, pid: null }],
      system: {} as Snapshot['system'],
    } as Snapshot;
    assert.ok('refused' in candidateForPort(port, snap, { selfPid: process.pid }));
    const filled = await withPortHolder(snap, port);
    assert.equal(filled.sockets.find((s) => s.port === port)?.pid, child.pid);
    assert.equal(await lookupPortHolder(await freePort()), null, 'a free port has no holder');
  });
});
