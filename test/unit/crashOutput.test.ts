import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classifyOutput, exitSignal, packageOf, remediesFor, stripAnsi, userFrame, type ExitStatus, type OutputFinding } from '../../src/core/crash/output';
import type { CauseId } from '../../src/core/crash/types';
import { MORE_EXPECTED } from './causesMore.test';

const fixture = (...p: string[]): string => path.resolve(__dirname, '../../../test/fixtures', ...p);

/** "exit=N" as the capture shell wrote it; 124 is timeout(1) stopping a process that was still running. */
function parseExit(s: string): ExitStatus {
  const n = Number(/exit=(\d+)/.exec(s)![1]);
  return n === 124 ? { code: null, signal: null, running: true } : { code: n, signal: null };
}

function crashFixture(name: string): { text: string; exit: ExitStatus } {
  return {
    text: fs.readFileSync(fixture('crash-output', `${name}.txt`), 'utf8'),
    exit: parseExit(fs.readFileSync(fixture('crash-output', `${name}.exit`), 'utf8')),
  };
}

/** dev-server-output files end with the capture's "exit=N" line when the process ended. */
function devFixture(name: string): { text: string; exit: ExitStatus } {
  const raw = fs.readFileSync(fixture('dev-server-output', `${name}.txt`), 'utf8');
  const m = /\nexit=\d+\s*$/.exec(raw);
  return m ? { text: raw.slice(0, m.index), exit: parseExit(m[0]) } : { text: raw, exit: { code: null, signal: null, running: true } };
}

const causes = (fs: readonly OutputFinding[]): CauseId[] => fs.map((f) => f.cause);

