// A service the dev server needs (database, cache, broker) that refused the connection or whose host
// name does not resolve: read from what the process printed. Pure: no I/O. Patterns come from real
// Node 20 output of pg, mysql2, ioredis, redis, mongodb, amqplib and kafkajs (test/fixtures/dependency-output).

export type DependencyCause = 'dependency-refused' | 'dependency-unresolved';

/** What the output says about the failed connection. */
export interface DependencyError {
  readonly cause: DependencyCause;
  /** ECONNREFUSED, ENOTFOUND, EAI_AGAIN or Prisma's P1001. */
  readonly code: string;
  /** The address connected to ('127.0.0.1', '::1') or the host name that did not resolve ('db'). */
  readonly host: string | null;
  /** Every address tried (Node 20 tries ::1 and 127.0.0.1 for "localhost"). */
  readonly addresses: readonly string[];
  readonly port: number | null;
  /** npm package that made the connection, when the output shows it ('pg', 'mysql2', 'ioredis' …). */
  readonly driver: string | null;
  /** What runs there: from the driver, else the well-known port ('postgres', 'redis' …); null when unknown. */
  readonly service: string | null;
  /** Index of the line that says it. */
  readonly at: number;
  /** Indexes of the lines worth quoting. */
  readonly quoted: readonly number[];
}

/** Driver packages and the service they talk to. */
export const DRIVER_SERVICES: Readonly<Record<string, string>> = {
  pg: 'postgres', 'pg-pool': 'postgres', postgres: 'postgres', 'pg-promise': 'postgres', '@neondatabase/serverless': 'postgres',
  mysql2: 'mysql', mysql: 'mysql', mariadb: 'mysql',
  ioredis: 'redis', redis: 'redis', '@redis/client': 'redis',
  mongodb: 'mongodb', mongoose: 'mongodb',
  amqplib: 'rabbitmq', kafkajs: 'kafka', memcached: 'memcached', tedious: 'mssql', nats: 'nats',
  '@elastic/elasticsearch': 'elasticsearch',
};

/** Well-known ports and the service usually found there. */
export const WELL_KNOWN_PORTS: Readonly<Record<number, string>> = {
  5432: 'postgres', 3306: 'mysql', 6379: 'redis', 27017: 'mongodb', 5672: 'rabbitmq', 9092: 'kafka',
  11211: 'memcached', 1433: 'mssql', 4222: 'nats', 9200: 'elasticsearch', 2181: 'zookeeper', 8123: 'clickhouse',
  9000: 'minio', 7700: 'meilisearch', 6333: 'qdrant', 8000: 'dynamodb-local', 4566: 'localstack', 1025: 'mailhog',
};

/** The service's default port, for naming a compose service or a local install when only the driver is known. */
export const SERVICE_PORTS: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(WELL_KNOWN_PORTS).map(([port, service]) => [service, Number(port)]),
);

const MAX_SCAN_LINES = 2000;
// "connect ECONNREFUSED 127.0.0.1:5432", "connect ECONNREFUSED ::1:5432"
const REFUSED = /\bconnect ECONNREFUSED ([\w.%-]+|[\da-fA-F:]+):(\d+)\b(?![/@:])/;
// "getaddrinfo ENOTFOUND db", "getaddrinfo EAI_AGAIN db"
const UNRESOLVED = /\bgetaddrinfo (ENOTFOUND|EAI_AGAIN) ([\w.-]+)/;
// Prisma P1001: "Can't reach database server at `localhost`:`5432`" or "… at `localhost:5432`".
const PRISMA = /Can't reach database server at `([^`:]+)(?::(\d+))?`(?::`(\d+)`)?/;
/** An error's property (`  error: MongoNetworkError: …`), not its message; `    Error: …` inside [errors] is a message. */
const PROPERTY_LINE = /^\s+[a-z]\w*: /;
const AGGREGATE = /^\s*AggregateError \[ECONNREFUSED\]/;
const DRIVER_FRAME = /node_modules\/((?:@[\w.-]+\/)?[\w.-]+)\//;
const DRIVER_WORDS: readonly [RegExp, string][] = [
  [/\[ioredis\]/, 'ioredis'], [/\bMongo\w*Error\b/, 'mongodb'], [/\bKafkaJS\w*Error\b|"logger":"kafkajs"/, 'kafkajs'],
  [/\bP1001\b|PrismaClient\w*Error/, 'prisma'], [/\bSequelizeConnectionRefusedError\b/, 'sequelize'],
];

/** The service at a port, when the port is a well-known one. */
export function serviceOfPort(port: number | null): string | null {
  return port === null ? null : WELL_KNOWN_PORTS[port] ?? null;
}

