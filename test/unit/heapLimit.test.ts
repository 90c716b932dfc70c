import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  envFileNodeOptions,
  envFilesOf,
  heapLimitFromArgs,
  isNodeProcess,
  splitNodeCommandLine,
  splitNodeOptions,
  v8DefaultOldSpaceBytes,
} from '../../src/core/heapLimit';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MEM_16G = 16 * GiB;

describe('splitNodeOptions', () => {
  it('splits at spaces and groups double quotes', () => {
    assert.deepEqual(splitNodeOptions('--max-old-space-size=4096 --require "./a b.js"'), ['--max-old-space-size=4096', '--require', './a b.js']);
  });

  it('joins a quoted part to the word it touches', () => {
    assert.deepEqual(splitNodeOptions('--require="./a b.js" --title=x"y z"'), ['--require=./a b.js', '--title=xy z']);
  });

  it('makes the character after a backslash literal inside quotes only', () => {
    assert.deepEqual(splitNodeOptions(String.raw`"a\"b" "c\\d" e\f`), ['a"b', 'c\\d', 'e\\f']);
  });

  it('collapses repeated spaces and ignores leading and trailing ones', () => {
    assert.deepEqual(splitNodeOptions('   --a    --b  '), ['--a', '--b']);
  });

  it('separates only at spaces, as node does (tabs stay inside a word)', () => {
    assert.deepEqual(splitNodeOptions('--a\t--b'), ['--a\t--b']);
  });

  it('keeps what it has on an unterminated quote or a trailing backslash (node refuses both)', () => {
    assert.deepEqual(splitNodeOptions('--a "b c'), ['--a', 'b c']);
    assert.deepEqual(splitNodeOptions('--a "b\\'), ['--a', 'b']);
  });

  it('returns nothing for an empty string or empty quotes', () => {
    assert.deepEqual(splitNodeOptions(''), []);
    assert.deepEqual(splitNodeOptions('""'), []);
  });
});

describe('splitNodeCommandLine', () => {
  it('separates node options, the script and its arguments', () => {
    assert.deepEqual(splitNodeCommandLine(['node', '--inspect', '-r', 'dotenv/config', 'server.js', '--port', '3000']), {
      nodeArgs: ['--inspect', '-r', 'dotenv/config'],
      script: 'server.js',
      scriptArgs: ['--port', '3000'],
    });
  });

  it('takes option values given with = or as the next word', () => {
    assert.deepEqual(splitNodeCommandLine(['node', '--require=a', '--import', 'b', '--title', 't', 'app.js']).script, 'app.js');
  });

  it('keeps reading node options after -e / -p code (measured: `node -e CODE --max-old-space-size=700` applies it)', () => {
    const r = splitNodeCommandLine(['node', '-e', 'x()', '--max-old-space-size=700']);
    assert.equal(r.script, null);
    assert.deepEqual(r.nodeArgs, ['-e', 'x()', '--max-old-space-size=700']);
  });

  it('ends node options at --', () => {
    assert.deepEqual(splitNodeCommandLine(['node', '--', '-weird.js', 'a']), { nodeArgs: [], script: '-weird.js', scriptArgs: ['a'] });
  });

  it('treats - as the script (stdin)', () => {
    assert.equal(splitNodeCommandLine(['node', '-', 'x']).script, '-');
  });

  it('has no script for a bare node or an empty argv', () => {
    assert.deepEqual(splitNodeCommandLine(['node']), { nodeArgs: [], script: null, scriptArgs: [] });
    assert.deepEqual(splitNodeCommandLine([]), { nodeArgs: [], script: null, scriptArgs: [] });
  });
});

describe('v8DefaultOldSpaceBytes', () => {
  // Measured with Node 20.20.2 inside memory cgroups (see the comment in heapLimit.ts).
  const measured: [number, number][] = [
    [100 * MiB, 256 * MiB],
    [512 * MiB, 256 * MiB],
    [600 * MiB, 300 * MiB],
    [1 * GiB, 512 * MiB],
    [3 * GiB, 1536 * MiB],
    [4 * GiB, 2048 * MiB],
    [15 * GiB, 2048 * MiB],
    [Math.round(15.4 * GiB), 2048 * MiB],
    [Math.round(15.6 * GiB), 4096 * MiB],
    [16 * GiB, 4096 * MiB],
    [25276510208, 4096 * MiB],
    [999997440, 500170752],
    [1234567168, 617349120],
  ];
  for (const [mem, old] of measured) {
    it(`${(mem / MiB).toFixed(0)} MiB of memory → ${old} bytes`, () => assert.equal(v8DefaultOldSpaceBytes(mem), old));
  }

  it('falls back to the minimum for nonsense memory sizes', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(v8DefaultOldSpaceBytes(bad), 256 * MiB, String(bad));
  });
});

