// What the output tells about the causes added after the first fifteen: a native module built for
// another Node or platform, a Node too old for the code, a privileged port, the process limit, a
// localhost that resolved to the other address family, a framework's build cache, the inspector's port.
// Pure. Patterns come from real output captured in test/fixtures/crash-output (see MANIFEST.md).

import { certainty, errorProps, finding, lastIndex, lastMessage, type Ctx, type Found, type OutputDetail } from '../output';
import { lastRunEvents, parseGcTrace } from './gcTrace';

const TRAILER = /^Node\.js v(\d+\.\d+\.\d+)\s*$/;

/** The version in the last "Node.js vX.Y.Z" trailer: the Node that crashed. */
export function trailerVersion(lines: readonly string[]): string | undefined {
  const i = lastIndex(lines, TRAILER);
  return i >= 0 ? TRAILER.exec(lines[i])![1] : undefined;
}

/** NODE_MODULE_VERSION → Node major (Node's own table, doc/abi_version_registry.json). */
const ABI_NODE: Record<number, number> = {
  64: 10, 67: 11, 72: 12, 79: 13, 83: 14, 88: 15, 93: 16, 102: 17, 108: 18, 111: 19, 115: 20, 120: 21, 127: 22, 131: 23, 137: 24, 141: 25,
};

export function nodeMajorOfAbi(abi: number): number | null {
  return ABI_NODE[abi] ?? null;
}

/** The npm package a path inside node_modules belongs to ('/a/node_modules/@s/p/build/x.node' → '@s/p'). */
export function packageOfPath(p: string): string | undefined {
  const m = /.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(p);
  return m ? m[1].replace(/\\/g, '/') : undefined;
}

function withVersion(ctx: Ctx, detail: OutputDetail): OutputDetail {
  const v = trailerVersion(ctx.lines);
  return v ? { ...detail, nodeVersion: v } : detail;
}

