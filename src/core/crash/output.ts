// Classifies what a dead (or still running) process printed, plus how it ended, into crash findings.
// Pure: no I/O. Patterns come from real Node 20 output captured in test/fixtures.
// Why this file is long (~520 lines): it is the one table of crash signatures, in order of precedence, so that which
// pattern wins over which stays visible in one place; each pattern is pinned by a captured fixture.

import { constants } from 'node:os';
import { inotifyRaiseLines, RECOMMENDED_MAX_USER_WATCHES, remedy, runningAsRoot } from '../remedies/catalogue';
import type { CauseId, Confidence, RemedyRef } from './types';
import { redactText } from '../redact';
import { detectMoreCauses, withGcTrace } from './causes/outputCauses';
import type { GcEvent } from './causes/gcTrace';
import { findDependencyError } from './dependency';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
  /** The process that printed the output is still running (a watcher, or not exited yet). */
  readonly running?: boolean;
}

export interface OutputDetail {
  port?: number;
  /** The specifier as printed: 'express-nope', './lib/db', '/abs/file.mjs'. */
  module?: string;
  /** npm package to install; set only for bare specifiers (not for paths in the user's code). */
  package?: string;
  syscall?: string;
  path?: string;
  heapUsedMB?: number;
  heapLimitMB?: number;
  /** Node report file announced in the output ("Writing Node.js report to file: …"). */
  reportFile?: string;
  signal?: string;
  /** Pid the output names: V8's GC trace (`[1234:0x…]`) or bash's status line (`bash: line 1: 1234 Killed …`). */
  pid?: number;
  /** The error's headline ("Error: boom"), for uncaught exceptions and rejections. */
  message?: string;
  /** Exit code the output tells (npm/yarn/pnpm error lines), when the exit itself is unknown. */
  exitCode?: number;
  /** Node version that printed the fatal block ("Node.js v22.1.0" → '22.1.0'). */
  nodeVersion?: string;
  /** NODE_MODULE_VERSION a native module was built for, and the one the running Node requires. */
  builtAbi?: number;
  runningAbi?: number;
  /** A platform package present and the one needed (esbuild's "installed for another platform"). */
  platformFound?: string;
  platformWanted?: string;
  /** The API or built-in a newer Node has ('node:sqlite', 'Promise.withResolvers'), or the syntax error. */
  api?: string;
  /** Address refused or denied ('::1', '127.0.0.1', '0.0.0.0'). */
  address?: string;
  /** A framework's build cache folder ('.next', 'node_modules/.vite'). */
  cacheDir?: string;
  framework?: string;
  /** V8's GC trace of the last run in the output. */
  gc?: GcEvent[];
  /** dependency-*: the address connected to or the host name that did not resolve, every address tried, the driver and service. */
  host?: string;
  addresses?: string[];
  driver?: string;
  service?: string;
  /** dependency-*: ECONNREFUSED, ENOTFOUND, EAI_AGAIN, P1001. */
  errorCode?: string;
}

export interface OutputFinding {
  readonly cause: CauseId;
  readonly confidence: Confidence;
  /** Quoted evidence lines, redacted. */
  readonly lines: string[];
  readonly topFrame: string | null;
  readonly detail?: OutputDetail;
  /** What the output alone cannot settle, in plain words. */
  readonly note?: string;
}

const MAX_LINE = 300;
const TRAILER = /^Node\.js v\d+\.\d+\.\d+\s*$/;
const FRAME = /^\s*at\s+(.+?)\s*(?:\{\s*)?$/;
const HEADLINE = /^(?:Uncaught\s+)?\[?[A-Z][\w$]*(?:Error|Exception|Rejection)\b|^Error\b/;
const WATCHER_WAITING = /\[nodemon\] app crashed|^Failed running '/;
const STOP_SIGNALS = new Set(['SIGINT', 'SIGTERM', 'SIGHUP']);
const NATIVE_SIGNALS = new Set(['SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE']);

// Aliases share numbers (SIGIOT = SIGABRT); the first name listed is the usual one.
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals)) if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);