// Real Node v20.20.2 output captured on this machine (folder renamed to /home/dev/app).
const NODE20: Record<string, string> = {
  "a.js": "/home/dev/app/a.js:1\nasync function f(){ await null; throw new Error('async boom'); }\n                                      ^\n\nError: async boom\n    at f (/home/dev/app/a.js:1:39)\n\nNode.js v20.20.2\n",
  "b.js": "/home/dev/app/b.js:3\nsetTimeout(() => { throw e; }, 10);\n                   ^\n\nError: made elsewhere\n    at mk (/home/dev/app/b.js:1:23)\n    at Object.<anonymous> (/home/dev/app/b.js:2:11)\n    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n    at Module.load (node:internal/modules/cjs/loader:1266:32)\n    at Module._load (node:internal/modules/cjs/loader:1091:12)\n    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12)\n    at node:internal/main/run_main_module:28:49\n\nNode.js v20.20.2\n",
  "c.js": "node:internal/process/promises:389\n      new UnhandledPromiseRejection(reason);\n      ^\n\nUnhandledPromiseRejection: This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason \"just a string\".\n    at throwUnhandledRejectionsMode (node:internal/process/promises:389:7)\n    at processPromiseRejections (node:internal/process/promises:470:17)\n    at process.processTicksAndRejections (node:internal/process/task_queues:96:32) {\n  code: 'ERR_UNHANDLED_REJECTION'\n}\n\nNode.js v20.20.2\n",
  "g.js": "node:internal/modules/cjs/loader:1210\n  throw err;\n  ^\n\nError: Cannot find module './lib/missing'\nRequire stack:\n- /home/dev/app/g.js\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)\n    at Module._load (node:internal/modules/cjs/loader:1038:27)\n    at Module.require (node:internal/modules/cjs/loader:1289:19)\n    at require (node:internal/modules/helpers:182:18)\n    at Object.<anonymous> (/home/dev/app/g.js:1:1)\n    at Module._compile (node:internal/modules/cjs/loader:1521:14)\n    at Module._extensions..js (node:internal/modules/cjs/loader:1623:10)\n    at Module.load (node:internal/modules/cjs/loader:1266:32)\n    at Module._load (node:internal/modules/cjs/loader:1091:12)\n    at Function.executeUserEntryPoint [as runMain] (node:internal/modules/run_main:164:12) {\n  code: 'MODULE_NOT_FOUND',\n  requireStack: [ '/home/dev/app/g.js' ]\n}\n\nNode.js v20.20.2\n",
  "f.mjs": "node:internal/modules/esm/resolve:283\n    throw new ERR_MODULE_NOT_FOUND(\n          ^\n\nError [ERR_MODULE_NOT_FOUND]: Cannot find module '/home/dev/app/nope.js' imported from /home/dev/app/f.mjs\n    at finalizeResolution (node:internal/modules/esm/resolve:283:11)\n    at moduleResolve (node:internal/modules/esm/resolve:952:10)\n    at defaultResolve (node:internal/modules/esm/resolve:1188:11)\n    at ModuleLoader.defaultResolve (node:internal/modules/esm/loader:708:12)\n    at #cachedDefaultResolve (node:internal/modules/esm/loader:657:25)\n    at ModuleLoader.resolve (node:internal/modules/esm/loader:640:38)\n    at ModuleLoader.getModuleJobForImport (node:internal/modules/esm/loader:264:38)\n    at ModuleJob._link (node:internal/modules/esm/module_job:168:49) {\n  code: 'ERR_MODULE_NOT_FOUND',\n  url: 'file:///home/dev/app/nope.js'\n}\n\nNode.js v20.20.2\n",
  "i.js": "\n/home/dev/app/i.js:1\nthrow 'a string';\n^\na string\n(Use `node --trace-uncaught ...` to show where the exception was thrown)\n\nNode.js v20.20.2\n",
  "j.js": "node:internal/fs/promises:637\n  return new FileHandle(await PromisePrototypeThen(\n                        ^\n\nError: ENOENT: no such file or directory, open '/nope'\n    at async open (node:internal/fs/promises:637:25)\n    at async Object.readFile (node:internal/fs/promises:1249:14) {\n  errno: -2,\n  code: 'ENOENT',\n  syscall: 'open',\n  path: '/nope'\n}\n\nNode.js v20.20.2\n",
  "o.js": "/home/dev/app/o.js:2\nsetTimeout(() => { console.log(a.x); }, 5);\n                                 ^\n\nTypeError: Cannot read properties of null (reading 'x')\n    at Timeout._onTimeout (/home/dev/app/o.js:2:34)\n    at listOnTimeout (node:internal/timers:581:17)\n    at process.processTimers (node:internal/timers:519:7)\n\nNode.js v20.20.2\n",
};

const EXPECTED: Record<string, CauseId> = {
  'eaddrinuse': 'port-in-use',
  'emfile': 'too-many-open-files',
  'enospc-disk': 'disk-full',
  'enospc-watchers': 'inotify-limit',
  'heap-oom': 'heap-oom',
  'kernel-oom-kill': 'killed',
  'module-not-found-cjs': 'missing-module',
  'module-not-found-esm': 'missing-module',
  'sigsegv': 'native-crash',
  'uncaught-exception': 'uncaught-exception',
  'unhandled-rejection': 'unhandled-rejection',
};

