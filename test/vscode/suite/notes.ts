// What a test wants a person to read (measured delays, the verdicts it saw). VS Code swallows the extension
// host's console (console.log cannot even be wrapped there), so each line is also appended to a file beside
// the suite's result, which the harness prints.
import * as fs from 'node:fs';

export function note(line: string): void {
  console.log(line);
  const file = process.env.DSD_TEST_RESULT;
  if (!file) return;
  try {
    fs.appendFileSync(`${file}.notes`, `${line}\n`);
  } catch {
    // Only a convenience: never fail a test over it.
  }
}