// CSI sequences (colours, cursor moves), OSC sequences (titles, links) and two-byte escapes.
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Lines as a terminal shows them: colours removed, carriage-return overwrites resolved. */
function toLines(text: string): string[] {
  return stripAnsi(text).split('\n').map((l) => {
    const parts = l.split('\r').filter((p) => p !== '');
    return parts.length ? parts[parts.length - 1] : '';
  });
}

/** The signal that ended the process: given, or decoded from a shell status 128+N. */
export function exitSignal(exit: ExitStatus): string | null {
  if (exit.signal) return exit.signal;
  if (exit.code !== null && exit.code > 128 && exit.code < 128 + 65) return SIGNAL_NAMES.get(exit.code - 128) ?? null;
  return null;
}

// How a shell reports a child killed by a signal: dash prints just the name; bash adds "bash: line 1: PID".
const SHELL_STATUS = /^(?:\S+: (?:line \d+: +)?(\d+) +)?(Killed|Terminated|Segmentation fault|Aborted|Bus error|Illegal instruction|Floating point exception|Hangup|Quit)(?: +\(core dumped\))?(?: {2,}\S.*)?$/;
const SHELL_SIGNALS: Record<string, string> = {
  Killed: 'SIGKILL', Terminated: 'SIGTERM', 'Segmentation fault': 'SIGSEGV', Aborted: 'SIGABRT', 'Bus error': 'SIGBUS',
  'Illegal instruction': 'SIGILL', 'Floating point exception': 'SIGFPE', Hangup: 'SIGHUP', Quit: 'SIGQUIT',
};
// npm 7+ ("npm error code 137", "npm ERR! errno 137", "npm error signal SIGKILL"), yarn and pnpm ("Command failed with exit code 1").
const PM_CODE = /^(?:npm (?:error|ERR!) (?:code|errno)|npm ERR! Exit status|(?:error|\S*ELIFECYCLE\S*)\s+Command failed with exit code)\s+(\d+)\.?\s*$/;
const PM_SIGNAL = /^(?:npm (?:error|ERR!) signal|(?:error|\S*ELIFECYCLE\S*)\s+Command failed with signal)\s+"?(SIG[A-Z0-9]+)"?\.?\s*$/;

/** npm's script banner ("> app@1.0.0 dev", pnpm adds the folder) and nodemon's (re)start line open a new run in a log. */
const RUN_START = /^> \S+@\S+ \S+(?: \/.*)?$|^\[nodemon\] (?:re)?starting\b/;

export interface TextExit extends ExitStatus {
  /** Pid named by the shell's status line (bash only). */
  readonly pid: number | null;
}

/**
 * The exit a log tells when nobody saw the process end: the script shell's status line ("Killed",
 * "Segmentation fault") and the package manager's error lines. Null when the text says nothing.
 */
export function exitFromText(text: string): TextExit | null {
  return exitFromLines(toLines(text));
}

function exitFromLines(lines: readonly string[]): TextExit | null {
  let code: number | null = null;
  let signal: string | null = null;
  let pid: number | null = null;
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 400; i--) {
    const line = lines[i].trim();
    let m: RegExpExecArray | null;
    if (signal === null && (m = SHELL_STATUS.exec(line))) {
      signal = SHELL_SIGNALS[m[2]];
      if (m[1]) pid = Number(m[1]);
    } else if (signal === null && (m = PM_SIGNAL.exec(line))) signal = m[1];
    else if (code === null && (m = PM_CODE.exec(line))) code = Number(m[1]);
    // What precedes Node's last fatal block or the start of the last run belongs to an earlier run.
    if (TRAILER.test(line) || RUN_START.test(line)) break;
  }
  if (code === null && signal === null) return null;
  return { code, signal: signal ?? exitSignal({ code, signal: null }), pid };
}

