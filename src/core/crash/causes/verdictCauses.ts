// The newer causes inside a verdict: a suspicion from the output confirmed or dropped by the machine's
// facts, the detail and evidence each one carries, its plain-words summary, and the memory kind of an
// out-of-memory death. Pure.

import * as path from 'node:path';
import * as semver from 'semver';
import { formatBytes } from '../../format';
import { redactText } from '../../redact';
import type { ListeningSocket } from '../../types';
import type { OutputDetail, OutputFinding } from '../output';
import type { CauseId, Evidence, VerdictDetail } from '../types';
import type { CauseFacts, NodeRequirement, VersionManager } from './facts';
import { lastRunEvents, type GcEvent } from './gcTrace';
import { classifyMemory, type MemoryKind, type MemoryPoint } from './memoryKind';
import { nodeMajorOfAbi } from './outputCauses';

type Detail = { -readonly [K in keyof VerdictDetail]: VerdictDetail[K] };

export const MORE_CAUSE_WORDS: Record<Extract<CauseId, 'localhost-ipv6' | 'native-abi-mismatch' | 'node-version-mismatch' | 'port-permission' | 'process-limit' | 'stale-build-cache' | 'inspector-port-in-use'>, string> = {
  'localhost-ipv6': 'localhost resolved to the other address family',
  'native-abi-mismatch': 'native module built for another Node or platform',
  'node-version-mismatch': 'wrong Node.js version for the project',
  'port-permission': 'no permission to listen on the port',
  'process-limit': 'process limit reached',
  'stale-build-cache': 'stale or corrupted build cache',
  'inspector-port-in-use': 'debugger (inspector) port already in use',
};

/** Whether `version` satisfies a requirement; null when it cannot be told ('lts/*', 'node', a malformed range). */
export function satisfies(version: string, req: NodeRequirement): boolean | null {
  const v = semver.coerce(version)?.version;
  if (!v) return null;
  let range = req.range.replace(/^v(?=\d)/, '');
  if (req.source !== 'engines.node') {
    // .nvmrc / .node-version name one version ('20', 'v20.11.0', '20.11'): the same major is what matters for APIs and syntax.
    const major = /^(\d+)/.exec(range)?.[1];
    if (!major) return null;
    range = `${major}.x`;
  }
  if (!semver.validRange(range)) return null;
  return semver.satisfies(v, range, { includePrerelease: true });
}

/** The requirement the running Node fails, nearest first; null when none is known or all are met. */
export function unmetRequirement(version: string | undefined, reqs: readonly NodeRequirement[] | undefined): NodeRequirement | null {
  if (!version || !reqs) return null;
  return reqs.find((r) => satisfies(version, r) === false) ?? null;
}

function otherFamilyListeners(od: OutputDetail, listeners: readonly ListeningSocket[]): ListeningSocket[] {
  const onPort = listeners.filter((s) => s.port === od.port);
  const v6Refused = od.address === '::1';
  // A socket on '::' (dual-stack) or '0.0.0.0' answers its own family's loopback: it would not have refused.
  const same = onPort.filter((s) => (v6Refused ? s.family === 6 && (s.address === '::1' || s.address === '::') : s.family === 4 && (s.address === '127.0.0.1' || s.address === '0.0.0.0') || (s.family === 6 && s.address === '::')));
  if (same.length) return [];
  return onPort.filter((s) => (v6Refused ? s.family === 4 : s.family === 6));
}

/**
 * A finding the output alone cannot settle, settled by the facts: raised to high, or dropped (null) so that
 * the exception it came from stands. Others pass unchanged.
 */
export function refineFinding(f: OutputFinding, facts: CauseFacts | undefined): OutputFinding | null {
  const od = f.detail ?? {};
  if (f.cause === 'node-version-mismatch') {
    const unmet = unmetRequirement(od.nodeVersion, facts?.nodeRequirements);
    if (unmet) return { ...f, confidence: 'high' };
    // A missing built-in without a declared version is still most likely an older Node.
    return f.confidence === 'low' ? null : f;
  }
  if (f.cause === 'localhost-ipv6') {
    if (!facts?.listeners) return od.address === '::1' ? { ...f, confidence: 'medium' } : null;
    return otherFamilyListeners(od, facts.listeners).length ? { ...f, confidence: 'high' } : null;
  }
  return f;
}