describe('classifyOutput: crash-output fixtures', () => {
  const names = fs.readdirSync(fixture('crash-output')).filter((f) => f.endsWith('.txt')).map((f) => f.slice(0, -4));

  it('has an expectation for every fixture', () => {
    assert.deepEqual(names.sort(), Object.keys({ ...EXPECTED, ...MORE_EXPECTED }).sort());
  });

  for (const [name, cause] of Object.entries(EXPECTED)) {
    it(`${name} → ${cause}, and nothing else`, () => {
      const { text, exit } = crashFixture(name);
      assert.deepEqual(causes(classifyOutput(text, exit)), [cause]);
    });
  }

  it('heap-oom: high, heap used from the last GC line, the report file, no native-crash for the SIGABRT', () => {
    const [f] = classifyOutput(crashFixture('heap-oom').text, { code: 134, signal: null });
    assert.equal(f.confidence, 'high');
    assert.equal(f.detail?.heapUsedMB, 45.1);
    assert.equal(f.detail?.reportFile, 'report.20261122.061839.20843.0.001.json');
    assert.ok(f.lines[0].startsWith('FATAL ERROR: Reached heap limit'));
  });

  it('heap-oom reads the limit from --max-old-space-size when the output shows it', () => {
    const text = `[nodemon] starting \`node --max-old-space-size=40 server.js\`\n${crashFixture('heap-oom').text}`;
    assert.equal(classifyOutput(text, { code: 134, signal: null })[0].detail?.heapLimitMB, 40);
  });

  it('exit 137 and signal SIGKILL are the same: killed, medium, the kernel log decides', () => {
    const byCode = classifyOutput(crashFixture('kernel-oom-kill').text, { code: 137, signal: null });
    const bySignal = classifyOutput('listening on 5000\n', { code: null, signal: 'SIGKILL' });
    assert.deepEqual(byCode, bySignal);
    assert.equal(byCode[0].confidence, 'medium');
    assert.match(byCode[0].note ?? '', /kernel log/);
  });

  it('exit 139 is SIGSEGV: native-crash high', () => {
    const [f] = classifyOutput('', { code: 139, signal: null });
    assert.equal(f.confidence, 'high');
    assert.equal(f.detail?.signal, 'SIGSEGV');
  });

  it('EADDRINUSE: the port and syscall, no user frame (all frames are node core)', () => {
    const [f] = classifyOutput(crashFixture('eaddrinuse').text, { code: 1, signal: null });
    assert.deepEqual(f.detail, { port: 45123, syscall: 'listen' });
    assert.equal(f.topFrame, null);
    assert.deepEqual(f.lines, ['Error: listen EADDRINUSE: address already in use 127.0.0.1:45123']);
  });

  it('EADDRINUSE on IPv6 any-address', () => {
    const [f] = classifyOutput('Error: listen EADDRINUSE: address already in use :::3000\n', { code: 1, signal: null });
    assert.equal(f.detail?.port, 3000);
  });

  it('ENOSPC on a watch is inotify-limit, not disk-full; on a write it is disk-full', () => {
    const [w] = classifyOutput(crashFixture('enospc-watchers').text, { code: 1, signal: null });
    assert.deepEqual(w.detail, { syscall: 'watch', path: '/home/dev/shop-api/src/d21' });
    const [d] = classifyOutput(crashFixture('enospc-disk').text, { code: 1, signal: null });
    assert.deepEqual(d.detail, { syscall: 'write' });
    assert.equal(d.topFrame, '[eval]:1:15');
  });

  it('EMFILE: syscall and path', () => {
    const [f] = classifyOutput(crashFixture('emfile').text, { code: 1, signal: null });
    assert.deepEqual(f.detail, { syscall: 'open', path: '/dev/null' });
  });

  it('missing modules: CJS and ESM bare names are packages to install', () => {
    const [cjs] = classifyOutput(crashFixture('module-not-found-cjs').text, { code: 1, signal: null });
    assert.deepEqual(cjs.detail, { module: 'express-nope', package: 'express-nope' });
    const [esm] = classifyOutput(crashFixture('module-not-found-esm').text, { code: 1, signal: null });
    assert.deepEqual(esm.detail, { module: 'vite-nope', package: 'vite-nope', path: '/home/dev/shop-api/m.mjs' });
  });

  it('missing modules: a relative or absolute path is a code bug, not an npm install', () => {
    for (const name of ['g.js', 'f.mjs']) {
      const [f] = classifyOutput(NODE20[name], { code: 1, signal: null });
      assert.equal(f.cause, 'missing-module', name);
      assert.equal(f.detail?.package, undefined, name);
      assert.match(f.note ?? '', /path in the code/);
      assert.deepEqual(remediesFor(f.cause, f.detail), []);
    }
    assert.equal(classifyOutput(NODE20['g.js'], { code: 1, signal: null })[0].detail?.module, './lib/missing');
  });

  it('uncaught exception: high (the caret marks the throw), top frame with file:line:col', () => {
    const [f] = classifyOutput(crashFixture('uncaught-exception').text, { code: 1, signal: null });
    assert.equal(f.confidence, 'high');
    assert.equal(f.topFrame, 'Timeout._onTimeout (/home/dev/shop-api/worker.js:1:56)');
    assert.ok(f.lines.includes('Error: boom: cannot connect to redis at 127.0.0.1:6379'));
  });

  it('unhandled rejection: high (the caret marks new Error inside Promise.reject)', () => {
    const [f] = classifyOutput(crashFixture('unhandled-rejection').text, { code: 1, signal: null });
    assert.equal(f.confidence, 'high');
    assert.equal(f.topFrame, '[eval]:1:16');
    assert.equal(f.lines[0], "Promise.reject(new Error('db connection refused'))");
  });
});

