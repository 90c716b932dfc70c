// Bundles the extension, its poll worker and the CLI. Type-checking is `tsc --noEmit` (npm run typecheck).
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node18',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  // systeminformation probes optional native modules (osx-temperature-sensor) it never needs here; dockerode's
  // ssh2 (DOCKER_HOST=ssh://, unsupported here) tries its optional native crypto and cpu-features in a try/catch.
  external: ['vscode', 'osx-temperature-sensor', '*.node', 'cpu-features'],
  // jsonc-parser's UMD build require()s its parts in a way esbuild cannot follow; its ESM build bundles.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The monitor's poll, run in a worker thread by the extension (src/vscode/refreshManager.ts).
  { ...common, entryPoints: ['src/pollWorker.ts'], outfile: 'dist/pollWorker.js' },
  // The OpenTelemetry exporters (≈ 1.3 MB) load only when an OTLP endpoint is set: a bundle of their own.
  { ...common, entryPoints: ['src/core/export/otlp.ts'], outfile: 'dist/otlp.js' },
  // dockerode (≈ 1 MB with ssh2 and grpc) loads only when a Docker or Podman socket exists: a bundle of its own.
  { ...common, entryPoints: ['src/core/containers/dockerEngine.ts'], outfile: 'dist/docker.js' },
  // The dashboard webview's script (uPlot and its CSS), for the browser: dist/webview/dashboard.{js,css}.
  { bundle: true, platform: 'browser', format: 'iife', target: 'es2022', minify: production, sourcemap: false, logLevel: 'warning',
    entryPoints: ['src/webview/dashboard.ts'], outdir: 'dist/webview' },
];

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
