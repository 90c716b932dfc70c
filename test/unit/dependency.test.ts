import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findDependencyError, serviceOfPort } from '../../src/core/crash/dependency';
import { classifyOutput, stripAnsi, type ExitStatus } from '../../src/core/crash/output';
import { decideVerdict } from '../../src/core/crash/verdict';
import { memoryLimitChange, parseMemSize, publishedPorts, scanCompose, applyMemoryLimitChange } from '../../src/core/deps/compose';
import { dependencyContext, envSettingFor, listeningState, localInstall } from '../../src/core/deps/dependencyContext';
import type { ListeningSocket } from '../../src/core/types';

const fixture = (name: string): { text: string; exit: ExitStatus } => {
  const dir = path.resolve(__dirname, '../../../test/fixtures/dependency-output');
  return { text: fs.readFileSync(path.join(dir, `${name}.txt`), 'utf8'), exit: { code: Number(fs.readFileSync(path.join(dir, `${name}.exit`), 'utf8').trim()), signal: null } };
};
const lines = (t: string): string[] => stripAnsi(t).split('\n');
const sock = (address: string, port: number): ListeningSocket => ({ family: address.includes(':') ? 6 : 4, address, port, inode: 1, pid: 1 });

describe('dependency errors in real driver output (unit)', () => {
  const cases: [string, string, number | null, string | null, string | null, string[]][] = [
    // name, cause, port, driver, service, addresses
    ['pg-localhost', 'dependency-refused', 33967, null, null, ['127.0.0.1']],
    ['pg-ipv4', 'dependency-refused', 33967, 'pg-pool', 'postgres', ['127.0.0.1']],
    ['pg-ipv6', 'dependency-refused', 33967, null, null, ['::1']],
    ['mysql2', 'dependency-refused', 33967, null, null, ['127.0.0.1']],
    ['ioredis', 'dependency-refused', 33967, 'ioredis', 'redis', ['127.0.0.1']],
    ['redis', 'dependency-refused', 33967, '@redis/client', 'redis', ['127.0.0.1']],
    ['mongodb', 'dependency-refused', 33967, 'mongodb', 'mongodb', ['127.0.0.1']],
    ['amqplib', 'dependency-refused', 33967, null, null, ['127.0.0.1']],
    ['kafkajs', 'dependency-refused', 33967, 'kafkajs', 'kafka', ['127.0.0.1']],
    ['net-localhost-dual', 'dependency-refused', 33967, null, null, ['::1', '127.0.0.1']],
    ['pg-enotfound', 'dependency-unresolved', null, null, null, []],
  ];
  for (const [name, cause, port, driver, service, addresses] of cases) {
    it(`${name}: ${cause} port ${port} driver ${driver}`, () => {
      const d = findDependencyError(lines(fixture(name).text));
      assert.ok(d);
      assert.equal(d.cause, cause);
      assert.equal(d.port, port);
      assert.equal(d.driver, driver);
      assert.equal(d.service, service);
      assert.deepEqual([...d.addresses], addresses);
    });
  }

  it('the classifier puts the dependency first, with high confidence, for every capture', () => {
    for (const [name, cause] of cases) {
      const { text, exit } = fixture(name);
      const f = classifyOutput(text, exit);
      assert.equal(f[0].cause, cause, `${name}: ${f.map((x) => x.cause).join(',')}`);
      assert.equal(f[0].confidence, 'high', name);
      assert.ok(f[0].lines.some((l) => /ECONNREFUSED|ENOTFOUND/.test(l)), name);
    }
  });

  it('the AggregateError quotes its headline and both addresses', () => {
    const f = classifyOutput(fixture('net-localhost-dual').text, { code: 1, signal: null })[0];
    assert.deepEqual(f.lines, ['AggregateError [ECONNREFUSED]:', 'Error: connect ECONNREFUSED ::1:33967', 'Error: connect ECONNREFUSED 127.0.0.1:33967']);
    assert.deepEqual(f.detail?.addresses, ['::1', '127.0.0.1']);
  });

  it('ENOTFOUND names the host', () => {
    const f = classifyOutput(fixture('pg-enotfound').text, { code: 1, signal: null })[0];
    assert.equal(f.detail?.host, 'db');
    assert.equal(f.detail?.errorCode, 'ENOTFOUND');
    assert.equal(f.detail?.syscall, 'getaddrinfo');
  });

  it('EAI_AGAIN is unresolved too', () => {
    const d = findDependencyError(['Error: getaddrinfo EAI_AGAIN redis.internal', '    at GetAddrInfoReqWrap.onlookupall [as oncomplete] (node:dns:120:26)']);
    assert.equal(d?.cause, 'dependency-unresolved');
    assert.equal(d?.code, 'EAI_AGAIN');
    assert.equal(d?.host, 'redis.internal');
  });

  // Not captured: Prisma's query engine is downloaded from binaries.prisma.sh, unreachable here. Both
  // message shapes are the ones in Prisma's error reference (P1001).
  it("Prisma's P1001 in both shapes", () => {
    const old = findDependencyError(['Error: P1001: Can\'t reach database server at `localhost`:`5432`', '', 'Please make sure your database server is running at `localhost`:`5432`.']);
    assert.equal(old?.code, 'P1001');
    assert.equal(old?.port, 5432);
    assert.equal(old?.host, 'localhost');
    assert.equal(old?.driver, 'prisma');
    assert.equal(old?.service, 'postgres');
    const neu = findDependencyError(['PrismaClientInitializationError: ', "Can't reach database server at `db.local:3306`"]);
    assert.equal(neu?.port, 3306);
    assert.equal(neu?.host, 'db.local');
    assert.equal(neu?.service, 'mysql');
  });

  it('a URL with credentials after ECONNREFUSED is not taken for an address', () => {
    assert.equal(findDependencyError(['Error: connect ECONNREFUSED postgres://app:hunter2@db:5432/app']), null);
  });

  it('property lines alone are no finding; plain output is none', () => {
    assert.equal(findDependencyError(["  code: 'ECONNREFUSED',", "  address: '127.0.0.1',"]), null);
    assert.equal(findDependencyError(['listening on 3000']), null);
    assert.equal(serviceOfPort(5432), 'postgres');
    assert.equal(serviceOfPort(1234), null);
  });
});

