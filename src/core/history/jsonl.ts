// Append-only JSON Lines files that survive being cut off mid-write (the editor killed while appending).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface JsonlContents {
  readonly records: unknown[];
  readonly bytes: number;
  /** What was wrong with the file, in plain words (a cut-off last line, damaged lines, unreadable file). */
  readonly problems: string[];
}

/**
 * Reads every line that parses. A last line without its newline is what a killed writer leaves: it is
 * skipped when it does not parse and the file is cut back to the last whole line, so the next append
 * starts on a line of its own.
 */
export function openJsonl(file: string): JsonlContents {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { records: [], bytes: 0, problems: code === 'ENOENT' ? [] : [`Could not read ${file}: ${(err as Error).message}`] };
  }
  const problems: string[] = [];
  const records: unknown[] = [];
  let bytes = Buffer.byteLength(text);
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  let damaged = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      damaged++;
    }
  }
  if (damaged > 0) problems.push(`${damaged} damaged line${damaged > 1 ? 's' : ''} in ${path.basename(file)} ${damaged > 1 ? 'were' : 'was'} skipped.`);
  if (tail.trim() !== '') {
    try {
      records.push(JSON.parse(tail));
      fs.appendFileSync(file, '\n');
      bytes += 1;
    } catch {
      problems.push(`The last line of ${path.basename(file)} was cut off (the editor stopped while writing it); it was skipped.`);
      try {
        bytes -= Buffer.byteLength(tail);
        fs.truncateSync(file, bytes);
      } catch (err) {
        problems.push(`Could not repair ${file}: ${(err as Error).message}`);
      }
    }
  }
  return { records, bytes, problems };
}

/** Appends one record as one write; returns the bytes written, or a problem. */
export function appendJsonl(file: string, record: unknown): { bytes: number } | { problem: string } {
  const line = `${JSON.stringify(record)}\n`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(file, line);
    return { bytes: Buffer.byteLength(line) };
  } catch (err) {
    return { problem: `Could not write ${file}: ${(err as Error).message}` };
  }
}

/** Replaces the file's contents atomically (write a temporary file, then rename); returns the new size or a problem. */
export function rewriteJsonl(file: string, records: readonly unknown[]): { bytes: number } | { problem: string } {
  const text = records.map((r) => `${JSON.stringify(r)}\n`).join('');
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return { bytes: Buffer.byteLength(text) };
  } catch (err) {
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing to clean */ }
    return { problem: `Could not rewrite ${file}: ${(err as Error).message}` };
  }
}
