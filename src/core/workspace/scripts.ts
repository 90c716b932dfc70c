// What a package.json script starts: whether it is a dev server, which framework, which port.
// Pure: works on the script text, its package.json and the merged .env of its folder.
import { splitNodeCommandLine } from '../heapLimit';
import { shellQuote, splitCommands } from '../shell';
import type { Framework, PortSource } from '../types';

/** The parts of a package.json this module reads. Values are unchecked: package.json is user input. */
export interface PackageJson {
  readonly name?: unknown;
  readonly scripts?: unknown;
  readonly dependencies?: unknown;
  readonly devDependencies?: unknown;
}

export interface ScriptAnalysis {
  readonly framework: Framework;
  readonly expectedPort: number | null;
  readonly portSource: PortSource | null;
  /** The one script of the same package.json this script hands over to (`npm run start`, `run-s build start`). */
  readonly delegatesTo: string | null;
  /** Scripts it starts side by side (`concurrently "npm:dev:*"`, `run-p a b`), when every server among them is a script. */
  readonly parallel: readonly string[];
}

type Env = Record<string, string>;
type Role = 'server' | 'tool' | 'other';

/** One resolved command: the server (or other program) a script line ends up running. */
interface Invocation {
  readonly framework: Framework;
  readonly role: Role;
  /** Where port flags are read (a node script's own arguments, a CLI's arguments). */
  readonly args: readonly string[];
  readonly defaultPort: number | null;
  /** Variables the script itself sets (PORT=… prefixes, cross-env, export). */
  readonly env: Env;
  /** The script of the analysed package.json through which this command was reached (first hop). */
  readonly viaScript: string | null;
  /** Scripts of the server parts when a parallel runner started several servers (null: an inline command). */
  readonly parallel: readonly (string | null)[];
}

interface Context {
  readonly pkg: PackageJson;
  /** Scripts entered on the way here, to stop cycles (`a: npm run b`, `b: npm run a`). */
  readonly visiting: ReadonlySet<string>;
}

const DEV_WORDS = new Set(['dev', 'start', 'serve', 'server', 'watch', 'preview', 'storybook', 'develop']);
const NOT_DEV_WORDS = new Set([
  'build', 'test', 'tests', 'lint', 'format', 'fmt', 'typecheck', 'types', 'check', 'prepare', 'clean',
  'e2e', 'deploy', 'release', 'install', 'postinstall', 'generate', 'codegen', 'migrate', 'seed',
]);
/** Package-manager commands that are not scripts (`yarn install`, `pnpm add`); `yarn foo` otherwise runs script or bin foo. */
const PM_COMMANDS = new Set(['install', 'i', 'add', 'remove', 'rm', 'update', 'up', 'upgrade', 'test', 't', 'build',
  'link', 'publish', 'init', 'create', 'why', 'outdated']);