describe('heapLimitFromArgs', () => {
  it('reads --max-old-space-size=N before the script', () => {
    assert.deepEqual(heapLimitFromArgs(['node', '--max-old-space-size=4096', 'server.js'], null, MEM_16G), { bytes: 4096 * MiB, source: 'flag' });
  });

  it('accepts the underscore spelling and a separate value', () => {
    assert.deepEqual(heapLimitFromArgs(['node', '--max_old_space_size=512', 's.js'], {}, MEM_16G), { bytes: 512 * MiB, source: 'flag' });
    assert.deepEqual(heapLimitFromArgs(['node', '--max-old-space-size', '768', 's.js'], {}, MEM_16G), { bytes: 768 * MiB, source: 'flag' });
  });

  it('does not take a flag after the script for a node flag', () => {
    assert.deepEqual(heapLimitFromArgs(['node', 'server.js', '--max-old-space-size=1'], {}, MEM_16G), { bytes: 4096 * MiB, source: 'default' });
  });

  it('takes the last of several flags, as V8 does', () => {
    assert.equal(heapLimitFromArgs(['node', '--max-old-space-size=200', '--max-old-space-size=250', 's.js'], {}, MEM_16G).bytes, 250 * MiB);
  });

  it('reads NODE_OPTIONS, quotes and all', () => {
    const env = { NODE_OPTIONS: '--require "./my hooks.js" --max-old-space-size=3072' };
    assert.deepEqual(heapLimitFromArgs(['node', 'server.js'], env, MEM_16G), { bytes: 3072 * MiB, source: 'NODE_OPTIONS' });
    assert.deepEqual(heapLimitFromArgs(['node', 's.js'], { NODE_OPTIONS: '--max-old-space-size="410"' }, MEM_16G).bytes, 410 * MiB);
  });

  it('lets the command-line flag win over NODE_OPTIONS', () => {
    const env = { NODE_OPTIONS: '--max-old-space-size=400' };
    assert.deepEqual(heapLimitFromArgs(['node', '--max-old-space-size=500', 's.js'], env, MEM_16G), { bytes: 500 * MiB, source: 'flag' });
  });

  it('falls back to NODE_OPTIONS when the only flag is after the script', () => {
    const env = { NODE_OPTIONS: '--max-old-space-size=400' };
    assert.deepEqual(heapLimitFromArgs(['node', 's.js', '--max-old-space-size=1'], env, MEM_16G), { bytes: 400 * MiB, source: 'NODE_OPTIONS' });
  });

  it("uses V8's default for the memory given when neither says", () => {
    assert.deepEqual(heapLimitFromArgs(['node', 's.js'], { NODE_OPTIONS: '--inspect' }, 2 * GiB), { bytes: 1024 * MiB, source: 'default' });
    assert.deepEqual(heapLimitFromArgs(['node', 's.js'], null, 64 * GiB), { bytes: 4096 * MiB, source: 'default' });
  });

  it('treats 0 as "default" and ignores values node would refuse', () => {
    for (const v of ['0', '1.5e3', '0x100', '600.7', 'abc', '']) {
      assert.equal(heapLimitFromArgs(['node', `--max-old-space-size=${v}`, 's.js'], {}, MEM_16G).source, 'default', v);
    }
  });

  it('reads flags after -e code', () => {
    assert.equal(heapLimitFromArgs(['node', '-e', 'x', '--max-old-space-size=700'], {}, MEM_16G).bytes, 700 * MiB);
  });

  it('copes with an empty or retitled argv', () => {
    assert.equal(heapLimitFromArgs([], null, MEM_16G).source, 'default');
    assert.equal(heapLimitFromArgs(['next-server (v14.2.3)'], { NODE_OPTIONS: '--max-old-space-size=900' }, MEM_16G).bytes, 900 * MiB);
  });

  describe('agrees with V8 in real node processes', () => {
    // heap_size_limit = old space (what is reported) + young generation; the young generation depends
    // only on the memory node sees, so heap_size_limit - reported bytes must be one constant.
    const print = 'console.log(require("v8").getHeapStatistics().heap_size_limit)';
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const constrained = (process as { constrainedMemory?: () => number }).constrainedMemory?.() ?? 0;
    const mem = constrained > 0 ? Math.min(os.totalmem(), constrained) : os.totalmem();
    let dir = '';
    let script = '';

    /** heap_size_limit in a node started with these arguments, minus what heapLimitFromArgs reports for it. */
    const youngGeneration = (args: string[], extraEnv: Record<string, string> = {}): number => {
      const out = execFileSync(process.execPath, args, { env: { ...env, ...extraEnv }, encoding: 'utf8' });
      return Number(out.trim()) - heapLimitFromArgs([process.execPath, ...args], extraEnv, mem).bytes;
    };

    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heaplimit-'));
      script = path.join(dir, 'print.js');
      fs.writeFileSync(script, print);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('--max-old-space-size=N is exactly the old space: heap_size_limit = N MiB + 3 × semi-space', () => {
      const young = youngGeneration(['--max-old-space-size=123', script]);
      assert.ok(young >= 3 * MiB && young <= 48 * MiB && young % (3 * MiB) === 0, `young generation ${young / MiB} MiB`);
      assert.equal(youngGeneration(['--max-old-space-size=246', script]), young);
    });

    it('NODE_OPTIONS, the default and a flag after the script leave the same young generation', () => {
      const young = youngGeneration(['--max-old-space-size=123', script]);
      assert.equal(youngGeneration([script], { NODE_OPTIONS: '--title "my server" --max-old-space-size=300' }), young);
      assert.equal(youngGeneration([script]), young, `default old space for ${mem} bytes of memory`);
      assert.equal(youngGeneration([script, '--max-old-space-size=123']), young);
      assert.equal(youngGeneration(['--max-old-space-size=500', script], { NODE_OPTIONS: '--max-old-space-size=400' }), young);
    });

    it('NODE_OPTIONS in an --env-file applies (read from the file, as the poll does); the environment\'s wins over it', () => {
      const young = youngGeneration(['--max-old-space-size=123', script]);
      fs.writeFileSync(path.join(dir, '.env'), '# heap\nexport NODE_OPTIONS="--title x --max-old-space-size=300"\nPORT=1\n');
      const args = ['--env-file=.env', script];
      const measured = (extraEnv: Record<string, string> = {}) => Number(execFileSync(process.execPath, args, { cwd: dir, env: { ...env, ...extraEnv }, encoding: 'utf8' }).trim());
      const fromFile = envFileNodeOptions([process.execPath, ...args], dir);
      assert.equal(fromFile, '--title x --max-old-space-size=300');
      const ours = heapLimitFromArgs([process.execPath, ...args], {}, mem, fromFile);
      assert.deepEqual([ours.bytes, ours.source], [300 * MiB, 'NODE_OPTIONS']);
      assert.equal(measured() - ours.bytes, young);
      // The environment's NODE_OPTIONS wins over the file's (node's documented precedence), and so it does for us.
      const envWins = heapLimitFromArgs([process.execPath, ...args], { NODE_OPTIONS: '--max-old-space-size=200' }, mem, fromFile);
      assert.equal(measured({ NODE_OPTIONS: '--max-old-space-size=200' }) - envWins.bytes, young);
    });
  });
});