describe('what the machine says about a dependency (unit)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-dep-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('listening: on the address tried, only on ::1, on a wildcard, nowhere', () => {
    assert.equal(listeningState([], 5432, ['127.0.0.1']).listening, 'no');
    const v6 = listeningState([sock('::1', 5432)], 5432, ['127.0.0.1']);
    assert.equal(v6.listening, 'other-address');
    assert.deepEqual(v6.listeners, ['[::1]:5432']);
    assert.equal(listeningState([sock('::1', 5432)], 5432, ['::1', '127.0.0.1']).listening, 'yes');
    assert.equal(listeningState([sock('0.0.0.0', 5432)], 5432, ['127.0.0.1']).listening, 'yes');
    assert.equal(listeningState([sock('0.0.0.0', 5432)], 5432, ['::1']).listening, 'other-address');
    assert.equal(listeningState([sock('127.0.0.1', 5433)], 5432, ['127.0.0.1']).listening, 'no');
    assert.equal(listeningState([], null, []).listening, 'unknown');
  });

  it('compose ports, sizes and services; odd files are problems, not exceptions', () => {
    assert.deepEqual(publishedPorts('5432:5432'), [5432]);
    assert.deepEqual(publishedPorts('127.0.0.1:6380:6379/tcp'), [6380]);
    assert.deepEqual(publishedPorts('8000-8002:8000-8002'), [8000, 8001, 8002]);
    assert.deepEqual(publishedPorts('5432'), []);
    assert.deepEqual(publishedPorts({ target: 5432, published: '15432' }), [15432]);
    assert.equal(parseMemSize('256m'), 256 * 1024 * 1024);
    assert.equal(parseMemSize('1g'), 1024 ** 3);
    assert.equal(parseMemSize('1.5GB'), 1.5 * 1024 ** 3);
    assert.equal(parseMemSize('lots'), null);
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:16-alpine\n    ports: ["15432:5432"]\n    mem_limit: 256m\n  cache:\n    image: redis:7\n');
    fs.mkdirSync(path.join(dir, 'bad'));
    fs.writeFileSync(path.join(dir, 'bad', 'compose.yaml'), 'services: [\n');
    fs.mkdirSync(path.join(dir, 'odd'));
    fs.symlinkSync('/dev/zero', path.join(dir, 'odd', 'compose.yml'));
    const scan = scanCompose([dir]);
    assert.equal(scan.services.length, 2);
    const db = scan.services.find((s) => s.name === 'db')!;
    assert.deepEqual(db.ports, [15432]);
    assert.equal(db.memLimitBytes, 256 * 1024 * 1024);
    assert.equal(scan.problems.length, 2, scan.problems.join('\n'));
    assert.ok(scan.problems.some((p) => /not valid YAML/.test(p)));
    assert.ok(scan.problems.some((p) => /not a regular file/.test(p)));
  });

  it('names the compose service that publishes the port, with its up command', () => {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  database:\n    image: docker.io/library/postgres:16\n    ports:\n      - "5432:5432"\n');
    const ctx = dependencyContext({ cause: 'dependency-refused', host: '127.0.0.1', addresses: ['127.0.0.1'], port: 5432 }, { sockets: [], workspaceFolders: [dir], pathEnv: '', fsRoot: dir });
    assert.equal(ctx.service, 'postgres');
    assert.equal(ctx.serviceFrom, 'port');
    assert.equal(ctx.compose?.service, 'database');
    assert.equal(ctx.compose?.command, 'docker compose -f compose.yaml up -d database');
    assert.equal(ctx.compose?.commandV1, 'docker-compose -f compose.yaml up -d database');
    assert.equal(ctx.listening, 'no');
  });

  it('an unknown port is named by the compose service that publishes it', () => {
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  search:\n    image: acme/search\n    ports: ["7777:80"]\n');
    const ctx = dependencyContext({ cause: 'dependency-refused', addresses: ['127.0.0.1'], port: 7777 }, { sockets: [], workspaceFolders: [dir], pathEnv: '', fsRoot: dir });
    assert.equal(ctx.service, 'search');
    assert.equal(ctx.serviceFrom, 'compose');
  });

  it('ENOTFOUND of a compose service name says so', () => {
    fs.writeFileSync(path.join(dir, 'docker-compose.yaml'), 'services:\n  db:\n    image: postgres\n    ports: ["5433:5432"]\n');
    const ctx = dependencyContext({ cause: 'dependency-unresolved', host: 'db', port: null }, { sockets: [], workspaceFolders: [dir], pathEnv: '', fsRoot: dir });
    assert.equal(ctx.composeHostName, true);
    assert.equal(ctx.service, 'db');
    const v = decideVerdict({ server: 'api', cwd: dir, pids: [1], time: 1 }, {
      outputs: [{ source: 'output', location: 't', time: 1, findings: classifyOutput(fixture('pg-enotfound').text, { code: 1, signal: null }) }],
      dependency: ctx,
    });
    assert.equal(v?.cause, 'dependency-unresolved');
    assert.match(v!.summary, /"db" is a compose service name.*localhost:5433/);
  });

  it('a local installation: systemd unit, Homebrew formula, binary on PATH', () => {
    fs.mkdirSync(path.join(dir, 'lib/systemd/system'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'lib/systemd/system/redis-server.service'), '');
    fs.mkdirSync(path.join(dir, 'run/systemd/system'), { recursive: true });
    assert.deepEqual(localInstall('redis', 6379, { fsRoot: dir, pathEnv: '' }), { kind: 'systemd', name: 'redis-server.service', command: 'sudo systemctl start redis-server' });
    fs.mkdirSync(path.join(dir, 'opt/homebrew/opt/postgresql@16'), { recursive: true });
    assert.equal(localInstall('postgres', 5432, { fsRoot: dir, pathEnv: '' })?.command, 'brew services start postgresql@16');
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'mongod'), '');
    assert.equal(localInstall('mongodb', 27018, { fsRoot: dir, pathEnv: path.join(dir, 'bin') })?.command,
      `${path.join(dir, 'bin', 'mongod')} --dbpath ./data/db --fork --logpath mongod.log --port 27018`);
    assert.equal(localInstall('rabbitmq', 5672, { fsRoot: dir, pathEnv: '' }), null);
  });

  it('the .env key that holds the URL, its password redacted', () => {
    fs.writeFileSync(path.join(dir, '.env'), 'PORT=3000\n# db\nDATABASE_URL="postgres://app:hunter2@127.0.0.1:5432/shop"\nREDIS_PASSWORD=xyz\n');
    const s = envSettingFor([dir], '127.0.0.1', 5432, 'postgres');
    assert.equal(s?.key, 'DATABASE_URL');
    assert.equal(s?.line, 3);
    assert.ok(!s!.value.includes('hunter2'), s!.value);
    assert.match(s!.value, /127\.0\.0\.1:5432/);
    // PORT=3000 must not be taken for port 3000 of a service that is not the server itself: only URL-like keys count.
    assert.equal(envSettingFor([dir], null, 6379, 'redis')?.key, 'REDIS_PASSWORD');
    assert.equal(envSettingFor([dir], null, 6379, 'redis')?.value, '«redacted»');
  });

  it('verdict: names postgres, says nothing listens, ranks start-compose, settings, wait-then-restart', () => {
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), 'services:\n  db:\n    image: postgres:16\n    ports: ["33967:5432"]\n');
    fs.writeFileSync(path.join(dir, '.env'), 'DATABASE_URL=postgres://app:pw@127.0.0.1:33967/shop\n');
    const outputs = [{ source: 'output' as const, location: 'terminal', time: 5, findings: classifyOutput(fixture('pg-ipv4').text, { code: 1, signal: null }) }];
    const ctx = dependencyContext({ cause: 'dependency-refused', host: '127.0.0.1', addresses: ['127.0.0.1'], port: 33967, driver: 'pg-pool', service: 'postgres' },
      { sockets: [sock('::1', 33967)], workspaceFolders: [dir], cwd: dir, pathEnv: '', fsRoot: dir });
    const v = decideVerdict({ server: 'api · dev', serverId: `${dir}#dev`, cwd: dir, pids: [42], time: 10, command: 'node server.js' }, { outputs, dependency: ctx });
    assert.ok(v);
    assert.equal(v.cause, 'dependency-refused');
    assert.equal(v.detail?.service, 'postgres');
    assert.equal(v.detail?.port, 33967);
    assert.match(v.summary, /could not connect to postgres at 127\.0\.0\.1:33967 \(connection refused\): port 33967 is served only on \[::1\]:33967/);
    assert.match(v.summary, /compose service "db"/);
    assert.ok(v.evidence.some((e) => e.source === 'socket-table' && /\[::1\]:33967/.test(e.text)));
    assert.ok(!JSON.stringify(v).includes(':pw@'));
    const titles = v.remedies.map((r) => r.title);
    assert.equal(titles.length, 3, titles.join(' | '));
    assert.match(titles[0], /Start the compose service db/);
    assert.match(titles[1], /DATABASE_URL/);
    assert.match(titles[2], /Wait until postgres listens on port 33967, then restart/);
  });
});

