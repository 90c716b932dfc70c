// Output of a supervised server on disk, capped: NAME.log, NAME.1.log … NAME.(files-1).log.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RotatingLogOptions {
  /** Size of one file (default 5 MB). */
  readonly maxBytes?: number;
  /** Files kept, the current one included (default 3). */
  readonly files?: number;
}

/** A file name from a server name ("web · dev" → "web-dev"). */
export function logBaseName(name: string): string {
  return name.replace(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'server';
}

/** Never throws: a write that fails sets `problem` and the output goes on to the listeners. */
export class RotatingLog {
  readonly file: string;
  problem: string | null = null;
  private fd: number | null = null;
  private size = 0;
  private readonly maxBytes: number;
  private readonly files: number;

  constructor(private readonly dir: string, private readonly base: string, opts: RotatingLogOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 5 * 1024 * 1024;
    this.files = Math.max(1, opts.files ?? 3);
    this.file = this.nth(0);
  }

  /** Every file it may write, newest first. */
  paths(): string[] {
    return Array.from({ length: this.files }, (_, i) => this.nth(i));
  }

  write(data: string | Buffer): void {
    let buf = typeof data === 'string' ? Buffer.from(data) : data;
    if (buf.length > this.maxBytes) buf = buf.subarray(buf.length - this.maxBytes);
    try {
      if (this.fd === null) this.open();
      if (this.size > 0 && this.size + buf.length > this.maxBytes) {
        this.close();
        this.rotate();
        this.open();
      }
      fs.writeSync(this.fd!, buf);
      this.size += buf.length;
    } catch (err) {
      this.problem = `Could not write the log ${this.file}: ${(err as Error).message}`;
      this.close();
    }
  }

  close(): void {
    if (this.fd === null) return;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    this.fd = null;
  }

  private nth(i: number): string {
    return path.join(this.dir, i === 0 ? `${this.base}.log` : `${this.base}.${i}.log`);
  }

  private open(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    this.fd = fs.openSync(this.file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    fs.rmSync(this.nth(this.files - 1), { force: true });
    for (let i = this.files - 2; i >= 0; i--) {
      if (fs.existsSync(this.nth(i))) fs.renameSync(this.nth(i), this.nth(i + 1));
    }
  }
}