/** Nested `npm run` hops followed; a bound as well as a cycle guard. */
const MAX_SCRIPT_DEPTH = 4;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** CLIs whose first positional argument picks a subcommand; `ports` lists the serving ones. */
interface SubcommandRule {
  readonly framework: Framework;
  /** Serving subcommand → default port; '' = no subcommand (or a folder argument) also serves. */
  readonly ports: Readonly<Record<string, number>>;
}
const VITE: SubcommandRule = { framework: 'vite', ports: { '': 5173, dev: 5173, serve: 5173, preview: 4173 } };
const NEXT: SubcommandRule = { framework: 'next', ports: { '': 3000, dev: 3000, start: 3000 } };
const NUXT: SubcommandRule = { framework: 'nuxt', ports: { '': 3000, dev: 3000, preview: 3000, start: 3000 } };
const ASTRO: SubcommandRule = { framework: 'astro', ports: { '': 4321, dev: 4321, preview: 4321 } };
const REMIX: SubcommandRule = { framework: 'remix', ports: { dev: 3000, 'vite:dev': 5173 } };
const CRA: SubcommandRule = { framework: 'react-scripts', ports: { start: 3000 } };
const WDS: SubcommandRule = { framework: 'webpack-dev-server', ports: { '': 8080, serve: 8080 } };
const WEBPACK: SubcommandRule = { framework: 'webpack-dev-server', ports: { serve: 8080, s: 8080, server: 8080 } };
const ANGULAR: SubcommandRule = { framework: 'angular', ports: { serve: 4200, s: 4200 } };
const STORYBOOK: SubcommandRule = { framework: 'storybook', ports: { dev: 6006 } };
const SUBCOMMAND_RULES: Readonly<Record<string, SubcommandRule>> = {
  vite: VITE, next: NEXT, nuxt: NUXT, nuxi: NUXT, astro: ASTRO, remix: REMIX,
  'react-scripts': CRA, craco: CRA, 'react-app-rewired': CRA,
  'webpack-dev-server': WDS, webpack: WEBPACK, 'webpack-cli': WEBPACK, ng: ANGULAR, storybook: STORYBOOK,
};
/** Subcommands that build, test or generate; a positional outside this list is a folder argument. */
const NON_SERVING_SUBCOMMANDS = new Set([
  'build', 'optimize', 'lint', 'export', 'telemetry', 'info', 'generate', 'prepare', 'typecheck', 'analyze',
  'check', 'sync', 'add', 'test', 'e2e', 'eject', 'init', 'upgrade', 'new', 'g', 'routes', 'vite:build',
  'help', 'version', 'cleanup', 'module', 'preferences', 'docs',
]);
/** Serving CLIs without subcommands. */
const PLAIN_SERVERS: Readonly<Record<string, { framework: Framework; port: number }>> = {
  'remix-serve': { framework: 'remix', port: 3000 },
  'start-storybook': { framework: 'storybook', port: 6006 },
};
/** Runners of a node script: port flags are the script's own arguments. */
const SCRIPT_RUNNERS: Readonly<Record<string, Framework>> = {
  nodemon: 'nodemon', tsx: 'tsx', 'ts-node': 'ts-node', 'ts-node-esm': 'ts-node', 'ts-node-dev': 'ts-node',
  tsnd: 'ts-node',
};
const TOOLS = new Set([
  'tsc', 'vue-tsc', 'tsc-alias', 'jest', 'vitest', 'mocha', 'ava', 'c8', 'nyc', 'eslint', 'prettier', 'stylelint',
  'biome', 'tsup', 'babel', 'rollup', 'esbuild', 'swc', 'playwright', 'cypress', 'prisma', 'husky', 'lint-staged',
  'typedoc', 'patch-package', 'rimraf', 'del', 'del-cli', 'shx', 'copyfiles', 'cpx', 'kill-port', 'wait-on',
  'tailwindcss', 'postcss', 'sass', 'cd', 'echo', 'rm', 'cp', 'mv', 'mkdir', 'sleep', 'true',
]);
/** node_modules package folders whose entry file is one of the CLIs above (`node node_modules/vite/bin/vite.js`). */
const PACKAGE_BINS: Readonly<Record<string, string>> = {
  '@angular/cli': 'ng', '@remix-run/dev': 'remix', '@remix-run/serve': 'remix-serve', '@storybook/cli': 'storybook',
};
/** Frameworks that read PORT from .env files (they load them, or apps do with dotenv); the others ignore PORT. */
const DOTENV_PORT_FRAMEWORKS = new Set<Framework>([
  'next', 'nuxt', 'remix', 'react-scripts', 'express', 'node', 'nodemon', 'tsx', 'ts-node', 'unknown',
]);
const PORT_VARIABLES: Partial<Record<Framework, readonly string[]>> = { nuxt: ['NUXT_PORT', 'NITRO_PORT', 'PORT'] };

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

/**
 * The raw value of the last --port / -p flag (`--port 3001`, `--port=3001`, `-p 3001`, `-p=3001`), or null.
 */
export function portFlagValue(args: readonly string[]): string | null {
  let value: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === '--port' || a === '-p') && i + 1 < args.length) value = args[++i];
    else if (a.startsWith('--port=')) value = a.slice('--port='.length);
    else if (a.startsWith('-p=')) value = a.slice('-p='.length);
  }
  return value;
}