function frameLocation(frame: string): string | null {
  const m = /\(([^()]*:\d+:\d+)\)$/.exec(frame) ?? /(?:^|\s)(\S*:\d+:\d+)$/.exec(frame);
  return m ? m[1] : null;
}

function isUserLocation(loc: string): boolean {
  return !/^(?:node:|internal\/)|node_modules|^\[eval\]-wrapper|^<anonymous/.test(loc);
}

/** First stack frame in the user's code (not node:*, internal/ or node_modules), as printed after "at". */
export function userFrame(frames: readonly string[]): string | null {
  for (const f of frames) {
    const text = FRAME.exec(f)?.[1] ?? f.trim();
    const loc = frameLocation(text);
    if (loc && isUserLocation(loc)) return text;
  }
  return null;
}

function quote(line: string): string {
  const t = line.trim();
  return redactText(t.length > MAX_LINE ? `${t.slice(0, MAX_LINE)}…` : t);
}

export function lastIndex(lines: readonly string[], re: RegExp, from = 0, to = lines.length): number {
  for (let i = to - 1; i >= from; i--) if (re.test(lines[i])) return i;
  return -1;
}

const PROPERTY = /^\s+[\w$]+: /;

/** Last message line matching `re`; an error's property lines (`  code: 'ENOSPC',`) only when nothing else matches. */
export function lastMessage(lines: readonly string[], re: RegExp): number {
  for (let i = lines.length - 1; i >= 0; i--) if (re.test(lines[i]) && !PROPERTY.test(lines[i])) return i;
  return lastIndex(lines, re);
}

/** Frames right after line `i` (a headline), skipping message continuation lines. */
function framesAfter(lines: readonly string[], i: number): string[] {
  const frames: string[] = [];
  for (let j = i + 1; j < lines.length && j < i + 60; j++) {
    if (FRAME.test(lines[j])) frames.push(lines[j]);
    else if (frames.length) break;
  }
  return frames;
}

/** Properties Node prints after an error's stack: `  code: 'ENOSPC',` … up to the closing brace. */
export function errorProps(lines: readonly string[], i: number): Record<string, string> {
  const props: Record<string, string> = {};
  for (let j = i; j < lines.length && j < i + 60; j++) {
    if (/^\}\s*$/.test(lines[j])) break;
    const m = /^\s+(\w+):\s*'?(.*?)'?,?\s*$/.exec(lines[j]);
    if (m && !FRAME.test(lines[j])) props[m[1]] ??= m[2];
  }
  return props;
}

/** Node's excerpt of the source above an error: "file:line", the source line, then a caret under the column. */
interface Caret { readonly index: number; readonly col: number; readonly source: string }

export interface FatalBlock {
  readonly start: number;
  readonly trailer: number;
  readonly headline: number;
  readonly frames: string[];
  readonly caret: Caret | null;
}

const CARET = /^\s*\^+\s*$/;

/** The last fatal exception Node printed: the block that ends with "Node.js vX.Y.Z". */
function findFatalBlock(lines: readonly string[]): FatalBlock | null {
  const trailer = lastIndex(lines, TRAILER);
  if (trailer < 0) return null;
  const start = lastIndex(lines, TRAILER, 0, trailer) + 1;
  let caret: Caret | null = null;
  let headline = -1;
  for (let i = start; i < trailer && headline < 0; i++) {
    if (!caret && CARET.test(lines[i]) && i - start >= 2 && /:\d+$/.test(lines[i - 2].trim())) {
      caret = { index: i, col: lines[i].indexOf('^') + 1, source: lines[i - 1] };
    } else if (HEADLINE.test(lines[i])) headline = i;
  }
  // A thrown non-Error prints its value on the first non-empty line after the caret.
  if (headline < 0 && caret) headline = lines.findIndex((l, i) => i > caret!.index && i < trailer && l.trim() !== '');
  if (headline < 0) headline = lastIndex(lines, /\S/, start, trailer);
  if (headline < 0) return null;
  return { start, trailer, headline, frames: framesAfter(lines, headline), caret };
}

