import * as assert from 'node:assert/strict';
import { REDACTED, isSecretName, learnedSecretValues, learnSecretValues, redactArgs, redactEnv, redactText, rememberSecretValues } from '../../src/core/redact';

const R = REDACTED;

describe('redactText', () => {
  const cases: [string, string][] = [
    ['postgres://app:hunter2@127.0.0.1:5432/app', `postgres://app:${R}@127.0.0.1:5432/app`],
    ['connect to redis://:s3cr3t@cache:6379 failed', `connect to redis://:${R}@cache:6379 failed`],
    ['mongodb+srv://u:p@ss:w0rd@cluster0/db', `mongodb+srv://u:${R}@cluster0/db`],
    ["url: 'https://bob:pw@example.com/x'", `url: 'https://bob:${R}@example.com/x'`],
    ['curl -H "Authorization: Bearer eyJhbGciOi.abc.def"', `curl -H "Authorization: Bearer ${R}"`],
    ['Authorization: Basic dXNlcjpwYXNz', `Authorization: Basic ${R}`],
    ['sent bearer abc123== to api', `sent bearer ${R} to api`],
    ['Cookie: sid=abc; theme=dark', `Cookie: ${R}`],
    ['node server.js --password=hunter2 --port=3000', `node server.js --password=${R} --port=3000`],
    ['node server.js --password hunter2 --port 3000', `node server.js --password ${R} --port 3000`],
    ['serve --api-key sk-live-123 --token=t0k', `serve --api-key ${R} --token=${R}`],
    ['API_KEY=sk-test-51HnotReal STRIPE_SECRET="a b" PORT=5000 node app.js', `API_KEY=${R} STRIPE_SECRET=${R} PORT=5000 node app.js`],
    ['GET /cb?code=1&access_token=xyz&state=2', `GET /cb?code=1&access_token=${R}&state=2`],
    ["  password: 'hunter2',", `  password: '${R}',`],
    ['{"apiKey": "abc", "name": "web"}', `{"apiKey": "${R}", "name": "web"}`],
    ['x-api-key: 123456', `x-api-key: ${R}`],
  ];
  for (const [input, want] of cases) {
    it(input, () => assert.equal(redactText(input), want));
  }

  it('leaves ordinary output alone', () => {
    const plain = [
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:45123',
      '    at Timeout._onTimeout (/home/dev/shop-api/worker.js:1:56)',
      "  code: 'ENOSPC',",
      'node --max-old-space-size=40 --report-directory=/tmp/r server.js',
      '  ➜  Local:   http://localhost:45200/',
      'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,task_memcg=/user.slice/app.scope,task=node,pid=21014,uid=0',
    ];
    for (const line of plain) assert.equal(redactText(line), line);
  });

  it('is idempotent', () => {
    for (const [input] of cases) {
      const once = redactText(input);
      assert.equal(redactText(once), once, input);
    }
  });
});

describe('redactEnv', () => {
  it('hides secret-named values and credentials inside other values', () => {
    const env = {
      API_KEY: 'sk-test-51HnotReal', GITHUB_TOKEN: 'ghp_x', db_password: 'x', NPM_AUTH: 'x', SESSION_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x', MY_PRIVATE_PEM: 'x', COOKIE_JAR: 'x', GOOGLE_APPLICATION_CREDENTIALS: '/k.json', PGPASS: 'x',
      DATABASE_URL: 'postgres://app:hunter2@127.0.0.1:5432/app', PORT: '5000', NODE_ENV: 'development', PATH: '/usr/bin',
    };
    const out = redactEnv(env);
    for (const k of ['API_KEY', 'GITHUB_TOKEN', 'db_password', 'NPM_AUTH', 'SESSION_ID', 'AWS_SECRET_ACCESS_KEY', 'MY_PRIVATE_PEM',
      'COOKIE_JAR', 'GOOGLE_APPLICATION_CREDENTIALS', 'PGPASS']) assert.equal(out[k], R, k);
    assert.equal(out.DATABASE_URL, `postgres://app:${R}@127.0.0.1:5432/app`);
    assert.deepEqual([out.PORT, out.NODE_ENV, out.PATH], ['5000', 'development', '/usr/bin']);
    assert.deepEqual(redactEnv(out), out);
    assert.deepEqual(Object.keys(env), Object.keys(out));
  });
});

describe('redactArgs', () => {
  it('redacts the element after a secret flag, and everything redactText catches', () => {
    const argv = ['node', 'server.js', '--password', 'hunter2', '--token=abc', '--port', '3000',
      '--db', 'postgres://u:pw@h/db', 'sh', '-c', 'API_KEY=sk node app.js', '--no-auth', '--verbose'];
    assert.deepEqual(redactArgs(argv), ['node', 'server.js', '--password', R, `--token=${R}`, '--port', '3000',
      '--db', `postgres://u:${R}@h/db`, 'sh', '-c', `API_KEY=${R} node app.js`, '--no-auth', '--verbose']);
    assert.deepEqual(redactArgs(redactArgs(argv)), redactArgs(argv));
  });
});

describe('isSecretName', () => {
  it('matches the listed words case-insensitively, with flag dashes', () => {
    for (const n of ['apiKey', '--api-key', 'PASS', 'x_credential', 'session', 'Cookie']) assert.ok(isSecretName(n), n);
    for (const n of ['PORT', 'NODE_ENV', '--max-old-space-size', 'HOME']) assert.ok(!isSecretName(n), n);
  });
});

