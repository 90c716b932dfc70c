// The one reader of package.json scripts as sh sees them: commands split at && || ; | & ( ) and newlines,
// words with their quoted parts and source offsets (so a script can be edited in place), leading
// NAME=value assignments, and the quoting to write a word back.
//
// Quoting as sh: '…' is literal; in "…" a backslash escapes " \ $ ` and stays before anything else;
// outside quotes a backslash escapes a space, a quote or a shell operator and stays before anything else,
// so Windows paths (node_modules\.bin\vite) survive. Unterminated quotes run to the end.

export interface WordPart {
  /** '' for unquoted text. */
  readonly quote: '' | '\'' | '"';
  /** Text between the quotes as written (escapes kept). */
  readonly raw: string;
  /** Offsets of `raw` in the script (quotes excluded). */
  readonly start: number;
  readonly end: number;
}

export interface Word {
  readonly start: number;
  readonly end: number;
  readonly parts: readonly WordPart[];
}

export interface Assignment {
  readonly word: Word;
  readonly name: string;
  /** The value's parts; the first unquoted one starts after '='. */
  readonly value: readonly WordPart[];
}

/** One simple command: its words in order. */
export type Command = readonly Word[];

/** Characters a backslash escapes outside quotes (before anything else it is kept). */
const UNQUOTED_ESCAPES = /\\([\s"'\\$&|;()<>`])/g;
/** Characters a backslash escapes inside double quotes. */
const DOUBLE_QUOTED_ESCAPES = /\\(["\\$`\n])/g;

function isCommandBreak(script: string, i: number): boolean {
  const ch = script[i];
  if (ch === '\n' || ch === ';' || ch === '|' || ch === '(' || ch === ')') return true;
  // `&` ends a command, except in redirections: 2>&1, <&3, &>file
  return ch === '&' && script[i - 1] !== '>' && script[i - 1] !== '<' && script[i + 1] !== '>';
}

/** Splits a script into simple commands of words with offsets. */
export function parseCommands(script: string): Command[] {
  const commands: Word[][] = [];
  let words: Word[] = [];
  let parts: WordPart[] = [];
  let wordStart = -1;
  let plain = -1;
  const closePlain = (i: number): void => {
    if (plain >= 0) parts.push({ quote: '', raw: script.slice(plain, i), start: plain, end: i });
    plain = -1;
  };
  const closeWord = (i: number): void => {
    closePlain(i);
    if (wordStart >= 0) words.push({ start: wordStart, end: i, parts });
    wordStart = -1;
    parts = [];
  };
  const closeCommand = (i: number): void => {
    closeWord(i);
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (isCommandBreak(script, i)) {
      closeCommand(i);
      if ((ch === '&' || ch === '|') && script[i + 1] === ch) i++;
    } else if (/\s/.test(ch)) {
      closeWord(i);
    } else if (ch === '\'' || ch === '"') {
      if (wordStart < 0) wordStart = i;
      closePlain(i);
      let j = i + 1;
      while (j < script.length && script[j] !== ch) j += ch === '"' && script[j] === '\\' ? 2 : 1;
      const end = Math.min(j, script.length);
      parts.push({ quote: ch, raw: script.slice(i + 1, end), start: i + 1, end });
      i = end;
    } else {
      if (wordStart < 0) wordStart = i;
      if (plain < 0) plain = i;
      if (ch === '\\') i++;
    }
  }
  closeCommand(script.length);
  return commands;
}

/** The text of one part as the shell passes it (quotes removed, escapes resolved). */
export function partText(p: WordPart): string {
  if (p.quote === '\'') return p.raw;
  return p.raw.replace(p.quote === '"' ? DOUBLE_QUOTED_ESCAPES : UNQUOTED_ESCAPES, '$1');
}

/** The word as the shell would pass it. */
export function wordText(word: Word): string {
  return word.parts.map(partText).join('');
}

/** Each command of a script as the words the shell would pass. */
export function splitCommands(script: string): string[][] {
  return parseCommands(script).map((c) => c.map(wordText));
}

const NAME = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/** NAME=value when the word is an assignment (its name unquoted), else null. */
export function asAssignment(word: Word): Assignment | null {
  const first = word.parts[0];
  const m = first && first.quote === '' ? NAME.exec(first.raw) : null;
  if (!first || !m) return null;
  const rest = first.raw.slice(m[0].length);
  const head: WordPart[] = rest.length > 0 || word.parts.length === 1
    ? [{ quote: '', raw: rest, start: first.start + m[0].length, end: first.end }]
    : [];
  return { word, name: m[1]!, value: [...head, ...word.parts.slice(1)] };
}

/** A word for sh: as is when it is plain, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