describe('classifyOutput: more real Node 20 crashes', () => {
  const one = (name: string): OutputFinding => {
    const fs = classifyOutput(NODE20[name], { code: 1, signal: null });
    assert.equal(fs.length, 1, JSON.stringify(fs));
    return fs[0];
  };

  it('throw inside an async function is a rejection (caret at new Error)', () => {
    const f = one('a.js');
    assert.equal(f.cause, 'unhandled-rejection');
    assert.equal(f.topFrame, 'f (/home/dev/app/a.js:1:39)');
  });

  it('throw of an error built elsewhere is uncaught (caret at throw), top frame is where it was built', () => {
    const f = one('b.js');
    assert.deepEqual([f.cause, f.confidence, f.topFrame], ['uncaught-exception', 'high', 'mk (/home/dev/app/b.js:1:23)']);
  });

  it('a promise rejected with a string: UnhandledPromiseRejection, high, no user frame', () => {
    const f = one('c.js');
    assert.deepEqual([f.cause, f.confidence, f.topFrame], ['unhandled-rejection', 'high', null]);
  });

  it('a thrown string is uncaught, high', () => {
    const f = one('i.js');
    assert.deepEqual([f.cause, f.confidence], ['uncaught-exception', 'high']);
    assert.ok(f.lines.includes('a string'));
  });

  it('a rejection from an async core API: rejection, medium (async frames)', () => {
    const f = one('j.js');
    assert.deepEqual([f.cause, f.confidence], ['unhandled-rejection', 'medium']);
  });

  it('a V8 TypeError cannot be told apart: uncaught, medium, with a note', () => {
    const f = one('o.js');
    assert.deepEqual([f.cause, f.confidence], ['uncaught-exception', 'medium']);
    assert.match(f.note ?? '', /cannot tell/);
    assert.equal(f.topFrame, 'Timeout._onTimeout (/home/dev/app/o.js:2:34)');
  });
});

