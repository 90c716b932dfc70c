// What a script line ends up running: through wrappers (cross-env, env, npx, npm exec, pnpm exec/dlx, yarn,
// dotenv-cli, env-cmd, sh -c), `&&` chains, concurrently and run-p/run-s, PORT=… prefixes, and `npm run
// other` into the same package.json (a few levels, cycles stopped).
import { splitNodeCommandLine } from '../heapLimit';
import { shellQuote, splitCommands } from '../shell';
import type { Framework } from '../types';
import { binInNodeModules, binName, BUILD_SERVING, NON_SERVING_SUBCOMMANDS, PLAIN_SERVERS, SCRIPT_RUNNERS, STATIC_SERVERS, SUBCOMMAND_RULES, TOOLS } from './frameworks';
import { hasDependency, hasScript, isRecord, scriptBody, type PackageJson } from './packageJson';
import type { PortFacts } from './ports';

export type Env = Record<string, string>;
export type Role = 'server' | 'tool' | 'other';

/** One resolved command: the server (or other program) a script line ends up running. */
export interface Invocation extends PortFacts {
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
  /** It serves build output (`next start`, `vite preview`, `serve dist`): a production server, not a dev server. */
  readonly servesBuild: boolean;
}

export interface Context {
  readonly pkg: PackageJson;
  /** Scripts entered on the way here, to stop cycles (`a: npm run b`, `b: npm run a`). */
  readonly visiting: ReadonlySet<string>;
}

/** Package-manager commands that are not scripts (`yarn install`, `pnpm add`); `yarn foo` otherwise runs script or bin foo. */
const PM_COMMANDS = new Set(['install', 'i', 'add', 'remove', 'rm', 'update', 'up', 'upgrade', 'test', 't', 'build',
  'link', 'publish', 'init', 'create', 'why', 'outdated']);
/** Nested `npm run` hops followed; a bound as well as a cycle guard. */
const MAX_SCRIPT_DEPTH = 4;
const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** The server a body runs: the first server among its commands, else the last other command, else a tool. */
export function resolveBody(body: string, ctx: Context, env: Env, depth: number): Invocation | null {
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
  const invocation = (framework: Framework, role: Role, portArgs: readonly string[], defaultPort: number | null, servesBuild = false): Invocation =>
    ({ framework, role, args: portArgs, defaultPort, env, viaScript: null, parallel: [], servesBuild });

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
  if (plain) return invocation(plain.framework, 'server', args, plain.port, BUILD_SERVING.has(bin));
  const rule = SUBCOMMAND_RULES[bin];
  if (rule) {
    const sub = args.find((a) => !a.startsWith('-')) ?? '';
    const port = rule.ports[sub] ?? (NON_SERVING_SUBCOMMANDS.has(sub) ? undefined : rule.ports['']);
    return port === undefined ? invocation(rule.framework, 'tool', args, null) : invocation(rule.framework, 'server', args, port, BUILD_SERVING.has(`${bin} ${sub}`));
  }
  return invocation('unknown', TOOLS.has(bin) ? 'tool' : 'other', args, null, STATIC_SERVERS.has(bin));
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
  return { framework: 'unknown', role: 'other', args: [], defaultPort: null, env, viaScript: null, parallel: [], servesBuild: false };
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

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
