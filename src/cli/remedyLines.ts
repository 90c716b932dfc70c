// Each remedy of the catalogue as the exact line a terminal user types: a CLI verb of ours or the shell
// command it stands for. The CLI's counterpart of src/vscode/remedyCommands.ts.
import { inotifyRaiseLines, runningAsRoot, type RemedyArgs, type RemedyId, type RemedyRef } from '../core/remedies/catalogue';

const BIN = 'dev-server-doctor';

/** Single-quotes a shell word when it needs it. */
function sh(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const inFolder = (a: RemedyArgs | undefined, line: string): string => (a?.cwd ? `cd ${sh(a.cwd)} && ${line}` : line);

export const REMEDY_LINES: Readonly<Record<RemedyId, (a: RemedyArgs | undefined) => string>> = {
  'restart-server': (a) => (a?.pid ? `kill ${a.pid}   # then start it again (npm run dev)` : 'start it again (npm run dev)'),
  'start-server': (a) => inFolder(a, 'npm run dev'),
  'raise-heap-limit': (a) => `NODE_OPTIONS=--max-old-space-size=${a?.megabytes ?? 4096} npm run dev`,
  'kill-port-holder': (a) => (a?.pid ? `${BIN} zombies --kill --pid ${a.pid}` : `${BIN} zombies --kill${a?.port ? `   # frees port ${a.port}` : ''}`),
  'kill-zombies': () => `${BIN} zombies --kill`,
  'kill-process-tree': (a) => (a?.pid ? `${BIN} zombies --kill --pid ${a.pid}` : `${BIN} zombies --kill`),
  'free-disk': () => `${BIN} disk --clean`,
  'raise-inotify-limit': (a) => inotifyRaiseLines({ asRoot: runningAsRoot(), ...(a?.maxUserWatches ? { watches: a.maxUserWatches } : {}) }).join(' && '),
  'install-dependencies': (a) => inFolder(a, a?.package ? `npm install ${sh(a.package)}` : 'npm install'),
  'raise-fd-limit': () => 'ulimit -n 65536   # in the shell that starts the server',
  'investigate': () => `${BIN} investigate`,
  'open-file': (a) => (a?.file ? `${a.file}${a.line ? `:${a.line}${a.column ? `:${a.column}` : ''}` : ''}` : 'the file in the top frame'),
};

/** The line for one remedy. */
export function remedyLine(r: RemedyRef): string {
  return REMEDY_LINES[r.id](r.args);
}

/** A remedy in the terminal's Markdown report: its title, then the line to type. */
export function cliRemedy(r: RemedyRef): string {
  return `${r.title}: \`${remedyLine(r).replace(/`/g, "'")}\``;
}
