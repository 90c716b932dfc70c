// Which V8 heap limit a node process runs with, read from its command line and NODE_OPTIONS.
//
// Every figure here is the OLD-SPACE limit (what --max-old-space-size sets), for all three sources.
// v8.getHeapStatistics().heap_size_limit is larger: old space + young generation (3 × semi-space).
// Measured on Node 20.20.2, x64, 25 GB RAM:
//   --max-old-space-size=123  → heap_size_limit 179306496 = 123 MiB + 48 MiB
//   --max-old-space-size=4096 → 4345298944 = 4096 MiB + 48 MiB  (the same +48 MiB from 123 to 8192)
//   no flag                   → 4345298944: the default old space here is 4096 MiB
//   --max-semi-space-size=64  → +192 MiB instead of +48, so the extra is 3 × semi-space.
// The young generation depends on memory, not on the flag: inside a 1 GiB memory cgroup the extra is
// 12 MiB with and without --max-old-space-size, so the flag's N is exactly the old space.
// Default old space, measured in memory cgroups of 100 MiB … 16 GiB with --max-semi-space-size=1:
//   100M,300M,512M → 256 MiB; 600M → 300; 1G → 512; 3G → 1536; 4G, 8G, 15G, 15.4G → 2048; 15.6G, 16G → 4096;
//   odd limits round up to 256 KiB pages (999997440 B → 500170752 B).
// That is V8's Heap::HeapSizeFromPhysicalMemory for 64-bit builds without pointer compression (official
// Node builds): memory / 4 × 2, clamped to [256 MiB, 2 GiB], the upper bound doubled to 4 GiB when
// memory rounds to 16 GiB or more. `--max-old-space-size=0` means "use the default" (measured).
// Node feeds V8 min(physical memory, the process's memory cgroup limit) (libuv's constrained memory).
import * as path from 'node:path';
import type { HeapLimit } from './types';
import { parseDotenv } from './workspace/dotenv';
import { MAX_DOTENV_BYTES, readWorkspaceFile } from './workspace/readWorkspaceFile';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const V8_PAGE = 256 * 1024;
const MIN_OLD_SPACE = 256 * MiB;
const MAX_OLD_SPACE = 2 * GiB;
const HUGE_MAX_OLD_SPACE = 4 * GiB;

const NODE_EXECUTABLES = new Set(['node', 'nodejs', 'node.exe', 'nodejs.exe']);
/**
 * Titles node tools give themselves with process.title, which on Linux rewrites both argv and comm
 * (comm is cut to 15 bytes): `next dev`'s worker becomes "next-server (v14.2.3)".
 */
const NODE_TOOL_TITLES = /^(next-server|next-router-worker|next-render-worker|nodemon|npm|npx)\b/;

/** Node options that take their value as the next argument when written without '='. */
const NODE_OPTIONS_WITH_VALUE = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--input-type',
  '--title', '--inspect-port', '--debug-port', '--env-file', '--env-file-if-exists', '--experimental-policy',
  '--policy-integrity', '--redirect-warnings', '--icu-data-dir', '--openssl-config', '--tls-cipher-list',
  '--tls-keylog', '--unhandled-rejections', '--dns-result-order', '--diagnostic-dir', '--report-dir',
  '--report-directory', '--report-filename', '--report-signal', '--cpu-prof-dir', '--cpu-prof-name',
  '--cpu-prof-interval', '--heap-prof-dir', '--heap-prof-name', '--heap-prof-interval', '--heapsnapshot-signal',
  '--heapsnapshot-near-heap-limit', '--secure-heap', '--secure-heap-min', '--trace-event-categories',
  '--trace-event-file-pattern', '--use-largepages', '--watch-path', '--test-reporter',
  '--test-reporter-destination', '--test-name-pattern', '--test-concurrency', '--test-shard', '--test-timeout',
  '--disable-warning', '--max-http-header-size', '--experimental-sea-config', '--snapshot-blob',
  '--build-snapshot-config', '--inspect-publish-uid', '--experimental-default-type', '--disable-proto',
  '--allow-fs-read', '--allow-fs-write', '--v8-pool-size',
  // Node 20 rejects "--max-old-space-size N" at start-up; accepted here so N is not taken for the script.
  '--max-old-space-size',
]);
/** Options whose value is code; node keeps reading its own options after it. */
const EVAL_OPTIONS = new Set(['-e', '--eval', '-p', '--print']);