export interface Ctx {
  readonly lines: string[];
  readonly text: string;
  readonly exit: ExitStatus;
  readonly signal: string | null;
  readonly fatal: FatalBlock | null;
}

export type Found = OutputFinding & { readonly at: number };

export function finding(ctx: Ctx, at: number, cause: CauseId, confidence: Confidence, quoted: readonly number[],
  extra: { topFrame?: string | null; detail?: OutputDetail; note?: string } = {}): Found {
  const lines = [...new Set(quoted.filter((i) => i >= 0))].sort((a, b) => a - b).map((i) => quote(ctx.lines[i]));
  const topFrame = extra.topFrame !== undefined ? extra.topFrame : userFrame(framesAfter(ctx.lines, at));
  return { cause, confidence, lines, topFrame: topFrame && redactText(topFrame), at,
    ...(extra.detail ? { detail: extra.detail } : {}), ...(extra.note ? { note: extra.note } : {}) };
}

/** A line inside the fatal block (or any line once the process died) is what killed it. */
export function certainty(ctx: Ctx, at: number): Confidence {
  if (ctx.fatal && at >= ctx.fatal.start && at <= ctx.fatal.trailer) return 'high';
  return ctx.exit.code !== null && ctx.exit.code !== 0 ? 'high' : 'medium';
}

function detectHeapOom(ctx: Ctx): Found | null {
  const at = lastMessage(ctx.lines, /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit|ERR_WORKER_OUT_OF_MEMORY/);
  if (at < 0) return null;
  const detail: OutputDetail = {};
  const gcs = [...ctx.text.matchAll(/(\d+(?:\.\d+)?) \(\d+(?:\.\d+)?\) -> \d+(?:\.\d+)? \(\d+(?:\.\d+)?\) MB/g)];
  if (gcs.length) detail.heapUsedMB = Number(gcs[gcs.length - 1][1]);
  const limit = [...ctx.text.matchAll(/--max[-_]old[-_]space[-_]size[= ](\d+)/g)];
  if (limit.length) detail.heapLimitMB = Number(limit[limit.length - 1][1]);
  const gcPid = [...ctx.text.matchAll(/\[(\d+):0x[0-9a-f]+\]\s+\d+ ms: /g)];
  if (gcPid.length) detail.pid = Number(gcPid[gcPid.length - 1][1]);
  const report = lastIndex(ctx.lines, /^Writing Node\.js report to file: /);
  if (report >= 0) detail.reportFile = ctx.lines[report].replace(/^Writing Node\.js report to file: /, '').trim();
  return finding(ctx, at, 'heap-oom', 'high', [at, report], { detail, topFrame: null });
}

function detectPort(ctx: Ctx): Found | null {
  // Node's inspector failing on its port is inspector-port-in-use, not the server's port.
  const at = lastMessage(ctx.lines, /^(?!.*Starting inspector on).*(?:EADDRINUSE|address already in use|Port \d+ is already in use|already running on port \d+)/i);
  if (at < 0) return null;
  const line = ctx.lines[at];
  const props = errorProps(ctx.lines, at + 1);
  const detail: OutputDetail = {};
  const addr = /address already in use\s+(\S+)/i.exec(line)?.[1];
  const port = /Port (\d+) is already in use/i.exec(line)?.[1] ?? /already running on port (\d+)/i.exec(line)?.[1]
    ?? (addr && /:(\d+)$/.exec(addr)?.[1]) ?? props.port;
  if (port && /^\d+$/.test(port)) detail.port = Number(port);
  else if (addr?.startsWith('/')) detail.path = addr;
  if (props.syscall) detail.syscall = props.syscall;
  return finding(ctx, at, 'port-in-use', certainty(ctx, at), [at], { detail });
}

