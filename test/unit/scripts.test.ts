import * as assert from 'node:assert/strict';
import type { PackageJson } from '../../src/core/workspace/packageJson';
import { parsePort, portFlagValue } from '../../src/core/workspace/ports';
import { analyzeScript, detectFramework, isDevScript } from '../../src/core/workspace/scripts';
import { splitCommands } from '../../src/core/shell';

/** Framework, port and port source of one script body. */
function port(body: string, pkg: PackageJson = {}, dotenv: Record<string, string> = {}): [string, number | null, string | null] {
  const a = analyzeScript('dev', body, pkg, dotenv);
  return [a.framework, a.expectedPort, a.portSource];
}

describe('isDevScript', () => {
  for (const name of ['dev', 'start', 'serve', 'server', 'watch', 'preview', 'storybook', 'develop', 'dev:web', 'start:dev',
    'serve:api', 'web:dev', 'start-dev', 'dev_api', 'Dev', 'start:prod']) {
    it(`takes "${name}" as a dev server`, () => assert.equal(isDevScript(name, 'node server.js'), true));
  }
  for (const name of ['build', 'test', 'lint', 'format', 'typecheck', 'type-check', 'prepare', 'test:watch', 'build:watch',
    'lint:dev', 'predev', 'prestart', 'poststart', 'prestart:dev', 'postserve', 'clean', 'deploy', 'e2e:serve', 'web', '']) {
    it(`does not take "${name}" as a dev server`, () => assert.equal(isDevScript(name, 'node server.js'), false));
  }

  it('keeps `preview` despite its "pre" prefix', () => assert.equal(isDevScript('preview', 'vite preview'), true));

  it('takes `start: node dist/...` as a server', () => assert.equal(isDevScript('start', 'node dist/main.js'), true));

  it('drops dev-named scripts whose body only builds, compiles or tests', () => {
    assert.equal(isDevScript('watch', 'tsc -w'), false);
    assert.equal(isDevScript('watch', 'vite build --watch'), false);
    assert.equal(isDevScript('dev', 'rimraf dist && tsc --watch'), false);
    assert.equal(isDevScript('watch', 'webpack --watch'), false);
    assert.equal(isDevScript('start', 'next build'), false);
  });

  it('keeps dev-named scripts that run something unknown', () => {
    assert.equal(isDevScript('dev', 'turbo run dev'), true);
    assert.equal(isDevScript('dev', 'npm run other'), true);
  });

  it('rejects an empty body', () => assert.equal(isDevScript('dev', '   '), false));
});

describe('splitCommands', () => {
  it('splits at && || ; | & and honours quotes and escapes', () => {
    assert.deepEqual(splitCommands(`a "b c" 'd e' f\\ g&&h||i;j|k & l "x\\"y"`), [
      ['a', 'b c', 'd e', 'f g'], ['h'], ['i'], ['j'], ['k'], ['l', 'x"y'],
    ]);
  });

  it('keeps backslashes inside single quotes and unknown escapes inside double quotes', () => {
    assert.deepEqual(splitCommands(String.raw`echo '\n' "\n"`), [['echo', '\\n', '\\n']]);
  });

  it('keeps an empty quoted argument', () => assert.deepEqual(splitCommands(`a "" b`), [['a', '', 'b']]));

  it('returns nothing for a blank body', () => assert.deepEqual(splitCommands('  &&  '), []));

  it('separates subshell parentheses', () => {
    assert.deepEqual(splitCommands('(cd web && vite)'), [['cd', 'web'], ['vite']]);
  });
});

describe('portFlagValue / parsePort', () => {
  it('reads --port N, --port=N, -p N, -p=N; the last wins', () => {
    assert.equal(portFlagValue(['--port', '1']), '1');
    assert.equal(portFlagValue(['--port=2']), '2');
    assert.equal(portFlagValue(['-p', '3']), '3');
    assert.equal(portFlagValue(['-p=4']), '4');
    assert.equal(portFlagValue(['--port', '1', '-p', '5']), '5');
  });

  it('ignores --p, --portal, -port and a trailing flag without value', () => {
    assert.equal(portFlagValue(['--p', '1', '--portal=2', '-port', '3', '--port']), null);
  });

  it('parses only whole numbers from 1 to 65535', () => {
    assert.equal(parsePort('3000'), 3000);
    assert.equal(parsePort(' 8080 '), 8080);
    for (const bad of ['0', '65536', '3000abc', '-1', '3.5', '', 'auto', '123456']) assert.equal(parsePort(bad), null, bad);
    assert.equal(parsePort(undefined), null);
  });

  it('resolves $PORT, ${PORT} and ${PORT:-default}', () => {
    const env: Record<string, string> = { PORT: '4100' };
    const lookup = (k: string) => env[k];
    assert.equal(parsePort('$PORT', lookup), 4100);
    assert.equal(parsePort('${PORT}', lookup), 4100);
    assert.equal(parsePort('${PORT:-3000}', lookup), 4100);
    assert.equal(parsePort('${NOPE:-3000}', lookup), 3000);
    assert.equal(parsePort('${NOPE-3001}', lookup), 3001);
    assert.equal(parsePort('$NOPE', lookup), null);
  });
});

