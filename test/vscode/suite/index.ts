// Entry point VS Code calls in the extension host (extensionTestsPath): runs every *.test.js beside
// this file with mocha and, because the browser page that drives code-server never sees the result,
// also writes it as JSON to the file named by DSD_TEST_RESULT, which the harness waits for.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface SuiteResult {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; message: string; stack: string }[];
  tests: { title: string; state: 'passed' | 'failed' | 'pending'; duration: number }[];
}

export function run(): Promise<void> {
  // DSD_TEST_GREP (set when starting the harness) runs a subset while developing.
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, ...(process.env.DSD_TEST_GREP ? { grep: process.env.DSD_TEST_GREP } : {}) });
  const files = fs.readdirSync(__dirname, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  const result: SuiteResult = { passed: 0, failed: 0, pending: 0, failures: [], tests: [] };
  const save = () => {
    const file = process.env.DSD_TEST_RESULT;
    if (!file) return;
    // Renamed into place so the harness, polling for the file, never reads half of it.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(result, null, 2));
    fs.renameSync(`${file}.tmp`, file);
  };
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        save();
        if (failures > 0) reject(new Error(`${failures} tests failed.`));
        else resolve();
      });
      runner.on('pass', (test) => {
        result.passed++;
        result.tests.push({ title: test.fullTitle(), state: 'passed', duration: test.duration ?? 0 });
      });
      runner.on('pending', (test) => {
        result.pending++;
        result.tests.push({ title: test.fullTitle(), state: 'pending', duration: 0 });
      });
      // 'fail' also fires for hooks; each counts as a failure, as mocha's own summary does.
      runner.on('fail', (test, err: Error) => {
        result.failed++;
        result.tests.push({ title: test.fullTitle(), state: 'failed', duration: test.duration ?? 0 });
        result.failures.push({ title: test.fullTitle(), message: String(err?.message ?? err), stack: String(err?.stack ?? '') });
      });
    } catch (err) {
      // A test file that throws while loading: report it now rather than let the harness time out.
      const e = err instanceof Error ? err : new Error(String(err));
      result.failed++;
      result.failures.push({ title: 'loading the test files', message: e.message, stack: e.stack ?? '' });
      save();
      reject(e);
    }
  });
}
