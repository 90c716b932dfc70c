// `npm test`: the unit suite, the live suite (real processes), then the same kind of mocha suite
// inside a real VS Code (code-server). Prints one closing line "N passed, N failed, N skipped".
import { spawn } from 'node:child_process';
import * as path from 'node:path';

interface PhaseResult { name: string; passed: number; failed: number; skipped: number; code: number; failures: string[] }

const root = path.resolve(__dirname, '..', '..');

// Mocha's failure list after "N failing": "  1) suite\n       test title:\n     Error: …". The summary repeats
// each failure's title and first error line, so a CI log cut short in the middle still names what failed.
function failureTitles(out: string): string[] {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const at = plain.search(/^\s*\d+ failing/m);
  if (at < 0) return [];
  const lines = plain.slice(at).split('\n');
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s{2}\d+\) /.test(lines[i])) continue;
    const block: string[] = [lines[i].trim()];
    for (let j = i + 1; j < lines.length && j < i + 8 && !/^\s{2}\d+\) /.test(lines[j]); j++) {
      const line = lines[j].trim();
      if (!line) continue;
      block.push(line);
      if (/Error|assert|Timeout/i.test(line)) break;
    }
    found.push(block.join(' › ').slice(0, 400));
  }
  return found;
}

function run(name: string, cmd: string, args: string[]): Promise<PhaseResult> {
  return new Promise((resolve) => {
    console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { process.stdout.write(d); out += d.toString(); });
    child.on('close', (code) => {
      const num = (re: RegExp) => { const m = re.exec(out); return m ? Number(m[1]) : 0; };
      resolve({
        name,
        passed: num(/(\d+) passing/),
        failed: num(/(\d+) failing/),
        skipped: num(/(\d+) pending/),
        code: code ?? 1,
        failures: failureTitles(out),
      });
    });
  });
}

async function main(): Promise<void> {
  const mocha = path.join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const phases = [
    await run('unit', process.execPath, [mocha, '--config', 'test/.mocharc.unit.json']),
    await run('live', process.execPath, [mocha, '--config', 'test/.mocharc.live.json']),
    await run('vscode', process.execPath, [path.join(root, 'out', 'test', 'vscode', 'runCodeServer.js')]),
  ];
  // Last, as a user gets it: package the VSIX (a production build), install it into code-server, look at the UI.
  const vsix = path.join(root, 'out', 'dev-server-doctor.vsix');
  const pack = await run('package', 'npx', ['vsce', 'package', '--no-dependencies', '-o', vsix]);
  phases.push(pack.code === 0
    ? await run('vsix', process.execPath, [path.join(root, 'out', 'test', 'vscode', 'runCodeServer.js'), '--vsix', vsix])
    : { ...pack, name: 'vsix', failures: [] });
  let passed = 0, failed = 0, skipped = 0;
  console.log('\n=== summary');
  for (const p of phases) {
    // A phase that exits non-zero without reporting a failing test (crash, missing harness) still fails the run.
    const phaseFailed = p.failed + (p.code !== 0 && p.failed === 0 ? 1 : 0);
    console.log(`${p.name}: ${p.passed} passed, ${phaseFailed} failed, ${p.skipped} skipped (exit ${p.code})`);
    for (const f of p.failures) console.log(`  failed: ${f}`);
    passed += p.passed; failed += phaseFailed; skipped += p.skipped;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 ? 1 : 0);
}

void main();
