// The layout promise of the README: no source file over ~350 lines without saying at its top why.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../../src');
const LIMIT = 360;
const REASON = /^\/\/ Why this file is long/m;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.tsx?$/.test(e.name) ? [p] : [];
  });
}

describe('source layout', () => {
  it(`every file in src/ over ${LIMIT} lines says at its top why it is long`, () => {
    const files = sources(ROOT);
    assert.ok(files.length > 100, `found ${files.length} sources under ${ROOT}`);
    const unexplained = files.filter((f) => {
      const text = fs.readFileSync(f, 'utf8');
      const lines = (text.match(/\n/g) ?? []).length;
      const top = text.split('\n').slice(0, 15).join('\n');
      return lines > LIMIT && !REASON.test(top);
    }).map((f) => path.relative(ROOT, f));
    assert.deepEqual(unexplained, []);
  });
});
