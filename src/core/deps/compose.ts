// Docker Compose files of the workspace: which services they declare, what ports those publish, what
// image they run and their memory limit. Reading is safe on odd files (fifos, /dev/zero links, huge
// files, malformed YAML): each problem becomes a sentence, never an exception.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';

export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;
const MAX_COMPOSE_BYTES = 1024 * 1024;
/** Folders below a workspace folder searched for compose files (e.g. `docker/`, `infra/`). */
const SEARCH_DEPTH = 2;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'out', '.next', 'coverage']);

export interface ComposeService {
  readonly name: string;
  readonly file: string;
  /** The project folder (the compose file's folder), where `docker compose` runs. */
  readonly dir: string;
  readonly image: string | null;
  /** Host ports it publishes. */
  readonly ports: readonly number[];
  /** `mem_limit` or `deploy.resources.limits.memory` as written ('256m', '1g'), null when none. */
  readonly memLimit: string | null;
  readonly memLimitBytes: number | null;
  /** The container_name it sets, if any. */
  readonly containerName: string | null;
}

export interface ComposeScan {
  readonly files: readonly string[];
  readonly services: readonly ComposeService[];
  readonly problems: readonly string[];
}

/** Reads a small regular file; null plus a problem for anything else. */
export function readSmallFile(file: string, maxBytes = MAX_COMPOSE_BYTES): { text: string | null; problem: string | null } {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { text: null, problem: `${file} is not a regular file; skipped.` };
    if (st.size > maxBytes) return { text: null, problem: `${file} is ${Math.round(st.size / 1024)} KB, too large; skipped.` };
    const buf = Buffer.alloc(st.size);
    const n = st.size ? fs.readSync(fd, buf, 0, st.size, 0) : 0;
    return { text: buf.subarray(0, n).toString('utf8'), problem: null };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { text: null, problem: code === 'ENOENT' ? null : `Could not read ${file}: ${code ?? String(err)}.` };
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Compose files in the workspace folders and up to two levels below them. */
export function findComposeFiles(folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const name of COMPOSE_FILE_NAMES) if (entries.some((e) => e.name === name && !e.isDirectory())) out.push(path.join(dir, name));
    if (depth >= SEARCH_DEPTH) return;
    for (const e of entries) if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
  };
  for (const f of new Set(folders)) walk(f, 0);
  return [...new Set(out)];
}

/** '256m' → bytes; compose accepts b, k, m, g (and kb, mb, gb) case-insensitively. */
export function parseMemSize(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)b?\s*$/i.exec(v);
  if (!m) return null;
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'b' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