function detectAbi(ctx: Ctx): Found | null {
  const abiAt = lastIndex(ctx.lines, /was compiled against a different Node\.js version/);
  if (abiAt >= 0) {
    const block = ctx.lines.slice(Math.max(0, abiAt - 1), abiAt + 4).join('\n');
    const built = /using\s+NODE_MODULE_VERSION (\d+)/.exec(block);
    const running = /requires\s+NODE_MODULE_VERSION (\d+)/.exec(block);
    const file = /The module '([^']+)'/.exec(block)?.[1];
    const head = /The module '/.test(ctx.lines[abiAt]) ? abiAt : Math.max(0, abiAt - 1);
    const quoted = [head, abiAt, abiAt + 1, abiAt + 2].filter((i) => i < ctx.lines.length && /NODE_MODULE_VERSION|The module '/.test(ctx.lines[i]));
    const pkg = file ? packageOfPath(file) : undefined;
    return finding(ctx, abiAt, 'native-abi-mismatch', 'high', quoted, {
      detail: withVersion(ctx, {
        ...(file ? { path: file } : {}), ...(pkg ? { package: pkg, module: pkg } : {}),
        ...(built ? { builtAbi: Number(built[1]) } : {}), ...(running ? { runningAbi: Number(running[1]) } : {}),
      }),
    });
  }
  const elfAt = lastMessage(ctx.lines, /\.node: (?:invalid ELF header|wrong ELF class|file too short|Exec format error)|not a valid Win32 application|mach-o file, but is an incompatible architecture|slice is not valid mach-o/);
  if (elfAt >= 0) {
    const file = /(\/\S+?\.node|[A-Za-z]:\\\S+?\.node)\b/.exec(ctx.lines[elfAt])?.[1];
    const pkg = file ? packageOfPath(file) : undefined;
    return finding(ctx, elfAt, 'native-abi-mismatch', 'high', [elfAt], {
      detail: withVersion(ctx, { ...(file ? { path: file } : {}), ...(pkg ? { package: pkg, module: pkg } : {}) }),
      note: 'The native module was built for another operating system or CPU (node_modules copied between machines, or installed on the host and run in a container).',
    });
  }
  const esbuildAt = lastIndex(ctx.lines, /You installed esbuild for another platform than the one you're currently using/);
  if (esbuildAt >= 0) {
    const after = ctx.lines.slice(esbuildAt, esbuildAt + 12).join(' ');
    const m = /"(@esbuild\/[\w-]+)" package is present but this platform\s+needs the "(@esbuild\/[\w-]+)" package/.exec(after);
    const quoted = [esbuildAt, ...[1, 2, 3, 4, 5, 6, 7].map((k) => esbuildAt + k).filter((i) => i < ctx.lines.length && /package is present|needs the "/.test(ctx.lines[i]))];
    return finding(ctx, esbuildAt, 'native-abi-mismatch', 'high', quoted, {
      detail: withVersion(ctx, { package: 'esbuild', module: 'esbuild', ...(m ? { platformFound: m[1], platformWanted: m[2] } : {}) }),
    });
  }
  return null;
}

/** APIs and syntax a newer Node has; only the project's declared Node version turns these into a version mismatch. */
const NEWER_API = /^(?:Promise\.(?:withResolvers|try)|Object\.groupBy|Map\.groupBy|Array\.fromAsync|Iterator\.\w+|Set\.prototype\.\w+|process\.getBuiltinModule|\w+\.(?:toSorted|toReversed|toSpliced|with|findLast|findLastIndex|at|hasOwn|union|intersection|difference|symmetricDifference|isSubsetOf|isSupersetOf|isDisjointFrom|transferToFixedLength)|structuredClone|fetch|WebSocket|File|navigator|CustomEvent|Navigator|URLPattern)$/;

function detectNodeVersion(ctx: Ctx): Found | null {
  const builtin = lastMessage(ctx.lines, /No such built-in module: \S+|ERR_UNKNOWN_BUILTIN_MODULE/);
  if (builtin >= 0) {
    const api = /No such built-in module: (\S+)/.exec(ctx.lines[builtin])?.[1] ?? errorProps(ctx.lines, builtin + 1).code;
    // A built-in this Node does not have: a newer Node has it, or the name is misspelled.
    return finding(ctx, builtin, 'node-version-mismatch', 'medium', [builtin], { detail: withVersion(ctx, api ? { api } : {}) });
  }
  const fatal = ctx.fatal;
  if (!fatal) return null;
  const head = ctx.lines[fatal.headline] ?? '';
  const notFn = /^TypeError: ([\w$.]+) is not a function\b/.exec(head);
  const notDef = /^ReferenceError: ([\w$]+) is not defined\b/.exec(head);
  const api = notFn?.[1] ?? notDef?.[1];
  if (api && NEWER_API.test(api)) {
    return finding(ctx, fatal.headline, 'node-version-mismatch', 'low', [fatal.headline], { detail: withVersion(ctx, { api }) });
  }
  if (/^SyntaxError: /.test(head) && !/JSON|Unexpected end of JSON input|in JSON at position/.test(head)) {
    const src = fatal.caret ? fatal.caret.index - 1 : -1;
    return finding(ctx, fatal.headline, 'node-version-mismatch', 'low', [src, fatal.headline], { detail: withVersion(ctx, { api: head.replace(/^SyntaxError: /, '').slice(0, 120) }) });
  }
  return null;
}

function detectPortPermission(ctx: Ctx): Found | null {
  const at = lastMessage(ctx.lines, /listen EACCES|EACCES: permission denied [\w.:[\]]*:\d+|An attempt was made to access a socket in a way forbidden/);
  if (at < 0) return null;
  const props = errorProps(ctx.lines, at + 1);
  const m = /EACCES: permission denied (\S+):(\d+)/.exec(ctx.lines[at]);
  const port = m?.[2] ?? props.port;
  const address = m?.[1] ?? props.address;
  return finding(ctx, at, 'port-permission', certainty(ctx, at), [at], {
    detail: { syscall: 'listen', ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}), ...(address ? { address } : {}) },
  });
}

const EAGAIN_SPAWN = /spawn(?: \S+)? EAGAIN|fork: (?:retry: )?Resource temporarily unavailable|uv_thread_create|pthread_create(?: failed)?: Resource temporarily unavailable|Cannot fork|EAGAIN.*\b(?:fork|spawn|clone)\b|\bthread_create\b.*EAGAIN/;

function detectProcessLimit(ctx: Ctx): Found | null {
  const at = lastMessage(ctx.lines, EAGAIN_SPAWN);
  if (at < 0) return null;
  const props = errorProps(ctx.lines, at + 1);
  const syscall = props.syscall ?? (/uv_thread_create|pthread_create/.test(ctx.lines[at]) ? 'thread create' : /fork/.test(ctx.lines[at]) ? 'fork' : 'spawn');
  // Node's own start failing to create its worker threads is an assertion in the native stack.
  const conf = /uv_thread_create|fork: Resource temporarily unavailable/.test(ctx.lines[at]) ? 'high' : certainty(ctx, at);
  return finding(ctx, at, 'process-limit', conf, [at], { topFrame: null, detail: { syscall } });
}

function detectLocalhostFamily(ctx: Ctx): Found | null {
  const at = lastMessage(ctx.lines, /connect ECONNREFUSED (?:::1|\[::1\]|127\.0\.0\.1):\d+/);
  if (at < 0) return null;
  const m = /ECONNREFUSED \[?(::1|127\.0\.0\.1)\]?:(\d+)/.exec(ctx.lines[at])!;
  // Refused on one loopback family: only a listener on the other one (the socket table) makes it this cause.
  return finding(ctx, at, 'localhost-ipv6', 'low', [at], { detail: { syscall: 'connect', address: m[1], port: Number(m[2]) } });
}

