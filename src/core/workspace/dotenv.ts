// Reads .env files the way the dotenv package does, closely enough to find PORT and friends.

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*/;

/**
 * Parses .env text into a record. Understands comments, `export KEY=`, single, double and backtick
 * quotes (a quoted value may span lines), \n \r \t escapes in double quotes, ` # comment` after an
 * unquoted value (a '#' without a space before it is part of the value, as in URLs), CRLF, a BOM and
 * empty values. Malformed lines are skipped; a later key overrides an earlier one.
 */
export function parseDotenv(text: string): Record<string, string> {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < src.length) {
    const eol = lineEnd(src, pos);
    const m = ASSIGNMENT.exec(src.slice(pos, eol));
    if (!m) {
      pos = eol + 1;
      continue;
    }
    const valueStart = pos + m[0].length;
    const quoted = readQuoted(src, valueStart);
    if (quoted) {
      out.set(m[1], quoted.value);
      pos = lineEnd(src, quoted.end) + 1;
    } else {
      out.set(m[1], src.slice(valueStart, eol).replace(/(^|[ \t])#.*$/, '').trim());
      pos = eol + 1;
    }
  }
  // fromEntries defines own properties, so a key like __proto__ stays a plain key
  return Object.fromEntries(out);
}

function lineEnd(src: string, from: number): number {
  const i = src.indexOf('\n', from);
  return i < 0 ? src.length : i;
}

/** A quoted value starting at `start`, or null when there is no quote or it is never closed. */
function readQuoted(src: string, start: number): { value: string; end: number } | null {
  const quote = src[start];
  if (quote !== '"' && quote !== "'" && quote !== '`') return null;
  let value = '';
  for (let i = start + 1; i < src.length; i++) {
    const ch = src[i];
    if (ch === quote) return { value, end: i + 1 };
    if (ch === '\\' && quote === '"' && i + 1 < src.length) {
      const next = src[++i];
      value += ESCAPES[next] ?? '\\' + next;
    } else {
      value += ch;
    }
  }
  return null;
}
