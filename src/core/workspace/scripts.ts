// What a package.json script is: whether it is a dev server, which framework, which port.
// Pure: works on the script text, its package.json and the merged .env of its folder. What a script
// runs is worked out in scriptCommands.ts, the tools' knowledge is in frameworks.ts, ports in ports.ts.
import type { Framework, PortSource } from '../types';
import type { PackageJson } from './packageJson';
import { expectedPort, parsePort } from './ports';
import { resolveBody, type Env } from './scriptCommands';

export interface ScriptAnalysis {
  readonly framework: Framework;
  readonly expectedPort: number | null;
  readonly portSource: PortSource | null;
  /** The one script of the same package.json this script hands over to (`npm run start`, `run-s build start`). */
  readonly delegatesTo: string | null;
  /** Scripts it starts side by side (`concurrently "npm:dev:*"`, `run-p a b`), when every server among them is a script. */
  readonly parallel: readonly string[];
  /** It serves build output (`next start`, `vite preview`, `serve dist`): not a dev server unless it runs. */
  readonly servesBuild: boolean;
}

const DEV_WORDS = new Set(['dev', 'start', 'serve', 'server', 'watch', 'preview', 'storybook', 'develop']);
const NOT_DEV_WORDS = new Set([
  'build', 'test', 'tests', 'lint', 'format', 'fmt', 'typecheck', 'types', 'check', 'prepare', 'clean',
  'e2e', 'deploy', 'release', 'install', 'postinstall', 'generate', 'codegen', 'migrate', 'seed',
]);

/**
 * Whether a script looks like a dev server by its name (dev, start, serve, watch, preview, storybook,
 * develop, alone or in names like dev:web, start:dev, web:dev) and its body is not plainly a build,
 * test or compile step (`watch: tsc -w`). Lifecycle hooks (predev, poststart) and names with build,
 * test, lint, format, typecheck… are not servers.
 */
export function isDevScript(name: string, body: string): boolean {
  const words = name.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  if (words.length === 0 || !body.trim()) return false;
  const hook = /^(?:pre|post)(.+)$/.exec(words[0]);
  if (hook && DEV_WORDS.has(hook[1])) return false;
  if (words.some((w) => NOT_DEV_WORDS.has(w)) || !words.some((w) => DEV_WORDS.has(w))) return false;
  return resolveBody(body, { pkg: {}, visiting: new Set([name]) }, {}, 0)?.role !== 'tool';
}

/** The framework a script body starts (see analyzeScript for what is understood). */
export function detectFramework(body: string, pkg: PackageJson): Framework {
  return analyzeScript('', body, pkg, {}).framework;
}

/**
 * Works out what a script runs and on which port. Looks through wrappers (cross-env, env, npx, npm exec,
 * pnpm exec/dlx, yarn, dotenv-cli, env-cmd, sh -c), `&&` chains (the first server wins: `npm run build
 * && node server.js` is node), `concurrently` and run-p/run-s (the first server part), PORT=… prefixes,
 * and `npm run other` into the same package.json (a few levels, cycles stopped).
 * Port: a --port/-p flag ('flag'), else PORT set by the script ('script-env'), else PORT in `dotenv` for
 * frameworks that read it ('dotenv'; vite, astro, angular, webpack-dev-server and storybook do not),
 * else the framework's default ('framework-default'), else null.
 */
export function analyzeScript(name: string, body: string, pkg: PackageJson, dotenv: Readonly<Env>): ScriptAnalysis {
  const inv = resolveBody(body, { pkg, visiting: new Set([name]) }, {}, 0);
  if (!inv) {
    const port = parsePort(dotenv.PORT);
    return { framework: 'unknown', expectedPort: port, portSource: port ? 'dotenv' : null, delegatesTo: null, parallel: [], servesBuild: false };
  }
  const scripts = inv.parallel.filter((s): s is string => s !== null);
  return {
    framework: inv.framework,
    ...expectedPort(inv, dotenv),
    delegatesTo: inv.viaScript,
    parallel: scripts.length === inv.parallel.length ? scripts : [],
    servesBuild: inv.servesBuild,
  };
}
