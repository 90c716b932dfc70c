import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { findNodeAtLocation, getNodeValue, parseTree } from 'jsonc-parser';
import { heapLimitFromArgs, splitNodeOptions } from '../../src/core/heapLimit';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDotenv } from '../../src/core/workspace/dotenv';
import {
  applyHeapLimitToEnvFile, applyHeapLimitToScript, heapLimitOfScript, mergeNodeOptions, scriptEnvFiles, proposeHeapLimit, scriptWithHeapLimit, type HeapProposalInput, type TextEdit,
} from '../../src/core/remedies/heap';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Applies edits (offsets into `text`) from the end backwards. */
function apply(text: string, edits: readonly TextEdit[]): string {
  return [...edits].sort((a, b) => b.offset - a.offset)
    .reduce((t, e) => t.slice(0, e.offset) + e.content + t.slice(e.offset + e.length), text);
}

/** The edits that turn the edited text back into the original, as VS Code's undo would. */
function inverse(original: string, edits: readonly TextEdit[]): TextEdit[] {
  let shift = 0;
  return [...edits].sort((a, b) => a.offset - b.offset).map((e) => {
    const inv = { offset: e.offset + shift, length: e.content.length, content: original.slice(e.offset, e.offset + e.length) };
    shift += e.content.length - e.length;
    return inv;
  });
}

function scriptOf(text: string, name: string): string {
  return getNodeValue(findNodeAtLocation(parseTree(text)!, ['scripts', name])!) as string;
}

const base: HeapProposalInput = {
  currentBytes: 4096 * MiB, source: 'default', peakRssBytes: 4300 * MiB, totalMemBytes: 25 * GiB, availableBytes: 12 * GiB, cgroupLimitBytes: null,
};

