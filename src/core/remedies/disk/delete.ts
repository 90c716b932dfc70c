// "Free Disk Space…", the deletion: only what a scan listed, only if it is still that very file or folder, through
// directory handles (safeRemove.ts), never across a mount point; the freed space is measured, not summed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { count, percent } from '../../format';
import { isInside } from '../../paths';
import { openHolders } from './openFiles';
import { Cancelled, Pacer, lstat } from './pacer';
import { canDeleteByHandle, removeByHandle, removeByPath, truncateByHandle, type RemoveOutcome } from './safeRemove';
import { listed } from './scan';
import type { DeletedItem, DeleteOptions, DeleteResult, DiskItem, DiskUse, SkipCode } from './types';

type Skip = { path: string; code: SkipCode; reason: string };

/** Why an item may not be deleted now; null when it is still exactly what the scan listed. */
function recheck(item: DiskItem): { code: SkipCode; reason: string } | null {
  if (!listed.has(item)) return { code: 'not-listed', reason: 'it was not listed by a scan' };
  const changed = (why: string) => ({ code: 'changed' as const, reason: `${why} since the scan, so it was left alone` });
  try {
    if (fs.realpathSync.native(item.root) !== item.root) return changed('its root folder became a symbolic link');
    const parent = fs.realpathSync.native(path.dirname(item.path));
    if (path.join(parent, path.basename(item.path)) !== item.path) return changed('a folder on its path became a symbolic link');
  } catch {
    return changed('it or its folder disappeared');
  }
  if (!isInside(item.path, item.root) || item.path === item.root) return changed('it is no longer inside its root');
  const st = lstat(item.path);
  if (!st) return changed('it disappeared');
  if (st.isSymbolicLink()) return changed('it became a symbolic link');
  if (st.dev !== item.dev || st.ino !== item.ino) return changed('it was replaced by another file or folder');
  if (st.isDirectory() !== (item.kind !== 'log' && item.kind !== 'report')) return changed('its type changed');
  return null;
}

/** Free bytes of each file system holding a root (statfs: blocks free × block size), by device. */
function freeByDevice(roots: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of roots) {
    try {
      const dev = fs.statSync(r).dev;
      const st = fs.statfsSync(r);
      out.set(dev, st.bfree * st.bsize);
    } catch {
      // unreadable: that file system's share is not measured
    }
  }
  return out;
}

function diskUse(p: string): DiskUse | null {
  try {
    const st = fs.statfsSync(p);
    const used = (st.blocks - st.bfree) * st.bsize;
    const free = st.bavail * st.bsize;
    return { path: p, totalBytes: st.blocks * st.bsize, freeBytes: free, usedPercent: percent(used, used + free) };
  } catch {
    return null;
  }
}


/** A log some process keeps open: empty it in place (with consent) or leave it and say why. */
function heldOpen(item: DiskItem, opts: DeleteOptions): { deleted?: DeletedItem; skip?: Skip } | null {
  if (item.kind !== 'log') return null;
  const holders = openHolders([item.path]).get(item.path) ?? [];
  if (holders.length === 0) return null;
  const who = holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ');
  if (!opts.truncateOpenLogs) {
    return { skip: { path: item.path, code: 'held-open', reason: `${who} has it open: deleting it would free nothing until that process restarts; it can be truncated instead` } };
  }
  const problem = truncateByHandle(item);
  if (problem) return { skip: { path: item.path, code: 'changed', reason: `${problem}, so it was left alone` } };
  return { deleted: { path: item.path, bytes: item.bytes, trashed: false, truncated: true, leftBehind: [] } };
}

/**
 * Deletes scanned items, each only if it is still what the scan listed (same file or folder, inside its root, not a
 * symbolic link, no symbolic link on its path). Moves to the trash when `toTrash` is given; an item that cannot go to
 * the trash because there is none is skipped with code 'no-trash' so the caller can ask about deleting it for good.
 * A log held open by a running process is skipped ('held-open') unless `truncateOpenLogs`. Never throws.
 */
export async function deletePaths(items: readonly DiskItem[], opts: DeleteOptions): Promise<DeleteResult> {
  const pacer = new Pacer({ signal: opts.signal, token: opts.token });
  const deleted: DeletedItem[] = [];
  const skipped: Skip[] = [];
  const roots = [...new Set(items.map((i) => i.root))];
  const freeBefore = freeByDevice(roots);
  const byHandle = canDeleteByHandle();
  for (const item of items) {
    if (pacer.cancelled) {
      skipped.push({ path: item.path, code: 'cancelled', reason: 'cancelled before it was deleted' });
      continue;
    }
    const problem = recheck(item);
    if (problem) {
      skipped.push({ path: item.path, ...problem });
      continue;
    }
    const held = heldOpen(item, opts);
    if (held) {
      if (held.skip) skipped.push(held.skip);
      if (held.deleted) deleted.push(held.deleted);
      continue;
    }
    if (opts.toTrash) {
      if (item.otherFilesystems.length > 0) {
        skipped.push({ path: item.path, code: 'mount-inside', reason: `another file system is mounted inside it (${item.otherFilesystems[0]}); moving it to the trash could carry that file system's files along` });
        continue;
      }
      let trashed = false;
      try {
        trashed = await opts.toTrash(item.path);
      } catch (err) {
        skipped.push({ path: item.path, code: 'error', reason: `moving it to the trash failed: ${err instanceof Error ? err.message : String(err)}` });
        continue;
      }
      if (trashed) deleted.push({ path: item.path, bytes: item.bytes, trashed: true, leftBehind: [] });
      else skipped.push({ path: item.path, code: 'no-trash', reason: 'there is no trash to move it to' });
      continue;
    }
    const out: RemoveOutcome = { mounts: [], changed: [], errors: [] };
    try {
      if (byHandle) {
        const untouched = await removeByHandle(item, pacer, out);
        if (untouched) {
          skipped.push({ path: item.path, code: 'changed', reason: `${untouched} since the scan, so it was left alone` });
          continue;
        }
      } else {
        await removeByPath(item.path, item.dev, pacer, out);
      }
    } catch (err) {
      if (!(err instanceof Cancelled)) throw err;
      skipped.push({ path: item.path, code: 'cancelled', reason: 'cancelled while deleting; part of it is gone' });
      continue;
    }
    if (out.changed.length > 0) {
      skipped.push({ path: item.path, code: 'changed', reason: `partly deleted; ${count(out.changed.length, 'entry', 'entries')} changed while it was being deleted and ${out.changed.length === 1 ? 'was' : 'were'} left alone (first: ${out.changed[0]})` });
    } else if (out.errors.length > 0) {
      skipped.push({ path: item.path, code: 'error', reason: `partly deleted; ${count(out.errors.length, 'entry', 'entries')} could not be removed (first: ${out.errors[0]})` });
    } else {
      deleted.push({ path: item.path, bytes: item.bytes, trashed: false, leftBehind: out.mounts });
    }
  }
  const freeAfter = freeByDevice(roots);
  let measured = 0;
  for (const [dev, after] of freeAfter) measured += Math.max(0, after - (freeBefore.get(dev) ?? after));
  const listedBytes = deleted.filter((d) => !d.trashed).reduce((s, d) => s + d.bytes, 0);
  return {
    deleted,
    skipped,
    // Another program freeing space meanwhile must not be claimed as ours: never more than we removed.
    freedBytes: Math.min(measured, listedBytes),
    listedBytes,
    trashedBytes: deleted.filter((d) => d.trashed).reduce((s, d) => s + d.bytes, 0),
    disks: roots.map(diskUse).filter((d): d is DiskUse => d !== null),
  };
}