const ENOSPC = /ENOSPC|no space left on device|EDQUOT|disk quota exceeded|System limit for number of file watchers|inotify watch limit/i;

function isWatcherLimit(ctx: Ctx, i: number): boolean {
  return /file watchers|inotify|,\s*watch\b/i.test(ctx.lines[i]) || errorProps(ctx.lines, i + 1).syscall === 'watch';
}

function pathOf(line: string, props: Record<string, string>): string | undefined {
  return props.path ?? /, \w+ '([^']+)'/.exec(line)?.[1];
}

function detectEnospc(ctx: Ctx): Found[] {
  const out: Found[] = [];
  let seenWatch = false;
  let seenDisk = false;
  for (let i = ctx.lines.length - 1; i >= 0 && !(seenWatch && seenDisk); i--) {
    if (!ENOSPC.test(ctx.lines[i]) || PROPERTY.test(ctx.lines[i])) continue;
    const props = errorProps(ctx.lines, i + 1);
    const path = pathOf(ctx.lines[i], props);
    if (isWatcherLimit(ctx, i)) {
      if (seenWatch) continue;
      seenWatch = true;
      out.push(finding(ctx, i, 'inotify-limit', certainty(ctx, i), [i], {
        detail: { syscall: 'watch', ...(path ? { path } : {}) },
        note: 'ENOSPC from a file watcher means the inotify watch limit (fs.inotify.max_user_watches), not a full disk.',
      }));
    } else if (!seenDisk) {
      seenDisk = true;
      out.push(finding(ctx, i, 'disk-full', certainty(ctx, i), [i], {
        detail: { ...(props.syscall ? { syscall: props.syscall } : {}), ...(path ? { path } : {}) },
      }));
    }
  }
  return out;
}

function detectOpenFiles(ctx: Ctx): Found | null {
  const at = lastMessage(ctx.lines, /EMFILE|ENFILE|too many open files|file table overflow/i);
  if (at < 0) return null;
  const props = errorProps(ctx.lines, at + 1);
  const syscall = props.syscall ?? /,\s*(\w+)\b/.exec(ctx.lines[at].replace(/^.*?(?:EMFILE|ENFILE)[^,]*/, ''))?.[1];
  const path = pathOf(ctx.lines[at], props);
  return finding(ctx, at, 'too-many-open-files', certainty(ctx, at), [at], {
    detail: { ...(syscall ? { syscall } : {}), ...(path ? { path } : {}) },
    ...(syscall === 'watch'
      ? { note: 'EMFILE while starting a file watcher can also mean the inotify instance limit (fs.inotify.max_user_instances).' }
      : {}),
  });
}

/** npm package of a bare specifier ('@scope/pkg/sub' → '@scope/pkg'); null for paths and node: builtins. */
export function packageOf(specifier: string): string | null {
  if (/^(?:\.{1,2}(?:\/|\\|$)|\/|~|file:|node:|[A-Za-z]:[\\/])/.test(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? (parts.length >= 2 ? parts.slice(0, 2).join('/') : null) : parts[0];
}

function detectMissingModule(ctx: Ctx): Found | null {
  const at = lastMessage(ctx.lines, /Cannot find (?:module|package) '[^']+'/);
  if (at < 0) return null;
  const module = /Cannot find (?:module|package) '([^']+)'/.exec(ctx.lines[at])![1];
  const pkg = packageOf(module);
  const importer = /imported from (\S+)/.exec(ctx.lines[at])?.[1];
  return finding(ctx, at, 'missing-module', certainty(ctx, at), [at], {
    detail: { module, ...(pkg ? { package: pkg } : {}), ...(importer ? { path: importer } : {}) },
    ...(pkg ? {} : { note: `'${module}' is a path in the code, not a package: fix the import or build the missing file.` }),
  });
}

