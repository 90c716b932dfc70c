// "Raise Heap Limit…": how big a heap to propose (never more than the memory or cgroup can give), and the edits
// that put it into a package.json script or a NODE_OPTIONS value while keeping everything else as written.
// Why this file is long (~435 lines): proposing a size and editing it where the flag really is (command line,
// NODE_OPTIONS, cross-env, a nested npm script, an --env-file) must agree on the same reading of a script, so they sit together.
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type FormattingOptions, type ParseError } from 'jsonc-parser';
import { formatBytes } from '../format';
import { parseDotenv } from '../workspace/dotenv';
import { envFileNodeOptions, envFilesOf, heapLimitFromArgs, nodeOptionTokens, v8DefaultOldSpaceBytes } from '../heapLimit';
import type { HeapLimit, HeapLimitSource } from '../types';
import { asAssignment, parseCommands, wordText, type Assignment, type Command, type WordPart } from '../shell';

const MiB = 1024 * 1024;
/** Heap sizes are proposed in steps of this many MiB. */
const STEP_MB = 256;
/** Room left for everything that is not old space: code, young generation, buffers, native memory, other processes. */
const MIN_RESERVE_BYTES = 512 * MiB;
const RESERVE_SHARE = 0.25;
/** New heap relative to the old limit and to the peak RSS seen. */
const GROWTH = 1.5;
const PEAK_MARGIN = 1.25;

export interface HeapProposalInput {
  /** The current old-space limit; null when unknown (then V8's default for the memory is assumed). */
  readonly currentBytes: number | null;
  readonly source: HeapLimitSource | null;
  /** The highest resident memory the server was seen using. */
  readonly peakRssBytes: number;
  readonly totalMemBytes: number;
  readonly availableBytes: number;
  /** The memory cgroup's limit; null when unlimited or none. */
  readonly cgroupLimitBytes: number | null;
}

export type HeapProposal =
  | { readonly proposedMb: number; readonly reason: string; readonly warning: string | null }
  | { readonly refused: string };

const SOURCE_WORDS: Record<HeapLimitSource, string> = {
  flag: 'set by --max-old-space-size on its command line',
  NODE_OPTIONS: 'set by NODE_OPTIONS',
  default: 'V8\'s default for this much memory',
};

const mb = (bytes: number): number => Math.round(bytes / MiB);

/**
 * A heap size above the observed peak (with margin) and the current limit, in 256 MB steps, that still leaves room
 * below the machine's memory or the cgroup limit. Refuses when no such size exists: a heap the memory cannot hold
 * only trades a heap out-of-memory error for a kill by the kernel's OOM killer.
 */
export function proposeHeapLimit(input: HeapProposalInput): HeapProposal {
  const machine = input.totalMemBytes > 0 ? input.totalMemBytes : Infinity;
  const cgroup = input.cgroupLimitBytes !== null && input.cgroupLimitBytes > 0 ? input.cgroupLimitBytes : Infinity;
  const ceiling = Math.min(machine, cgroup);
  if (!Number.isFinite(ceiling)) return { refused: 'The machine\'s memory size is unknown, so no safe heap size can be worked out.' };
  const limitName = cgroup <= machine ? `the memory cgroup's ${formatBytes(cgroup)} limit` : `the machine's ${formatBytes(machine)} of RAM`;
  const current = input.currentBytes !== null && input.currentBytes > 0 ? input.currentBytes : v8DefaultOldSpaceBytes(ceiling);
  const usable = ceiling - Math.max(MIN_RESERVE_BYTES, ceiling * RESERVE_SHARE);
  const usableMb = Math.floor(usable / MiB / STEP_MB) * STEP_MB;
  const wantedMb = Math.ceil(Math.max(current * GROWTH, input.peakRssBytes * PEAK_MARGIN) / MiB / STEP_MB) * STEP_MB;
  const currentWords = `The current limit is ${mb(current)} MB (${SOURCE_WORDS[input.source ?? 'default']})`;

  if (usableMb <= mb(current) || usableMb * MiB < input.peakRssBytes) {
    return {
      refused: `${currentWords}, and ${limitName} leaves no room for more: node needs memory beyond its heap, so a larger heap `
        + 'would be killed by the kernel\'s OOM killer instead of failing with a heap error. Reduce the app\'s memory use, '
        + 'or give the machine or container more memory.',
    };
  }
  const proposedMb = Math.min(wantedMb, usableMb);
  const capped = proposedMb < wantedMb;
  const reason = `${currentWords}; the server peaked at ${formatBytes(input.peakRssBytes)} resident. `
    + (capped
      ? `${proposedMb} MB is the most ${limitName} can give while leaving ${formatBytes(ceiling - proposedMb * MiB)} for the rest.`
      : `${proposedMb} MB leaves margin above both and stays well below ${limitName}.`);
  const growth = proposedMb * MiB - current;
  const warning = growth > input.availableBytes
    ? `Only ${formatBytes(input.availableBytes)} of memory is free right now; the server can only grow its heap by as much as other programs leave free.`
    : null;
  return { proposedMb, reason, warning };
}

