// Just enough of POSIX shell syntax to edit package.json scripts in place: commands split at && || ; | &, words
// with their quoted parts and offsets, and leading NAME=value assignments.

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

/** Splits a script into simple commands. Unterminated quotes run to the end, as the shell would complain anyway. */
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
    const ch = script[i];
    const prev = script[i - 1];
    if (ch === ' ' || ch === '\t') {
      closeWord(i);
    } else if (ch === '\n' || ch === ';' || ch === '|' || (ch === '&' && prev !== '>' && prev !== '<' && script[i + 1] !== '>')) {
      closeCommand(i);
      if ((ch === '&' || ch === '|') && script[i + 1] === ch) i++;
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

const NAME = /^([A-Za-z_][A-Za-z0-9_]*)=/;

/** NAME=value when the word is an assignment (its name unquoted), else null. */
export function asAssignment(word: Word): Assignment | null {
  const first = word.parts[0];
  const m = first && first.quote === '' ? NAME.exec(first.raw) : null;
  if (!m) return null;
  const rest = first.raw.slice(m[0].length);
  const head: WordPart[] = rest.length > 0 || word.parts.length === 1
    ? [{ quote: '', raw: rest, start: first.start + m[0].length, end: first.end }]
    : [];
  return { word, name: m[1], value: [...head, ...word.parts.slice(1)] };
}

/** The word as the shell would pass it, quotes removed (backslash escapes resolved). */
export function wordText(word: Word): string {
  return word.parts.map((p) => (p.quote === '\'' ? p.raw : p.raw.replace(/\\(.)/g, '$1'))).join('');
}
