import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  excludeMatcher,
  jsonErrorOffset,
  parsePackageJson,
  scanWorkspace,
  type ConfiguredServer,
} from '../../src/core/workspace/scan';
import type { ExpectedServer } from '../../src/core/types';
import { globToRegExp } from '../../src/core/paths';

/** Writes files (relative path → text, or an object saved as JSON) under a fresh temp folder. */
function tree(files: Record<string, string | object>): string {
  const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'scan-test-')));
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  }
  return root;
}

const summary = (servers: readonly ExpectedServer[]) =>
  servers.map((s) => `${s.name} | ${s.script ?? '-'} | ${s.framework} | ${s.expectedPort ?? '-'} | ${s.portSource ?? '-'} | ${s.source}`);

describe('scanWorkspace', () => {
  const made: string[] = [];
  const make = (files: Record<string, string | object>): string => {
    const root = tree(files);
    made.push(root);
    return root;
  };
  after(() => {
    for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('a monorepo', () => {
    let root = '';
    before(() => {
      root = make({
        'package.json': { name: 'mono', private: true, scripts: { build: 'turbo build', dev: 'turbo dev', lint: 'eslint .' } },
        'packages/web/package.json': { name: 'web', scripts: { dev: 'vite --port 3001', build: 'vite build', preview: 'vite preview' } },
        'packages/api/package.json': {
          name: '@acme/api',
          scripts: { dev: 'nodemon src/index.js', start: 'node src/index.js', test: 'jest' },
          dependencies: { express: '^4.19.0' },
        },
        'packages/api/.env': 'PORT=4000\nDB=x\n',
        'packages/api/.env.local': 'PORT=4100\n',
        'packages/api/.env.development': 'OTHER=1\n',
        'packages/api/.env.development.local': '# last one wins\nPORT=4200\n',
        'packages/lib/package.json': { name: 'lib', scripts: { build: 'tsc', test: 'vitest' } },
        'packages/web/node_modules/vite/package.json': { name: 'vite', scripts: { dev: 'node x.js' } },
        'node_modules/broken/package.json': '{ not json',
        'dist/package.json': { name: 'dist', scripts: { start: 'node index.js' } },
        'build/package.json': { name: 'built', scripts: { start: 'node index.js' } },
        'coverage/package.json': { name: 'cov', scripts: { start: 'node index.js' } },
        '.next/package.json': { name: 'next-cache', scripts: { start: 'node index.js' } },
        '.git/package.json': { name: 'git', scripts: { start: 'node index.js' } },
        'examples/demo/package.json': { name: 'demo', scripts: { dev: 'next dev' } },
        'apps/docs/package.json': { scripts: { start: 'astro dev' } },
      });
    });

    it('finds every package with dev scripts, in depth-first-level order, qualified names', () => {
      const scan = scanWorkspace([root]);
      assert.deepEqual(scan.problems, []);
      assert.deepEqual(summary(scan.servers), [
        'mono · dev | dev | unknown | - | - | package.json',
        'docs · start | start | astro | 4321 | framework-default | package.json',
        'demo · dev | dev | next | 3000 | framework-default | package.json',
        '@acme/api · dev | dev | nodemon | 4200 | dotenv | package.json',
        '@acme/api · start | start | express | 4200 | dotenv | package.json',
        'web · dev | dev | vite | 3001 | flag | package.json',
        'web · preview | preview | vite | 4173 | framework-default | package.json',
      ]);
      const web = scan.servers.find((s) => s.name === 'web · dev')!;
      assert.equal(web.cwd, path.join(root, 'packages', 'web'));
      assert.equal(web.workspaceFolder, root);
      assert.equal(web.command, 'vite --port 3001');
    });

    it('honours exclude patterns: folder names and relative globs', () => {
      const names = (exclude: string[]) => scanWorkspace([root], { exclude }).servers.map((s) => s.name);
      assert.ok(!names(['examples/**']).some((n) => n.startsWith('demo')));
      assert.ok(!names(['examples']).some((n) => n.startsWith('demo')));
      assert.ok(!names(['./examples/']).some((n) => n.startsWith('demo')));
      // the root package is then the only one, with one dev script: no qualifier
      assert.deepEqual(names(['packages/*', 'examples', 'apps']), ['mono']);
      assert.deepEqual(names(['**/api', 'web', 'examples/**', 'apps/docs']), ['mono']);
      assert.equal(names(['packages/a*']).filter((n) => n.startsWith('@acme')).length, 0);
      assert.equal(names(['packages/a*']).filter((n) => n.startsWith('web')).length, 2);
    });

    it('stops at maxDepth', () => {
      assert.deepEqual(scanWorkspace([root], { maxDepth: 0 }).servers.map((s) => s.name), ['mono']);
      assert.equal(scanWorkspace([root], { maxDepth: 1 }).servers.length, 1);
      assert.equal(scanWorkspace([root], { maxDepth: 2 }).servers.length, 7);
    });

    it('stops at maxPackages and says so', () => {
      const scan = scanWorkspace([root], { maxPackages: 2 });
      assert.deepEqual(scan.servers.map((s) => s.name), ['mono · dev', 'docs · start']);
      assert.equal(scan.problems.length, 1);
      assert.match(scan.problems[0].message, /Stopped after 2 package\.json files/);
    });

    it('reads each package once when workspace folders overlap', () => {
      const scan = scanWorkspace([root, path.join(root, 'packages')]);
      assert.equal(scan.servers.length, 7);
      assert.ok(scan.servers.every((s) => s.workspaceFolder === root));
    });
  });

  describe('names', () => {
    it('is just the package name for a lone package with one dev script', () => {
      const root = make({ 'package.json': { name: 'shop', scripts: { dev: 'vite', build: 'vite build' } } });
      assert.deepEqual(scanWorkspace([root]).servers.map((s) => s.name), ['shop']);
    });

    it('falls back to the folder name when the package has no usable name', () => {
      const root = make({ 'app/package.json': { name: '  ', scripts: { dev: 'vite' } } });
      assert.deepEqual(scanWorkspace([root]).servers.map((s) => s.name), ['app']);
    });

    it('adds the script when one package has several dev scripts', () => {
      const root = make({ 'package.json': { name: 'shop', scripts: { dev: 'vite', 'dev:api': 'nodemon api.js' } } });
      assert.deepEqual(scanWorkspace([root]).servers.map((s) => s.name), ['shop · dev', 'shop · dev:api']);
    });

    it('adds the script when several packages declare servers, across workspace folders', () => {
      const a = make({ 'package.json': { name: 'a', scripts: { dev: 'vite' } } });
      const b = make({ 'package.json': { name: 'b', scripts: { start: 'node s.js' } } });
      assert.deepEqual(scanWorkspace([a, b]).servers.map((s) => `${s.name} @ ${s.workspaceFolder === a ? 'a' : 'b'}`), [
        'a · dev @ a',
        'b · start @ b',
      ]);
    });
  });

  describe('duplicates', () => {
    it('keeps the outer script when dev merely runs another dev script', () => {
      const root = make({ 'package.json': { name: 'x', scripts: { dev: 'npm run start', start: 'PORT=4000 node server.js' } } });
      assert.deepEqual(summary(scanWorkspace([root]).servers), ['x | dev | node | 4000 | script-env | package.json']);
    });

    it('also through chains and several hops', () => {
      const root = make({
        'package.json': { name: 'x', scripts: { dev: 'npm run build && npm run serve', serve: 'npm run start', start: 'vite preview', build: 'vite build' } },
      });
      assert.deepEqual(summary(scanWorkspace([root]).servers), ['x | dev | vite | 4173 | framework-default | package.json']);
    });

    it('keeps both scripts of a cycle', () => {
      const root = make({ 'package.json': { name: 'x', scripts: { dev: 'npm run start', start: 'npm run dev' } } });
      assert.deepEqual(scanWorkspace([root]).servers.map((s) => s.script), ['dev', 'start']);
    });

    it('lists the parts instead of a script that runs several dev scripts side by side', () => {
      const root = make({
        'package.json': { name: 'x', scripts: { dev: 'concurrently "npm:dev:*"', 'dev:web': 'vite', 'dev:api': 'PORT=4000 nodemon api.js' } },
      });
      assert.deepEqual(summary(scanWorkspace([root]).servers), [
        'x · dev:web | dev:web | vite | 5173 | framework-default | package.json',
        'x · dev:api | dev:api | nodemon | 4000 | script-env | package.json',
      ]);
    });

    it('keeps a parallel runner whose servers are not all scripts', () => {
      const root = make({ 'package.json': { name: 'x', scripts: { dev: 'concurrently "npm:dev:web" "nodemon api.js"', 'dev:web': 'vite' } } });
      assert.deepEqual(scanWorkspace([root]).servers.map((s) => s.script), ['dev', 'dev:web']);
    });
  });

  describe('problems', () => {
    it('reports a malformed package.json with its line and goes on', () => {
      const root = make({
        'bad/package.json': '{\n  "name": "bad",\n  "scripts": { "dev": "vite", }\n}\n',
        'good/package.json': { name: 'good', scripts: { dev: 'vite' } },
      });
      const scan = scanWorkspace([root]);
      assert.deepEqual(scan.servers.map((s) => s.name), ['good']);
      assert.deepEqual(scan.problems, [{
        path: path.join(root, 'bad', 'package.json'),
        message: 'package.json is not valid JSON: Expected double-quoted property name (line 3)',
      }]);
    });

    it('reports a package.json that is not an object', () => {
      const root = make({ 'package.json': '[1, 2]' });
      assert.match(scanWorkspace([root]).problems[0].message, /does not hold a JSON object/);
    });

    it('reads a package.json with a BOM and ignores non-string scripts and a non-object scripts field', () => {
      const a = make({ 'package.json': '\uFEFF{"name":"bom","scripts":{"dev":"vite","start":42}}' });
      assert.deepEqual(scanWorkspace([a]).servers.map((s) => s.name), ['bom']);
      const b = make({ 'package.json': { name: 'odd', scripts: ['dev'] } });
      assert.deepEqual(scanWorkspace([b]), { servers: [], problems: [] });
    });

    it('reports a workspace folder that does not exist or is a file, and scans the others', () => {
      const root = make({ 'package.json': { name: 'ok', scripts: { dev: 'vite' } }, 'file.txt': 'x' });
      const missing = path.join(root, 'missing');
      const scan = scanWorkspace([missing, path.join(root, 'file.txt'), root]);
      assert.deepEqual(scan.servers.map((s) => s.name), ['ok']);
      assert.deepEqual(scan.problems, [
        { path: missing, message: 'Could not read this folder: it does not exist.' },
        { path: path.join(root, 'file.txt'), message: 'Could not read this folder: it is not a folder.' },
      ]);
    });

    it('reports a .env that cannot be read', () => {
      const root = make({ 'package.json': { name: 'x', scripts: { start: 'node s.js' } }, '.env/inner': '' });
      const scan = scanWorkspace([root]);
      assert.equal(scan.servers.length, 1);
      assert.deepEqual(scan.problems, [{ path: path.join(root, '.env'), message: 'Could not read .env: it is a folder.' }]);
    });

    it('does not follow symlinked folders, so a loop ends', () => {
      const root = make({ 'package.json': { name: 'root', scripts: { dev: 'vite' } }, 'packages/a/package.json': { name: 'a', scripts: { dev: 'vite' } } });
      fs.symlinkSync(root, path.join(root, 'packages', 'a', 'loop'), 'dir');
      fs.symlinkSync(path.join(root, 'packages', 'a'), path.join(root, 'linked-a'), 'dir');
      const scan = scanWorkspace([root], { maxDepth: 50 });
      assert.deepEqual(scan.servers.map((s) => s.name), ['root · dev', 'a · dev']);
      assert.deepEqual(scan.problems, []);
    });

    it('never throws for an empty folder list', () => {
      assert.deepEqual(scanWorkspace([]), { servers: [], problems: [] });
      assert.deepEqual(scanWorkspace([], { configured: [{ name: 'x', command: 'vite' }] }), { servers: [], problems: [] });
    });
  });

  describe('configured servers', () => {
    let root = '';
    before(() => {
      root = make({
        'package.json': { name: 'mono', scripts: {} },
        'web/package.json': { name: 'web', scripts: { dev: 'vite', start: 'vite preview' } },
        'api/package.json': { name: 'api', scripts: { dev: 'nodemon index.js' }, dependencies: { express: '4' } },
        'api/.env': 'PORT=5050',
        'tools/.env': 'PORT=6060',
      });
    });
    const scan = (configured: ConfiguredServer[]) => scanWorkspace([root], { configured });

    it('replaces the detected server with the same folder and command (a script run)', () => {
      const s = scan([{ name: 'Frontend', folder: 'web', command: 'npm run dev', port: 5999 }]);
      assert.deepEqual(summary(s.servers), [
        'api · dev | dev | nodemon | 5050 | dotenv | package.json',
        'Frontend | - | vite | 5999 | config | settings',
        'web · start | start | vite | 4173 | framework-default | package.json',
      ]);
      assert.equal(s.servers[1].cwd, path.join(root, 'web'));
      assert.equal(s.servers[1].command, 'npm run dev');
    });

    it('matches the script body itself and yarn-style runs', () => {
      const replaced = (c: ConfiguredServer) => scan([c]).servers.map((x) => x.name);
      assert.deepEqual(replaced({ name: 'A', folder: 'web', command: 'vite' }), ['api · dev', 'A', 'web · start']);
      assert.deepEqual(replaced({ name: 'A', folder: './web/', command: 'yarn dev' }), ['api · dev', 'A', 'web · start']);
      assert.deepEqual(replaced({ name: 'A', folder: 'web', command: '  vite   preview ' }), ['api · dev', 'web · dev', 'A']);
    });

    it('replaces by name, keeping the folder and command when the setting gives none', () => {
      const s = scan([{ name: 'api · dev', port: 7000 }]);
      const api = s.servers.find((x) => x.name === 'api · dev')!;
      assert.deepEqual([api.source, api.cwd, api.command, api.framework, api.expectedPort, api.portSource],
        ['settings', path.join(root, 'api'), 'nodemon index.js', 'nodemon', 7000, 'config']);
      assert.equal(s.servers.length, 3);
    });

    it('adds a server that matches nothing, analysing its command in its folder', () => {
      const s = scan([{ name: 'Tools', folder: 'tools', command: 'node serve.js' }, { name: 'Root', command: 'docker compose up' }]);
      assert.deepEqual(summary(s.servers).slice(3), [
        'Tools | - | node | 6060 | dotenv | settings',
        'Root | - | unknown | - | - | settings',
      ]);
      assert.equal(s.servers[3].cwd, path.join(root, 'tools'));
      assert.equal(s.servers[4].cwd, root);
    });

    it('does not replace a server in another folder that runs the same command', () => {
      const s = scan([{ name: 'Other', folder: 'api', command: 'vite' }]);
      assert.deepEqual(s.servers.map((x) => x.name), ['api · dev', 'web · dev', 'web · start', 'Other']);
    });

    it('reports a nameless entry or a bad port and keeps going', () => {
      const s = scan([{ name: '' }, { name: 'P', folder: 'web', command: 'vite --port 1234', port: 70000 }]);
      assert.deepEqual(s.problems.map((p) => p.message), [
        'A configured server has no name; it is ignored.',
        'The port of "P" must be a whole number from 1 to 65535; it is ignored.',
      ]);
      // a different command from the detected `vite`: added, not replacing
      assert.deepEqual(summary(s.servers).slice(3), ['P | - | vite | 1234 | flag | settings']);
    });

    it('resolves the folder against the workspace folder that has it', () => {
      const other = make({ 'svc/package.json': { name: 'svc', scripts: {} } });
      const s = scanWorkspace([root, other], { configured: [{ name: 'Svc', folder: 'svc', command: 'node a.js' }] });
      const svc = s.servers.find((x) => x.name === 'Svc')!;
      assert.equal(svc.cwd, path.join(other, 'svc'));
      assert.equal(svc.workspaceFolder, other);
    });
  });

  it('reads no folder below node_modules: a huge one costs nothing', () => {
    const files: Record<string, string> = { 'package.json': '{"name":"x","scripts":{"dev":"vite"}}' };
    for (let i = 0; i < 300; i++) files[`node_modules/pkg${i}/package.json`] = '{ broken';
    const root = make(files);
    const scan = scanWorkspace([root]);
    assert.deepEqual(scan.problems, []);
    assert.equal(scan.servers.length, 1);
  });
});

describe('parsePackageJson', () => {
  const message = (text: string) => {
    const r = parsePackageJson(text);
    return 'message' in r ? r.message : null;
  };

  it('parses strict JSON', () => assert.deepEqual(parsePackageJson('{"name":"a"}'), { pkg: { name: 'a' } }));

  it('gives the reason without the quoted source and the line of the error', () => {
    // V8's wording changes between node versions; the shape and the line must not
    const cases: [string, number][] = [
      ['{\n  "a": 1,\n}', 3],
      ['{\n "a": tru\n}', 2],
      ['{\n\n\n"a": 1 // comment\n}', 4],
      ['', 1],
      ['{\n"a": [1,\n2', 3],
      ['{\n "a": "x\ny"\n}', 2],
    ];
    for (const [text, line] of cases) {
      const m = message(text) ?? '';
      assert.match(m, new RegExp(`^package\\.json is not valid JSON: [^\\n]+ \\(line ${line}\\)$`), JSON.stringify(text));
      assert.doesNotMatch(m, /is not valid JSON.*is not valid JSON|at position/);
    }
    assert.equal(message('{\n "a": tru\n}'), "package.json is not valid JSON: Unexpected token '\\n' (line 2)");
  });

  it('finds the line in a long file', () => {
    const lines = ['{', ...Array.from({ length: 40 }, (_, i) => `  "k${i}": "value ${i}",`), '  "bad": undefined', '}'];
    assert.match(message(lines.join('\n')) ?? '', /\(line 42\)$/);
  });
});

describe('jsonErrorOffset', () => {
  it('is -1 for valid JSON', () => {
    for (const ok of ['{}', '[]', ' {"a":[1,-2.5e3,true,false,null,"x\\u00e9\\n"]} ', '"s"', '0']) assert.equal(jsonErrorOffset(ok), -1, ok);
  });

  it('points at the first error', () => {
    assert.equal(jsonErrorOffset('{"a":1,}'), 7);
    assert.equal(jsonErrorOffset('{"a" 1}'), 5);
    assert.equal(jsonErrorOffset('[01]'), 2);
    assert.equal(jsonErrorOffset('{"a":"\t"}'), 6);
    assert.equal(jsonErrorOffset('{"a":"\\x"}'), 7);
    assert.equal(jsonErrorOffset('{"a":1} x'), 8);
    assert.equal(jsonErrorOffset('{"a":'), 5);
    assert.equal(jsonErrorOffset("{'a':1}"), 1);
  });
});

describe('globToRegExp / excludeMatcher', () => {
  it('keeps * and ? within a segment and lets ** span segments', () => {
    assert.ok(globToRegExp('packages/*').test('packages/web'));
    assert.ok(!globToRegExp('packages/*').test('packages/web/src'));
    assert.ok(globToRegExp('packages/**').test('packages/web/src'));
    assert.ok(globToRegExp('**/fixtures').test('fixtures'));
    assert.ok(globToRegExp('**/fixtures').test('test/unit/fixtures'));
    assert.ok(globToRegExp('a?c').test('abc'));
    assert.ok(!globToRegExp('a?c').test('a/c'));
    assert.ok(globToRegExp('{apps,examples}/demo-*').test('examples/demo-1'));
    assert.ok(!globToRegExp('{apps,examples}/demo-*').test('other/demo-1'));
  });

  it('escapes RegExp characters and survives an unclosed brace', () => {
    assert.ok(globToRegExp('a.b+(c)').test('a.b+(c)'));
    assert.ok(!globToRegExp('a.b').test('axb'));
    assert.doesNotThrow(() => globToRegExp('{a,b'));
  });

  it('matches bare names anywhere and paths from the workspace folder', () => {
    const ex = excludeMatcher(['examples', 'packages/legacy-*', '', '  ', 'C:\\not\\used', 'docs/**']);
    assert.ok(ex('examples', 'examples'));
    assert.ok(ex('apps/examples', 'examples'));
    assert.ok(ex('packages/legacy-ui', 'legacy-ui'));
    assert.ok(!ex('apps/packages/legacy-ui', 'legacy-ui'));
    assert.ok(ex('docs', 'docs'));
    assert.ok(!ex('apps/docs', 'docs'));
    assert.ok(!ex('apps/web', 'web'));
  });

  it('marks scripts that serve build output (next start, vite preview, serve, a dev script ending in one) and no dev script', () => {
    const root = tree({
      'package.json': {
        name: 'x',
        scripts: {
          dev: 'next dev', start: 'next start', preview: 'vite preview', serve: 'serve -s build', 'serve:static': 'http-server dist -p 8081',
          'preview:full': 'vite build && vite preview --port 4174', build: 'next build', storybook: 'storybook dev -p 6006',
        },
      },
    });
    const marked = scanWorkspace([root]).servers.map((s) => `${s.script} ${s.servesBuild === true}`);
    fs.rmSync(root, { recursive: true, force: true });
    assert.deepEqual(marked, ['dev false', 'start true', 'preview true', 'serve true', 'serve:static true', 'preview:full true', 'storybook false']);
  });
});