const HEAP_FLAG = /^--max[-_]old[-_]space[-_]size(?:=.*)?$/;
const HEAP_FLAG_ANYWHERE = /--max[-_]old[-_]space[-_]size/;

/** The value without any --max-old-space-size (both `=N` and `N` as the next token); other flags kept as written. */
function withoutHeapFlag(value: string): string {
  const tokens = nodeOptionTokens(value).map((t) => value.slice(t.start, t.end));
  const kept: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (!HEAP_FLAG.test(tokens[i])) kept.push(tokens[i]);
    else if (!tokens[i].includes('=') && /^\d+$/.test(tokens[i + 1] ?? '')) i++;
  }
  return kept.join(' ');
}

const heapFlag = (sizeMb: number): string => `--max-old-space-size=${sizeMb}`;

/**
 * NODE_OPTIONS with the heap limit set to `sizeMb`: an existing --max-old-space-size is replaced, every other
 * option kept. For the terminal-environment setting (terminal.integrated.env.*).
 */
export function mergeNodeOptions(existing: string | null | undefined, sizeMb: number): string {
  const rest = withoutHeapFlag(existing ?? '');
  return rest ? `${rest} ${heapFlag(sizeMb)}` : heapFlag(sizeMb);
}

export interface TextEdit {
  readonly offset: number;
  readonly length: number;
  readonly content: string;
}

/**
 * 'flag': node's own --max-old-space-size on the command line (it wins over NODE_OPTIONS, so it is edited where it
 * is); 'cross-env': NODE_OPTIONS as a cross-env argument; 'inline': an existing `NODE_OPTIONS=… cmd` prefix;
 * 'prefix': a new POSIX prefix.
 */
export type HeapEditForm = 'flag' | 'cross-env' | 'inline' | 'prefix';

export interface HeapScriptEdit {
  /** Edits of the package.json text, for an undoable WorkspaceEdit. */
  readonly edits: readonly TextEdit[];
  readonly newText: string;
  readonly oldScript: string;
  readonly newScript: string;
  readonly form: HeapEditForm;
  /** Scripts it runs (`npm run x`) whose node command line sets the flag: edited too, since theirs wins. */
  readonly nested: readonly { readonly script: string; readonly oldScript: string; readonly newScript: string }[];
}

/** Scripts of the same package a script runs: `npm run x`, `npm start`, `yarn x`, `pnpm [run] x`, `bun run x`. */
export function nestedScripts(script: string, scripts: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = [];
  for (const cmd of parseCommands(script)) {
    const shape = shapeOf(cmd);
    if (shape.program < 0) continue;
    const words = cmd.slice(shape.program).map(wordText);
    const pm = words[0].split('/').pop() ?? '';
    let name: string | undefined;
    if ((pm === 'npm' || pm === 'bun') && (words[1] === 'run' || words[1] === 'run-script')) name = words[2];
    else if (pm === 'npm' && ['start', 'test', 'stop', 'restart'].includes(words[1] ?? '')) name = words[1];
    else if (pm === 'pnpm' || pm === 'yarn') name = words[1] === 'run' ? words[2] : words[1];
    if (name && typeof scripts[name] === 'string' && !out.includes(name)) out.push(name);
  }
  return out;
}

