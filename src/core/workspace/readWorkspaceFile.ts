// Reading a file a repository brings along (package.json, .env*, lock files) without trusting what it is: a FIFO, a
// link to /dev/zero or a 10 GB file committed as `package.json` must neither hang nor balloon the reader.
import * as fs from 'node:fs';

export const MAX_PACKAGE_JSON_BYTES = 5 * 1024 * 1024;
export const MAX_DOTENV_BYTES = 1024 * 1024;

export type WorkspaceFileRead = { readonly text: string } | { readonly missing: true } | { readonly problem: string };

const { O_RDONLY, O_NONBLOCK } = fs.constants;

/**
 * The text of `file` when it is (after following links) a regular file of at most `maxBytes`; otherwise why not, in
 * words. Opened non-blocking, so a FIFO returns at once; checked with fstat on the open handle (what is read is what
 * was checked); reads at most maxBytes + 1 bytes whatever the file claims. Never throws.
 */
export function readWorkspaceFile(file: string, maxBytes: number): WorkspaceFileRead {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | (O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { missing: true };
    if (code === 'EACCES' || code === 'EPERM') return { problem: 'permission denied' };
    if (code === 'ELOOP') return { problem: 'it is a loop of symbolic links' };
    if (code === 'ENXIO') return { problem: 'it is not a regular file (a socket or a FIFO)' };
    return { problem: code ?? String(err) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) {
      if (st.isDirectory()) return { problem: 'it is a folder' };
      const what = st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'something else';
      return { problem: `it is ${what}, not a regular file` };
    }
    if (st.size > maxBytes) return { problem: `it is ${Math.ceil(st.size / 1024)} KB, over the ${Math.round(maxBytes / 1024)} KB this reads` };
    // Room past the stated size: a file may grow while read, and the cap is checked on the bytes actually read.
    const buf = Buffer.alloc(Math.min(maxBytes + 1, st.size + 65_536));
    let n = 0;
    for (;;) {
      const got = fs.readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n === buf.length) return { problem: `it grew past the ${Math.round(maxBytes / 1024)} KB this reads` };
    }
    return { text: buf.subarray(0, n).toString('utf8') };
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code ?? String(err) };
  } finally {
    fs.closeSync(fd);
  }
}