/** Host ports of a `ports:` entry: "5432:5432", "127.0.0.1:5432:5432/tcp", "8000-8002:8000-8002", 5432 (container only), long syntax. */
export function publishedPorts(entry: unknown): number[] {
  if (entry && typeof entry === 'object') {
    const pub = (entry as { published?: unknown }).published;
    return pub === undefined ? [] : publishedPorts(`${String(pub)}:0`);
  }
  if (typeof entry !== 'string' && typeof entry !== 'number') return [];
  const spec = String(entry).replace(/\/(tcp|udp|sctp)$/, '');
  // Without a colon only the container port is given: the engine picks a random host port.
  const parts = spec.split(':');
  if (parts.length < 2) return [];
  const host = parts[parts.length - 2];
  const range = /^(\d+)(?:-(\d+))?$/.exec(host);
  if (!range) return [];
  const from = Number(range[1]);
  const to = range[2] ? Number(range[2]) : from;
  if (to < from || to - from > 100) return [from];
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function servicesOf(doc: Document, file: string): ComposeService[] {
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  const services = root && typeof root === 'object' ? (root as { services?: unknown }).services : undefined;
  if (!services || typeof services !== 'object') return [];
  return Object.entries(services as Record<string, unknown>).map(([name, raw]) => {
    const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const deployLimit = (s.deploy as { resources?: { limits?: { memory?: unknown } } } | undefined)?.resources?.limits?.memory;
    const memRaw = s.mem_limit ?? deployLimit;
    const memLimit = typeof memRaw === 'string' || typeof memRaw === 'number' ? String(memRaw) : null;
    return {
      name,
      file,
      dir: path.dirname(file),
      image: typeof s.image === 'string' ? s.image : null,
      ports: Array.isArray(s.ports) ? s.ports.flatMap(publishedPorts) : [],
      memLimit,
      memLimitBytes: parseMemSize(memRaw),
      containerName: typeof s.container_name === 'string' ? s.container_name : null,
    };
  });
}

/** Services of every compose file in the workspace. */
export function scanCompose(folders: readonly string[]): ComposeScan {
  const files = findComposeFiles(folders);
  const problems: string[] = [];
  const services: ComposeService[] = [];
  for (const file of files) {
    const { text, problem } = readSmallFile(file);
    if (problem) problems.push(problem);
    if (text === null) continue;
    const doc = parseDocument(text, { prettyErrors: false });
    if (doc.errors.length) {
      problems.push(`${file} is not valid YAML (${doc.errors[0].message.split('\n')[0]}); its services are ignored.`);
      continue;
    }
    try {
      services.push(...servicesOf(doc, file));
    } catch (err) {
      problems.push(`${file} could not be read as a compose file: ${err instanceof Error ? err.message : String(err)}.`);
    }
  }
  return { files, services, problems };
}

/** The service a name like 'postgres' runs: by service name, then by image ('postgres:16-alpine', 'bitnami/redis'). */
export function serviceRunning(services: readonly ComposeService[], kind: string): ComposeService | null {
  const imageName = (img: string | null): string => (img ?? '').split('@')[0].split(':')[0].split('/').pop() ?? '';
  const aliases: Record<string, string[]> = { postgres: ['postgres', 'postgresql', 'postgis', 'timescaledb'], mysql: ['mysql', 'mariadb'],
    mongodb: ['mongo', 'mongodb'], rabbitmq: ['rabbitmq'], kafka: ['kafka', 'redpanda'], redis: ['redis', 'valkey', 'keydb'] };
  const names = aliases[kind] ?? [kind];
  return services.find((s) => names.includes(s.name)) ?? services.find((s) => names.some((n) => imageName(s.image).startsWith(n))) ?? null;
}

export interface MemoryLimitChange {
  readonly file: string;
  readonly service: string;
  /** The key that is set: 'mem_limit' or 'deploy.resources.limits.memory' (whichever the file uses). */
  readonly key: string;
  readonly from: string | null;
  readonly to: string;
  /** The lines as they are and as they would be, for showing the exact change. */
  readonly before: string;
  readonly after: string;
  /** The file as read, and as it would be; written only after the user agreed and only if unchanged. */
  readonly oldText: string;
  readonly newText: string;
}

/**
 * The exact YAML change that gives `service` a memory limit of `megabytes` (keeps comments and layout).
 * Null plus a reason when the file or service cannot be changed safely.
 */
export function memoryLimitChange(file: string, service: string, megabytes: number): { change: MemoryLimitChange | null; problem: string | null } {
  const { text, problem } = readSmallFile(file);
  if (text === null) return { change: null, problem: problem ?? `${file} does not exist.` };
  const doc = parseDocument(text);
  if (doc.errors.length) return { change: null, problem: `${file} is not valid YAML; it is left alone.` };
  const svc = doc.getIn(['services', service], true);
  if (!isMap(svc)) return { change: null, problem: `${file} has no service "${service}".` };
  const to = `${megabytes}m`;
  const deploy = doc.getIn(['services', service, 'deploy', 'resources', 'limits', 'memory'], true);
  const useDeploy = deploy !== undefined && svc.get('mem_limit') === undefined;
  const keyPath = useDeploy ? ['services', service, 'deploy', 'resources', 'limits', 'memory'] : ['services', service, 'mem_limit'];
  const old = doc.getIn(keyPath, true);
  const from = isScalar(old) ? String(old.value) : null;
  const beforeSvc = serviceYaml(doc, service, text);
  doc.setIn(keyPath, to);
  // Without a matching swap limit a container may swap instead of being held to its limit; keep what is there.
  const newText = doc.toString();
  const afterSvc = serviceYaml(parseDocument(newText), service, newText);
  return { change: { file, service, key: useDeploy ? 'deploy.resources.limits.memory' : 'mem_limit', from, to, before: beforeSvc, after: afterSvc, oldText: text, newText }, problem: null };
}

/** The text of one service's block as the file has it (comments included), for showing before/after. */
function serviceYaml(doc: Document, service: string, text: string): string {
  const services = doc.get('services', true);
  if (!isMap(services)) return '';
  const pair = services.items.find((p) => isScalar(p.key) && p.key.value === service);
  const keyRange = isScalar(pair?.key) ? pair.key.range : undefined;
  const valueRange = (pair?.value as { range?: [number, number, number] } | null | undefined)?.range;
  if (!keyRange || !valueRange) return '';
  const start = text.lastIndexOf('\n', keyRange[0]) + 1;
  return text.slice(start, valueRange[1]).replace(/\s+$/, '');
}

/** Writes a change the user agreed to, only if the file is still what was read. */
export function applyMemoryLimitChange(change: MemoryLimitChange): { ok: boolean; message: string } {
  const { text } = readSmallFile(change.file);
  if (text !== change.oldText) return { ok: false, message: `${change.file} changed since the change was shown; nothing was written.` };
  try {
    fs.writeFileSync(change.file, change.newText);
    return { ok: true, message: `${path.basename(change.file)}: ${change.service}.${change.key} is now ${change.to}.` };
  } catch (err) {
    return { ok: false, message: `Could not write ${change.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.` };
  }
}