/** Commands that are shell built-ins: an environment prefix means nothing to them (and cross-env cannot run them). */
const BUILTINS = new Set(['cd', 'export', 'set', 'unset', 'echo', 'exit', 'true', 'false', ':', 'test', '[', 'source', '.', 'shift', 'wait']);
const CROSS_ENV = /^(?:cross-env|cross-env-shell)$/;

interface CommandShape {
  /** Leading NAME=value words before the program. */
  readonly leading: readonly Assignment[];
  /** Index of the program word (after leading assignments); -1 when there is none. */
  readonly program: number;
  /** Assignments given to cross-env, when the program is cross-env. */
  readonly crossEnv: readonly Assignment[] | null;
  /** Where cross-env's arguments begin (to insert a new one). */
  readonly crossEnvArgsAt: number;
}

function shapeOf(cmd: Command): CommandShape {
  const leading: Assignment[] = [];
  let i = 0;
  for (; i < cmd.length; i++) {
    const a = asAssignment(cmd[i]);
    if (!a) break;
    leading.push(a);
  }
  const program = i < cmd.length ? i : -1;
  let crossAt = -1;
  if (program >= 0) {
    const name = (w: number): string => (cmd[w] ? wordText(cmd[w]).split('/').pop()! : '');
    if (CROSS_ENV.test(name(program))) crossAt = program + 1;
    else if (name(program) === 'npx' && CROSS_ENV.test(name(program + 1))) crossAt = program + 2;
  }
  if (crossAt < 0) return { leading, program, crossEnv: null, crossEnvArgsAt: -1 };
  const crossEnv: Assignment[] = [];
  for (let j = crossAt; j < cmd.length; j++) {
    const a = asAssignment(cmd[j]);
    if (!a) break;
    crossEnv.push(a);
  }
  return { leading, program, crossEnv, crossEnvArgsAt: cmd[crossAt]?.start ?? cmd[crossAt - 1].end + 1 };
}