describe('classifyOutput: dev servers and watchers', () => {
  it('vite ready, and vite moving to the next port, are not crashes', () => {
    for (const name of ['vite-first', 'vite-port-fallback']) {
      const { text, exit } = devFixture(name);
      assert.deepEqual(classifyOutput(text, exit), [], name);
    }
  });

  it('vite --strictPort: port-in-use with the port, no user frame (all in node_modules)', () => {
    const { text, exit } = devFixture('vite-strictport-in-use');
    const [f, ...rest] = classifyOutput(text, exit);
    assert.deepEqual([f.cause, f.confidence, f.detail?.port, f.topFrame, rest.length], ['port-in-use', 'high', 45200, null, 0]);
  });

  it('webpack-dev-server on a taken --port: port-in-use with the port', () => {
    const { text, exit } = devFixture('webpack-dev-server-port-in-use');
    const [f] = classifyOutput(text, exit);
    assert.deepEqual([f.cause, f.confidence, f.detail?.port], ['port-in-use', 'high', 45300]);
  });

  it('webpack-cli rejecting its configuration: exit-nonzero quoting its error line as the message', () => {
    const { text, exit } = devFixture('webpack-invalid-config');
    const [f, ...rest] = classifyOutput(text, exit);
    assert.deepEqual([f.cause, f.detail?.exitCode ?? exit.code, rest.length], ['exit-nonzero', 2, 0]);
    assert.match(f.detail?.message ?? '', /^\[webpack-cli\] Invalid configuration object\./);
    assert.ok(f.lines.some((l) => /Invalid configuration object/.test(l)), 'the error line is quoted');
    // Without a tool's error line, nothing is made up.
    assert.equal(classifyOutput('config missing, giving up\n', { code: 3, signal: null })[0].detail?.message, undefined);
  });

  it('nodemon: the underlying exception and watcher-waiting (high), ANSI colours stripped', () => {
    const { text, exit } = devFixture('nodemon-app-crashed');
    const found = classifyOutput(text, exit);
    assert.deepEqual(causes(found), ['uncaught-exception', 'watcher-waiting']);
    assert.equal(found[1].confidence, 'high');
    assert.deepEqual(found[1].lines, ['[nodemon] app crashed - waiting for file changes before starting...']);
    assert.equal(found[0].topFrame, 'Timeout._onTimeout (/home/dev/shop-web/crash.js:1:56)');
  });

  it('tsx watch: the process that printed the crash is still running → underlying cause + watcher-waiting (medium)', () => {
    const { text, exit } = devFixture('tsx-watch-crash');
    assert.equal(exit.running, true);
    const found = classifyOutput(text, exit);
    assert.deepEqual(causes(found), ['uncaught-exception', 'watcher-waiting']);
    assert.equal(found[1].confidence, 'medium');
  });

  it('the same output from a process that exited 1 is just the exception', () => {
    assert.deepEqual(causes(classifyOutput(devFixture('tsx-watch-crash').text, { code: 1, signal: null })), ['uncaught-exception']);
  });

  it('node --watch "Failed running" is watcher-waiting, high', () => {
    const found = classifyOutput(`${NODE20['b.js']}Failed running 'b.js'\n`, { code: null, signal: null, running: true });
    assert.deepEqual(causes(found), ['uncaught-exception', 'watcher-waiting']);
    assert.equal(found[1].confidence, 'high');
  });
});

describe('classifyOutput: exits without telling text', () => {
  it('Ctrl-C (SIGINT or 130) and a clean exit are not crashes', () => {
    assert.deepEqual(classifyOutput('bye\n', { code: null, signal: 'SIGINT' }), []);
    assert.deepEqual(classifyOutput('bye\n', { code: 130, signal: null }), []);
    assert.deepEqual(classifyOutput('bye\n', { code: 0, signal: null }), []);
  });

  it('unknown exit (a log file) with nothing telling gives nothing', () => {
    assert.deepEqual(classifyOutput('GET / 200\n', { code: null, signal: null }), []);
  });

  it('SIGTERM from someone else: killed, medium', () => {
    assert.deepEqual(causes(classifyOutput('', { code: 143, signal: null })), ['killed']);
  });

  it('SIGABRT without a heap message: native-crash', () => {
    const found = classifyOutput('FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal\n', { code: 134, signal: null });
    assert.deepEqual(causes(found), ['native-crash']);
    assert.equal(found[0].confidence, 'high');
  });

  it('a non-zero exit with no known message: exit-nonzero, low, quoting the last lines', () => {
    const [f, ...rest] = classifyOutput('compiling…\nsomething went sideways\n\n', { code: 2, signal: null });
    assert.deepEqual([f.cause, f.confidence, rest.length], ['exit-nonzero', 'low', 0]);
    assert.deepEqual(f.lines, ['compiling…', 'something went sideways']);
  });

  it('a crash block in a log with an unknown exit is still classified', () => {
    assert.deepEqual(causes(classifyOutput(crashFixture('uncaught-exception').text, { code: null, signal: null })), ['uncaught-exception']);
  });
});

