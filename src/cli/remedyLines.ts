// Each remedy of the catalogue as the exact line a terminal user types: a CLI verb of ours or the shell
// command it stands for. The CLI's counterpart of src/vscode/remedyCommands.ts.
import * as path from 'node:path';
import { shellQuote } from '../core/shell';
import { applyHeapLimitToScript, scriptSetsHeapFlag } from '../core/remedies/heap';
import { MAX_PACKAGE_JSON_BYTES, readWorkspaceFile } from '../core/workspace/readWorkspaceFile';
import { launchSpecOf } from '../core/remedies/launch';
import { inotifyRaiseLines, runningAsRoot, type RemedyArgs, type RemedyId, type RemedyRef } from '../core/remedies/catalogue';

const BIN = 'dev-server-doctor';

const inFolder = (a: RemedyArgs | undefined, line: string): string => (a?.cwd ? `cd ${shellQuote(a.cwd)} && ${line}` : line);

/**
 * `<package manager> run <script>` for the server the remedy names ("api · dev" runs dev, else dev; "shop · node
 * server.js", a tree no script declares, runs its command line again), as the core says a
 * server starts (launchSpecOf: the lock file in its folder picks npm, pnpm, yarn or bun); npm without a folder.
 */
const runScript = (a: RemedyArgs | undefined): string => {
  const script = a?.server?.split(' · ')[1]?.trim() || 'dev';
  // A tree no script declares is named by its command line ("shop · node server.js"): that is how it starts.
  if (a?.command) return a.command;
  if (/\s/.test(script) && !script.endsWith('…')) return script;
  const spec = a?.cwd ? launchSpecOf({ script, command: '', cwd: a.cwd, workspaceFolder: a.cwd, source: 'package.json' }) : null;
  return spec?.command ?? `npm run ${shellQuote(script)}`;
};

/**
 * Where the script sets the heap limit itself (node's own flag, NODE_OPTIONS in the script, a nested `npm run` script
 * that does), NODE_OPTIONS from the shell would not win: the line edits package.json where it is, with `npm pkg set`
 * (any package manager's package.json), and runs the script. Null when the shell's NODE_OPTIONS takes effect.
 */
function heapScriptEdits(a: RemedyArgs | undefined): string | null {
  const script = a?.server?.split(' · ')[1]?.trim();
  if (!a?.cwd || !script || /\s/.test(script)) return null;
  const read = readWorkspaceFile(path.join(a.cwd, 'package.json'), MAX_PACKAGE_JSON_BYTES);
  if (!('text' in read)) return null;
  const planned = applyHeapLimitToScript(read.text, script, a.megabytes ?? 4096);
  if ('error' in planned) return null;
  if (!scriptSetsHeapFlag(planned.oldScript) && !/\bNODE_OPTIONS=/.test(planned.oldScript) && planned.nested.length === 0) return null;
  const sets = [{ script, newScript: planned.newScript }, ...planned.nested].map((n) => `npm pkg set ${shellQuote(`scripts.${n.script}=${n.newScript}`)}`);
  return `${sets.join(' && ')} &&`;
}

