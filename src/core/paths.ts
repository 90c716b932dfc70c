import * as path from 'node:path';

/** True when `p` is `folder` itself or lies inside it. */
export function isInside(p: string, folder: string): boolean {
  const rel = path.relative(folder, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The workspace folder holding `p` (the innermost when folders nest), or null. */
export function folderOf(p: string, folders: readonly string[]): string | null {
  let best: string | null = null;
  for (const f of folders) {
    if (isInside(p, f) && (best === null || f.length > best.length)) best = f;
  }
  return best;
}