/** A port number from text such as "3001", "$PORT", "${PORT}" or "${PORT:-3000}"; null unless 1…65535. */
export function parsePort(text: string | undefined, lookup: (name: string) => string | undefined = () => undefined): number | null {
  if (text === undefined) return null;
  const ref = /^\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?::?-([^}]*))?\})$/.exec(text.trim());
  const resolved = ref ? lookup(ref[1] ?? ref[2]) || ref[3] : text.trim();
  if (resolved === undefined || !/^\d{1,5}$/.test(resolved)) return null;
  const port = Number(resolved);
  return port >= 1 && port <= 65535 ? port : null;
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
    return { framework: 'unknown', expectedPort: port, portSource: port ? 'dotenv' : null, delegatesTo: null, parallel: [] };
  }
  const scripts = inv.parallel.filter((s): s is string => s !== null);
  return {
    framework: inv.framework,
    ...expectedPort(inv, dotenv),
    delegatesTo: inv.viaScript,
    parallel: scripts.length === inv.parallel.length ? scripts : [],
  };
}

function expectedPort(inv: Invocation, dotenv: Readonly<Env>): { expectedPort: number | null; portSource: PortSource | null } {
  const lookup = (k: string): string | undefined => inv.env[k] ?? dotenv[k];
  // create-react-app ignores flags; it reads PORT only
  const flag = inv.framework === 'react-scripts' ? null : parsePort(portFlagValue(inv.args) ?? undefined, lookup);
  if (flag) return { expectedPort: flag, portSource: 'flag' };
  const names = PORT_VARIABLES[inv.framework] ?? ['PORT'];
  for (const [env, source, applies] of [
    [inv.env, 'script-env', true],
    [dotenv, 'dotenv', DOTENV_PORT_FRAMEWORKS.has(inv.framework)],
  ] as const) {
    if (!applies) continue;
    for (const n of names) {
      const port = parsePort(env[n], lookup);
      if (port) return { expectedPort: port, portSource: source };
    }
  }
  return inv.defaultPort
    ? { expectedPort: inv.defaultPort, portSource: 'framework-default' }
    : { expectedPort: null, portSource: null };
}

/** The server a body runs: the first server among its commands, else the last other command, else a tool. */
function resolveBody(body: string, ctx: Context, env: Env, depth: number): Invocation | null {
  const persistent: Env = { ...env };
  let fallback: Invocation | null = null;
  for (const words of splitCommands(body)) {
    // `export PORT=4000 && …`, Windows `set PORT=4000&& …`
    if ((words[0] === 'export' || words[0] === 'set') && words.length > 1 && words.slice(1).every((w) => ASSIGNMENT.test(w))) {
      takeAssignments(words.slice(1), persistent);
      continue;
    }
    const inv = resolveWords(words, ctx, { ...persistent }, depth);
    if (inv?.role === 'server') return inv;
    if (inv && (inv.role === 'other' || !fallback)) fallback = inv;
  }
  return fallback;
}

/** Moves leading NAME=value words into env; returns the words after them. */
function takeAssignments(words: readonly string[], env: Env): string[] {
  let i = 0;
  for (; i < words.length; i++) {
    const m = ASSIGNMENT.exec(words[i]);
    if (!m) break;
    env[m[1]] = m[2];
  }
  return words.slice(i);
}

