// The one reader of package.json scripts (src/core/shell.ts) and of NODE_OPTIONS (heapLimit.ts).
import * as assert from 'node:assert/strict';
import { nodeOptionTokens, splitNodeOptions } from '../../src/core/heapLimit';
import { parseCommands, shellQuote, splitCommands, wordText } from '../../src/core/shell';

describe('shell: package.json scripts', () => {
  it('keeps redirections in their command; newlines and parentheses separate commands', () => {
    assert.deepEqual(splitCommands('node a.js 2>&1 | tee log &>x'), [['node', 'a.js', '2>&1'], ['tee', 'log', '&>x']]);
    assert.deepEqual(splitCommands('a\nb;(c)'), [['a'], ['b'], ['c']]);
  });

  it('keeps a backslash before ordinary characters (Windows paths), drops it before specials', () => {
    assert.deepEqual(splitCommands(String.raw`node_modules\.bin\vite --x a\ b "q\"r" "s\t"`), [[String.raw`node_modules\.bin\vite`, '--x', 'a b', 'q"r', String.raw`s\t`]]);
  });

  it('gives each word its offsets in the script, so an edit lands where the word is written', () => {
    const script = `PORT=1 vite --port "$P" && next`;
    const [first, second] = parseCommands(script);
    assert.deepEqual(first!.map((w) => script.slice(w.start, w.end)), ['PORT=1', 'vite', '--port', '"$P"']);
    assert.equal(wordText(first![3]!), '$P');
    assert.deepEqual(second!.map(wordText), ['next']);
  });

  it('quotes only what needs it, and round-trips through the reader', () => {
    for (const w of ['plain', 'a b', "it's", '$HOME', '', 'x"y']) {
      const q = w === '' ? "''" : shellQuote(w);
      assert.deepEqual(splitCommands(`echo ${q}`), [['echo', w]], q);
    }
    assert.equal(shellQuote('web/src-1.js'), 'web/src-1.js');
  });
});

describe('NODE_OPTIONS tokens with offsets', () => {
  it('are the tokens node reads, each with where it is written', () => {
    const v = '--a  "--b=x y" --c="q\\"r" "" --d';
    const tokens = nodeOptionTokens(v);
    assert.deepEqual(tokens.map((t) => t.text), splitNodeOptions(v));
    assert.deepEqual(tokens.map((t) => t.text), ['--a', '--b=x y', '--c=q"r', '--d']);
    assert.deepEqual(tokens.map((t) => v.slice(t.start, t.end)), ['--a', '"--b=x y"', '--c="q\\"r"', '--d']);
  });
});