describe('redaction by value and by shape (issue 9)', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
  const cases: [string, string][] = [
    [`token is ${jwt} ok`, `token is ${R} ok`],
    ['ghp_0123456789abcdefghijABCDEFGHIJ012345 pushed', `${R} pushed`],
    ['auth with gho_0123456789abcdefghijABCD', `auth with ${R}`],
    ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz', R],
    ['charge with sk_live_4eC39HqLyjWDarjtT1zdp7dc now', `charge with ${R} now`],
    ['sk_test_4eC39HqLyjWDarjtT1zdp7dc', R],
    ['slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', `slack ${R}`],
    ['xoxp-123456789012-abcdefghij', R],
    ['aws AKIAIOSFODNN7EXAMPLE here', `aws ${R} here`],
    ['npm_abcdefghijklmnopqrstuvwxyz0123456789 in .npmrc', `${R} in .npmrc`],
    ['key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----\ndone', `key:\n${R}\ndone`],
    ['cut off -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk', `cut off ${R}`],
    ['mysql -u root -p hunter2 app', `mysql -u root -p ${R} app`],
    ['mysqldump -uroot -phunter2 app', `mysqldump -uroot -p${R} app`],
    ['psql -P secretpw', `psql -P ${R}`],
    ['connect --pass hunter2', `connect --pass ${R}`],
    ['git clone deploy:hunter2@git.example.com:org/repo', `git clone deploy:${R}@git.example.com:org/repo`],
    ['amqp://guest:guest123@localhost:5672/', `amqp://guest:${R}@localhost:5672/`],
    ['password: hunter2', `password: ${R}`],
    ['  db_password:   hunter2  # yaml', `  db_password:   ${R}  # yaml`],
    ['API_KEY = "abc def"', `API_KEY = "${R}"`],
    ["secret = 'x y'", `secret = '${R}'`],
    ['curl -u bob:hunter2 http://127.0.0.1/', `curl -u bob:${R} http://127.0.0.1/`],
    ['curl --user "bob:hunter 2x" x', `curl --user "bob:${R}" x`],
    // Shell-quoted by a tool (found by the VS Code suite: a package.json script written with every word quoted).
    ["node server.js '--password' 'hunter2' '-p' 'hunter3' '--port' '3000'", `node server.js '--password' ${R} '-p' '${R}' '--port' '3000'`],
    // Found by the VS Code suite in a report's quoted source line: the match of `leak1: ' + (` must not hide `password`.
    ["  throw new Error('leak1: ' + ('password: hunter7'));", `  throw new Error('leak1: ' + ('password: ${R}'));`],
    [`  throw new Error('leak2: ' + ('API_KEY = "hunter8"'));`, `  throw new Error('leak2: ' + ('API_KEY = "${R}"'));`],
    ['a: b=c token=t0k', `a: b=c token=${R}`],
    ['npm run dev -- "--api-key" "abc 123" -c "x y" --secret=1', `npm run dev -- "--api-key" ${R} -c "x y" --secret=${R}`],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      assert.equal(redactText(input), want);
      assert.equal(redactText(want), want, 'idempotent');
    });
  }

  it('keeps ports, project files and stack frames of files named like secrets', () => {
    const plain = [
      'next dev -p 3000',
      'tsc -p tsconfig.build.json --watch',
      'tsc -p ./packages/api',
      '    at login (/app/src/auth.js:12:5)',
      '    at Object.<anonymous> (/app/tokenService.ts:3:1)',
      'http://localhost:5173/',
      'Session started',
    ];
    for (const line of plain) assert.equal(redactText(line), line);
  });

  it('redacts the values of secret-named variables it has learned, wherever they appear', () => {
    learnSecretValues({ MY_SERVICE_TOKEN: 'Zq8-value-from-env', PORT: '3000', SSH_AUTH_SOCK: '/tmp/ssh-x/agent.1', SHORT_KEY: 'abc' });
    assert.equal(redactText('printing Zq8-value-from-env in a log'), `printing ${R} in a log`);
    assert.equal(redactText('listening on 3000, agent /tmp/ssh-x/agent.1, abc'), 'listening on 3000, agent /tmp/ssh-x/agent.1, abc');
  });

  it('hands learned values on (worker to main thread): what one thread learned, the other redacts', () => {
    const from = learnedSecretValues().length;
    learnSecretValues({ DB_PASSWORD: 'Handed-on-value-1' });
    const handed = learnedSecretValues(from);
    assert.deepEqual(handed, ['Handed-on-value-1']);
    rememberSecretValues(['Remembered-value-2', 'abc']);
    assert.equal(redactText('db Remembered-value-2 and abc'), `db ${R} and abc`);
  });

  it('redactArgs: -p/-P values and -u user:pass as separate elements', () => {
    assert.deepEqual(redactArgs(['mysql', '-p', 'hunter2', '-P', '3306']), ['mysql', '-p', R, '-P', '3306']);
    assert.deepEqual(redactArgs(['curl', '-u', 'bob:hunter2', 'http://x']), ['curl', '-u', `bob:${R}`, 'http://x']);
    assert.deepEqual(redactArgs(['tsc', '-p', 'tsconfig.json']), ['tsc', '-p', 'tsconfig.json']);
  });
});