describe('compose memory limit change (unit)', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-mem-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('shows the exact change, keeps comments, writes only an unchanged file', () => {
    const file = path.join(dir, 'docker-compose.yml');
    const text = '# stack\nservices:\n  db:\n    image: postgres:16 # pinned\n    mem_limit: 256m\n  web:\n    image: node\n';
    fs.writeFileSync(file, text);
    const { change } = memoryLimitChange(file, 'db', 512);
    assert.ok(change);
    assert.equal(change.from, '256m');
    assert.equal(change.to, '512m');
    assert.match(change.before, /mem_limit: 256m/);
    assert.match(change.after, /mem_limit: 512m/);
    assert.equal(fs.readFileSync(file, 'utf8'), text, 'nothing written before the OK');
    assert.ok(change.newText.includes('# pinned') && change.newText.includes('# stack'));
    fs.appendFileSync(file, '# edited meanwhile\n');
    assert.equal(applyMemoryLimitChange(change).ok, false);
    fs.writeFileSync(file, text);
    assert.equal(applyMemoryLimitChange(change).ok, true);
    assert.equal(scanCompose([dir]).services.find((s) => s.name === 'db')?.memLimit, '512m');
  });

  it('uses deploy.resources.limits.memory when the file does; adds mem_limit when there is none', () => {
    const file = path.join(dir, 'compose.yaml');
    fs.writeFileSync(file, 'services:\n  db:\n    image: postgres\n    deploy:\n      resources:\n        limits:\n          memory: 128M\n  web:\n    image: node\n');
    assert.equal(memoryLimitChange(file, 'db', 256).change?.key, 'deploy.resources.limits.memory');
    const web = memoryLimitChange(file, 'web', 256).change;
    assert.equal(web?.key, 'mem_limit');
    assert.equal(web?.from, null);
    assert.match(web!.after, /mem_limit: 256m/);
    assert.match(memoryLimitChange(file, 'nope', 256).problem ?? '', /no service "nope"/);
  });
});
