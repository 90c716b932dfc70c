// What the dev tools are: which CLIs serve (and on which default port), which run a node script, which
// are build or test tools, which frameworks read PORT from .env files.
import type { Framework } from '../types';

/** CLIs whose first positional argument picks a subcommand; `ports` lists the serving ones. */
export interface SubcommandRule {
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
export const SUBCOMMAND_RULES: Readonly<Record<string, SubcommandRule>> = {
  vite: VITE, next: NEXT, nuxt: NUXT, nuxi: NUXT, astro: ASTRO, remix: REMIX,
  'react-scripts': CRA, craco: CRA, 'react-app-rewired': CRA,
  'webpack-dev-server': WDS, webpack: WEBPACK, 'webpack-cli': WEBPACK, ng: ANGULAR, storybook: STORYBOOK,
};
/** Subcommands that build, test or generate; a positional outside this list is a folder argument. */
export const NON_SERVING_SUBCOMMANDS = new Set([
  'build', 'optimize', 'lint', 'export', 'telemetry', 'info', 'generate', 'prepare', 'typecheck', 'analyze',
  'check', 'sync', 'add', 'test', 'e2e', 'eject', 'init', 'upgrade', 'new', 'g', 'routes', 'vite:build',
  'help', 'version', 'cleanup', 'module', 'preferences', 'docs',
]);
/** Serving CLIs without subcommands. */
export const PLAIN_SERVERS: Readonly<Record<string, { framework: Framework; port: number }>> = {
  'remix-serve': { framework: 'remix', port: 3000 },
  'start-storybook': { framework: 'storybook', port: 6006 },
};
/**
 * What serves build output rather than the sources (`<cli> <subcommand>` or a plain serving CLI): a production
 * server, listed only while it runs.
 */
export const BUILD_SERVING = new Set([
  'next start', 'vite preview', 'nuxt preview', 'nuxt start', 'nuxi preview', 'nuxi start', 'astro preview', 'remix-serve',
]);
/** Static file servers (of a build folder): `serve -s build`, `http-server dist`, `sirv public`. */
export const STATIC_SERVERS = new Set(['serve', 'http-server', 'sirv']);
/** Runners of a node script: port flags are the script's own arguments. */
export const SCRIPT_RUNNERS: Readonly<Record<string, Framework>> = {
  nodemon: 'nodemon', tsx: 'tsx', 'ts-node': 'ts-node', 'ts-node-esm': 'ts-node', 'ts-node-dev': 'ts-node',
  tsnd: 'ts-node',
};
export const TOOLS = new Set([
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
export const DOTENV_PORT_FRAMEWORKS = new Set<Framework>([
  'next', 'nuxt', 'remix', 'react-scripts', 'express', 'node', 'nodemon', 'tsx', 'ts-node', 'unknown',
]);
export const PORT_VARIABLES: Partial<Record<Framework, readonly string[]>> = { nuxt: ['NUXT_PORT', 'NITRO_PORT', 'PORT'] };

/** `./node_modules/.bin/vite`, `vite.cmd`, `vite@5` → `vite`. */
export function binName(word: string): string {
  const base = word.slice(Math.max(word.lastIndexOf('/'), word.lastIndexOf('\\')) + 1);
  return base.replace(/\.(cmd|exe|ps1|js|mjs|cjs)$/i, '').replace(/^([^@]+)@.*$/, '$1').toLowerCase();
}

/** The CLI a `node node_modules/<pkg>/…` or `node node_modules/.bin/<bin>` script is. */
export function binInNodeModules(script: string): string | null {
  const m = /node_modules[/\\](?:\.bin[/\\])?((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(script);
  if (!m) return null;
  const pkg = m[1].replace(/\\/g, '/');
  const bin = PACKAGE_BINS[pkg] ?? binName(pkg);
  const known = SUBCOMMAND_RULES[bin] ?? PLAIN_SERVERS[bin] ?? SCRIPT_RUNNERS[bin];
  return known ? bin : null;
}