function detectNative(ctx: Ctx, heapOom: boolean): Found | null {
  const sig = ctx.signal;
  if (heapOom && !(sig && NATIVE_SIGNALS.has(sig))) return null;
  const textAt = lastIndex(ctx.lines, /Segmentation fault|Bus error|Illegal instruction|Floating point exception|^FATAL ERROR:|Aborted \(core dumped\)/);
  if (sig && NATIVE_SIGNALS.has(sig)) {
    return finding(ctx, textAt, 'native-crash', 'high', [textAt], { detail: { signal: sig }, topFrame: null });
  }
  if (textAt >= 0 || sig === 'SIGABRT') {
    return finding(ctx, textAt, 'native-crash', textAt >= 0 && sig === 'SIGABRT' ? 'high' : 'medium', [textAt], {
      detail: sig ? { signal: sig } : {}, topFrame: null,
    });
  }
  return null;
}

/** A needed service (database, cache, broker) refused the connection or its host name did not resolve. */
function detectDependency(ctx: Ctx): Found | null {
  const d = findDependencyError(ctx.lines);
  if (!d) return null;
  const fatal = ctx.fatal;
  // A refused connection logged before a different fatal error (a proxy error, say) did not kill the process,
  // unless that error is the client giving up on the connection ("Connection is closed.").
  const unrelated = fatal && (d.at > fatal.trailer || (d.at < fatal.headline && !/connect|connection|socket|ECONN/i.test(ctx.lines[fatal.headline])));
  const confidence: Confidence = unrelated ? 'low' : certainty(ctx, d.at);
  const detail: OutputDetail = { errorCode: d.code, ...(d.port !== null ? { port: d.port } : {}), ...(d.host ? { host: d.host } : {}),
    ...(d.addresses.length ? { addresses: [...d.addresses] } : {}), ...(d.driver ? { driver: d.driver } : {}), ...(d.service ? { service: d.service } : {}),
    syscall: d.cause === 'dependency-refused' ? 'connect' : 'getaddrinfo' };
  return finding(ctx, d.at, d.cause, confidence, d.quoted, { detail });
}

/**
 * Node 20 prints an uncaught exception and a promise rejected with an Error the same way. The caret
 * tells them apart: for a throw it marks the throw site (`throw …`, or the failing expression); for
 * a rejection Node uses where the Error was constructed (`new Error(…)`), or the stack is async.
 */