function resolveWords(input: readonly string[], ctx: Context, env: Env, depth: number): Invocation | null {
  const words = takeAssignments(input, env);
  if (words.length === 0) return null;
  const bin = binName(words[0]);
  const args = words.slice(1);
  const invocation = (framework: Framework, role: Role, portArgs: readonly string[], defaultPort: number | null): Invocation =>
    ({ framework, role, args: portArgs, defaultPort, env, viaScript: null, parallel: [] });

  switch (bin) {
    case 'cross-env':
    case 'cross-env-shell':
      return resolveWords(args, ctx, env, depth);
    case 'env':
      return resolveWords(skipOptions(args, new Set(['-u', '--unset', '-C', '--chdir'])), ctx, env, depth);
    case 'npx':
    case 'pnpx':
    case 'bunx':
      return resolveRunner(args, ctx, env, depth);
    case 'dotenv':
    case 'dotenvx':
    case 'env-cmd':
      return resolveDotenvCli(bin, args, ctx, env, depth);
    case 'sh':
    case 'bash':
    case 'zsh': {
      const c = args.indexOf('-c');
      return c >= 0 && c + 1 < args.length ? resolveBody(args[c + 1], ctx, env, depth) : invocation('unknown', 'other', args, null);
    }
    case 'npm':
    case 'pnpm':
    case 'yarn':
    case 'bun':
      return resolvePackageManager(bin, args, ctx, env, depth) ?? invocation('unknown', 'tool', [], null);
    case 'concurrently':
      return resolveParallel(concurrentlyParts(args, ctx), ctx, env, depth);
    case 'run-p':
    case 'run-s':
    case 'npm-run-all': {
      const parallel = bin === 'run-p' || args.some((a) => a === '-p' || a === '--parallel' || a === '-P');
      const parts = matchScripts(ctx.pkg, positionals(args, new Set(['--npm-path', '--max-parallel'])));
      return parallel ? resolveParallel(parts, ctx, env, depth) : resolveSequence(parts, ctx, env, depth);
    }
    case 'node':
    case 'nodejs': {
      const { script, scriptArgs } = splitNodeCommandLine(words);
      const pkgBin = script ? binInNodeModules(script) : null;
      if (pkgBin) return resolveWords([pkgBin, ...scriptArgs], ctx, env, depth);
      const framework = hasDependency(ctx.pkg, 'express') ? 'express' : 'node';
      return invocation(framework, script ? 'server' : 'other', scriptArgs, null);
    }
  }
  const runner = SCRIPT_RUNNERS[bin];
  if (runner) {
    const rest = bin === 'tsx' && args[0] === 'watch' ? args.slice(1) : args;
    return invocation(runner, 'server', bin === 'nodemon' ? rest : splitNodeCommandLine([bin, ...rest]).scriptArgs, null);
  }
  const plain = PLAIN_SERVERS[bin];
  if (plain) return invocation(plain.framework, 'server', args, plain.port);
  const rule = SUBCOMMAND_RULES[bin];
  if (rule) {
    const sub = args.find((a) => !a.startsWith('-')) ?? '';
    const port = rule.ports[sub] ?? (NON_SERVING_SUBCOMMANDS.has(sub) ? undefined : rule.ports['']);
    return port === undefined ? invocation(rule.framework, 'tool', args, null) : invocation(rule.framework, 'server', args, port);
  }
  return invocation('unknown', TOOLS.has(bin) ? 'tool' : 'other', args, null);
}

/** `npx [options] cmd …`, `npm exec -- cmd …`: the command after the runner's own options. */
function resolveRunner(args: readonly string[], ctx: Context, env: Env, depth: number): Invocation | null {
  const c = args.findIndex((a) => a === '-c' || a === '--call');
  if (c >= 0 && c + 1 < args.length) return resolveBody(args[c + 1], ctx, env, depth);
  return resolveWords(skipOptions(args, new Set(['-p', '--package'])), ctx, env, depth);
}

/** dotenv -e .env -v PORT=1 -- cmd; env-cmd -f .env cmd; dotenvx run -f .env -- cmd. */
function resolveDotenvCli(bin: string, args: readonly string[], ctx: Context, env: Env, depth: number): Invocation | null {
  const rest = bin === 'dotenvx' && args[0] === 'run' ? args.slice(1) : args;
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '-v' && ASSIGNMENT.test(rest[i + 1] ?? '')) takeAssignments([rest[i + 1]], env);
  }
  const dashes = rest.indexOf('--');
  const command = dashes >= 0
    ? rest.slice(dashes + 1)
    : skipOptions(rest, new Set(['-e', '-c', '-v', '-p', '-f', '--file', '--environments', '-r', '--rc-file', '--env-file']));
  return resolveWords(command, ctx, env, depth);
}

