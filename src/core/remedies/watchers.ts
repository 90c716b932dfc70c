// Which watcher or dev tool a command line runs (tsx watch, nodemon, vite, next dev…), for telling
// duplicate watchers of one folder and one-shot tools stuck at a prompt. Pure.
import { baseName } from '../servers';

export interface Watcher {
  readonly label: string;
  /** Tool names as argv[0..2] basenames (`nodemon`, `…/tsx/dist/cli.mjs` is matched by its package folder). */
  readonly tools: readonly string[];
  /** Whether the arguments after the tool make it a long-running watcher. */
  readonly watching: (args: readonly string[]) => boolean;
  /** One-shot tools: running longer than stuckAfterMs means stuck. */
  readonly oneShot?: (args: readonly string[]) => boolean;
}

const has = (...flags: string[]) => (args: readonly string[]) => args.some((a) => flags.includes(a) || flags.some((f) => a.startsWith(`${f}=`)));
const always = () => true;
const WATCHERS: readonly Watcher[] = [
  { label: 'tsx watch', tools: ['tsx'], watching: (a) => a[0] === 'watch' || has('--watch')(a) },
  { label: 'nodemon', tools: ['nodemon'], watching: always },
  { label: 'ts-node-dev', tools: ['ts-node-dev', 'tsnd'], watching: always },
  { label: 'node --watch', tools: ['node'], watching: has('--watch', '--watch-path') },
  { label: 'tsc --watch', tools: ['tsc'], watching: has('-w', '--watch') },
  { label: 'vite', tools: ['vite'], watching: (a) => a[0] === undefined || a[0].startsWith('-') || a[0] === 'dev' || a[0] === 'serve' || has('--watch', '-w')(a) },
  { label: 'next dev', tools: ['next'], watching: (a) => a[0] === 'dev' },
  { label: 'webpack --watch', tools: ['webpack', 'webpack-cli', 'webpack-dev-server'], watching: (a) => a[0] === 'serve' || has('--watch', '-w')(a) },
  { label: 'vitest', tools: ['vitest'], watching: (a) => a[0] !== 'run' && !has('--run')(a) },
  { label: 'jest --watch', tools: ['jest'], watching: has('--watch', '--watchAll') },
  { label: 'nest --watch', tools: ['nest'], watching: has('--watch', '-w') },
  { label: 'astro dev', tools: ['astro'], watching: (a) => a[0] === 'dev' },
  { label: 'nuxt dev', tools: ['nuxt', 'nuxi'], watching: (a) => a[0] === 'dev' },
  { label: 'drizzle-kit', tools: ['drizzle-kit'], watching: always, oneShot: (a) => a[0] !== 'studio' },
];

const SCRIPT_EXT = /\.(?:c|m)?js$/;

/** The watcher a process runs, with the arguments after the tool; null when it runs none. */
export function watcherOf(argv: readonly string[]): { watcher: Watcher; args: readonly string[] } | null {
  for (let i = 0; i < Math.min(argv.length, 3); i++) {
    const name = baseName(argv[i]).replace(SCRIPT_EXT, '');
    for (const w of WATCHERS) {
      // node itself only at argv[0]; a tool as argv[0] or as the script node runs (…/node_modules/tsx/dist/cli.mjs).
      const isTool = w.tools.includes(name) && (i === 0 || name !== 'node')
        || (i > 0 && w.tools.some((t) => t !== 'node' && argv[i].includes(`/node_modules/${t}/`) && !argv[i - 1].startsWith('-')));
      if (!isTool) continue;
      const args = w.label === 'node --watch' ? argv.slice(1) : argv.slice(i + 1);
      if (w.watching(args)) return { watcher: w, args };
    }
  }
  return null;
}

/** Arguments that tell two runs of one tool apart, minus ports (two vites on 5173 and 5174 are still the same app). */
export function argsKey(args: readonly string[]): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^(?:--port|-p)$/.test(args[i])) { i++; continue; }
    if (/^--port=/.test(args[i])) continue;
    kept.push(args[i]);
  }
  return kept.join(' ');
}

