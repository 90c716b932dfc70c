// Which workspace folders are narrow enough for destructive remedies. A folder that is `/`, a home
// folder, or contains one holds the whole machine's or a user's every program: monitoring works there,
// but nothing in it is offered for killing or deleting until the user opens a project folder instead.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInside } from '../paths';

let homesCache: readonly string[] | undefined;

/** Home folders of this machine: ours, root's, and every login user's in /etc/passwd (uid 0 or ≥ 1000). */
export function homeFolders(): readonly string[] {
  if (homesCache) return homesCache;
  const homes = new Set<string>();
  const add = (h: string | undefined): void => {
    if (h && path.isAbsolute(h) && h !== '/' && !/nonexistent/.test(h)) homes.add(path.resolve(h));
  };
  try { add(os.homedir()); } catch { /* no home */ }
  if (process.platform !== 'win32') add('/root');
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      const uid = Number(f[2]);
      if (f.length >= 7 && (uid === 0 || uid >= 1000) && uid !== 65534) add(f[5]);
    }
  } catch {
    // Not a Unix with /etc/passwd: our own home is enough to recognise.
  }
  homesCache = [...homes].flatMap((h) => {
    try { return [h, fs.realpathSync.native(h)]; } catch { return [h]; }
  });
  return homesCache;
}

/** Why `folder` is too broad for kill or delete candidates, as a sentence; null when it is a project folder. */
export function broadFolderReason(folder: string, homes: readonly string[] = homeFolders()): string | null {
  const f = path.resolve(folder);
  if (path.dirname(f) === f) return `The workspace folder ${f} is the root of the file system`;
  const home = homes.find((h) => isInside(h, f));
  if (home === f) return `The workspace folder ${f} is a home folder`;
  if (home) return `The workspace folder ${f} contains the home folder ${home}`;
  return null;
}

/** One sentence for every broad folder among `folders` (empty when all are project folders). */
export function broadFolderWarnings(folders: readonly string[], what: string, homes?: readonly string[]): string[] {
  return folders.flatMap((f) => {
    const why = broadFolderReason(f, homes);
    return why ? [`${why}: it holds far more than one project, so nothing in it is offered for ${what}. `
      + 'Open (or pass with --workspace) the project folder itself to narrow it.'] : [];
  });
}
