// Deleting a listed folder or file so that nobody can redirect the deletion: every step happens relative to an open
// directory handle whose device and inode were checked, never through a path resolved again.
//
// Node has no openat/unlinkat. On Linux, `/proc/self/fd/N/name` resolves `N` through the magic link to the very
// directory the handle holds (not by its path), so lstat/unlink/rmdir/open(O_NOFOLLOW) on it act inside that
// directory even if someone renames it or swaps a symbolic link in at its old place. Mount points (other devices,
// and bind mounts of the same device: the handle's mnt_id in /proc/self/fdinfo) are never entered.
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Pacing {
  /** Between two directories: yields to the event loop, throws when cancelled. */
  step(currentPath: string): Promise<void>;
}

/** What one removal left, with paths for the user. */
export interface RemoveOutcome {
  /** Mount points inside, never entered. */
  readonly mounts: string[];
  /** Entries that changed while being deleted (swapped for a link, replaced, moved): left alone. */
  readonly changed: string[];
  /** Entries that could not be removed, with the reason. */
  readonly errors: string[];
}

export interface Target {
  readonly path: string;
  readonly root: string;
  readonly dev: number;
  readonly ino: number;
}

const { O_RDONLY, O_WRONLY, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
const DIR_FLAGS = O_RDONLY | (O_DIRECTORY ?? 0) | (O_NOFOLLOW ?? 0);
const at = (fd: number, name: string): string => `/proc/self/fd/${fd}/${name}`;

let handlesWork: boolean | null = null;
/** True where `/proc/self/fd/N/name` reaches inside an open directory (Linux with /proc mounted). */
export function canDeleteByHandle(): boolean {
  if (handlesWork !== null) return handlesWork;
  handlesWork = false;
  if (process.platform !== 'linux' || O_DIRECTORY === undefined || O_NOFOLLOW === undefined) return false;
  let fd: number | null = null;
  try {
    fd = fs.openSync('/', DIR_FLAGS);
    handlesWork = fs.lstatSync(at(fd, '.')).ino === fs.fstatSync(fd).ino && mountIdOf(fd) !== null;
  } catch {
    handlesWork = false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  return handlesWork;
}

/** The mount id of an open file (mnt_id in /proc/self/fdinfo, Linux 3.15+); null when unknown. */
function mountIdOf(fd: number): number | null {
  try {
    const m = /^mnt_id:\s*(\d+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? '';
}

export function errorText(err: unknown): string {
  const c = code(err);
  if (c === 'EACCES') return 'permission denied (EACCES)';
  // Root gets EPERM on an immutable or append-only file (chattr +i / +a): not a matter of permissions.
  if (c === 'EPERM') return 'operation not permitted (EPERM: an immutable or append-only file?)';
  if (c === 'ENOENT') return 'it is gone';
  if (c === 'EBUSY') return 'it is in use (a mount point?)';
  return c || String(err);
}

function close(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

type Opened = { fd: number; base: string; mount: number } | { problem: string };

/**
 * Opens the folder holding `t` by walking down from its root, one component at a time, never following a link and
 * checking that each folder is on the root's device and mount. The caller closes `fd`.
 */
function openParent(t: Target): Opened {
  let fd: number;
  try {
    fd = fs.openSync(t.root, DIR_FLAGS);
  } catch (err) {
    return { problem: `its root folder could not be opened (${errorText(err)})` };
  }
  const mount = mountIdOf(fd);
  const rootStat = fs.fstatSync(fd);
  if (mount === null || rootStat.dev !== t.dev) {
    close(fd);
    return { problem: 'its root folder is no longer on the same file system' };
  }
  const rel = path.relative(t.root, path.dirname(t.path));
  for (const comp of rel === '' ? [] : rel.split(path.sep)) {
    let next: number;
    try {
      next = fs.openSync(at(fd, comp), DIR_FLAGS);
    } catch (err) {
      close(fd);
      return { problem: code(err) === 'ELOOP' || code(err) === 'ENOTDIR' ? 'a folder on its path became a symbolic link' : `a folder on its path could not be opened (${errorText(err)})` };
    }
    close(fd);
    fd = next;
    if (fs.fstatSync(fd).dev !== t.dev || mountIdOf(fd) !== mount) {
      close(fd);
      return { problem: 'a folder on its path is now another file system' };
    }
  }
  return { fd, base: path.basename(t.path), mount };
}

/** lstat of `name` inside an open folder; null when gone. */
function lstatAt(fd: number, name: string): fs.Stats | null {
  try {
    return fs.lstatSync(at(fd, name));
  } catch {
    return null;
  }
}

/** Empties the open folder `fd` (shown as `shown`) bottom-up; true when everything in it is gone. */
async function emptyDir(fd: number, shown: string, dev: number, mount: number, pacing: Pacing, out: RemoveOutcome): Promise<boolean> {
  await pacing.step(shown);
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/self/fd/${fd}`);
  } catch (err) {
    out.errors.push(`${shown}: ${errorText(err)}`);
    return false;
  }
  let all = true;
  for (const name of names) {
    const child = path.join(shown, name);
    const st = lstatAt(fd, name);
    if (!st) continue;
    if (!st.isDirectory()) {
      try {
        fs.unlinkSync(at(fd, name));
      } catch (err) {
        if (code(err) !== 'ENOENT') { out.errors.push(`${child}: ${errorText(err)}`); all = false; }
      }
      continue;
    }
    if (st.dev !== dev) { out.mounts.push(child); all = false; continue; }
    let cfd: number;
    try {
      cfd = fs.openSync(at(fd, name), DIR_FLAGS);
    } catch (err) {
      // ELOOP/ENOTDIR: swapped for a link or a file between the lstat and the open.
      if (code(err) === 'ENOENT') continue;
      (code(err) === 'ELOOP' || code(err) === 'ENOTDIR' ? out.changed : out.errors).push(code(err) === 'ELOOP' || code(err) === 'ENOTDIR' ? child : `${child}: ${errorText(err)}`);
      all = false;
      continue;
    }
    try {
      const cst = fs.fstatSync(cfd);
      if (cst.dev !== st.dev || cst.ino !== st.ino) { out.changed.push(child); all = false; continue; }
      if (mountIdOf(cfd) !== mount) { out.mounts.push(child); all = false; continue; }
      if (!await emptyDir(cfd, child, dev, mount, pacing, out)) { all = false; continue; }
    } finally {
      close(cfd);
    }
    // Still the folder just emptied? (rmdir of anything else is refused: a link is not a folder, a folder is not empty.)
    const again = lstatAt(fd, name);
    if (!again || again.ino !== st.ino || !again.isDirectory()) { if (again) { out.changed.push(child); all = false; } continue; }
    try {
      fs.rmdirSync(at(fd, name));
    } catch (err) {
      if (code(err) !== 'ENOENT') { out.errors.push(`${child}: ${errorText(err)}`); all = false; }
    }
  }
  return all;
}

/**
 * Removes `t` (a file or a whole folder) if it is still the file or folder the scan saw, through directory handles.
 * Returns a problem sentence when it was not touched at all; otherwise what was left in `out`. Linux only
 * (see canDeleteByHandle). Throws only what `pacing.step` throws (cancellation).
 */
export async function removeByHandle(t: Target, pacing: Pacing, out: RemoveOutcome): Promise<string | null> {
  const parent = openParent(t);
  if ('problem' in parent) return parent.problem;
  try {
    const st = lstatAt(parent.fd, parent.base);
    if (!st) return 'it disappeared';
    if (st.isSymbolicLink()) return 'it became a symbolic link';
    if (st.dev !== t.dev || st.ino !== t.ino) return 'it was replaced by another file or folder';
    if (!st.isDirectory()) {
      try {
        fs.unlinkSync(at(parent.fd, parent.base));
      } catch (err) {
        out.errors.push(`${t.path}: ${errorText(err)}`);
      }
      return null;
    }
    let fd: number;
    try {
      fd = fs.openSync(at(parent.fd, parent.base), DIR_FLAGS);
    } catch (err) {
      return code(err) === 'ELOOP' || code(err) === 'ENOTDIR' ? 'it became a symbolic link' : `it could not be opened (${errorText(err)})`;
    }
    let emptied: boolean;
    try {
      const fst = fs.fstatSync(fd);
      if (fst.dev !== t.dev || fst.ino !== t.ino) return 'it was replaced by another folder';
      if (mountIdOf(fd) !== parent.mount) return 'it is now a mount point';
      emptied = await emptyDir(fd, t.path, t.dev, parent.mount, pacing, out);
    } finally {
      close(fd);
    }
    const again = lstatAt(parent.fd, parent.base);
    if (emptied && again?.isDirectory() && again.ino === t.ino) {
      try {
        fs.rmdirSync(at(parent.fd, parent.base));
      } catch (err) {
        out.errors.push(`${t.path}: ${errorText(err)}`);
      }
    }
    return null;
  } finally {
    close(parent.fd);
  }
}

/** Empties a listed file in place (a log a running process keeps open), through its folder's handle. */
export function truncateByHandle(t: Target): string | null {
  if (!canDeleteByHandle()) {
    let fd: number | null = null;
    try {
      fd = fs.openSync(t.path, O_WRONLY | (O_NOFOLLOW ?? 0) | (O_NONBLOCK ?? 0));
      const st = fs.fstatSync(fd);
      if (st.dev !== t.dev || st.ino !== t.ino || !st.isFile()) return 'it was replaced by another file';
      fs.ftruncateSync(fd, 0);
      return null;
    } catch (err) {
      return `it could not be emptied (${errorText(err)})`;
    } finally {
      if (fd !== null) close(fd);
    }
  }
  const parent = openParent(t);
  if ('problem' in parent) return parent.problem;
  let fd: number | null = null;
  try {
    fd = fs.openSync(at(parent.fd, parent.base), O_WRONLY | O_NOFOLLOW | O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (st.dev !== t.dev || st.ino !== t.ino || !st.isFile()) return 'it was replaced by another file';
    fs.ftruncateSync(fd, 0);
    return null;
  } catch (err) {
    return code(err) === 'ELOOP' ? 'it became a symbolic link' : `it could not be emptied (${errorText(err)})`;
  } finally {
    if (fd !== null) close(fd);
    close(parent.fd);
  }
}

/**
 * Where directory handles cannot be used (not Linux): the path-based walk, bottom-up, never following links or
 * entering other devices. A swap between its checks and its unlinks is possible there; callers say so.
 */
export async function removeByPath(p: string, dev: number, pacing: Pacing, out: RemoveOutcome): Promise<void> {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(p);
  } catch {
    return;
  }
  if (!st.isDirectory()) {
    try {
      fs.unlinkSync(p);
    } catch (err) {
      out.errors.push(`${p}: ${errorText(err)}`);
    }
    return;
  }
  if (st.dev !== dev) { out.mounts.push(p); return; }
  await pacing.step(p);
  const before = out.mounts.length + out.changed.length + out.errors.length;
  let names: string[] = [];
  try {
    names = fs.readdirSync(p);
  } catch (err) {
    out.errors.push(`${p}: ${errorText(err)}`);
  }
  for (const name of names) await removeByPath(path.join(p, name), dev, pacing, out);
  if (out.mounts.length + out.changed.length + out.errors.length === before) {
    try {
      fs.rmdirSync(p);
    } catch (err) {
      out.errors.push(`${p}: ${errorText(err)}`);
    }
  }
}