/** The service a driver package talks to ('pg' → 'postgres'); null for ORMs that speak to several (prisma, sequelize). */
export function serviceOfDriver(driver: string | null): string | null {
  return driver ? DRIVER_SERVICES[driver] ?? null : null;
}

/** The driver named by the stack frames or error names near line `i`. */
function driverNear(lines: readonly string[], i: number): string | null {
  const from = Math.max(0, i - 15);
  const to = Math.min(lines.length, i + 40);
  for (const [re, driver] of DRIVER_WORDS) {
    for (let j = from; j < to; j++) if (re.test(lines[j])) return driver;
  }
  for (let j = from; j < to; j++) {
    const m = DRIVER_FRAME.exec(lines[j]);
    if (m && (DRIVER_SERVICES[m[1]] || m[1] === '@prisma/client' || m[1] === 'sequelize')) return m[1] === '@prisma/client' ? 'prisma' : m[1];
  }
  return null;
}

/** Addresses in the `[errors]` of an AggregateError right after line `i`. */
function aggregateAddresses(lines: readonly string[], i: number, port: number): string[] {
  const out: string[] = [];
  for (let j = i; j < lines.length && j < i + 80; j++) {
    const m = REFUSED.exec(lines[j]);
    if (m && Number(m[2]) === port && !out.includes(m[1])) out.push(m[1]);
    if (/^Node\.js v\d/.test(lines[j])) break;
  }
  return out;
}

/**
 * The last connection to a needed service that failed, in the output's lines (colours stripped).
 * An AggregateError (Node 20 trying ::1 then 127.0.0.1) gives every address tried.
 */
export function findDependencyError(lines: readonly string[]): DependencyError | null {
  const start = Math.max(0, lines.length - MAX_SCAN_LINES);
  for (let i = lines.length - 1; i >= start; i--) {
    const line = lines[i];
    let m: RegExpExecArray | null;
    if ((m = PRISMA.exec(line))) {
      const port = Number(m[2] ?? m[3]) || null;
      const code = lines.slice(Math.max(0, i - 3), i + 1).some((l) => /\bP1001\b/.test(l)) ? 'P1001' : 'ECONNREFUSED';
      return result('dependency-refused', code, m[1], [m[1]], port, 'prisma', i, [i]);
    }
    if ((m = REFUSED.exec(line)) && !PROPERTY_LINE.test(line)) {
      const port = Number(m[2]);
      // Inside an AggregateError's [errors]: the headline above is the line to quote.
      let head = i;
      for (let j = i - 1; j >= Math.max(start, i - 40); j--) if (AGGREGATE.test(lines[j])) { head = j; break; }
      const addresses = head !== i ? aggregateAddresses(lines, head, port) : [m[1]];
      const quoted = head !== i ? [head, ...addressLines(lines, head, port)] : [i];
      return result('dependency-refused', 'ECONNREFUSED', addresses[addresses.length - 1] ?? m[1], addresses, port, driverNear(lines, head), head, quoted);
    }
    if (AGGREGATE.test(line)) {
      // An AggregateError without its [errors] list (cut off): the port is in its properties, if at all.
      const port = Number(/^\s+port: (\d+)/.exec(lines.slice(i, i + 30).find((l) => /^\s+port: \d+/.test(l)) ?? '')?.[1]) || null;
      if (port !== null) return result('dependency-refused', 'ECONNREFUSED', null, [], port, driverNear(lines, i), i, [i]);
    }
    if ((m = UNRESOLVED.exec(line)) && !PROPERTY_LINE.test(line)) {
      return result('dependency-unresolved', m[1], m[2], [], portNear(lines, i), driverNear(lines, i), i, [i]);
    }
  }
  return null;
}

function addressLines(lines: readonly string[], head: number, port: number): number[] {
  const out: number[] = [];
  for (let j = head + 1; j < lines.length && j < head + 80 && out.length < 4; j++) {
    const m = REFUSED.exec(lines[j]);
    if (m && Number(m[2]) === port) out.push(j);
  }
  return out;
}

/** ENOTFOUND carries no port; the error's properties or the driver's URL line sometimes do. */
function portNear(lines: readonly string[], i: number): number | null {
  for (let j = i; j < lines.length && j < i + 30; j++) {
    const m = /^\s+port: (\d+),?\s*$/.exec(lines[j]);
    if (m) return Number(m[1]);
    if (/^Node\.js v\d/.test(lines[j])) break;
  }
  return null;
}

function result(cause: DependencyCause, code: string, host: string | null, addresses: readonly string[], port: number | null,
  driver: string | null, at: number, quoted: readonly number[]): DependencyError {
  return { cause, code, host, addresses, port, driver, service: serviceOfDriver(driver) ?? serviceOfPort(port), at, quoted };
}
