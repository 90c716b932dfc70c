// Reading what other processes append to a small JSON-lines file (the shared runs and stops files): from where the
// last read ended, a torn last line kept for the next read, a file started over (renamed or truncated) read from
// its start. Never throws: an unreadable file reads as nothing new.
import * as fs from 'node:fs';

const READ_MAX = 256 * 1024;

export class JsonLinesTail<T> {
  private offset: number;
  private ino: number;
  private partial = '';

  /**
   * `fromStart`: read what the file holds already too. `keepEnd`: a backlog larger than one read is skipped to its
   * end (only recent lines matter); else it is read a chunk per call.
   */
  constructor(private readonly file: string, private readonly accept: (x: unknown) => x is T, opts: { fromStart?: boolean; keepEnd?: boolean } = {}) {
    const st = statOf(file);
    this.offset = opts.fromStart ? 0 : st.size;
    this.ino = st.ino;
    this.keepEnd = opts.keepEnd ?? false;
  }

  private readonly keepEnd: boolean;

  /** The records appended since the last read. */
  read(): T[] {
    const { size, ino } = statOf(this.file);
    if (ino !== this.ino || size < this.offset) { this.offset = 0; this.partial = ''; this.ino = ino; }
    if (size === this.offset) return [];
    if (this.keepEnd && size - this.offset > READ_MAX) { this.offset = size - READ_MAX; this.partial = ''; }
    let fd: number | null = null;
    try {
      fd = fs.openSync(this.file, 'r');
      const len = Math.min(size - this.offset, READ_MAX);
      const buf = Buffer.alloc(len);
      const n = fs.readSync(fd, buf, 0, len, this.offset);
      this.offset += n;
      const lines = (this.partial + buf.subarray(0, n).toString('utf8')).split('\n');
      this.partial = lines.pop() ?? '';
      const out: T[] = [];
      for (const line of lines) {
        try {
          const x: unknown = JSON.parse(line);
          if (this.accept(x)) out.push(x);
        } catch { /* a torn or foreign line */ }
      }
      return out;
    } catch {
      return [];
    } finally {
      if (fd !== null) fs.closeSync(fd);
    }
  }
}

function statOf(file: string): { size: number; ino: number } {
  try {
    const st = fs.statSync(file);
    return { size: st.size, ino: st.ino };
  } catch {
    return { size: 0, ino: 0 };
  }
}