describe('framework detection', () => {
  const cases: [string, string][] = [
    ['vite', 'vite'], ['vite dev', 'vite'], ['vite ./app', 'vite'], ['vite preview', 'vite'],
    ['next dev', 'next'], ['next', 'next'], ['next start', 'next'],
    ['nuxt dev', 'nuxt'], ['nuxi dev', 'nuxt'], ['nuxi preview', 'nuxt'],
    ['astro dev', 'astro'], ['remix dev', 'remix'], ['remix vite:dev', 'remix'], ['remix-serve build/index.js', 'remix'],
    ['react-scripts start', 'react-scripts'], ['craco start', 'react-scripts'], ['react-app-rewired start', 'react-scripts'],
    ['webpack-dev-server --mode development', 'webpack-dev-server'], ['webpack serve', 'webpack-dev-server'],
    ['webpack-cli serve --config w.js', 'webpack-dev-server'],
    ['ng serve', 'angular'], ['ng s', 'angular'],
    ['storybook dev -p 6006', 'storybook'], ['start-storybook', 'storybook'],
    ['nodemon server.js', 'nodemon'], ['nodemon --watch src --exec ts-node src/index.ts', 'nodemon'],
    ['tsx watch src/index.ts', 'tsx'], ['tsx src/index.ts', 'tsx'],
    ['ts-node src/index.ts', 'ts-node'], ['ts-node-dev --respawn src/index.ts', 'ts-node'], ['tsnd src/a.ts', 'ts-node'],
    ['node server.js', 'node'], ['node --watch server.js', 'node'], ['turbo run dev', 'unknown'], ['', 'unknown'],
  ];
  for (const [body, framework] of cases) {
    it(`"${body}" → ${framework}`, () => assert.equal(detectFramework(body, {}), framework));
  }

  it('calls plain node "express" when express is a dependency or devDependency', () => {
    assert.equal(detectFramework('node server.js', { dependencies: { express: '^4' } }), 'express');
    assert.equal(detectFramework('node server.js', { devDependencies: { express: '^4' } }), 'express');
    assert.equal(detectFramework('nodemon server.js', { dependencies: { express: '^4' } }), 'nodemon');
  });

  it('survives dependency fields that are not objects', () => {
    assert.equal(detectFramework('node s.js', { dependencies: 'express', devDependencies: ['express'] }), 'node');
  });

  describe('wrappers', () => {
    const wrapped: [string, string][] = [
      ['cross-env A=1 NODE_ENV=development vite', 'vite'],
      ['cross-env-shell A=1 next dev', 'next'],
      ['env -u FOO A=1 vite', 'vite'],
      ['npx vite', 'vite'],
      ['npx -y vite@5 --port 3000', 'vite'],
      ['npx --package=@angular/cli ng serve', 'angular'],
      ['npx -c "next dev"', 'next'],
      ['npm exec vite', 'vite'],
      ['npm exec -- next dev', 'next'],
      ['pnpm exec astro dev', 'astro'],
      ['pnpm dlx vite', 'vite'],
      ['yarn vite', 'vite'],
      ['yarn exec next dev', 'next'],
      ['pnpm next dev', 'next'],
      ['bunx vite', 'vite'],
      ['dotenv -e .env -- next dev', 'next'],
      ['dotenv -e .env.local next dev', 'next'],
      ['dotenv -c development -- vite', 'vite'],
      ['env-cmd -f .env.dev nodemon app.js', 'nodemon'],
      ['dotenvx run -f .env -- vite', 'vite'],
      ['sh -c "vite --host"', 'vite'],
      ['./node_modules/.bin/vite', 'vite'],
      ['node_modules\\.bin\\vite.cmd', 'vite'],
      ['node node_modules/vite/bin/vite.js', 'vite'],
      ['node ./node_modules/@angular/cli/bin/ng serve', 'angular'],
      ['node node_modules/leftpad/index.js', 'node'],
      ['PORT=4000 node server.js', 'node'],
      ['NODE_OPTIONS=--max-old-space-size=4096 next dev', 'next'],
    ];
    for (const [body, framework] of wrapped) {
      it(`"${body}" → ${framework}`, () => assert.equal(detectFramework(body, {}), framework));
    }
  });

  describe('chains and parallel runners', () => {
    it('takes the first server of an && chain', () => {
      assert.equal(detectFramework('npm run build && node server.js', { scripts: { build: 'tsc' } }), 'node');
      assert.equal(detectFramework('rimraf dist; vite', {}), 'vite');
      assert.equal(detectFramework('kill-port 3000 || true && next dev', {}), 'next');
    });

    it('does not take a build step of a framework for its server', () => {
      assert.equal(detectFramework('vite build && node server.js', {}), 'node');
      assert.equal(detectFramework('next build && next start', {}), 'next');
      assert.equal(analyzeScript('dev', 'next build && next start -p 3100', {}, {}).expectedPort, 3100);
    });

    it('takes the first server-like part of concurrently', () => {
      assert.equal(detectFramework('concurrently "tsc -w" "nodemon dist/a.js" "vite"', {}), 'nodemon');
      assert.equal(detectFramework('concurrently -k -n api,web -c blue,green "npm:watch-ts" "vite"', { scripts: { 'watch-ts': 'tsc -w' } }), 'vite');
    });

    it('follows npm: script globs of concurrently and run-p', () => {
      const pkg = { scripts: { 'dev:api': 'nodemon api.js', 'dev:web': 'vite', other: 'next dev' } };
      const c = analyzeScript('dev', 'concurrently "npm:dev:*"', pkg, {});
      assert.equal(c.framework, 'nodemon');
      assert.deepEqual(c.parallel, ['dev:api', 'dev:web']);
      assert.deepEqual(analyzeScript('dev', 'run-p dev:web dev:api', pkg, {}).parallel, ['dev:web', 'dev:api']);
      assert.deepEqual(analyzeScript('dev', 'npm-run-all --parallel dev:*', pkg, {}).parallel, ['dev:api', 'dev:web']);
    });

    it('reports no parallel scripts when one of the servers is an inline command', () => {
      const pkg = { scripts: { 'dev:web': 'vite' } };
      const a = analyzeScript('dev', 'concurrently "npm:dev:web" "nodemon api.js"', pkg, {});
      assert.equal(a.framework, 'vite');
      assert.deepEqual(a.parallel, []);
    });

    it('treats a parallel runner with a single server as handing over to it', () => {
      const pkg = { scripts: { 'dev:web': 'vite', 'watch:css': 'tailwindcss -w' } };
      const a = analyzeScript('dev', 'run-p watch:css dev:web', pkg, {});
      assert.equal(a.delegatesTo, 'dev:web');
      assert.deepEqual(a.parallel, []);
    });

    it('runs run-s / npm-run-all scripts in sequence and picks the server', () => {
      const pkg = { scripts: { build: 'tsc', start: 'node dist/index.js' } };
      const a = analyzeScript('dev', 'run-s build start', pkg, {});
      assert.equal(a.framework, 'node');
      assert.equal(a.delegatesTo, 'start');
      assert.equal(analyzeScript('dev', 'npm-run-all build start', pkg, {}).delegatesTo, 'start');
    });
  });

  describe('npm run resolution', () => {
    const pkg = {
      scripts: {
        start: 'node server.js',
        serve: 'vite --port 4444',
        web: 'npm run serve',
        a: 'npm run b',
        b: 'npm run a',
        self: 'npm run self',
        deep1: 'npm run deep2',
        deep2: 'npm run deep3',
        deep3: 'npm run deep4',
        deep4: 'npm run deep5',
        deep5: 'vite',
        notastring: 42,
      },
    };

    for (const body of ['npm run serve', 'npm run-script serve', 'npm run --silent serve', 'yarn serve', 'yarn run serve', 'pnpm serve',
      'pnpm run serve', 'bun run serve']) {
      it(`"${body}" resolves into the script`, () => {
        const a = analyzeScript('dev', body, pkg, {});
        assert.deepEqual([a.framework, a.expectedPort, a.delegatesTo], ['vite', 4444, 'serve']);
      });
    }

    it('npm start and yarn start run the start script', () => {
      assert.equal(analyzeScript('dev', 'npm start', pkg, {}).delegatesTo, 'start');
      assert.equal(analyzeScript('dev', 'yarn start', pkg, {}).delegatesTo, 'start');
    });

    it('npm start without a start script falls back to node server.js as npm does', () => {
      const a = analyzeScript('dev', 'npm start', { scripts: {} }, {});
      assert.equal(a.framework, 'node');
      assert.equal(a.delegatesTo, null);
    });

    it('follows several levels and reports the first hop', () => {
      const a = analyzeScript('dev', 'npm run web', pkg, {});
      assert.deepEqual([a.framework, a.expectedPort, a.delegatesTo], ['vite', 4444, 'web']);
    });

    it('stops after a few levels', () => {
      assert.equal(analyzeScript('dev', 'npm run deep1', pkg, {}).framework, 'unknown');
      assert.equal(analyzeScript('dev', 'npm run deep3', pkg, {}).framework, 'vite');
    });

    it('stops cycles without failing', () => {
      assert.equal(analyzeScript('a', 'npm run b', pkg, {}).framework, 'unknown');
      assert.equal(analyzeScript('self', 'npm run self', pkg, {}).framework, 'unknown');
    });

    it('ignores missing and non-string scripts', () => {
      assert.equal(analyzeScript('dev', 'npm run missing', pkg, {}).framework, 'unknown');
      assert.equal(analyzeScript('dev', 'npm run notastring', pkg, {}).framework, 'unknown');
      assert.equal(analyzeScript('dev', 'npm run serve', { scripts: ['vite'] }, {}).framework, 'unknown');
    });

    it('does not follow into another workspace package', () => {
      assert.equal(analyzeScript('dev', 'npm run serve -w web', pkg, {}).framework, 'unknown');
      assert.equal(analyzeScript('dev', 'pnpm --filter web serve', pkg, {}).framework, 'unknown');
    });

    it('passes extra arguments on: npm only after --, yarn and pnpm all of them', () => {
      const p = { scripts: { vite: 'vite' } };
      assert.equal(analyzeScript('dev', 'npm run vite -- --port 5001', p, {}).expectedPort, 5001);
      assert.equal(analyzeScript('dev', 'npm run vite --port 5001', p, {}).expectedPort, 5173);
      assert.equal(analyzeScript('dev', 'yarn vite --port 5002', p, {}).expectedPort, 5002);
      assert.equal(analyzeScript('dev', 'pnpm run vite -- --port 5003', p, {}).expectedPort, 5003);
      assert.equal(analyzeScript('dev', "npm run vite -- --port '5004'", p, {}).expectedPort, 5004);
    });

    it('carries env prefixes into the resolved script', () => {
      assert.deepEqual(port('PORT=4555 npm run start', pkg), ['node', 4555, 'script-env']);
    });

    it('is not fooled by an install step', () => {
      assert.equal(detectFramework('npm install && npm run start', pkg), 'node');
      assert.equal(detectFramework('yarn && vite', pkg), 'vite');
    });
  });
});

