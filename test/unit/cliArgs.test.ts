// The CLI's one parser and its generated help.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COMMON_FLAGS, confirmFlags, dryRunLine, Flags, UsageError } from '../../src/cli/args';
import { main, parseArgs, USAGE, VERBS } from '../../src/cli/main';
import { remedyLine } from '../../src/cli/remedyLines';
import { REMEDY_IDS, remedy } from '../../src/core/remedies/catalogue';
import { splitCommands } from '../../src/core/shell';

function collect() {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (s: string) => { out += s; } }, stderr: { write: (s: string) => { err += s; } } }, out: () => out, err: () => err };
}

describe('CLI arguments', () => {
  const specs = [...COMMON_FLAGS, { name: '--since', value: 'D', help: '' }, { name: '--save', value: 'DIR', repeatable: true, help: '' }, { name: '--kill', help: '' }, { name: '--yes', help: '' }];

  it('reads --flag VALUE, --flag=VALUE, aliases and repeated values; the last single value wins', () => {
    const f = Flags.parse(['--since', '1h', '--since=2h', '-w', 'a', '--workspace=b', '--save', 'x', '--save=y', '--json'], specs);
    assert.equal(f.value('--since'), '2h');
    assert.deepEqual(f.values('--workspace'), ['a', 'b']);
    assert.deepEqual(f.values('--save'), ['x', 'y']);
    assert.ok(f.has('--json') && !f.has('--kill'));
  });

  it('refuses unknown options, missing values, values on switches, and a lone --yes', () => {
    assert.throws(() => Flags.parse(['--nope'], specs), /Unknown option "--nope"/);
    assert.throws(() => Flags.parse(['--since'], specs), /--since needs a value/);
    assert.throws(() => Flags.parse(['--since='], specs), /--since needs a value/);
    assert.throws(() => Flags.parse(['--json=yes'], specs), /--json takes no value/);
    assert.throws(() => Flags.parse(['--yes'], specs).confirmed('--kill'), /--yes confirms --kill/);
    assert.equal(Flags.parse(['--kill'], specs).confirmed('--kill'), false);
    assert.equal(Flags.parse(['--kill', '--yes'], specs).confirmed('--kill'), true);
  });

  it('a destructive flag declares its --yes and says what a dry run left undone, naming only the flags missing', () => {
    assert.deepEqual(confirmFlags('--kill', 'stop the listed process trees'), [
      { name: '--kill', help: 'stop the listed process trees (a dry run without --yes)' },
      { name: '--yes', help: 'confirm --kill' },
    ]);
    assert.equal(dryRunLine('--kill', false, 'stopped', 'stop them'), 'Dry run: nothing was stopped. Add --kill --yes to stop them.');
    assert.equal(dryRunLine('--clean', true, 'deleted', 'delete these for good'), 'Dry run: nothing was deleted. Add --yes to delete these for good.');
    const disk = VERBS.find((v) => v.name === 'disk')!;
    assert.deepEqual(disk.flags.filter((f) => f.name === '--clean' || f.name === '--yes').map((f) => f.help), ['delete the listed items (a dry run without --yes)', 'confirm --clean']);
  });

  it('numbers are checked against their range', () => {
    const f = Flags.parse(['--since', '7'], specs);
    assert.equal(f.number('--since', 0, 10), 7);
    assert.throws(() => f.number('--since', 0, 5), UsageError);
    assert.throws(() => Flags.parse(['--since', 'x'], specs).number('--since', 0, 5), /--since takes a number from 0 to 5/);
    assert.equal(f.number('--save', 0, 5), undefined);
  });

  it('every verb has its own parse: a flag of one verb is unknown to another; --help asks for help', () => {
    assert.equal(parseArgs(['watch', '--interval', '0.5', '-w', os.tmpdir()], '/').intervalMs, 500);
    assert.throws(() => parseArgs(['status', '--interval', '1'], '/'), /Unknown option "--interval"/);
    assert.throws(() => parseArgs(['zombies', '--clean'], '/'), /Unknown option "--clean"/);
    assert.equal(parseArgs(['disk', '--help'], '/').command, 'help');
    assert.equal(parseArgs([], '/').command, 'help');
    assert.throws(() => parseArgs(['frobnicate'], '/'), /Unknown command "frobnicate"/);
    assert.throws(() => parseArgs(['status', '-w', '/no/such/folder'], '/'), /Workspace folder not found: \/no\/such\/folder/);
  });

  it('the help names every verb and every flag', () => {
    for (const v of VERBS) {
      assert.match(USAGE, new RegExp(`^  ${v.name} `, 'm'), v.name);
      for (const f of [...v.flags, ...COMMON_FLAGS]) assert.ok(USAGE.includes(f.name), `${v.name} ${f.name}`);
    }
  });

  it('main: help exits 0 on stdout; an unknown verb or flag exits 2 with the usage on stderr', async () => {
    const help = collect();
    assert.equal(await main(['help', 'zombies'], help.io), 0);
    assert.match(help.out(), /dev-server-doctor zombies \[--kill\] \[--yes\] \[--grace SECONDS\]/);
    const bad = collect();
    assert.equal(await main(['zombies', '--clean'], bad.io), 2);
    assert.match(bad.err(), /^Unknown option "--clean"\.\n\n {2}dev-server-doctor zombies /);
    const unknown = collect();
    assert.equal(await main(['nope'], unknown.io), 2);
    assert.match(unknown.err(), /Unknown command "nope"[\s\S]*Verbs:/);
  });

  it('every remedy line that calls dev-server-doctor is a valid command line of this CLI', () => {
    const args = { server: 'api · dev', cwd: os.tmpdir(), pid: 4242, pids: [4242, 4243], port: 5173, megabytes: 512, maxUserWatches: 524288, package: 'left-pad', file: '/w/x.js', line: 3 };
    let ours = 0;
    for (const id of REMEDY_IDS) {
      for (const r of [remedy(id), remedy(id, args)]) {
        for (const words of splitCommands(remedyLine(r))) {
          if (words[0] !== 'dev-server-doctor') continue;
          ours++;
          assert.doesNotThrow(() => parseArgs(words.slice(1), os.tmpdir()), `${id}: ${remedyLine(r)}`);
        }
      }
    }
    assert.ok(ours >= 8, `${ours} lines call the CLI`);
  });

  it('the heap line edits the script where it sets the limit itself (NODE_OPTIONS from the shell would lose), and really works', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'heapline-'));
    try {
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'x', scripts: { dev: 'node --max-old-space-size=128 server.js', plain: 'node server.js' } }, null, 2));
      fs.writeFileSync(path.join(dir, 'server.js'), 'console.log(require("v8").getHeapStatistics().heap_size_limit / 1048576)');
      const line = remedyLine(remedy('raise-heap-limit', { server: 'x · dev', cwd: dir, megabytes: 256 }));
      assert.equal(line, `cd ${dir} && npm pkg set 'scripts.dev=node --max-old-space-size=256 server.js' && npm run dev`);
      // Typed into a shell, the next start has the new limit (old space 256 MB plus the young generation).
      const out = execFileSync('sh', ['-c', line], { encoding: 'utf8' });
      const limit = Number(out.trim().split('\n').pop());
      assert.ok(limit >= 256 && limit < 320, `heap_size_limit ${limit} MB after: ${line}`);
      assert.equal(remedyLine(remedy('raise-heap-limit', { server: 'x · plain', cwd: dir, megabytes: 256 })), `cd ${dir} && NODE_OPTIONS=--max-old-space-size=256 npm run plain`, 'where the shell\'s NODE_OPTIONS takes effect');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