describe('envFilesOf', () => {
  it('lists the env files node loads itself, in order, both spellings of the value; none after the script', () => {
    assert.deepEqual(envFilesOf(['node', '--env-file=.env', '--env-file-if-exists', '.env.local', 'server.js', '--env-file=x']), ['.env', '.env.local']);
    assert.deepEqual(envFilesOf(['node', 'server.js']), []);
  });

  it('reads nothing it should not: a missing file, a FIFO, a relative file without a folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envfile-'));
    try {
      execFileSync('mkfifo', [path.join(dir, 'fifo')]);
      assert.equal(envFileNodeOptions(['node', '--env-file=fifo', 'a.js'], dir), null);
      assert.equal(envFileNodeOptions(['node', '--env-file=missing', 'a.js'], dir), null);
      fs.writeFileSync(path.join(dir, 'a.env'), 'NODE_OPTIONS=--max-old-space-size=1\n');
      fs.writeFileSync(path.join(dir, 'b.env'), 'NODE_OPTIONS=--max-old-space-size=2\n');
      assert.equal(envFileNodeOptions(['node', '--env-file=a.env', 'a.js'], null), null);
      assert.equal(envFileNodeOptions(['node', '--env-file=a.env', '--env-file=b.env', 'a.js'], dir), '--max-old-space-size=2', 'a later file overrides');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isNodeProcess', () => {
  const yes: [string[], string][] = [
    [['node', 'server.js'], 'node'],
    [['/usr/bin/node', 'server.js'], 'node'],
    [['/home/u/.nvm/versions/node/v20.20.2/bin/node', 'a.js'], 'node'],
    [['nodejs', 'a.js'], 'nodejs'],
    [['C:\\Program Files\\nodejs\\node.exe', 'a.js'], 'node.exe'],
    [['C:\\Program Files\\nodejs\\NODE.EXE', 'a.js'], ''],
    // nodemon's supervisor: a node process running the nodemon script
    [['node', '/usr/local/bin/nodemon', 'server.js'], 'node'],
    // argv unreadable (another user's process) but the executable is node
    [[], 'node'],
    // tools that retitle themselves; on Linux comm follows, cut to 15 bytes
    [['next-server (v14.2.3)'], 'next-server (v1'],
    [['npm run dev'], 'npm run dev'],
    [[], 'nodemon'],
  ];
  for (const [cmdline, comm] of yes) {
    it(`${JSON.stringify(cmdline)} / ${comm} is node`, () => assert.equal(isNodeProcess(cmdline, comm), true));
  }

  const no: [string[], string][] = [
    [['bash', '-c', 'node server.js'], 'bash'],
    [['/usr/bin/python3', 'node.py'], 'python3'],
    [['deno', 'run', 'server.ts'], 'deno'],
    [['bun', 'run', 'dev'], 'bun'],
    [['nodeenv'], 'nodeenv'],
    [['/opt/node/bin/npmx'], 'npmx'],
    [[], ''],
  ];
  for (const [cmdline, comm] of no) {
    it(`${JSON.stringify(cmdline)} / ${comm} is not node`, () => assert.equal(isNodeProcess(cmdline, comm), false));
  }
});