describe('expected port', () => {
  it('uses framework defaults', () => {
    assert.deepEqual(port('vite'), ['vite', 5173, 'framework-default']);
    assert.deepEqual(port('vite preview'), ['vite', 4173, 'framework-default']);
    assert.deepEqual(port('next dev'), ['next', 3000, 'framework-default']);
    assert.deepEqual(port('nuxi dev'), ['nuxt', 3000, 'framework-default']);
    assert.deepEqual(port('astro dev'), ['astro', 4321, 'framework-default']);
    assert.deepEqual(port('remix dev'), ['remix', 3000, 'framework-default']);
    assert.deepEqual(port('remix vite:dev'), ['remix', 5173, 'framework-default']);
    assert.deepEqual(port('react-scripts start'), ['react-scripts', 3000, 'framework-default']);
    assert.deepEqual(port('webpack serve'), ['webpack-dev-server', 8080, 'framework-default']);
    assert.deepEqual(port('ng serve'), ['angular', 4200, 'framework-default']);
    assert.deepEqual(port('storybook dev'), ['storybook', 6006, 'framework-default']);
  });

  it('has no default for plain node runners', () => {
    for (const body of ['node server.js', 'nodemon server.js', 'tsx watch a.ts', 'ts-node a.ts', 'turbo dev']) {
      assert.deepEqual(port(body).slice(1), [null, null], body);
    }
  });

  it('reads port flags of each CLI', () => {
    assert.deepEqual(port('vite --port 3001'), ['vite', 3001, 'flag']);
    assert.deepEqual(port('vite --port=3002'), ['vite', 3002, 'flag']);
    assert.deepEqual(port('next dev -p 3003'), ['next', 3003, 'flag']);
    assert.deepEqual(port('next dev -p=3004'), ['next', 3004, 'flag']);
    assert.deepEqual(port('astro dev --port 3005'), ['astro', 3005, 'flag']);
    assert.deepEqual(port('ng serve --port 3006'), ['angular', 3006, 'flag']);
    assert.deepEqual(port('storybook dev -p 3007'), ['storybook', 3007, 'flag']);
    assert.deepEqual(port('webpack serve --port 3008'), ['webpack-dev-server', 3008, 'flag']);
    assert.deepEqual(port('http-server -p 3009'), ['unknown', 3009, 'flag']);
  });

  it('ignores flags for react-scripts, which reads only PORT', () => {
    assert.deepEqual(port('react-scripts start --port 1234'), ['react-scripts', 3000, 'framework-default']);
  });

  it("reads a node script's own arguments only, after the script", () => {
    assert.deepEqual(port('node server.js --port 4001'), ['node', 4001, 'flag']);
    assert.deepEqual(port('node -p "1" server.js'), ['node', null, null]);
    assert.deepEqual(port('node -r dotenv/config server.js -p 4002'), ['node', 4002, 'flag']);
    assert.deepEqual(port('ts-node -P tsconfig.json src/a.ts'), ['ts-node', null, null]);
  });

  it('takes PORT set by the script: prefix, cross-env, env, export, set, dotenv -v', () => {
    assert.deepEqual(port('PORT=4000 node server.js'), ['node', 4000, 'script-env']);
    assert.deepEqual(port('cross-env NODE_ENV=dev PORT=4001 node server.js'), ['node', 4001, 'script-env']);
    assert.deepEqual(port('env PORT=4002 nodemon a.js'), ['nodemon', 4002, 'script-env']);
    assert.deepEqual(port('export PORT=4003 && tsx a.ts'), ['tsx', 4003, 'script-env']);
    assert.deepEqual(port('set PORT=4004&& node a.js'), ['node', 4004, 'script-env']);
    assert.deepEqual(port('dotenv -v PORT=4005 -- node a.js'), ['node', 4005, 'script-env']);
    assert.deepEqual(port('PORT=4006 react-scripts start'), ['react-scripts', 4006, 'script-env']);
  });

  it('does not let a PORT prefix on one command leak into the next', () => {
    assert.deepEqual(port('PORT=1 echo hi && node a.js'), ['node', null, null]);
  });

  it('prefers a flag over script env and script env over .env', () => {
    assert.deepEqual(port('PORT=4000 next dev -p 4100', {}, { PORT: '4200' }), ['next', 4100, 'flag']);
    assert.deepEqual(port('PORT=4000 next dev', {}, { PORT: '4200' }), ['next', 4000, 'script-env']);
  });

  it('takes PORT from .env for frameworks that read it', () => {
    for (const body of ['next dev', 'react-scripts start', 'node a.js', 'nodemon a.js', 'tsx a.ts', 'remix dev', 'turbo dev']) {
      assert.deepEqual(port(body, {}, { PORT: '4300' }).slice(1), [4300, 'dotenv'], body);
    }
    assert.deepEqual(port('nuxi dev', {}, { NUXT_PORT: '4301' }), ['nuxt', 4301, 'dotenv']);
  });

  it('ignores PORT in .env for frameworks that never read it', () => {
    assert.deepEqual(port('vite', {}, { PORT: '4300' }), ['vite', 5173, 'framework-default']);
    assert.deepEqual(port('ng serve', {}, { PORT: '4300' }), ['angular', 4200, 'framework-default']);
    assert.deepEqual(port('astro dev', {}, { PORT: '4300' }), ['astro', 4321, 'framework-default']);
    assert.deepEqual(port('storybook dev', {}, { PORT: '4300' }), ['storybook', 6006, 'framework-default']);
  });

  it('resolves $PORT in a flag from the script env, then .env', () => {
    assert.deepEqual(port('PORT=4400 vite --port $PORT'), ['vite', 4400, 'flag']);
    assert.deepEqual(port('vite --port ${PORT}', {}, { PORT: '4401' }), ['vite', 4401, 'flag']);
    assert.deepEqual(port('vite --port $PORT'), ['vite', 5173, 'framework-default']);
  });

  it('skips invalid port values and falls back', () => {
    assert.deepEqual(port('next dev -p 0'), ['next', 3000, 'framework-default']);
    assert.deepEqual(port('PORT=abc node a.js', {}, { PORT: '99999' }), ['node', null, null]);
  });

  it('takes PORT from .env when nothing can be resolved', () => {
    assert.deepEqual(port('', {}, { PORT: '4500' }), ['unknown', 4500, 'dotenv']);
  });
});