interface Replacement {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

const SHELL_SPECIAL = /["'\\`$]/;

/** New text for an existing NODE_OPTIONS value: the heap flag replaced inside the parts, quoting kept or added. */
function editedValue(value: readonly WordPart[], sizeMb: number, crossEnv: boolean): string {
  const flag = heapFlag(sizeMb);
  const stripped = value.map((p) => ({ ...p, raw: withoutHeapFlag(p.raw) }));
  const quote = (p: { quote: string; raw: string }): string => `${p.quote}${p.raw}${p.quote}`;
  const last = stripped[stripped.length - 1];
  const before = stripped.slice(0, -1).map(quote).join('');
  if (stripped.length === 0 || (stripped.length === 1 && last.quote === '' && !SHELL_SPECIAL.test(last.raw.replace(/\$/g, '')))) {
    const raw = last?.raw ?? '';
    if (!raw) return flag;
    // cross-env's arguments must work in cmd.exe too, where only double quotes group.
    const q = crossEnv || raw.includes('$') ? '"' : '\'';
    return `${q}${raw} ${flag}${q}`;
  }
  const nonEmpty = stripped.some((p) => p.raw.length > 0);
  if (last.quote !== '') return `${before}${last.quote}${last.raw}${nonEmpty ? ' ' : ''}${flag}${last.quote}`;
  const q = crossEnv ? '"' : '\'';
  return `${before}${quote(last)}${q}${nonEmpty ? ' ' : ''}${flag}${q}`;
}

const NODE_EXE = /^(?:node|nodejs|node\.exe)$/;

/**
 * Node's own --max-old-space-size words on the command lines of a script (`node --max-old-space-size=128
 * server.js`, also `--max_old_space_size 128`): node options stop at the script name.
 */
function commandLineHeapFlags(cmd: Command, shape: CommandShape): Replacement[] {
  if (shape.program < 0 || !NODE_EXE.test(wordText(cmd[shape.program]).split('/').pop() ?? '')) return [];
  const found: Replacement[] = [];
  for (let i = shape.program + 1; i < cmd.length; i++) {
    const text = wordText(cmd[i]);
    if (text === '--' || !text.startsWith('-')) break;
    if (!HEAP_FLAG.test(text)) continue;
    const separate = !text.includes('=') && /^\d+$/.test(wordText(cmd[i + 1] ?? cmd[i]));
    found.push({ start: cmd[i].start, end: separate ? cmd[i + 1].end : cmd[i].end, text: '' });
    if (separate) i++;
  }
  return found;
}

/** Whether a script passes --max-old-space-size on node's own command line (then NODE_OPTIONS cannot change it). */
export function scriptSetsHeapFlag(script: string): boolean {
  return parseCommands(script).some((cmd) => commandLineHeapFlags(cmd, shapeOf(cmd)).length > 0);
}

/**
 * The script with its heap limit set where it takes effect: node's own --max-old-space-size edited in place
 * when the command line has one (it wins over NODE_OPTIONS); else existing NODE_OPTIONS edited; else a prefix
 * on every command that runs a program.
 */
export function scriptWithHeapLimit(script: string, sizeMb: number, useCrossEnv: boolean): { script: string; form: HeapEditForm } {
  const shapes = parseCommands(script).map((cmd) => ({ cmd, shape: shapeOf(cmd) }));
  const replacements: Replacement[] = [];
  let form: HeapEditForm | null = null;
  for (const { cmd, shape } of shapes) {
    for (const r of commandLineHeapFlags(cmd, shape)) replacements.push({ ...r, text: heapFlag(sizeMb) });
  }
  if (replacements.length > 0) {
    form = 'flag';
    // NODE_OPTIONS of the same script would now disagree: set it to the same size (it stays overridden).
    for (const { shape } of shapes) {
      for (const a of [...shape.leading, ...(shape.crossEnv ?? [])]) {
        if (a.name !== 'NODE_OPTIONS' || !a.value.some((p) => HEAP_FLAG_ANYWHERE.test(p.raw))) continue;
        const start = a.value[0]?.start ?? a.word.end;
        const first = a.value[0];
        replacements.push({ start: first && first.quote !== '' ? start - 1 : start, end: a.word.end, text: editedValue(a.value, sizeMb, shape.crossEnv?.includes(a) ?? false) });
      }
    }
  }
  const editExisting = (a: Assignment, crossEnv: boolean): void => {
    const start = a.value[0]?.start ?? a.word.end;
    const first = a.value[0];
    const from = first && first.quote !== '' ? start - 1 : start;
    replacements.push({ start: from, end: a.word.end, text: editedValue(a.value, sizeMb, crossEnv) });
    form ??= crossEnv ? 'cross-env' : 'inline';
  };
  if (form === null) {
    for (const { shape } of shapes) {
      for (const a of shape.leading) if (a.name === 'NODE_OPTIONS') editExisting(a, false);
      for (const a of shape.crossEnv ?? []) if (a.name === 'NODE_OPTIONS') editExisting(a, true);
    }
  }
  if (replacements.length === 0 && form === null) {
    for (const { cmd, shape } of shapes) {
      if (shape.program < 0 || BUILTINS.has(wordText(cmd[shape.program]))) continue;
      if (shape.crossEnv) {
        replacements.push({ start: shape.crossEnvArgsAt, end: shape.crossEnvArgsAt, text: `NODE_OPTIONS=${heapFlag(sizeMb)} ` });
        form ??= 'cross-env';
      } else {
        const at = cmd[shape.program].start;
        const text = useCrossEnv ? `cross-env NODE_OPTIONS=${heapFlag(sizeMb)} ` : `NODE_OPTIONS='${heapFlag(sizeMb)}' `;
        replacements.push({ start: at, end: at, text });
        form ??= useCrossEnv ? 'cross-env' : 'prefix';
      }
    }
  }
  let out = script;
  for (const r of replacements.sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return { script: out, form: form ?? 'prefix' };
}

/** Indentation and line ends as the file already uses them, for any text jsonc-parser has to lay out. */
function formattingOf(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return {
    insertSpaces: !indent.startsWith('\t'),
    tabSize: indent.startsWith('\t') ? 4 : indent.length,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

function dependsOn(root: ReturnType<typeof parseTree>, name: string): boolean {
  return ['dependencies', 'devDependencies'].some((field) => {
    const node = root && findNodeAtLocation(root, [field, name]);
    return node !== undefined && node.type === 'string';
  });
}

/**
 * Sets the heap limit of one package.json script: merged into NODE_OPTIONS (an existing --max-old-space-size
 * replaced, every other flag kept), in the cross-env form when the script uses cross-env or the project depends
 * on it (unless `crossEnv` says otherwise), else as a POSIX `NODE_OPTIONS='…'` prefix. Comments, indentation and
 * everything else in the file stay as they are. Returns the text edits and the new text, or why it cannot.
 */
export function applyHeapLimitToScript(
  packageJsonText: string,
  scriptName: string,
  sizeMb: number,
  opts: { crossEnv?: boolean } = {},
): HeapScriptEdit | { error: string } {
  if (!Number.isInteger(sizeMb) || sizeMb <= 0) return { error: `${sizeMb} is not a heap size in MB.` };
  const errors: ParseError[] = [];
  const root = parseTree(packageJsonText, errors, { allowTrailingComma: true });
  if (!root || root.type !== 'object' || errors.length > 0) return { error: 'package.json could not be parsed, so it was left as it is.' };
  const node = findNodeAtLocation(root, ['scripts', scriptName]);
  if (!node || node.type !== 'string') return { error: `package.json has no script named "${scriptName}".` };
  const oldScript = getNodeValue(node) as string;
  const { script: newScript, form } = scriptWithHeapLimit(oldScript, sizeMb, opts.crossEnv ?? dependsOn(root, 'cross-env'));
  const fmt = { formattingOptions: formattingOf(packageJsonText) };
  const outer = newScript === oldScript ? [] : modify(packageJsonText, ['scripts', scriptName], newScript, fmt);
  const edits: ReturnType<typeof modify> = [];
  // A nested script that sets the flag on node's command line overrides any NODE_OPTIONS from here: edit it
  // there too (each edit replaces one script's string, so they never overlap).
  const scriptsNode = findNodeAtLocation(root, ['scripts']);
  const scripts = (scriptsNode ? getNodeValue(scriptsNode) : {}) as Record<string, unknown>;
  const nested: { script: string; oldScript: string; newScript: string }[] = [];
  const visit = (name: string, depth: number): void => {
    for (const child of nestedScripts(scripts[name] as string, scripts)) {
      if (child === scriptName || nested.some((n) => n.script === child) || depth > 4) continue;
      const text = scripts[child] as string;
      if (scriptSetsHeapFlag(text)) {
        const changed = scriptWithHeapLimit(text, sizeMb, false).script;
        if (changed !== text) {
          nested.push({ script: child, oldScript: text, newScript: changed });
          edits.push(...modify(packageJsonText, ['scripts', child], changed, fmt));
        }
      }
      visit(child, depth + 1);
    }
  };
  visit(scriptName, 0);
  // A new NODE_OPTIONS prefix here would only be overridden by the nested flag: leave this script alone then.
  const keepOuter = !(form === 'prefix' && nested.length > 0);
  if (keepOuter) edits.push(...outer);
  edits.sort((a, b) => a.offset - b.offset);
  return {
    edits: edits.map(({ offset, length, content }) => ({ offset, length, content })),
    newText: applyEdits(packageJsonText, edits),
    oldScript,
    newScript: keepOuter ? newScript : oldScript,
    form: keepOuter ? form : 'flag',
    nested,
  };
}

/**
 * The heap limit a script would start node with (for a server that is down): node's own flag on a command line
 * that runs node, else NODE_OPTIONS set in the script, else `inherited` NODE_OPTIONS, else V8's default.
 */
export function heapLimitOfScript(script: string, totalMemBytes: number, inherited?: string | null, cwd?: string): HeapLimit {
  let fallback: HeapLimit | null = null;
  for (const cmd of parseCommands(script)) {
    const shape = shapeOf(cmd);
    if (shape.program < 0) continue;
    const options = [...shape.leading, ...(shape.crossEnv ?? [])].find((a) => a.name === 'NODE_OPTIONS');
    const set = options ? options.value.map((p) => p.raw).join('').replace(/\$NODE_OPTIONS|\$\{NODE_OPTIONS\}/g, inherited ?? '') : inherited ?? null;
    const env: Record<string, string> = set !== null ? { NODE_OPTIONS: set } : {};
    const words = cmd.slice(shape.program).map(wordText);
    const isNode = NODE_EXE.test(words[0].split('/').pop() ?? '');
    // An --env-file's NODE_OPTIONS counts where the command line and the environment set none.
    const fromFile = isNode && set === null && cwd !== undefined ? envFileNodeOptions(words, cwd) : null;
    const limit = heapLimitFromArgs(isNode ? words : ['node'], env, totalMemBytes, fromFile);
    if (limit.source !== 'default') return limit;
    fallback ??= limit;
  }
  return fallback ?? heapLimitFromArgs(['node'], { NODE_OPTIONS: inherited ?? '' }, totalMemBytes);
}

/**
 * The env files a script's node commands load themselves (`node --env-file=.env …`), relative to the script's folder,
 * when that command sets neither the flag nor NODE_OPTIONS (which would win over the file).
 */
export function scriptEnvFiles(script: string): string[] {
  const files: string[] = [];
  for (const cmd of parseCommands(script)) {
    const shape = shapeOf(cmd);
    if (shape.program < 0) continue;
    const words = cmd.slice(shape.program).map(wordText);
    if (!NODE_EXE.test(words[0].split('/').pop() ?? '')) continue;
    if ([...shape.leading, ...(shape.crossEnv ?? [])].some((a) => a.name === 'NODE_OPTIONS') || commandLineHeapFlags(cmd, shape).length > 0) continue;
    for (const f of envFilesOf(words)) if (!files.includes(f)) files.push(f);
  }
  return files;
}

export interface EnvFileHeapEdit {
  readonly edit: TextEdit;
  readonly oldLine: string | null;
  readonly newLine: string;
}

/**
 * Sets --max-old-space-size in an env file's NODE_OPTIONS where it is: the last NODE_OPTIONS line is rewritten
 * (its other options and an `export ` kept, the value double-quoted); a file without one gets a line at its end.
 */
export function applyHeapLimitToEnvFile(text: string, sizeMb: number): EnvFileHeapEdit {
  const line = /^([ \t]*(?:export[ \t]+)?NODE_OPTIONS[ \t]*=[ \t]*)(.*)$/gm;
  let last: RegExpExecArray | null = null;
  for (let m = line.exec(text); m; m = line.exec(text)) last = m;
  if (!last) {
    const newLine = `NODE_OPTIONS="${heapFlag(sizeMb)}"`;
    const sep = text.length === 0 || text.endsWith('\n') ? '' : (text.includes('\r\n') ? '\r\n' : '\n');
    return { edit: { offset: text.length, length: 0, content: `${sep}${newLine}\n` }, oldLine: null, newLine };
  }
  const raw = last[2].replace(/\r$/, '');
  const old = parseDotenv(`NODE_OPTIONS=${raw}`).NODE_OPTIONS ?? '';
  const newLine = `${last[1]}"${mergeNodeOptions(old, sizeMb).replace(/(["\\])/g, '\\$1')}"`;
  return { edit: { offset: last.index, length: last[1].length + raw.length, content: newLine }, oldLine: last[0].replace(/\r$/, ''), newLine };
}
