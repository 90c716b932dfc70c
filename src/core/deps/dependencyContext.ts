// What the machine says, now, about a service a dev server could not reach: is anything listening
// there (and on which address), which compose service or local installation would provide it, and
// which .env key holds the connection setting. Read once per crash (a few stat calls and small files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isSecretName, redactText } from '../redact';
import type { ListeningSocket } from '../types';
import type { OutputEvidence } from '../crash/verdict';
import { SERVICE_PORTS, serviceOfDriver, serviceOfPort } from '../crash/dependency';
import { readSmallFile, scanCompose, serviceRunning, type ComposeService } from './compose';

export type Listening = 'yes' | 'other-address' | 'no' | 'unknown';

export interface LocalInstall {
  readonly kind: 'systemd' | 'service' | 'homebrew' | 'binary';
  /** Unit, formula or binary path. */
  readonly name: string;
  /** The command that starts it on this machine. */
  readonly command: string;
}

export interface ComposeProvider {
  readonly service: string;
  readonly file: string;
  readonly dir: string;
  /** `docker compose -f FILE up -d SERVICE`, and the v1 `docker-compose` form. */
  readonly command: string;
  readonly commandV1: string;
  readonly ports: readonly number[];
}

export interface EnvSetting {
  readonly file: string;
  readonly key: string;
  /** 1-based line of the key. */
  readonly line: number;
  /** Redacted value. */
  readonly value: string;
}

export interface DependencyContext {
  readonly host: string | null;
  readonly port: number | null;
  readonly service: string | null;
  /** How the service was named: the driver in the stack, the well-known port, the URL scheme in .env, the compose service publishing the port, the one driver package.json depends on. */
  readonly serviceFrom: 'driver' | 'port' | 'url' | 'compose' | 'package.json' | null;
  /** Whether something listens on the port now: on the address tried, only on another one (::1 vs 127.0.0.1), or not at all. */
  readonly listening: Listening;
  /** `::1:5432` … what listens on that port now. */
  readonly listeners: readonly string[];
  readonly compose: ComposeProvider | null;
  /** A compose service named like the host name that did not resolve ('db'): a name only the compose network knows. */
  readonly composeHostName: boolean;
  readonly local: LocalInstall | null;
  readonly env: EnvSetting | null;
  readonly problems: readonly string[];
}

export interface DependencyInput {
  readonly cause: 'dependency-refused' | 'dependency-unresolved';
  readonly host?: string | null;
  readonly addresses?: readonly string[];
  readonly port?: number | null;
  readonly service?: string | null;
  readonly driver?: string | null;
}

export interface DependencyEnvironment {
  readonly sockets: readonly ListeningSocket[];
  readonly workspaceFolders: readonly string[];
  /** The dev server's folder (its .env files are read first). */
  readonly cwd?: string | null;
  /** PATH to look for binaries on (default process.env.PATH). */
  readonly pathEnv?: string;
  /** Root for /run, /lib/systemd, /opt/homebrew (tests pass a temp dir). */
  readonly fsRoot?: string;
}

const ENV_FILES = ['.env', '.env.local', '.env.development', '.env.development.local'];
const URL_KEY = /URL|URI|DSN|HOST|PORT|DATABASE|\bDB|_DB|PG|POSTGRES|MYSQL|MARIA|REDIS|MONGO|AMQP|RABBIT|KAFKA|BROKER/i;
const LOOPBACK4 = new Set(['127.0.0.1', 'localhost']);
const LOOPBACK6 = new Set(['::1', 'localhost']);

/** What listens on `port` now and whether it covers the addresses tried. */
export function listeningState(sockets: readonly ListeningSocket[], port: number | null, addresses: readonly string[]): { listening: Listening; listeners: string[] } {
  if (port === null) return { listening: 'unknown', listeners: [] };
  const on = sockets.filter((s) => s.port === port);
  const listeners = [...new Set(on.map((s) => (s.family === 6 ? `[${s.address}]:${port}` : `${s.address}:${port}`)))];
  if (on.length === 0) return { listening: 'no', listeners };
  const tried = addresses.length ? addresses : ['127.0.0.1', '::1'];
  const covers = (s: ListeningSocket, a: string): boolean => {
    if (s.address === a) return true;
    if (s.address === '0.0.0.0') return a.includes('.') || a === 'localhost';
    // '::' takes IPv4 too unless the socket is v6-only; the table does not say, so count it.
    if (s.address === '::') return true;
    return (LOOPBACK4.has(a) && s.address.startsWith('127.')) || (LOOPBACK6.has(a) && s.address === '::1');
  };
  return { listening: on.some((s) => tried.some((a) => covers(s, a))) ? 'yes' : 'other-address', listeners };
}

