import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * A workspace folder as every part of the extension and the CLI names it: absolute, with symbolic links resolved
 * (processes' cwd comes from the kernel as a real path, so a linked folder would never match them). A folder that does
 * not exist stays as given, absolute.
 */
export function resolveWorkspaceFolder(folder: string, cwd: string = process.cwd()): string {
  const abs = path.resolve(cwd, folder);
  try {
    return fs.realpathSync.native(abs);
  } catch {
    return abs;
  }
}

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

/** A glob as a RegExp over '/'-separated paths: `*` and `?` stay within a segment, `**` spans segments, {a,b}. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (ch === '*') {
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) {
      re += '|';
    } else {
      re += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  // close an unclosed brace so the RegExp stays valid
  return new RegExp(`^${re}${')'.repeat(braces)}$`);
}

/**
 * Where the CLI keeps a workspace folder's small state between runs (the watch's samples, launch logs):
 * a folder per workspace folder in the temp dir, private to this user.
 */
export function workspaceStateDir(workspaceFolder: string): string {
  const id = createHash('sha1').update(workspaceFolder).digest('hex').slice(0, 12);
  const uid = process.getuid?.() ?? 'user';
  return path.join(os.tmpdir(), `dev-server-doctor-${uid}`, id);
}

/** PATH with the node_modules/.bin folders from `cwd` up to `top` (the workspace folder) first, as npm run sets it. */
export function scriptPath(cwd: string, top: string, pathEnv: string = process.env.PATH ?? ''): string {
  const bins: string[] = [];
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const bin = path.join(dir, 'node_modules', '.bin');
    if (fs.existsSync(bin)) bins.push(bin);
    if (dir === top || path.dirname(dir) === dir) break;
  }
  return [...bins, pathEnv].join(path.delimiter);
}
