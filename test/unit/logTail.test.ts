import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TAIL_BYTES, readTail } from '../../src/core/crash/logTail';

const lines = (from: number, to: number): string => {
  let s = '';
  for (let i = from; i < to; i++) s += `${new Date(0).toISOString()} GET /api/items/${i} 200 12ms\n`;
  return s;
};

describe('readTail', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logtail-')); });
  after(() => { fs.rmSync(dir, { recursive: true, force: true }); });
  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  it('reads a small file whole', () => {
    const r = readTail(file('small.log', 'a\nb\n'));
    assert.deepEqual(r, { text: 'a\nb\n', truncated: false, binary: false, sizeBytes: 4 });
  });

  it('keeps the first line when the window starts exactly at a line start (what was appended since an offset)', () => {
    const before = '> dev\n> node server.js\n\n';
    const appended = '/app/server.js:9\n  Promise.reject(new Error(\'x\'));\n                 ^\n\nError: x\n';
    const r = readTail(file('appended.log', before + appended), Buffer.byteLength(appended));
    assert.equal(r.truncated, true);
    assert.equal(r.text, appended);
  });

  it('reads only the last maxBytes of a large file, from the next line boundary', () => {
    const content = lines(0, 20000);
    const r = readTail(file('big.log', content), 4096);
    assert.equal(r.truncated, true);
    assert.equal(r.sizeBytes, Buffer.byteLength(content));
    assert.ok(Buffer.byteLength(r.text) <= 4096);
    assert.ok(content.endsWith(r.text));
    assert.match(r.text, /^1970-01-01T00:00:00\.000Z GET \/api\/items\/\d+ 200 12ms\n/, 'starts with a whole line');
    assert.ok(r.text.endsWith('/api/items/19999 200 12ms\n'));
  });

  it('a sparse 5 GB file costs what a small one does', function () {
    this.timeout(30000);
    const big = path.join(dir, 'huge.log');
    const tail = lines(0, 6000); // ≈ 300 KB, more than the default window
    const size = 5 * 1024 ** 3;
    const fd = fs.openSync(big, 'w');
    try {
      fs.ftruncateSync(fd, size - Buffer.byteLength(tail));
      fs.writeSync(fd, tail, size - Buffer.byteLength(tail));
    } finally { fs.closeSync(fd); }
    const small = file('small-400k.log', lines(0, 8000)); // small, but also larger than the window

    const t0 = process.hrtime.bigint();
    const r = readTail(big);
    const t1 = process.hrtime.bigint();
    readTail(small);
    const t2 = process.hrtime.bigint();
    console.log(`      5 GB tail: ${(Number(t1 - t0) / 1e6).toFixed(2)} ms, 400 KB file: ${(Number(t2 - t1) / 1e6).toFixed(2)} ms`);

    assert.equal(r.sizeBytes, size);
    assert.deepEqual([r.truncated, r.binary], [true, false]);
    assert.ok(Buffer.byteLength(r.text) <= DEFAULT_TAIL_BYTES);
    assert.ok(Buffer.byteLength(r.text) > DEFAULT_TAIL_BYTES - 200);
    assert.ok(tail.endsWith(r.text));
  });

  it('skips the hole of NULs a copytruncate rotation leaves at the start', () => {
    const r = readTail(file('rotated.log', Buffer.concat([Buffer.alloc(5000), Buffer.from('hello\nworld\n')])), 1000);
    assert.deepEqual([r.text, r.binary], ['hello\nworld\n', false]);
  });

  it('detects binary content: NUL bytes inside, or mostly invalid UTF-8', () => {
    const png = readTail(file('x.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48])));
    assert.deepEqual([png.binary, png.text], [true, '']);
    const junk = readTail(file('junk.bin', Buffer.alloc(2000, 0xff)));
    assert.deepEqual([junk.binary, junk.text], [true, '']);
  });

  it('a Latin-1 log with a stray accented byte is still text', () => {
    const r = readTail(file('latin1.log', Buffer.concat([Buffer.from(lines(0, 20)), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])])));
    assert.equal(r.binary, false);
    assert.ok(r.text.endsWith('caf\uFFFD\n'));
  });

  it('missing files, folders and FIFOs give a problem, not an exception', () => {
    assert.match(readTail(path.join(dir, 'nope.log')).problem ?? '', /does not exist/);
    assert.match(readTail(dir).problem ?? '', /not a regular file|is a folder/);
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const r = readTail(fifo);
    assert.match(r.problem ?? '', /not a regular file/);
    assert.equal(r.text, '');
  });
});