export interface NodeCommandLine {
  /** Options meant for node itself (before the script), values included. */
  readonly nodeArgs: readonly string[];
  /** The script path; null with -e/-p or when there is none. */
  readonly script: string | null;
  /** Arguments after the script: they belong to the script, not to node. */
  readonly scriptArgs: readonly string[];
}

/**
 * Tokenises NODE_OPTIONS exactly as node does (ParseNodeOptionsEnvVar): only spaces separate, double
 * quotes group, a backslash inside quotes makes the next character literal; outside quotes it is literal.
 */
export function splitNodeOptions(s: string): string[] {
  return nodeOptionTokens(s).map((t) => t.text);
}

export interface NodeOptionToken {
  /** The token as node reads it (quotes removed, escapes resolved). */
  readonly text: string;
  /** Where it is written in the value (quotes included). */
  readonly start: number;
  readonly end: number;
}

/** NODE_OPTIONS split as node splits it (see splitNodeOptions), with where each token is written. */
export function nodeOptionTokens(s: string): NodeOptionToken[] {
  const out: { text: string; start: number; end: number }[] = [];
  let inString = false;
  let startNew = true;
  let tokenStart = 0;
  for (let i = 0; i < s.length; i++) {
    const at = i;
    let ch = s[i]!;
    if (ch === '\\' && inString) {
      if (i + 1 === s.length) break; // node refuses to start: "invalid escape"
      ch = s[++i]!;
    } else if (ch === ' ' && !inString) {
      startNew = true;
      continue;
    } else if (ch === '"') {
      if (startNew && !inString) tokenStart = at;
      inString = !inString;
      if (!startNew) out[out.length - 1]!.end = i + 1;
      continue;
    }
    if (startNew) {
      out.push({ text: ch, start: s[at - 1] === '"' && inString ? tokenStart : at, end: i + 1 });
      startNew = false;
    } else {
      out[out.length - 1]!.text += ch;
      out[out.length - 1]!.end = i + 1;
    }
  }
  return out;
}

/** Splits argv (argv[0] = the node executable) into node's options, the script and the script's arguments. */
export function splitNodeCommandLine(cmdline: readonly string[]): NodeCommandLine {
  const nodeArgs: string[] = [];
  for (let i = 1; i < cmdline.length; i++) {
    const arg = cmdline[i];
    if (arg === '--') {
      return { nodeArgs, script: cmdline[i + 1] ?? null, scriptArgs: cmdline.slice(i + 2) };
    }
    if (!arg.startsWith('-') || arg === '-') {
      return { nodeArgs, script: arg, scriptArgs: cmdline.slice(i + 1) };
    }
    nodeArgs.push(arg);
    if (!arg.includes('=') && (NODE_OPTIONS_WITH_VALUE.has(normaliseFlag(arg)) || EVAL_OPTIONS.has(arg))) {
      if (i + 1 < cmdline.length) nodeArgs.push(cmdline[++i]);
    }
  }
  return { nodeArgs, script: null, scriptArgs: [] };
}

/**
 * The env files node loads itself (`--env-file F`, `--env-file-if-exists F`, Node 20.6+), in order: NODE_OPTIONS
 * in them applies to that node (measured: `--env-file=.env` with NODE_OPTIONS=--max-old-space-size=300 gives a
 * 348 MB heap_size_limit), and a later file overrides an earlier one.
 */
export function envFilesOf(cmdline: readonly string[]): string[] {
  const args = splitNodeCommandLine(cmdline).nodeArgs;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = splitOnce(args[i]);
    if (name !== '--env-file' && name !== '--env-file-if-exists') continue;
    const value = inline ?? args[++i];
    if (value) files.push(value);
  }
  return files;
}

/**
 * NODE_OPTIONS from the env files a node command line loads (relative ones against `cwd`); null when none sets
 * it. Read once per process, bounded (a FIFO or a huge file is no env file).
 */