function detectFatalException(ctx: Ctx): Found | null {
  const fatal = ctx.fatal;
  if (!fatal) return null;
  const topFrame = userFrame(fatal.frames);
  const frameIdx = topFrame ? ctx.lines.findIndex((l, i) => i > fatal.headline && FRAME.exec(l)?.[1] === topFrame) : -1;
  const sourceIdx = fatal.caret ? fatal.caret.index - 1 : -1;
  const detail: OutputDetail = { message: quote(ctx.lines[fatal.headline]) };
  const result = (cause: CauseId, confidence: Confidence, note?: string): Found =>
    finding(ctx, fatal.headline, cause, confidence, [sourceIdx, fatal.headline, frameIdx], { topFrame, detail, ...(note ? { note } : {}) });

  const inBlock = ctx.lines.slice(fatal.start, fatal.trailer).join('\n');
  if (/UnhandledPromiseRejection|ERR_UNHANDLED_REJECTION|fromPromise/.test(inBlock)) return result('unhandled-rejection', 'high');
  const atCaret = fatal.caret ? fatal.caret.source.slice(fatal.caret.col - 1) : '';
  const beforeCaret = fatal.caret ? fatal.caret.source.slice(0, fatal.caret.col - 1) : '';
  if (/^throw\b/.test(atCaret) || /--trace-uncaught/.test(inBlock)) return result('uncaught-exception', 'high');
  if (/^new\s|^[\w$.]*Error\(/.test(atCaret)) {
    return result('unhandled-rejection', /\brej\w*\(\s*$/i.test(beforeCaret) ? 'high' : 'medium');
  }
  if (fatal.frames.length && /^\s*at async\s/.test(fatal.frames[0])) return result('unhandled-rejection', 'medium');
  return result('uncaught-exception', 'medium',
    'Node prints an uncaught exception and a rejected promise alike here; the output cannot tell which.');
}

function detectWatcher(ctx: Ctx): Found | null {
  const at = lastIndex(ctx.lines, WATCHER_WAITING);
  if (at >= 0) return finding(ctx, at, 'watcher-waiting', 'high', [at], { topFrame: null });
  const fatal = ctx.fatal;
  const stoppedLater = ctx.exit.running === true || (ctx.signal !== null && STOP_SIGNALS.has(ctx.signal));
  if (!fatal || !stoppedLater) return null;
  return finding(ctx, fatal.trailer, 'watcher-waiting', 'medium', [fatal.headline], {
    topFrame: null,
    note: 'The process that printed this crash outlived it: a watcher (tsx watch, nodemon, node --watch) is waiting while the server is gone.',
  });
}

function detectExit(ctx: Ctx, others: readonly Found[]): Found | null {
  const sig = ctx.signal;
  const lastLine = lastIndex(ctx.lines, /\S/);
  const killedLine = lastIndex(ctx.lines, /^(?:\S+: )?killed\b|^Killed\b|^Terminated\b/i);
  if (sig === 'SIGKILL') {
    if (others.some((f) => f.cause === 'heap-oom')) return null;
    return finding(ctx, killedLine, 'killed', 'medium', [killedLine], {
      detail: { signal: sig }, topFrame: null,
      note: 'SIGKILL: the kernel log decides whether the OOM killer sent it (oom-kill) or someone else did.',
    });
  }
  if (sig === 'SIGTERM' || sig === 'SIGHUP' || sig === 'SIGQUIT') {
    if (others.length) return null;
    return finding(ctx, killedLine, 'killed', 'medium', [killedLine], { detail: { signal: sig }, topFrame: null });
  }
  if (others.length || sig || ctx.exit.code === null || ctx.exit.code === 0 || ctx.exit.code === 130) return null;
  // A tool that catches its own start-up failure prints one error line and exits ("[webpack-cli] ✖ Invalid configuration object…").
  const headline = lastIndex(ctx.lines, TOOL_ERROR_LINE);
  const quoted = [...new Set([headline, lastIndex(ctx.lines, /\S/, 0, lastLine), lastLine])].filter((i) => i >= 0);
  return finding(ctx, lastLine, 'exit-nonzero', 'low', quoted, { topFrame: null,
    ...(headline >= 0 ? { detail: { message: quote(ctx.lines[headline].replace(/^(\[[^\]]+\] )(?:✖|×) /, '$1')) } } : {}),
    note: headline >= 0 ? `Exited with code ${ctx.exit.code} after this error line.` : `Exited with code ${ctx.exit.code}; nothing in the output names a cause.` });
}

/** A dev tool's own error line (not npm's epilogue): `[webpack-cli] ✖ Invalid …`, `✖ Failed to …`, `Error: …`. */
const TOOL_ERROR_LINE = /^\[(?!nodemon\])[\w@/.-]+\] (?:(?:✖|×) )?(?:Error\b|Invalid\b|Failed\b|Unable\b|Cannot\b)|^(?:✖|×) \S|^(?:Error|ERROR)(?: \[[\w-]+\])?: \S/;

const RANK: Record<Confidence, number> = { high: 0, medium: 1, low: 2 };

/** An exit the text told (not seen): its code and pid go into the detail. */
function withTold(f: Found, told: TextExit): Found {
  const detail: OutputDetail = { ...f.detail };
  if (told.code !== null) detail.exitCode = told.code;
  if (told.pid !== null) detail.pid = told.pid;
  return { ...f, detail };
}