/** npm/pnpm/yarn/bun invocations: `run x`, `start`, `exec`, yarn/pnpm shorthands; null for installs and the like. */
function resolvePackageManager(pm: string, args: readonly string[], ctx: Context, env: Env, depth: number): Invocation | null {
  const dashes = args.indexOf('--');
  const own = dashes >= 0 ? args.slice(0, dashes) : args;
  // another package's script (npm -w web run dev, pnpm --filter web dev) cannot be followed from here
  if (own.some((a) => /^(-w|--workspace|--prefix|-C|--dir|--filter|-F|--cwd)(=|$)/.test(a))) {
    return unresolved(env);
  }
  const words = own.filter((a) => !a.startsWith('-'));
  const sub = words[0];
  if (sub === undefined) return null;
  if (sub === 'exec' || sub === 'x' || sub === 'dlx') return resolveRunner(args.slice(args.indexOf(sub) + 1), ctx, env, depth);
  // npm passes only what follows `--` to the script; pnpm, yarn and bun pass everything after the name
  const extraAfter = (name: string): string[] =>
    pm === 'npm' ? (dashes >= 0 ? args.slice(dashes + 1) : []) : args.slice(args.indexOf(name) + 1).filter((a, i) => i > 0 || a !== '--');
  // a script that cannot be followed (missing, a cycle, too deep) still runs something
  const run = (name: string): Invocation => runScript(name, extraAfter(name), ctx, env, depth) ?? unresolved(env);
  if (sub === 'run' || sub === 'run-script' || sub === 'rum' || sub === 'urn') {
    const name = words[1];
    if (name === undefined) return null;
    return hasScript(ctx.pkg, name) || pm === 'npm'
      ? run(name)
      : resolveWords(args.slice(args.indexOf(name)), ctx, env, depth);
  }
  if (sub === 'start' && !hasScript(ctx.pkg, 'start')) {
    // npm's documented fallback when there is no start script
    return pm === 'npm' ? resolveWords(['node', 'server.js'], ctx, env, depth) : null;
  }
  if (sub === 'start' || (pm !== 'npm' && hasScript(ctx.pkg, sub))) return run(sub);
  if (pm !== 'npm' && !PM_COMMANDS.has(sub)) return resolveWords(args.slice(args.indexOf(sub)), ctx, env, depth);
  return null;
}

/** A command that runs something this module cannot see into. */
function unresolved(env: Env): Invocation {
  return { framework: 'unknown', role: 'other', args: [], defaultPort: null, env, viaScript: null, parallel: [] };
}

function runScript(name: string, extraArgs: readonly string[], ctx: Context, env: Env, depth: number): Invocation | null {
  const body = scriptBody(ctx.pkg, name);
  if (body === null || ctx.visiting.has(name) || depth >= MAX_SCRIPT_DEPTH) return null;
  // npm appends extra arguments to the script text
  const full = extraArgs.length > 0 ? `${body} ${extraArgs.map(shellQuote).join(' ')}` : body;
  const inv = resolveBody(full, { pkg: ctx.pkg, visiting: new Set([...ctx.visiting, name]) }, env, depth + 1);
  return inv && { ...inv, viaScript: name };
}

type Part = { script: string } | { body: string };

function resolvePart(part: Part, ctx: Context, env: Env, depth: number): Invocation | null {
  return 'script' in part ? runScript(part.script, [], ctx, { ...env }, depth) : resolveBody(part.body, ctx, { ...env }, depth);
}

/** Side-by-side parts: the first server is the script's server; with several servers, remember which scripts they are. */
function resolveParallel(parts: readonly Part[], ctx: Context, env: Env, depth: number): Invocation | null {
  const resolved = parts.map((p) => resolvePart(p, ctx, env, depth)).filter((i): i is Invocation => i !== null);
  const servers = resolved.filter((i) => i.role === 'server');
  if (servers.length > 1) return { ...servers[0], viaScript: null, parallel: servers.map((s) => s.viaScript) };
  return servers[0] ?? resolved.find((i) => i.role === 'other') ?? resolved[0] ?? null;
}

