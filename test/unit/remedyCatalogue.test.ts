import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inotifyRaiseLines, readRemedy, REMEDIES, REMEDY_IDS, remedy } from '../../src/core/remedies/catalogue';
import { CrashHistory, HISTORY_FILE } from '../../src/core/history/crashHistory';
import { REMEDY_COMMANDS, remedyLink } from '../../src/vscode/remedyCommands';
import { REMEDY_LINES, remedyLine } from '../../src/cli/remedyLines';

const root = path.resolve(__dirname, '..', '..', '..');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []);
}

describe('remedy catalogue', () => {
  it('every remedy has a VS Code command the extension contributes and a CLI line', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
    const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const id of REMEDY_IDS) {
      assert.ok(contributed.has(REMEDY_COMMANDS[id]), `${id} → ${REMEDY_COMMANDS[id]} is not contributed`);
      assert.equal(typeof REMEDY_LINES[id], 'function', id);
      assert.ok(remedyLine(remedy(id)).length > 0, id);
      assert.ok(REMEDIES[id].what.endsWith('.'), id);
    }
  });

  it('the core never names a VS Code command', () => {
    const hits = filesUnder(path.join(root, 'src', 'core')).filter((f) => /devServerDoctor\./.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(hits, []);
  });

  it('reads remedies stored before the catalogue (VS Code command ids) as catalogue ids', () => {
    assert.deepEqual(readRemedy({ command: 'devServerDoctor.raiseHeapLimit', title: 'Raise the heap limit to 512 MB', args: { megabytes: 512 } }),
      { id: 'raise-heap-limit', title: 'Raise the heap limit to 512 MB', args: { megabytes: 512 } });
    assert.equal(readRemedy({ command: 'devServerDoctor.npmInstall', title: 'x' })?.id, 'install-dependencies');
    assert.equal(readRemedy({ command: 'somethingElse.unknown', title: 'x' }), null);
    assert.equal(readRemedy({ id: 'kill-zombies' })?.title, REMEDIES['kill-zombies'].title);
    assert.equal(readRemedy('nope'), null);
  });

  it('crash history written with old command ids still reads, with catalogue ids', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-cat-'));
    try {
      const verdict = {
        cause: 'heap-oom', confidence: 'high', server: 'api', pid: 42, time: 1_700_000_000_000, summary: 'api ran out of heap',
        evidence: [], topFrame: null,
        remedies: [{ command: 'devServerDoctor.raiseHeapLimit', title: 'Raise the heap limit to 512 MB', args: { megabytes: 512 } },
          { command: 'devServerDoctor.restartServer', title: 'Restart the server' }, { command: 'gone.command', title: 'Gone' }],
      };
      fs.writeFileSync(path.join(dir, HISTORY_FILE), `${JSON.stringify({ t: 'crash', id: 'a1', at: 1_700_000_000_500, key: 'api#42', severity: 'critical', verdict })}\n`);
      const h = new CrashHistory({ dir });
      const [e] = h.entries();
      assert.deepEqual(e.verdict.remedies.map((r) => r.id), ['raise-heap-limit', 'restart-server']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one piece of file watcher advice: the figure, now and after a reboot, sudo only when not root', () => {
    assert.deepEqual(inotifyRaiseLines({ asRoot: false }), [
      'sudo sysctl fs.inotify.max_user_watches=524288',
      "printf '%s\\n' 'fs.inotify.max_user_watches=524288' | sudo tee /etc/sysctl.d/60-dev-server-doctor-inotify.conf",
    ]);
    assert.ok(inotifyRaiseLines({ asRoot: true }).every((l) => !l.includes('sudo')));
    const hits = filesUnder(path.join(root, 'src')).filter((f) => !f.endsWith('catalogue.ts') && /524[_,]?288/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(hits, [], 'the figure lives in the catalogue only');
  });

  it('the same remedy reads as a command link in the editor and as the line to type in a terminal', () => {
    const r = remedy('kill-port-holder', { port: 5173, pid: 4242 }, 'Stop the process holding port 5173 (pid 4242)');
    assert.match(remedyLink(r), /^\[Stop the process holding port 5173 \(pid 4242\)\]\(command:devServerDoctor\.killPortHolder\?/);
    assert.equal(remedyLine(r), 'dev-server-doctor zombies --kill --pid 4242');
  });
});