function onPath(binary: string, pathEnv: string): string | null {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, binary);
    try {
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

interface LocalSpec {
  readonly units: readonly string[];
  readonly formulas: readonly string[];
  readonly binaries: readonly string[];
  readonly start: (binary: string, port: number | null) => string;
}

const LOCAL: Readonly<Record<string, LocalSpec>> = {
  postgres: { units: ['postgresql.service'], formulas: ['postgresql@17', 'postgresql@16', 'postgresql@15', 'postgresql@14', 'postgresql'], binaries: ['pg_ctl', 'postgres'],
    start: (bin, port) => `${bin.endsWith('postgres') ? bin.replace(/postgres$/, 'pg_ctl') : bin} -D "$PGDATA" -l postgres.log${port && port !== 5432 ? ` -o "-p ${port}"` : ''} start` },
  redis: { units: ['redis-server.service', 'redis.service', 'valkey.service'], formulas: ['redis', 'valkey'], binaries: ['redis-server', 'valkey-server'],
    start: (bin, port) => `${bin} --daemonize yes${port && port !== 6379 ? ` --port ${port}` : ''}` },
  mysql: { units: ['mysql.service', 'mariadb.service', 'mysqld.service'], formulas: ['mysql', 'mariadb'], binaries: ['mysqld_safe', 'mysqld'],
    start: (bin) => `${bin} &` },
  mongodb: { units: ['mongod.service', 'mongodb.service'], formulas: ['mongodb-community'], binaries: ['mongod'],
    start: (bin, port) => `${bin} --dbpath ./data/db --fork --logpath mongod.log${port && port !== 27017 ? ` --port ${port}` : ''}` },
  rabbitmq: { units: ['rabbitmq-server.service'], formulas: ['rabbitmq'], binaries: ['rabbitmq-server'], start: (bin) => `${bin} -detached` },
  kafka: { units: ['kafka.service'], formulas: ['kafka'], binaries: ['kafka-server-start.sh', 'kafka-server-start'], start: (bin) => `${bin} -daemon config/server.properties` },
  memcached: { units: ['memcached.service'], formulas: ['memcached'], binaries: ['memcached'], start: (bin, port) => `${bin} -d${port ? ` -p ${port}` : ''}` },
};

/** A local installation of `service` on this machine, with the command that starts it. */
export function localInstall(service: string | null, port: number | null, env: Pick<DependencyEnvironment, 'pathEnv' | 'fsRoot'> = {}): LocalInstall | null {
  const spec = service ? LOCAL[service] : undefined;
  if (!spec) return null;
  const root = env.fsRoot ?? '/';
  const exists = (p: string): boolean => fs.existsSync(path.join(root, p));
  const systemdRunning = exists('run/systemd/system');
  for (const unit of spec.units) {
    if (['etc/systemd/system', 'lib/systemd/system', 'usr/lib/systemd/system'].some((d) => exists(path.join(d, unit)))) {
      const name = unit.replace(/\.service$/, '');
      if (systemdRunning) return { kind: 'systemd', name: unit, command: `sudo systemctl start ${name}` };
      if (exists(path.join('etc/init.d', name))) return { kind: 'service', name, command: `sudo service ${name} start` };
    }
  }
  for (const formula of spec.formulas) {
    if (['opt/homebrew/opt', 'usr/local/opt', 'home/linuxbrew/.linuxbrew/opt'].some((d) => exists(path.join(d, formula)))) {
      return { kind: 'homebrew', name: formula, command: `brew services start ${formula}` };
    }
  }
  const pathEnv = env.pathEnv ?? process.env.PATH ?? '';
  const extra = service === 'postgres' ? postgresBinDirs(root) : [];
  for (const bin of spec.binaries) {
    const found = onPath(bin, [pathEnv, ...extra].join(path.delimiter));
    if (found) return { kind: 'binary', name: found, command: spec.start(found, port) };
  }
  return null;
}

/** Debian keeps pg_ctl off PATH, in /usr/lib/postgresql/VERSION/bin (newest first). */
function postgresBinDirs(root: string): string[] {
  try {
    return fs.readdirSync(path.join(root, 'usr/lib/postgresql')).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
      .map((v) => path.join('/usr/lib/postgresql', v, 'bin'));
  } catch {
    return [];
  }
}

/** The .env key whose value names this host and port (or, failing that, a key that looks like this service's URL). */
export function envSettingFor(dirs: readonly string[], host: string | null, port: number | null, service: string | null): EnvSetting | null {
  let fallback: EnvSetting | null = null;
  for (const dir of [...new Set(dirs)]) {
    for (const name of ENV_FILES) {
      const file = path.join(dir, name);
      const { text } = readSmallFile(file, 256 * 1024);
      if (text === null) continue;
      const lines = text.split(/\r?\n/);
      for (let i = 0; i < lines.length; i++) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*)$/.exec(lines[i]);
        if (!m) continue;
        const [, key, rawValue] = m;
        const value = rawValue.replace(/^(['"`])(.*)\1\s*(?:#.*)?$/, '$2').replace(/\s+#.*$/, '').trim();
        const shown = isSecretName(key) && !/URL|URI|DSN/i.test(key) ? '«redacted»' : redactText(value);
        const setting = { file, key, line: i + 1, value: shown };
        const mentionsPort = port !== null && new RegExp(`(^|[^\\d])${port}([^\\d]|$)`).test(value);
        const mentionsHost = host !== null && host !== '' && new RegExp(`(^|[@/:\\s=])${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([:/\\s]|$)`).test(value);
        if ((mentionsPort && URL_KEY.test(key)) || (mentionsHost && URL_KEY.test(key) && !/^\d+$/.test(value))) return setting;
        if (!fallback && service && URL_KEY.test(key) && new RegExp(service.slice(0, 5), 'i').test(`${key} ${value}`)) fallback = setting;
      }
    }
  }
  return fallback;
}

const URL_SCHEMES: Readonly<Record<string, string>> = {
  postgres: 'postgres', postgresql: 'postgres', mysql: 'mysql', mariadb: 'mysql', redis: 'redis', rediss: 'redis',
  mongodb: 'mongodb', 'mongodb+srv': 'mongodb', amqp: 'rabbitmq', amqps: 'rabbitmq', kafka: 'kafka', nats: 'nats', memcached: 'memcached',
};

/** 'postgres://…' → 'postgres'. */
export function serviceOfUrl(value: string): string | null {
  const m = /^\s*([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  return m ? URL_SCHEMES[m[1].toLowerCase()] ?? null : null;
}

/** The service of the one database/cache/broker driver a package.json depends on; null for none or several. */
export function serviceOfPackage(dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    const { text } = readSmallFile(path.join(dir, 'package.json'), 1024 * 1024);
    if (text === null) continue;
    try {
      const pkg = JSON.parse(text) as { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
      const services = new Set(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).map((d) => serviceOfDriver(d)).filter((s): s is string => s !== null));
      if (services.size === 1) return [...services][0];
      if (services.size > 1) return null;
    } catch {
      // A malformed package.json names nothing; the scanner reports it.
    }
  }
  return null;
}

function composeProvider(s: ComposeService): ComposeProvider {
  const rel = path.basename(s.file);
  return {
    service: s.name, file: s.file, dir: s.dir, ports: s.ports,
    command: `docker compose -f ${rel} up -d ${s.name}`,
    commandV1: `docker-compose -f ${rel} up -d ${s.name}`,
  };
}

/** Everything the machine says now about the service behind a dependency-* finding. */
export function dependencyContext(input: DependencyInput, env: DependencyEnvironment): DependencyContext {
  const problems: string[] = [];
  const port = input.port ?? null;
  const host = input.host ?? null;
  const compose = scanCompose(env.workspaceFolders);
  problems.push(...compose.problems);
  const dirs = [...(env.cwd ? [env.cwd] : []), ...env.workspaceFolders];
  const fromDriver = serviceOfDriver(input.driver ?? null);
  let service = fromDriver ?? input.service ?? serviceOfPort(port);
  let serviceFrom: DependencyContext['serviceFrom'] = fromDriver ? 'driver' : service ? 'port' : null;
  const setting = envSettingFor(dirs, host, port, service);
  const byPort = port !== null ? compose.services.find((s) => s.ports.includes(port)) ?? null : null;
  const byHost = input.cause === 'dependency-unresolved' && host ? compose.services.find((s) => s.name === host || s.containerName === host) ?? null : null;
  const fromUrl = !service && setting ? serviceOfUrl(setting.value) : null;
  if (fromUrl) {
    service = fromUrl;
    serviceFrom = 'url';
  }
  const byKind = service ? serviceRunning(compose.services, service) : null;
  const provider = byHost ?? byPort ?? byKind;
  if (!service && provider) {
    service = provider.name;
    serviceFrom = 'compose';
  }
  const fromPackage = !service ? serviceOfPackage(dirs) : null;
  if (fromPackage) {
    service = fromPackage;
    serviceFrom = 'package.json';
  }
  const wantPort = port ?? (service ? SERVICE_PORTS[service] ?? null : null);
  const { listening, listeners } = input.cause === 'dependency-refused'
    ? listeningState(env.sockets, port, input.addresses?.length ? input.addresses : host ? [host] : [])
    : { listening: 'unknown' as Listening, listeners: [] };
  return {
    host, port, service, serviceFrom, listening, listeners,
    compose: provider ? composeProvider(provider) : null,
    composeHostName: byHost !== null,
    local: localInstall(service, wantPort, env),
    env: setting ?? (service ? envSettingFor(dirs, host, null, service) : null),
    problems,
  };
}

/** The context of the first dependency-* finding among a crash's outputs; undefined when none names one. */
export function dependencyContextFor(
  outputs: readonly OutputEvidence[],
  snapshot: { readonly sockets: readonly ListeningSocket[]; readonly workspaceFolders: readonly string[] },
  cwd: string | null,
): DependencyContext | undefined {
  for (const o of outputs) {
    for (const f of o.findings) {
      if (f.cause !== 'dependency-refused' && f.cause !== 'dependency-unresolved') continue;
      const d = f.detail ?? {};
      return dependencyContext({ cause: f.cause, host: d.host, addresses: d.addresses, port: d.port, service: d.service, driver: d.driver }, { sockets: snapshot.sockets, workspaceFolders: snapshot.workspaceFolders, cwd });
    }
  }
  return undefined;
}