export const REMEDY_LINES: Readonly<Record<RemedyId, (a: RemedyArgs | undefined) => string>> = {
  'restart-server': (a) => `${a?.pid ? `${BIN} zombies --kill --pid ${a.pid}; ` : ''}${inFolder(a, runScript(a))}`,
  'start-server': (a) => inFolder(a, runScript(a)),
  'raise-heap-limit': (a) => inFolder(a, `${heapScriptEdits(a) ?? `NODE_OPTIONS=--max-old-space-size=${a?.megabytes ?? 4096}`} ${runScript(a)}`),
  'kill-port-holder': (a) => `${BIN} zombies --kill${a?.pid ? ` --pid ${a.pid}` : a?.port ? ` --port ${a.port}` : ''}`,
  'kill-zombies': () => `${BIN} zombies --kill`,
  'kill-process-tree': (a) => (a?.pid ? `${BIN} zombies --kill --pid ${a.pid}` : `${BIN} zombies --kill`),
  'free-disk': () => `${BIN} disk --clean`,
  'raise-inotify-limit': (a) => inotifyRaiseLines({ asRoot: runningAsRoot(), ...(a?.maxUserWatches ? { watches: a.maxUserWatches } : {}) }).join(' && '),
  'install-dependencies': (a) => inFolder(a, a?.package ? `npm install ${shellQuote(a.package)}` : 'npm install'),
  'raise-fd-limit': () => 'ulimit -n 65536   # in the shell that starts the server',
  'investigate': () => `${BIN} investigate`,
  'find-where-stuck': (a) => `node inspect -p ${a?.pid ?? 'PID'}   # then: pause, bt, cont, .exit (the inspector port stays open until it restarts)`,
  'load-test': (a) => `${BIN} load${a?.port ? ` --url http://127.0.0.1:${a.port}/` : ''}`,
  'rebuild-native-module': (a) => inFolder(a, a?.package ? `npm rebuild ${shellQuote(a.package)}` : 'npm rebuild'),
  'switch-node-version': (a) => inFolder(a, a?.command ?? `install Node.js ${a?.version ?? 'the version the project asks for'}`),
  'use-unprivileged-port': (a) => a?.text ?? `PORT=${a?.port ?? 3000} ${runScript(a)}`,
  'use-ipv4-loopback': (a) => a?.text ?? `http://127.0.0.1:${a?.port ?? ''}`,
  'use-other-inspector-port': () => 'node --inspect=0 …   # any free port',
  'capture-heap-snapshot': (a) => inFolder(a, `NODE_OPTIONS="${[...(a?.megabytes ? [`--max-old-space-size=${a.megabytes}`] : []), '--heapsnapshot-near-heap-limit=1', ...(a?.path ? [`--diagnostic-dir=${a.path}`] : [])].join(' ')}" ${runScript(a)}`),
  'clear-build-cache': (a) => (a?.path ? `mv ${shellQuote(a.path)} ~/.local/share/Trash/files/   # or delete it; the framework rebuilds it` : 'the framework\'s cache folder'),
  'raise-memory-ceiling': (a) => a?.text ?? 'raise the memory limit of the VM or container the servers run in',
  'raise-process-limit': () => 'ulimit -u 8192   # in the shell that starts the server (or a larger pids.max for its cgroup)',
  'open-file': (a) => (a?.file ? `${a.file}${a.line ? `:${a.line}${a.column ? `:${a.column}` : ''}` : ''}` : 'the file in the top frame'),
  'start-dependency': (a) => inFolder(a, a?.command ?? 'start the service it needs'),
  // bash's /dev/tcp: no nc or pg_isready needed to wait for the port.
  'wait-then-restart': (a) => inFolder(a, `until (exec 3<>/dev/tcp/${a?.host && !a.host.includes(':') ? a.host : '127.0.0.1'}/${a?.port ?? 0}) 2>/dev/null; do sleep 1; done; npm run dev`),
  'start-container': (a) => `docker start ${shellQuote(a?.name ?? a?.container ?? 'CONTAINER')}`,
  'stop-container': (a) => `docker stop ${shellQuote(a?.name ?? a?.container ?? 'CONTAINER')}`,
  'restart-container': (a) => `docker restart ${shellQuote(a?.name ?? a?.container ?? 'CONTAINER')}`,
  'raise-container-memory': (a) => `# in ${a?.file ?? 'docker-compose.yml'}: services.${a?.service ?? 'SERVICE'}.mem_limit: ${a?.megabytes ?? 512}m, then: docker compose up -d ${a?.service ?? 'SERVICE'}`,
};

/** The line for one remedy. */
export function remedyLine(r: RemedyRef): string {
  return REMEDY_LINES[r.id](r.args);
}

/** A remedy in the terminal's Markdown report: its title, then the line to type. */
export function cliRemedy(r: RemedyRef): string {
  return `${r.title}: \`${remedyLine(r).replace(/`/g, "'")}\``;
}