describe('remedies: proposing a heap size', () => {
  it('proposes 1.5× the current limit in 256 MB steps when the machine has room', () => {
    const p = proposeHeapLimit(base);
    assert.ok('proposedMb' in p, JSON.stringify(p));
    assert.equal(p.proposedMb, 6144);
    assert.match(p.reason, /current limit is 4096 MB \(V8's default/);
    assert.equal(p.warning, null);
  });

  it('leaves a margin above the peak RSS when the peak is far above the limit, rounded up to 256 MB', () => {
    const p = proposeHeapLimit({ ...base, currentBytes: 512 * MiB, source: 'flag', peakRssBytes: 3000 * MiB });
    assert.ok('proposedMb' in p);
    assert.equal(p.proposedMb, 3840); // 3000 × 1.25 = 3750 → 3840
    assert.equal(p.proposedMb % 256, 0);
    assert.match(p.reason, /--max-old-space-size/);
  });

  it('caps the size below the cgroup limit, leaving room for memory outside the heap', () => {
    const p = proposeHeapLimit({ ...base, currentBytes: 1024 * MiB, peakRssBytes: 1300 * MiB, cgroupLimitBytes: 2 * GiB });
    assert.ok('proposedMb' in p, JSON.stringify(p));
    assert.equal(p.proposedMb, 1536);
    assert.match(p.reason, /most the memory cgroup's 2\.0 GB limit can give/);
  });

  it('refuses a heap above the cgroup limit: it would only trade a heap OOM for a kernel OOM kill', () => {
    const p = proposeHeapLimit({ ...base, currentBytes: 2048 * MiB, source: 'flag', peakRssBytes: 2100 * MiB, cgroupLimitBytes: 2 * GiB });
    assert.ok('refused' in p);
    assert.match(p.refused, /cgroup's 2\.0 GB limit leaves no room/);
    assert.match(p.refused, /OOM killer/);
  });

  it('refuses when the machine\'s memory is unknown, and warns when little memory is free now', () => {
    assert.ok('refused' in proposeHeapLimit({ ...base, totalMemBytes: 0 }));
    const p = proposeHeapLimit({ ...base, availableBytes: 500 * MiB });
    assert.ok('proposedMb' in p && p.warning !== null && /Only 500 MB of memory is free/.test(p.warning));
  });

  it('assumes V8\'s default when the current limit is unknown', () => {
    const p = proposeHeapLimit({ ...base, currentBytes: null, source: null, peakRssBytes: 100 * MiB, totalMemBytes: 8 * GiB });
    assert.ok('proposedMb' in p);
    assert.equal(p.proposedMb, 3072); // default 2048 MB for 8 GB × 1.5
  });
});

describe('remedies: NODE_OPTIONS merging', () => {
  it('adds the flag to nothing, replaces an existing one and keeps every other option as written', () => {
    assert.equal(mergeNodeOptions(undefined, 4096), '--max-old-space-size=4096');
    assert.equal(mergeNodeOptions('', 4096), '--max-old-space-size=4096');
    const merged = mergeNodeOptions('--inspect --max-old-space-size=2048 --require "./a b.js" --max_old_space_size=1000', 4096);
    assert.equal(merged, '--inspect --require "./a b.js" --max-old-space-size=4096');
    assert.deepEqual(splitNodeOptions(merged), ['--inspect', '--require', './a b.js', '--max-old-space-size=4096']);
    assert.equal(heapLimitFromArgs(['node', 'x.js'], { NODE_OPTIONS: merged }, 8 * GiB).bytes, 4096 * MiB);
  });

  it('drops the spaced form and its value, and leaves a quoted string containing the flag alone', () => {
    assert.equal(mergeNodeOptions('--max-old-space-size 2048 --trace-warnings', 3072), '--trace-warnings --max-old-space-size=3072');
    assert.equal(mergeNodeOptions('--title "x --max-old-space-size=1"', 512), '--title "x --max-old-space-size=1" --max-old-space-size=512');
  });
});

describe('remedies: heap limit in a package.json script', () => {
  const cases: [string, string, boolean, string, string][] = [
    ['no NODE_OPTIONS: a POSIX prefix', 'vite --port 3000', false, 'NODE_OPTIONS=\'--max-old-space-size=4096\' vite --port 3000', 'prefix'],
    ['no NODE_OPTIONS, project uses cross-env', 'vite --port 3000', true, 'cross-env NODE_OPTIONS=--max-old-space-size=4096 vite --port 3000', 'cross-env'],
    ['cross-env without NODE_OPTIONS', 'cross-env NODE_ENV=production next build', false, 'cross-env NODE_OPTIONS=--max-old-space-size=4096 NODE_ENV=production next build', 'cross-env'],
    ['cross-env with a quoted NODE_OPTIONS', 'cross-env NODE_OPTIONS="--inspect --max-old-space-size=2048" next dev', false, 'cross-env NODE_OPTIONS="--inspect --max-old-space-size=4096" next dev', 'cross-env'],
    ['cross-env NODE_OPTIONS needing quotes', 'npx cross-env NODE_OPTIONS=--inspect next dev', false, 'npx cross-env NODE_OPTIONS="--inspect --max-old-space-size=4096" next dev', 'cross-env'],
    ['inline unquoted', 'NODE_OPTIONS=--max-old-space-size=2048 next build', false, 'NODE_OPTIONS=--max-old-space-size=4096 next build', 'inline'],
    ['inline single-quoted', 'NODE_OPTIONS=\'--enable-source-maps\' node server.js', false, 'NODE_OPTIONS=\'--enable-source-maps --max-old-space-size=4096\' node server.js', 'inline'],
    ['inline keeping $NODE_OPTIONS', 'NODE_OPTIONS="$NODE_OPTIONS --max-old-space-size=2048" vite build', false, 'NODE_OPTIONS="$NODE_OPTIONS --max-old-space-size=4096" vite build', 'inline'],
    ['inline unquoted needing quotes', 'PORT=3000 NODE_OPTIONS=--inspect node server.js', false, 'PORT=3000 NODE_OPTIONS=\'--inspect --max-old-space-size=4096\' node server.js', 'inline'],
    ['every command of a chain, not builtins', 'cd web && tsc -p . && node dist/server.js 2>&1 | tee out.txt', false,
      'cd web && NODE_OPTIONS=\'--max-old-space-size=4096\' tsc -p . && NODE_OPTIONS=\'--max-old-space-size=4096\' node dist/server.js 2>&1 | NODE_OPTIONS=\'--max-old-space-size=4096\' tee out.txt', 'prefix'],
    ['after leading assignments', 'PORT=3000 vite', false, 'PORT=3000 NODE_OPTIONS=\'--max-old-space-size=4096\' vite', 'prefix'],
  ];
  for (const [what, script, crossEnv, want, form] of cases) {
    it(what, () => {
      assert.deepEqual(scriptWithHeapLimit(script, 4096, crossEnv), { script: want, form });
    });
  }

  it('the POSIX forms really give node the merged NODE_OPTIONS (run through sh)', () => {
    const probe = 'node -p process.env.NODE_OPTIONS';
    for (const [script, want] of [
      [`NODE_OPTIONS='--enable-source-maps' ${probe}`, '--enable-source-maps --max-old-space-size=1024'],
      [`NODE_OPTIONS="$NODE_OPTIONS --max-old-space-size=64" ${probe}`, '--no-warnings --max-old-space-size=1024'],
      [`true && ${probe}`, '--max-old-space-size=1024'],
    ]) {
      const edited = scriptWithHeapLimit(script, 1024, false).script;
      const out = execFileSync('sh', ['-c', edited], { env: { ...process.env, NODE_OPTIONS: '--no-warnings' } }).toString().trim();
      assert.equal(out, want, edited);
    }
  });

  const PACKAGE = [
    '{',
    '   // the shop front end',
    '   "name": "shop",',
    '\t"scripts": {',
    '\t\t"dev":   "NODE_OPTIONS=\'--inspect --max-old-space-size=2048\' vite", /* keep */',
    '\t\t"build": "vite build"',
    '\t},',
    '   "devDependencies": { "vite": "^5" },',
    '}',
    '',
  ].join('\r\n');

  it('edits only the script\'s string in a package.json with comments, odd indentation, CRLF and a trailing comma', () => {
    const r = applyHeapLimitToScript(PACKAGE, 'dev', 6144);
    assert.ok(!('error' in r), JSON.stringify(r));
    assert.equal(r.form, 'inline');
    assert.equal(r.newScript, 'NODE_OPTIONS=\'--inspect --max-old-space-size=6144\' vite');
    assert.equal(scriptOf(r.newText, 'dev'), r.newScript);
    assert.equal(apply(PACKAGE, r.edits), r.newText);
    // Everything outside the script's string is byte for byte the same.
    const at = PACKAGE.indexOf('"NODE_OPTIONS');
    const end = PACKAGE.indexOf(', /* keep */');
    assert.equal(r.newText.slice(0, at), PACKAGE.slice(0, at));
    assert.equal(r.newText.slice(r.newText.indexOf(', /* keep */')), PACKAGE.slice(end));
  });

  it('undoes cleanly: the inverse edits give back the original text', () => {
    const r = applyHeapLimitToScript(PACKAGE, 'build', 3072);
    assert.ok(!('error' in r));
    assert.equal(r.newScript, 'NODE_OPTIONS=\'--max-old-space-size=3072\' vite build');
    assert.equal(apply(r.newText, inverse(PACKAGE, r.edits)), PACKAGE);
  });

  it('uses the cross-env form when the project depends on cross-env', () => {
    const text = '{\n    "scripts": { "start": "node server.js" },\n    "devDependencies": { "cross-env": "^7" }\n}\n';
    const r = applyHeapLimitToScript(text, 'start', 2048);
    assert.ok(!('error' in r));
    assert.equal(r.form, 'cross-env');
    assert.equal(scriptOf(r.newText, 'start'), 'cross-env NODE_OPTIONS=--max-old-space-size=2048 node server.js');
    assert.equal(apply(r.newText, inverse(text, r.edits)), text);
  });

  it('says why it cannot edit: no such script, unparsable file, nonsense size; no edits when already set', () => {
    assert.match((applyHeapLimitToScript(PACKAGE, 'nope', 1024) as { error: string }).error, /no script named "nope"/);
    assert.match((applyHeapLimitToScript('{ "scripts": { "dev": ', 'dev', 1024) as { error: string }).error, /could not be parsed/);
    assert.ok('error' in applyHeapLimitToScript(PACKAGE, 'dev', 0));
    assert.ok('error' in applyHeapLimitToScript(PACKAGE, 'dev', 1.5));
    const same = applyHeapLimitToScript(PACKAGE, 'dev', 2048);
    assert.ok(!('error' in same) && same.edits.length === 0 && same.newText === PACKAGE);
  });

  it('edits node\'s own --max-old-space-size where it is (it wins over NODE_OPTIONS), both spellings; keeps NODE_OPTIONS in step', () => {
    assert.deepEqual(scriptWithHeapLimit('node --max-old-space-size=128 server.js', 256, false), { script: 'node --max-old-space-size=256 server.js', form: 'flag' });
    assert.deepEqual(scriptWithHeapLimit('node --inspect --max_old_space_size 128 server.js --max-old-space-size=9', 512, false),
      { script: 'node --inspect --max-old-space-size=512 server.js --max-old-space-size=9', form: 'flag' });
    assert.deepEqual(scriptWithHeapLimit("NODE_OPTIONS='--max-old-space-size=64' node --max-old-space-size=128 server.js", 256, false),
      { script: "NODE_OPTIONS='--max-old-space-size=256' node --max-old-space-size=256 server.js", form: 'flag' });
    // A flag after the script belongs to the script: not node's, so NODE_OPTIONS is the way.
    assert.equal(scriptWithHeapLimit('node server.js --max-old-space-size=9', 256, false).form, 'prefix');
  });

  it('the edited command line really gives node the new limit (run through sh)', () => {
    const probe = "node --max-old-space-size=128 -p 'Math.round(v8.getHeapStatistics().heap_size_limit / 1048576)'";
    const edited = scriptWithHeapLimit(probe, 512, false).script;
    const limitMb = Number(execFileSync('sh', ['-c', edited]).toString().trim());
    assert.ok(limitMb >= 512 && limitMb < 600, `${edited} → ${limitMb} MB`);
    // The old way (NODE_OPTIONS in front) did nothing: the command line wins.
    const before = Number(execFileSync('sh', ['-c', `NODE_OPTIONS='--max-old-space-size=512' ${probe}`]).toString().trim());
    assert.ok(before < 200, `NODE_OPTIONS lost to the flag: ${before} MB`);
  });

  it('follows npm run to the script whose node command line sets the flag, and edits it there', () => {
    const pkg = JSON.stringify({ name: 'x', scripts: { dev: 'npm run serve', serve: 'node --max-old-space-size=128 server.js', other: 'node a.js' } }, null, 2);
    const r = applyHeapLimitToScript(pkg, 'dev', 768);
    assert.ok(!('error' in r));
    assert.deepEqual(r.nested, [{ script: 'serve', oldScript: 'node --max-old-space-size=128 server.js', newScript: 'node --max-old-space-size=768 server.js' }]);
    const scripts = JSON.parse(r.newText).scripts;
    assert.deepEqual(scripts, { dev: 'npm run serve', serve: 'node --max-old-space-size=768 server.js', other: 'node a.js' });
    assert.equal(r.form, 'flag');
  });
});

describe('remedies: heap limit in an env file node loads (--env-file)', () => {
  it('finds the env files of node commands that set neither the flag nor NODE_OPTIONS themselves', () => {
    assert.deepEqual(scriptEnvFiles('node --env-file=.env server.js'), ['.env']);
    assert.deepEqual(scriptEnvFiles('tsc && node --env-file .env.local --env-file-if-exists=.env dist/a.js'), ['.env.local', '.env']);
    assert.deepEqual(scriptEnvFiles('node --env-file=.env --max-old-space-size=128 server.js'), [], 'the flag wins over the file');
    assert.deepEqual(scriptEnvFiles("NODE_OPTIONS='--inspect' node --env-file=.env server.js"), [], 'the environment wins over the file');
    assert.deepEqual(scriptEnvFiles('vite --env-file=.env'), [], 'not node');
  });

  it('rewrites NODE_OPTIONS where it is (export and other options kept), or adds a line; the result is what node reads', () => {
    const text = '# app\r\nPORT=3000\r\nexport NODE_OPTIONS=\'--title "my app" --max-old-space-size=128\'\r\nSECRET=x\r\n';
    const e = applyHeapLimitToEnvFile(text, 256);
    const out = apply(text, [e.edit]);
    assert.equal(out, '# app\r\nPORT=3000\r\nexport NODE_OPTIONS="--title \\"my app\\" --max-old-space-size=256"\r\nSECRET=x\r\n');
    assert.equal(e.oldLine, 'export NODE_OPTIONS=\'--title "my app" --max-old-space-size=128\'');
    assert.equal(parseDotenv(out).NODE_OPTIONS, '--title "my app" --max-old-space-size=256');
    assert.equal(apply(out, inverse(text, [e.edit])), text, 'undo gives the file back');
    const none = applyHeapLimitToEnvFile('PORT=1', 512);
    assert.equal(apply('PORT=1', [none.edit]), 'PORT=1\nNODE_OPTIONS="--max-old-space-size=512"\n');
    assert.equal(none.oldLine, null);
    const twice = 'NODE_OPTIONS=--inspect\nNODE_OPTIONS=--max-old-space-size=100 # old\n';
    assert.equal(parseDotenv(apply(twice, [applyHeapLimitToEnvFile(twice, 300).edit])).NODE_OPTIONS, '--max-old-space-size=300', 'the last one, the one that counts');
  });

  it('a down server\'s limit is read from the env file its script loads', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heap-envfile-'));
    try {
      fs.writeFileSync(path.join(dir, '.env'), 'NODE_OPTIONS=--max-old-space-size=300\n');
      assert.deepEqual(heapLimitOfScript('node --env-file=.env server.js', 16 * GiB, null, dir), { bytes: 300 * MiB, source: 'NODE_OPTIONS' });
      assert.equal(heapLimitOfScript('node --env-file=.env server.js', 16 * GiB, null).source, 'default', 'no folder, no file read');
      assert.deepEqual(heapLimitOfScript('node --env-file=.env server.js', 16 * GiB, '--max-old-space-size=200', dir), { bytes: 200 * MiB, source: 'NODE_OPTIONS' }, 'the inherited environment wins');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
