// Reads the end of a log file with a byte bound, so a 5 GB log costs what a small one does.

import * as fs from 'node:fs';

export const DEFAULT_TAIL_BYTES = 256 * 1024;

export interface LogTail {
  readonly text: string;
  /** Only the end of the file was read. */
  readonly truncated: boolean;
  /** The tail is not text (NUL bytes or mostly invalid UTF-8); text is ''. */
  readonly binary: boolean;
  readonly sizeBytes: number;
  /** Why nothing could be read, in plain words. */
  readonly problem?: string;
}

// More than 1 replacement character in 100 means not UTF-8 text (allowing a few stray bytes).
const MAX_INVALID_RATIO = 0.01;

function empty(sizeBytes: number, problem: string): LogTail {
  return { text: '', truncated: false, binary: false, sizeBytes, problem };
}

/** The last `maxBytes` of a file, starting at a line boundary when cut. Never throws. */
export function readTail(path: string, maxBytes = DEFAULT_TAIL_BYTES): LogTail {
  let fd: number | null = null;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return empty(0, `${path} is not a regular file.`);
    const size = st.size;
    const length = Math.min(size, Math.max(0, Math.floor(maxBytes)));
    const truncated = length < size;
    // One byte more in front tells whether the window starts at a line start (then no line is cut).
    const lead = truncated ? 1 : 0;
    const buf = Buffer.alloc(length + lead);
    let got = 0;
    while (got < length + lead) {
      const n = fs.readSync(fd, buf, got, length + lead - got, size - length - lead + got);
      if (n === 0) break; // the file shrank while reading (rotated or truncated)
      got += n;
    }
    const atLineStart = lead === 0 || (got > 0 && buf[0] === 0x0a);
    let bytes = buf.subarray(Math.min(lead, got), got);
    // A log truncated in place (logrotate copytruncate) while its writer kept its offset starts with a hole of NULs.
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    if (!atLineStart && start === 0) {
      const nl = bytes.indexOf(0x0a);
      if (nl >= 0 && nl < bytes.length - 1) start = nl + 1;
    }
    bytes = bytes.subarray(start);
    if (bytes.includes(0)) return { text: '', truncated, binary: true, sizeBytes: size };
    const text = bytes.toString('utf8');
    const invalid = text.split('\uFFFD').length - 1;
    if (text.length > 0 && invalid / text.length > MAX_INVALID_RATIO) return { text: '', truncated, binary: true, sizeBytes: size };
    return { text, truncated, binary: false, sizeBytes: size };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'does not exist'
      : e.code === 'EACCES' || e.code === 'EPERM' ? 'is not readable (permission denied)'
        : e.code === 'EISDIR' ? 'is a folder, not a file'
          : `could not be read (${e.code ?? e.message})`;
    return empty(0, `${path} ${why}.`);
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