function ev(source: Evidence['source'], text: string): Evidence {
  return { source, text: redactText(text), time: null };
}

const MANAGER_ORDER: readonly VersionManager['name'][] = ['volta', 'fnm', 'nvm'];

/** The version manager to use: volta when the project pins with it, else the first found. */
export function pickManager(managers: readonly VersionManager[] | undefined): VersionManager | null {
  if (!managers?.length) return null;
  return [...managers].sort((a, b) => MANAGER_ORDER.indexOf(a.name) - MANAGER_ORDER.indexOf(b.name))[0];
}

/** The version to switch to for a requirement: its major for .nvmrc-style files, the range's minimum otherwise. */
export function wantedVersion(req: NodeRequirement): string {
  if (req.source !== 'engines.node') return req.range.replace(/^v/, '');
  const min = semver.validRange(req.range) ? semver.minVersion(req.range) : null;
  return min ? String(min.major) : req.range;
}

/** The exact command that switches Node for this project with the manager found (or none). */
export function switchCommand(req: NodeRequirement, manager: VersionManager | null): string {
  const v = wantedVersion(req);
  const nvmrc = req.source === '.nvmrc';
  switch (manager?.name) {
    case 'nvm': return nvmrc ? 'nvm install && nvm use' : `nvm install ${v} && nvm use ${v}`;
    case 'fnm': return nvmrc || req.source === '.node-version' ? 'fnm use --install-if-missing' : `fnm use --install-if-missing ${v}`;
    case 'volta': return `volta pin node@${v}`;
    default: return `install Node.js ${v} (no nvm, fnm or volta was found on this machine)`;
  }
}

/** Detail and evidence of the newer causes, from the output and the facts. */
export function applyMoreCause(cause: CauseId, od: OutputDetail, facts: CauseFacts | undefined, detail: Detail, evid: Evidence[], cwd?: string | null): void {
  if (od.nodeVersion) detail.nodeVersion = od.nodeVersion;
  if (od.address) detail.address = od.address;
  if (od.api) detail.api = od.api;
  switch (cause) {
    case 'native-abi-mismatch': {
      if (od.builtAbi !== undefined) detail.builtAbi = od.builtAbi;
      if (od.runningAbi !== undefined) detail.runningAbi = od.runningAbi;
      const built = od.builtAbi !== undefined ? nodeMajorOfAbi(od.builtAbi) : null;
      if (built !== null) detail.builtForNode = built;
      if (od.port) detail.port = od.port;
      break;
    }
    case 'node-version-mismatch': {
      const unmet = unmetRequirement(od.nodeVersion, facts?.nodeRequirements);
      if (unmet) {
        detail.requiredNode = { source: unmet.source, file: unmet.file, range: unmet.range };
        evid.push(ev('monitor', `${unmet.source} in ${unmet.file} asks for Node ${unmet.range}; the server ran on Node ${od.nodeVersion}`));
      }
      const m = pickManager(facts?.versionManagers);
      if (m) detail.versionManager = m.name;
      break;
    }
    case 'localhost-ipv6': {
      if (od.port) detail.port = od.port;
      const others = facts?.listeners ? otherFamilyListeners(od, facts.listeners) : [];
      if (others.length) {
        detail.listeners = others.map((s) => ({ address: s.address, port: s.port, pid: s.pid }));
        evid.push(ev('socket-table', `port ${od.port} listens on ${others.map((s) => `${s.family === 6 ? `[${s.address}]` : s.address}${s.pid !== null ? ` (pid ${s.pid})` : ''}`).join(', ')} only, not on ${od.address === '::1' ? '[::1]' : '127.0.0.1'}`));
      }
      break;
    }
    case 'port-permission':
      if (od.port) detail.port = od.port;
      break;
    case 'process-limit': {
      const pl = facts?.processLimit;
      if (!pl) break;
      detail.processes = { userTasks: pl.userTasks, ulimit: pl.ulimit, cgroup: pl.cgroup, holders: pl.holders };
      const lim = [pl.ulimit !== null ? `ulimit -u ${pl.ulimit}` : null, pl.cgroup ? `pids.max ${pl.cgroup.max} of cgroup ${pl.cgroup.path} (${pl.cgroup.current} in use)` : null].filter(Boolean).join(', ');
      evid.push(ev('monitor', `uid ${pl.uid} has ${pl.userTasks} processes and threads now${lim ? `; limits: ${lim}` : ''}`));
      const top = pl.holders.filter((h) => h.zombieChildren > 0 || h.tasks > 1).slice(0, 3);
      if (top.length) evid.push(ev('monitor', top.map((h) => `pid ${h.pid} (${h.command}) holds ${h.tasks}${h.zombieChildren ? ` (${h.zombieChildren} zombie children)` : ''}`).join('\n')));
      break;
    }
    case 'stale-build-cache': {
      if (od.cacheDir) detail.cacheDir = cwd && !path.isAbsolute(od.cacheDir) ? path.join(cwd, od.cacheDir) : od.cacheDir;
      if (od.framework) detail.framework = od.framework;
      const writers = facts?.cacheWriters ?? [];
      if (writers.length) {
        detail.otherWriters = writers.map((w) => ({ pid: w.pid, command: redactText(w.command) }));
        evid.push(ev('monitor', writers.map((w) => `pid ${w.pid} builds into the same folder: ${w.command}`).join('\n')));
      }
      break;
    }
    case 'inspector-port-in-use': {
      if (od.port) detail.port = od.port;
      const holder = detail.holder;
      if (holder?.pid && facts?.editorPids?.includes(holder.pid)) detail.holderIsEditor = true;
      else if (holder?.command && /(?:^|[\\/])(?:code|code-insiders|codium|cursor|code-server)(?:\s|$)|extensionHost|js-debug|vscode-js-debug|ms-vscode\.js-debug/i.test(holder.command)) detail.holderIsEditor = true;
      break;
    }
    default:
      break;
  }
}

