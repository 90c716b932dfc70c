// The sentences remedies end with, shared by the CLI and VS Code.
import * as assert from 'node:assert/strict';
import { count, joinAnd } from '../../src/core/format';
import type { DeleteResult } from '../../src/core/remedies/disk';
import type { KillResult } from '../../src/core/remedies/kill';
import { deleteReport, killNotes, killProblems, killReport, scanHeadline, stoppedSentence } from '../../src/core/remedies/results';

const MB = 1024 * 1024;
const kill = (over: Partial<KillResult>): KillResult => ({
  killed: [], alreadyGone: [], survivors: [], escalated: [], freedPorts: [], stillHeldPorts: [], freedBytes: 0, errors: [], warnings: [], elapsedMs: 0, ...over,
});
const del = (over: Partial<DeleteResult>): DeleteResult => ({ deleted: [], skipped: [], freedBytes: 0, listedBytes: 0, trashedBytes: 0, disks: [], ...over });

describe('remedy result sentences', () => {
  it('count and joinAnd: singular for one, plural otherwise', () => {
    assert.deepEqual([count(1, 'file'), count(0, 'file'), count(2, 'file'), count(1, 'process', 'processes'), count(3, 'process', 'processes')],
      ['1 file', '0 files', '2 files', '1 process', '3 processes']);
    assert.deepEqual([joinAnd([]), joinAnd([1]), joinAnd([1, 2]), joinAnd(['a', 'b', 'c'])], ['', '1', '1 and 2', 'a, b and c']);
  });

  it('stopping: one process and one port, or several of each', () => {
    const one = kill({ killed: [42], freedPorts: [5173], freedBytes: 30 * MB });
    assert.equal(stoppedSentence(one), 'Stopped 1 process, freeing 30 MB of memory and port 5173.');
    const many = kill({ killed: [1, 2, 3], freedPorts: [3000, 3001], freedBytes: 0 });
    assert.equal(stoppedSentence(many), 'Stopped 3 processes, freeing ports 3000 and 3001.');
    assert.equal(stoppedSentence(kill({})), 'Stopped 0 processes.');
  });

  it('stopping: SIGKILL escalations are notes; survivors, held ports and errors are problems', () => {
    const r = kill({ killed: [1], escalated: [1], survivors: [7, 8], stillHeldPorts: [{ port: 80, pid: 9 }, { port: 81, pid: null }], errors: [{ pid: 5, code: 'EPERM', message: 'PID 5 belongs to another user.' }], warnings: ['w'] });
    assert.deepEqual(killNotes(r), ['PID 1 ignored SIGTERM and got SIGKILL.']);
    assert.deepEqual(killProblems(r), ['PID 5 belongs to another user.', 'PIDs 7 and 8 are still running after SIGKILL.', 'Port 80 is still in use by PID 9.', 'Port 81 is still in use.']);
    assert.equal(killReport(r).at(-1), 'w');
    assert.deepEqual(killProblems(kill({ survivors: [7] })), ['PID 7 is still running after SIGKILL.']);
  });

  it('deleting: the terminal report and the notification', () => {
    const disk = { path: '/w', totalBytes: 100 * MB, freeBytes: 20 * MB, usedPercent: 80 };
    const r = del({ deleted: [{ path: '/w/a', bytes: 2 * MB, trashed: false, leftBehind: ['/w/a/mnt'] }], skipped: [{ path: '/w/b', code: 'changed', reason: 'it changed' }], freedBytes: 2 * MB, disks: [disk] });
    assert.deepEqual(deleteReport(r, 2), ['Deleted 1 of 2, freeing 2 MB (measured on the disk).', 'Not deleted: /w/b: it changed.', 'Left alone inside /w/a: /w/a/mnt (another file system).', '/w: disk now 80% used, 20 MB free.']);
    assert.equal(deleteReport(del({ deleted: [{ path: '/w/a', bytes: MB, trashed: true, leftBehind: [] }], trashedBytes: MB }), 1)[0],
      'Moved 1 of 1 to the trash (1 MB in the trash, freed once it is emptied).');
    assert.equal(deleteReport(del({}), 2)[0], 'Of 2 items, nothing was deleted.');
    assert.equal(deleteReport(del({ deleted: [{ path: '/w/a.log', bytes: MB, trashed: false, truncated: true, leftBehind: [] }], freedBytes: MB }), 1)[0],
      'Emptied 1 open log, freeing 1 MB (measured on the disk).');
  });

  it('scan headline: one place, several places, nothing', () => {
    const scan = (n: number) => ({ items: Array.from({ length: n }, () => ({})), totalBytes: 3 * MB }) as unknown as Parameters<typeof scanHeadline>[0];
    assert.equal(scanHeadline(scan(1)), '3 MB could be freed in 1 place:');
    assert.equal(scanHeadline(scan(2)), '3 MB could be freed in 2 places:');
    assert.equal(scanHeadline(scan(0)), 'Nothing to clean up found.');
  });
});