/**
 * Findings for a process's output and exit, best first. `exit` with both fields null and
 * `running` unset means the exit is unknown (a log file): only the text counts.
 */
export function classifyOutput(text: string, exit: ExitStatus): OutputFinding[] {
  const lines = toLines(text);
  const unknown = exit.code === null && exit.signal === null && exit.running !== true;
  const told = unknown ? exitFromLines(lines) : null;
  const known: ExitStatus = told ? { code: told.code, signal: told.signal } : exit;
  const ctx: Ctx = { lines, text: lines.join('\n'), exit: known, signal: exitSignal(known), fatal: findFatalBlock(lines) };
  const specific = [detectHeapOom(ctx), detectPort(ctx), ...detectEnospc(ctx), detectOpenFiles(ctx), ...detectMoreCauses(ctx), detectMissingModule(ctx), detectDependency(ctx)]
    .filter((f): f is Found => f !== null);
  const fatal = ctx.fatal;
  // A low-confidence finding (a Node version or IPv6 suspicion the machine's facts must confirm) leaves the exception standing.
  const explainsFatal = fatal && specific.some((f) => f.confidence !== 'low' && f.at >= fatal.start && f.at <= fatal.trailer);
  const found = [...specific, detectNative(ctx, specific.some((f) => f.cause === 'heap-oom')), explainsFatal ? null : detectFatalException(ctx)]
    .filter((f): f is Found => f !== null);
  const watcher = detectWatcher(ctx);
  const all = [...found, detectExit(ctx, found), watcher].filter((f): f is Found => f !== null)
    .map((f) => (told && (f.cause === 'killed' || f.cause === 'native-crash' || f.cause === 'exit-nonzero') ? withTold(f, told) : f));
  return withGcTrace(ctx, all)
    .map((f, order) => ({ f, order }))
    .sort((a, b) => RANK[a.f.confidence] - RANK[b.f.confidence] || a.order - b.order)
    .map(({ f: { at: _at, ...rest } }) => rest);
}

/** Ranked remedies for a cause, using what the output told (port, package…). */
export function remediesFor(cause: CauseId, detail: OutputDetail = {}): RemedyRef[] {
  const restart = remedy('restart-server');
  switch (cause) {
    case 'heap-oom': {
      const base = detail.heapLimitMB ?? detail.heapUsedMB;
      const mb = base ? Math.max(Math.ceil((base * 2) / 256) * 256, 512) : 4096;
      return [remedy('raise-heap-limit', { megabytes: mb }, `Raise the heap limit to ${mb} MB`, `--max-old-space-size=${mb}, set where the script sets it`), restart];
    }
    case 'oom-kill':
    case 'oomd-kill':
      return [remedy('kill-zombies', undefined, 'Stop orphaned and zombie dev servers to free memory'), restart];
    case 'port-in-use':
      return [remedy('kill-port-holder', detail.port ? { port: detail.port } : undefined,
        detail.port ? `Stop the process holding port ${detail.port}` : 'Stop the process holding the port'), restart];
    case 'disk-full':
      return [remedy('free-disk', detail.path ? { path: detail.path } : undefined, 'Free disk space'), restart];
    case 'inotify-limit':
      return [remedy('raise-inotify-limit', { maxUserWatches: RECOMMENDED_MAX_USER_WATCHES }, undefined, inotifyRaiseLines({ asRoot: runningAsRoot() })[0]), restart];
    case 'missing-module':
      return detail.package
        ? [remedy('install-dependencies', { package: detail.package }, `Install dependencies (${detail.package} is missing)`), restart]
        : [];
    case 'too-many-open-files':
      return [{ ...restart, detail: 'Raise the descriptor limit first (ulimit -n 65536 in the shell that starts it).' }, remedy('raise-fd-limit', undefined, undefined, 'ulimit -n 65536')];
    default:
      return [restart];
  }
}