/** Plain-words summary of a newer cause; null for the first fifteen. */
export function moreSummary(cause: CauseId, who: string, detail: VerdictDetail, od: OutputDetail): string | null {
  switch (cause) {
    case 'native-abi-mismatch': {
      const mod = od.package ?? detail.package ?? 'a native module';
      if (od.platformWanted) return `${who} could not load ${mod}: its native binary is ${od.platformFound ?? 'for another platform'}, this machine needs ${od.platformWanted} (node_modules was installed on another OS or CPU)`;
      if (detail.builtAbi !== undefined && detail.runningAbi !== undefined) {
        const built = detail.builtForNode ? `Node ${detail.builtForNode}` : `NODE_MODULE_VERSION ${detail.builtAbi}`;
        const running = detail.nodeVersion ? `Node ${detail.nodeVersion}` : `NODE_MODULE_VERSION ${detail.runningAbi}`;
        return `${who} could not load ${mod}: it was compiled for ${built} (ABI ${detail.builtAbi}) but runs on ${running} (ABI ${detail.runningAbi})`;
      }
      return `${who} could not load ${mod}: its native binary was built for another operating system or CPU`;
    }
    case 'node-version-mismatch': {
      const what = od.api ? ` (${/^node:|^[\w$.]+$/.test(od.api) ? od.api : `syntax: ${od.api}`})` : '';
      const req = detail.requiredNode;
      return req
        ? `${who} runs on Node ${detail.nodeVersion ?? '?'} but ${req.source} asks for ${req.range}: it crashed on something that Node lacks${what}`
        : `${who} crashed on something Node ${detail.nodeVersion ?? 'this version'} lacks${what}: it needs a newer Node.js`;
    }
    case 'port-permission': {
      const port = detail.port;
      return port !== undefined && port < 1024
        ? `${who} may not listen on port ${port}: ports below 1024 need root or the CAP_NET_BIND_SERVICE capability`
        : `${who} was denied listening on port ${port ?? '?'} (EACCES): the port is in a reserved or excluded range`;
    }
    case 'process-limit': {
      const p = detail.processes;
      const lim = p?.cgroup ? ` (pids.max ${p.cgroup.max} of cgroup ${p.cgroup.path}; ${p.cgroup.current} in use now)` : p?.ulimit ? ` (ulimit -u ${p.ulimit}; this user has ${p.userTasks} processes and threads now)` : '';
      const z = p?.holders.find((h) => h.zombieChildren > 0);
      return `${who} could not start a process or thread: the process limit is reached${lim}${z ? `; pid ${z.pid} holds ${z.zombieChildren} zombie children` : ''}`;
    }
    case 'localhost-ipv6': {
      const other = detail.address === '::1' ? '127.0.0.1' : '[::1]';
      const l = detail.listeners?.[0];
      return l
        ? `${who} connected to ${detail.address === '::1' ? '[::1]' : '127.0.0.1'}:${detail.port} and was refused: the service listens on ${other} only${l.pid !== null ? ` (pid ${l.pid})` : ''}; "localhost" resolved to the other address family`
        : `${who} was refused on [::1]:${detail.port ?? '?'}: Node 17+ resolves "localhost" to ::1 first, and the service may listen on 127.0.0.1 only`;
    }
    case 'stale-build-cache': {
      const w = detail.otherWriters?.[0];
      return `${who} failed reading its ${detail.framework ?? 'framework'} build cache (${detail.cacheDir ?? 'cache'})${w ? `, which pid ${w.pid} (${w.command}) is writing at the same time` : ': it is stale or corrupted'}`;
    }
    case 'inspector-port-in-use': {
      const h = detail.holder;
      const by = !h ? '' : detail.holderIsEditor ? ' by the editor\'s own debugger' : h.pid === null ? ' by another user\'s process' : ` by pid ${h.pid}${h.command ? ` (${h.command})` : ''}`;
      return `${who}'s debugger could not start: inspector port ${detail.port ?? 9229} is already in use${by}`;
    }
    default:
      return null;
  }
}

