import * as assert from 'node:assert/strict';
import { parseDotenv } from '../../src/core/workspace/dotenv';

describe('parseDotenv', () => {
  it('reads plain KEY=value lines and trims around unquoted values', () => {
    assert.deepEqual(parseDotenv('PORT=3000\nHOST = localhost  \n'), { PORT: '3000', HOST: 'localhost' });
  });

  it('skips comments, blank lines and malformed lines', () => {
    const text = '# comment\n\n   # indented comment\nnot an assignment\n=novalue\n1BAD=x\nGOOD=yes\n';
    assert.deepEqual(parseDotenv(text), { GOOD: 'yes' });
  });

  it('accepts `export KEY=`', () => {
    assert.deepEqual(parseDotenv('export PORT=4000\nexport  API_URL=http://x'), { PORT: '4000', API_URL: 'http://x' });
  });

  it('keeps a value named like the keyword: `export=1` is the key "export"', () => {
    assert.deepEqual(parseDotenv('export=1'), { export: '1' });
  });

  it('takes single-quoted values literally', () => {
    assert.deepEqual(parseDotenv(String.raw`A='x\ny # not a comment'`), { A: String.raw`x\ny # not a comment` });
  });

  it('expands \\n, \\r, \\t, \\" and \\\\ in double quotes and keeps other escapes', () => {
    assert.deepEqual(parseDotenv(String.raw`A="line1\nline2\t\"q\" \\ \d"`), { A: 'line1\nline2\t"q" \\ \\d' });
  });

  it('reads backtick-quoted values literally', () => {
    assert.deepEqual(parseDotenv('A=`it\'s "both"`'), { A: 'it\'s "both"' });
  });

  it('lets a quoted value span several lines', () => {
    assert.deepEqual(parseDotenv('KEY="-----BEGIN\nabc\n-----END"\nNEXT=1'), { KEY: '-----BEGIN\nabc\n-----END', NEXT: '1' });
  });

  it('drops an inline comment after an unquoted value only when a space precedes the #', () => {
    assert.deepEqual(parseDotenv('PORT=3000 # the api\nURL=http://x/#anchor\nT=a\t# tab'), {
      PORT: '3000',
      URL: 'http://x/#anchor',
      T: 'a',
    });
  });

  it('ignores anything after the closing quote', () => {
    assert.deepEqual(parseDotenv('A="quoted # kept" # dropped\nB=\'x\' trailing'), { A: 'quoted # kept', B: 'x' });
  });

  it('handles CRLF and lone CR line ends', () => {
    assert.deepEqual(parseDotenv('A=1\r\nB="x\r\ny"\r\nC=3\rD=4'), { A: '1', B: 'x\ny', C: '3', D: '4' });
  });

  it('strips a UTF-8 BOM', () => {
    assert.deepEqual(parseDotenv('\uFEFFPORT=5000'), { PORT: '5000' });
  });

  it('reads empty values, quoted or not', () => {
    assert.deepEqual(parseDotenv('A=\nB=""\nC=\'\'\nD= # comment only'), { A: '', B: '', C: '', D: '' });
  });

  it('takes an unterminated quote as part of an unquoted value', () => {
    assert.deepEqual(parseDotenv('A="open\nB=2'), { A: '"open', B: '2' });
  });

  it('lets a later line override an earlier one', () => {
    assert.deepEqual(parseDotenv('PORT=1\nPORT=2'), { PORT: '2' });
  });

  it('keeps = signs inside values and dotted or dashed keys', () => {
    assert.deepEqual(parseDotenv('Q=a=b=c\napp.port=1\nmy-key=2'), { Q: 'a=b=c', 'app.port': '1', 'my-key': '2' });
  });

  it('stores __proto__ as a plain key without touching the prototype', () => {
    const env = parseDotenv('__proto__=x\nA=1');
    assert.equal(Object.getPrototypeOf(env), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(env, '__proto__')?.value, 'x');
    assert.equal(env.A, '1');
  });

  it('returns an empty record for empty or whitespace-only text', () => {
    assert.deepEqual(parseDotenv(''), {});
    assert.deepEqual(parseDotenv(' \n\t\n'), {});
  });
});