describe('classifyOutput: evidence hygiene', () => {
  it('quoted lines are redacted', () => {
    const text = "Error: connect ECONNREFUSED postgres://app:hunter2@db:5432/app\n    at main (/home/dev/app/db.js:3:9)\n\nNode.js v20.20.2\n";
    const found = classifyOutput(text, { code: 1, signal: null });
    assert.ok(!JSON.stringify(found).includes('hunter2'));
    assert.equal(found[0].topFrame, 'main (/home/dev/app/db.js:3:9)');
  });

  it('colour codes and carriage-return overwrites are resolved', () => {
    assert.equal(stripAnsi('\x1b[31m[nodemon] app crashed\x1b[39m'), '[nodemon] app crashed');
    const found = classifyOutput('progress 10%\rprogress 99%\rError: listen EADDRINUSE: address already in use :::8080\n', { code: 1, signal: null });
    assert.deepEqual(found[0].lines, ['Error: listen EADDRINUSE: address already in use :::8080']);
  });
});

describe('classifyOutput: size', () => {
  it('a crash at the end of 5 MB of ordinary log lines is found', () => {
    const noise = 'GET /api/items?page=2 200 12.3 ms - 5321\n'.repeat(120_000);
    const t0 = Date.now();
    const found = classifyOutput(noise + crashFixture('eaddrinuse').text, { code: 1, signal: null });
    console.log(`      ${(noise.length / 1e6).toFixed(1)} MB classified in ${Date.now() - t0} ms`);
    assert.deepEqual(causes(found), ['port-in-use']);
  });
});

describe('output helpers', () => {
  it('userFrame skips node core, internal and node_modules frames', () => {
    assert.equal(userFrame([
      '    at Server.setupListenHandle [as _listen2] (node:net:1908:16)',
      '    at internal/main/run_main_module.js:17:47',
      '    at async startServer (file:///home/dev/web/node_modules/vite/dist/node/chunks/node.js:25081:30)',
      '    at JSON.parse (<anonymous>)',
      '    at file:///home/dev/web/server.mjs:12:3',
    ]), 'file:///home/dev/web/server.mjs:12:3');
    assert.equal(userFrame(['    at listOnTimeout (node:internal/timers:581:17)']), null);
  });

  it('exitSignal decodes shell statuses', () => {
    assert.equal(exitSignal({ code: 137, signal: null }), 'SIGKILL');
    assert.equal(exitSignal({ code: 134, signal: null }), 'SIGABRT');
    assert.equal(exitSignal({ code: 1, signal: null }), null);
    assert.equal(exitSignal({ code: null, signal: 'SIGBUS' }), 'SIGBUS');
  });

  it('packageOf', () => {
    assert.equal(packageOf('express'), 'express');
    assert.equal(packageOf('lodash/fp'), 'lodash');
    assert.equal(packageOf('@vitejs/plugin-react/dist'), '@vitejs/plugin-react');
    for (const p of ['./db', '../x', '/abs/x.mjs', 'file:///x.mjs', 'node:fs', 'C:\\x\\y.js']) assert.equal(packageOf(p), null, p);
  });

  it('remediesFor ranks the specific remedy first and carries what the output told', () => {
    const inotify = remediesFor('inotify-limit');
    assert.equal(inotify[0].id, 'raise-inotify-limit');
    assert.equal(inotify[0].detail, `${process.getuid?.() === 0 ? '' : 'sudo '}sysctl fs.inotify.max_user_watches=524288`);
    assert.deepEqual(remediesFor('port-in-use', { port: 45123 })[0].args, { port: 45123 });
    assert.deepEqual(remediesFor('missing-module', { module: 'x', package: 'x' })[0].args, { package: 'x' });
    assert.equal(remediesFor('heap-oom', { heapLimitMB: 40 })[0].detail, '--max-old-space-size=512, set where the script sets it');
    assert.deepEqual(remediesFor('heap-oom', { heapUsedMB: 1900 })[0].args, { megabytes: 3840 });
    assert.equal(remediesFor('uncaught-exception')[0].id, 'restart-server');
  });
});