export interface MemoryInput {
  readonly cause: CauseId;
  readonly found: readonly OutputFinding[];
  readonly samples?: readonly MemoryPoint[];
  readonly uptimeMs?: number | null;
  readonly startedAt?: number | null;
  readonly detail: VerdictDetail;
  readonly ceilingBytes: number | null;
  readonly facts?: CauseFacts;
  /** The server's heap limit as the monitor read it (flag, NODE_OPTIONS or V8's default). */
  readonly heapLimitBytes?: number | null;
}

/** The memory kind of an out-of-memory verdict; undefined for other causes. */
export function memoryKindOf(m: MemoryInput): MemoryKind | undefined {
  if (m.cause !== 'heap-oom' && m.cause !== 'oom-kill' && m.cause !== 'oomd-kill') return undefined;
  const gc: GcEvent[] = lastRunEvents(m.found.map((f) => f.detail?.gc ?? []).find((g) => g.length) ?? []);
  const samples = (m.samples ?? []).filter((s) => !m.startedAt || s.time >= m.startedAt - 2000);
  const kind = classifyMemory({
    cause: m.cause, gc, samples,
    uptimeMs: m.uptimeMs ?? null,
    heapUsedBytes: m.detail.heapUsedBytes ?? null,
    heapLimitBytes: m.detail.heapLimitBytes ?? m.heapLimitBytes ?? null,
    rssBytes: m.detail.rssBytes ?? samples[samples.length - 1]?.bytes ?? null,
    ceilingBytes: m.ceilingBytes,
    availableBytes: m.facts?.availableBytes ?? null,
    diskFreeBytes: m.facts?.diskFreeBytes ?? null,
  });
  return m.facts?.ceiling ? { ...kind, ceiling: m.facts.ceiling } : kind;
}

/** "leak: …" as one clause for the summary. */
export function memoryClause(k: MemoryKind): string {
  const helps = k.raiseHeapHelps === 'yes' ? 'a larger heap limit fixes it' : k.raiseHeapHelps === 'stopgap' ? 'a larger heap only delays it' : k.raiseHeapHelps === 'no' ? 'a larger heap changes nothing' : '';
  const kind = k.kind === 'native-growth' ? 'native memory growth' : k.kind === 'undersized' ? 'heap too small' : k.kind;
  const where = k.ceiling && k.ceiling.where !== 'machine' && k.ceiling.where !== 'container' && k.raiseHeapHelps !== 'yes' ? `; the ceiling here is ${k.ceiling.label}: ${k.ceiling.what}` : '';
  return k.kind === 'unknown' ? where : ` — ${kind}${k.heapLimitBytes && k.kind === 'undersized' ? ` (limit ${formatBytes(k.heapLimitBytes)})` : ''}: ${helps}${where}`;
}