export function envFileNodeOptions(cmdline: readonly string[], cwd: string | null): string | null {
  let found: string | null = null;
  for (const file of envFilesOf(cmdline)) {
    if (!path.isAbsolute(file) && cwd === null) continue;
    const read = readWorkspaceFile(path.resolve(cwd ?? '/', file), MAX_DOTENV_BYTES);
    if (!('text' in read)) continue;
    const value = parseDotenv(read.text).NODE_OPTIONS;
    if (value !== undefined) found = value;
  }
  return found;
}

/** V8 treats '_' and '-' in flag names alike. */
function normaliseFlag(flag: string): string {
  return flag.startsWith('--') ? '--' + flag.slice(2).replace(/_/g, '-') : flag;
}

/** The last --max-old-space-size among node options, in MiB; null when absent, 0 or malformed. */
function maxOldSpaceMiB(nodeArgs: readonly string[]): number | null {
  let found: number | null = null;
  for (let i = 0; i < nodeArgs.length; i++) {
    const [name, inline] = splitOnce(nodeArgs[i]);
    if (normaliseFlag(name) !== '--max-old-space-size') continue;
    const value = inline ?? nodeArgs[++i];
    // node refuses anything but a plain decimal (1.5e3, 0x100, 600.7 all fail at start-up)
    if (value !== undefined && /^\d+$/.test(value)) found = Number(value) > 0 ? Number(value) : null;
  }
  return found;
}

function splitOnce(arg: string): [string, string | undefined] {
  const eq = arg.indexOf('=');
  return eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
}

/**
 * V8's default old-space limit for a 64-bit node given the memory it sees (see the measurements at the
 * top). Pass min(physical memory, the process's memory cgroup limit), as node does.
 */
export function v8DefaultOldSpaceBytes(memoryBytes: number): number {
  const mem = Number.isFinite(memoryBytes) && memoryBytes > 0 ? memoryBytes : 0;
  const max = Math.floor((mem + 512 * MiB) / GiB) >= 16 ? HUGE_MAX_OLD_SPACE : MAX_OLD_SPACE;
  const old = Math.min(Math.max(Math.floor(mem / 4) * 2, MIN_OLD_SPACE), max);
  return Math.ceil(old / V8_PAGE) * V8_PAGE;
}

/**
 * The old-space limit of a node process. A --max-old-space-size among node's own options wins over
 * one in NODE_OPTIONS (measured: NODE_OPTIONS=…=400 with --…=500 gives 500); the last occurrence wins
 * within each. A flag after the script belongs to the script. `totalMemBytes` is the memory node saw
 * at start: min(physical memory, its memory cgroup limit).
 */
export function heapLimitFromArgs(
  cmdline: readonly string[],
  env: Readonly<Record<string, string>> | null,
  totalMemBytes: number,
  envFileNodeOptions: string | null = null,
): HeapLimit {
  const fromFlag = maxOldSpaceMiB(splitNodeCommandLine(cmdline).nodeArgs);
  if (fromFlag !== null) return { bytes: fromFlag * MiB, source: 'flag' };
  // NODE_OPTIONS in the environment wins over one in an --env-file (node's documented precedence).
  const nodeOptions = env?.NODE_OPTIONS ?? envFileNodeOptions ?? undefined;
  // NODE_OPTIONS holds no script, so every token counts
  const fromEnv = nodeOptions ? maxOldSpaceMiB(splitNodeOptions(nodeOptions)) : null;
  if (fromEnv !== null) return { bytes: fromEnv * MiB, source: 'NODE_OPTIONS' };
  return { bytes: v8DefaultOldSpaceBytes(totalMemBytes), source: 'default' };
}

/**
 * Whether a process runs node. True for the node executable under any path (node, nodejs, node.exe)
 * and for node tools that retitle themselves (next-server, nodemon, npm). A nodemon supervisor is a
 * node process too: its argv is ['node', '…/nodemon', 'app.js'] and comm 'node'; its child running
 * the app is another node process.
 */
export function isNodeProcess(cmdline: readonly string[], comm: string): boolean {
  const exe = cmdline.length > 0 ? basename(cmdline[0]).toLowerCase() : '';
  if (NODE_EXECUTABLES.has(exe) || NODE_EXECUTABLES.has(comm.toLowerCase())) return true;
  return NODE_TOOL_TITLES.test(cmdline[0] ?? '') || NODE_TOOL_TITLES.test(comm);
}

function basename(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}