/** Framework caches and what a corrupted or concurrently written one prints. */
const CACHES: readonly { readonly dir: string; readonly framework: string; readonly re: RegExp }[] = [
  // `next build` while `next dev` serves the same folder (captured: dev-server-output/next-dev-during-build.txt).
  { dir: '.next', framework: 'next', re: /in the React Client Manifest\. This is probably a bug in the React Server Components bundler|__webpack_modules__\[moduleId\] is not a function|Cannot find module '\.\/(?:chunks\/)?[\w.-]+\.js'|[\\/]\.next[\\/].*(?:ENOENT|Cannot find module|no such file or directory)|(?:ENOENT|Cannot find module).*[\\/]\.next[\\/]|\.next[\\/](?:server|static)[\\/].*(?:Unexpected end of|is not valid JSON)/ },
  { dir: 'node_modules/.vite', framework: 'vite', re: /Outdated Optimize Dep|node_modules[\\/]\.vite[\\/]deps[\\/].*(?:does not exist|ENOENT|Cannot find)|The file does not exist at ".*node_modules[\\/]\.vite/ },
  { dir: '.nuxt', framework: 'nuxt', re: /[\\/]\.nuxt[\\/].*(?:ENOENT|Cannot find module)/ },
  { dir: '.svelte-kit', framework: 'sveltekit', re: /[\\/]\.svelte-kit[\\/].*(?:ENOENT|Cannot find module)/ },
  { dir: 'node_modules/.cache', framework: 'webpack', re: /Caching failed for pack|PackFileCacheStrategy.*(?:Error|ENOENT)|node_modules[\\/]\.cache[\\/].*(?:ENOENT|invalid|unexpected end)/ },
  { dir: '.parcel-cache', framework: 'parcel', re: /[\\/]\.parcel-cache[\\/].*(?:ENOENT|corrupt)/ },
];

function detectBuildCache(ctx: Ctx): Found | null {
  let best: { at: number; dir: string; framework: string } | null = null;
  for (const c of CACHES) {
    const at = lastMessage(ctx.lines, c.re);
    if (at < 0) continue;
    // "Cannot find module './123.js'" is Next's chunk only when the require stack runs through .next.
    if (c.framework === 'next' && /Cannot find module '\.\//.test(ctx.lines[at]) && !ctx.lines.slice(at, at + 40).some((l) => /[\\/]\.next[\\/]/.test(l))) continue;
    if (!best || at > best.at) best = { at, dir: c.dir, framework: c.framework };
  }
  if (!best) return null;
  const near = ctx.lines.slice(best.at, best.at + 40).join('\n');
  const root = new RegExp(`(\\S*?)[\\\\/]${best.dir.replace(/[./]/g, (ch) => (ch === '.' ? '\\.' : '[\\\\/]'))}[\\\\/]`).exec(near)?.[1]?.replace(/^['"(]/, '');
  return finding(ctx, best.at, 'stale-build-cache', certainty(ctx, best.at), [best.at], {
    detail: { cacheDir: root ? `${root}/${best.dir}` : best.dir, framework: best.framework },
  });
}

function detectInspector(ctx: Ctx): Found | null {
  const at = lastIndex(ctx.lines, /Starting inspector on \S+ failed: address already in use/);
  if (at < 0) return null;
  const m = /Starting inspector on \[?([^\]\s]+?)\]?:(\d+) failed/.exec(ctx.lines[at]);
  // Node carries on without the inspector (--inspect), or exits (--inspect-brk): either way the debugger never attaches.
  return finding(ctx, at, 'inspector-port-in-use', ctx.exit.code !== null && ctx.exit.code !== 0 ? 'high' : 'medium', [at], {
    topFrame: null, detail: { ...(m ? { address: m[1], port: Number(m[2]) } : {}) },
  });
}

/** Findings of the newer causes, for classifyOutput. */
export function detectMoreCauses(ctx: Ctx): Found[] {
  return [detectAbi(ctx), detectPortPermission(ctx), detectProcessLimit(ctx), detectBuildCache(ctx), detectInspector(ctx), detectLocalhostFamily(ctx), detectNodeVersion(ctx)]
    .filter((f): f is Found => f !== null);
}

const GC_CAUSES = new Set(['heap-oom', 'killed', 'native-crash', 'exit-nonzero', 'watcher-waiting']);

/** V8's GC trace of the last run goes with the findings about how it ended (heap OOM, a kill): the memory kind reads it. */
export function withGcTrace<T extends Found>(ctx: Ctx, found: T[]): T[] {
  if (!/ ms: (?:Mark|Scavenge|Minor)/.test(ctx.text)) return found;
  const gc = lastRunEvents(parseGcTrace(ctx.text));
  if (!gc.length) return found;
  return found.map((f) => (GC_CAUSES.has(f.cause) ? { ...f, detail: { ...f.detail, gc } } : f));
}