function resolveSequence(parts: readonly Part[], ctx: Context, env: Env, depth: number): Invocation | null {
  const resolved = parts.map((p) => resolvePart(p, ctx, env, depth)).filter((i): i is Invocation => i !== null);
  return resolved.find((i) => i.role === 'server') ?? resolved.find((i) => i.role === 'other') ?? resolved[0] ?? null;
}

/** concurrently's commands: quoted command lines, or npm:/yarn:/pnpm:/bun: script names (globs allowed). */
function concurrentlyParts(args: readonly string[], ctx: Context): Part[] {
  const valued = new Set(['-n', '--names', '-c', '--prefix-colors', '-p', '--prefix', '-s', '--success', '-l',
    '--prefix-length', '-t', '--timestamp-format', '-m', '--max-processes', '--restart-tries', '--restart-after',
    '--default-input-target', '--names-separator', '--kill-signal']);
  return positionals(args, valued).flatMap((cmd): Part[] => {
    const m = /^(?:npm|yarn|pnpm|bun):(.+)$/.exec(cmd);
    return m ? matchScripts(ctx.pkg, [m[1]]) : [{ body: cmd }];
  });
}

/** Script names of the package matching names or `*` globs (`dev:*`), in package.json order. */
function matchScripts(pkg: PackageJson, patterns: readonly string[]): Part[] {
  const names = isRecord(pkg.scripts) ? Object.keys(pkg.scripts) : [];
  return patterns.flatMap((pattern) => {
    // npm-run-all's {1} argument placeholders and `dev:* -- args` are not followed
    const p = pattern.split(' ')[0];
    if (!p.includes('*')) return [{ script: p }];
    const re = new RegExp('^' + p.split(/\*+/).map(escapeRegExp).join('[^:]*') + '$');
    return names.filter((n) => re.test(n)).map((n) => ({ script: n }));
  });
}

function positionals(args: readonly string[], valued: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') break;
    if (!args[i].startsWith('-')) out.push(args[i]);
    else if (valued.has(args[i])) i++;
  }
  return out;
}

/** The words from the first one that is neither an option nor the value of an option in `valued`. */
function skipOptions(args: readonly string[], valued: ReadonlySet<string>): string[] {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') return args.slice(i + 1);
    if (!args[i].startsWith('-')) return args.slice(i);
    if (valued.has(args[i])) i++;
  }
  return [];
}

/** `./node_modules/.bin/vite`, `vite.cmd`, `vite@5` → `vite`. */
function binName(word: string): string {
  const base = word.slice(Math.max(word.lastIndexOf('/'), word.lastIndexOf('\\')) + 1);
  return base.replace(/\.(cmd|exe|ps1|js|mjs|cjs)$/i, '').replace(/^([^@]+)@.*$/, '$1').toLowerCase();
}

/** The CLI a `node node_modules/<pkg>/…` or `node node_modules/.bin/<bin>` script is. */
function binInNodeModules(script: string): string | null {
  const m = /node_modules[/\\](?:\.bin[/\\])?((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(script);
  if (!m) return null;
  const pkg = m[1].replace(/\\/g, '/');
  const bin = PACKAGE_BINS[pkg] ?? binName(pkg);
  const known = SUBCOMMAND_RULES[bin] ?? PLAIN_SERVERS[bin] ?? SCRIPT_RUNNERS[bin];
  return known ? bin : null;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scriptBody(pkg: PackageJson, name: string): string | null {
  const body = isRecord(pkg.scripts) && Object.hasOwn(pkg.scripts, name) ? pkg.scripts[name] : undefined;
  return typeof body === 'string' ? body : null;
}

function hasScript(pkg: PackageJson, name: string): boolean {
  return scriptBody(pkg, name) !== null;
}

function hasDependency(pkg: PackageJson, name: string): boolean {
  return [pkg.dependencies, pkg.devDependencies].some((d) => isRecord(d) && Object.hasOwn(d, name));
}
