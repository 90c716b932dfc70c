// Removes secrets from anything the extension shows or saves. Every function is idempotent:
// redacting redacted text changes nothing, so callers may redact at every layer.

export const REDACTED = '«redacted»';

const SECRET_NAME = /KEY|TOKEN|SECRET|PASS|AUTH|CREDENTIAL|PRIVATE|COOKIE|SESSION/i;

/** True when a variable, property or flag name (dashes allowed) suggests a secret value. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/^-+/, ''));
}

// scheme://user:password@host — the password may itself hold '@' or ':' (greedy to the last '@').
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#'"`]*:)[^\s/?#'"`]+@/gi;
const HEADER = /\b((?:proxy-)?authorization|(?:set-)?cookie|x-[\w-]*(?:key|token|secret|auth)[\w-]*)(["']?\s*[:=]\s*["']?)(?:(bearer|basic|digest|token|negotiate)\s+)?[^\r\n"']+/gi;
const BEARER = /\b(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi;
const VALUE = `("[^"]*"|'[^']*'|[^\\s"'\`;&|,)}\\]]+)`;
// The character before a name is looked at, not consumed: a match just before (`'leak: ' + ('password: x')`) cannot hide it.
const ASSIGNMENT = new RegExp(`(?<=^|[^\\w.-])(-{0,2}[A-Za-z_][\\w.-]*)=${VALUE}`, 'g');
// The flag may be quoted itself, as a shell-quoting tool writes it: `'--password' 'x'`.
const SPACED_FLAG = new RegExp(`(?<=^|\\s)(["']?)(--?[A-Za-z][\\w.-]*)\\1(\\s+)(?!["']?-)${VALUE}`, 'g');
const QUOTED_PROPERTY = /(["']?)([A-Za-z_][\w.-]*)\1(\s*:\s*)(["'`])((?:(?!\4)[^\r\n])*)\4/g;

// Token shapes, whatever they are called: JWTs, GitHub, Stripe, Slack, AWS access key ids, npm tokens, PEM blocks.
const TOKEN_SHAPES: readonly RegExp[] = [
  /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}/g,
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}/g,
  /\bxox[abposr]-[A-Za-z0-9-]{8,}/g,
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?(?:-----END \1-----|$)/g,
];
// user:password@host without a scheme (git remotes, connection strings in prose); the scheme form is URL_CREDENTIALS.
const BARE_CREDENTIALS = /(^|[\s'"=(<,])([A-Za-z0-9._%+-]+):(?!\/\/)([^\s:@/'"`]+)@(?=[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d+)?(?:[/\s'"`,)>:]|$))/g;
// `password: x`, `API_KEY = "x"`, `token = x` (spaces around the sign; `a:b` without a space is a path or a port).
const SPACED_PAIR = /(?<=^|[^\w./-])([A-Za-z_][\w.-]*)(["']?)(\s*(?::\s|=)\s*|\s+=\s*)("[^"\r\n]*"|'[^'\r\n]*'|[^\s,;'"`]+)/g;
// `curl -u user:pass`, `--user user:pass`
const USER_FLAG = /((?:^|\s)(?:-u|--user)(?:\s+|=))(?:(["'])([^"':]*):((?:(?!\2).)+)\2|()([^\s:'"]*):([^\s'"]+))/g;
// `-p secret` / `-P secret` (a number is a port, a path or file name is a project file: both kept)
const SHORT_PASS_FLAG = /((?:^|\s)(["']?)-[pP]\2\s+)(?!["']?-)(["']?)([^\s'"]+)\3/g;
// `mysql -psecret`, `mysqldump -uroot -psecret`
const DB_ATTACHED_PASS = /(\b(?:mysql\w*|mariadb\w*)\b[^\n]*?\s-p)(?!\s)([^\s'"]+)/g;

const keepShortFlagValue = (v: string): boolean => /^\d+$/.test(v) || v === REDACTED || /[/\\]/.test(v) || /\.[A-Za-z]{1,5}$/.test(v);

// Values of secret-named variables of our own environment and of the processes we look at: redacted wherever they
// appear (an app printing its own API key in a log line), whatever the text calls them.
const MIN_SECRET_VALUE = 6;
const knownValues = new Set<string>();
let valuesPattern: RegExp | null = null;
let ownEnvLearned = false;

/** Remembers the values of secret-named variables of an environment so they are redacted by value too. */
export function learnSecretValues(env: Readonly<Record<string, string | undefined>>): void {
  let added = false;
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < MIN_SECRET_VALUE || !isSecretName(name) || knownValues.has(value)) continue;
    // Paths and flags are names of things, not secrets (GOOGLE_APPLICATION_CREDENTIALS=/k.json, SSH_AUTH_SOCK=/tmp/…).
    if (/^[/~.]/.test(value) || /^(?:true|false|null|undefined|\d+)$/i.test(value)) continue;
    knownValues.add(value);
    added = true;
  }
  if (added) {
    const alts = [...knownValues].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    valuesPattern = new RegExp(alts.join('|'), 'g');
  }
}

/** The secret values learned so far, from the `from`-th on: the poll worker hands the new ones to the main thread. */
export function learnedSecretValues(from = 0): string[] {
  return [...knownValues].slice(from);
}

/** Secret values learned elsewhere (the poll worker read them in a server's environment): redacted here too. */
export function rememberSecretValues(values: readonly string[]): void {
  learnSecretValues(Object.fromEntries(values.map((v, i) => [`SECRET_${i}`, v])));
}

function redactValues(s: string): string {
  if (!ownEnvLearned) {
    ownEnvLearned = true;
    learnSecretValues(process.env);
  }
  return valuesPattern ? s.replace(valuesPattern, REDACTED) : s;
}

/**
 * Redacts in free text: secret values we know, token shapes (JWT, GitHub, Stripe, Slack, AWS, npm, PEM blocks), URL
 * and user:password@host credentials, bearer tokens, auth headers, `-u user:pass`, `-p secret`, secret flags and
 * NAME=value / `name: value` / `NAME = "value"` pairs whose name suggests a secret.
 */
export function redactText(s: string): string {
  let out = redactValues(s);
  for (const re of TOKEN_SHAPES) out = out.replace(re, REDACTED);
  return out
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(BARE_CREDENTIALS, `$1$2:${REDACTED}@`)
    .replace(USER_FLAG, (m, pre: string, q1?: string, u1?: string, p1?: string, _e?: string, u2?: string, p2?: string) => {
      const [q, user, pass] = q1 ? [q1, u1!, p1!] : ['', u2!, p2!];
      return pass === REDACTED ? m : `${pre}${q}${user}:${REDACTED}${q}`;
    })
    .replace(DB_ATTACHED_PASS, (m, pre: string, v: string) => (v.startsWith(REDACTED) ? m : `${pre}${REDACTED}`))
    .replace(SHORT_PASS_FLAG, (m, pre: string, _fq: string, q: string, v: string) => (keepShortFlagValue(v) ? m : `${pre}${q}${REDACTED}${q}`))
    .replace(HEADER, (_m, name: string, sep: string, scheme: string | undefined) =>
      `${name}${sep}${scheme ? `${scheme} ` : ''}${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(ASSIGNMENT, (m, name: string) => (isSecretName(name) ? `${name}=${REDACTED}` : m))
    .replace(SPACED_FLAG, (m, q: string, flag: string, space: string) =>
      (isSecretName(flag) ? `${q}${flag}${q}${space}${REDACTED}` : m))
    .replace(QUOTED_PROPERTY, (m, q: string, name: string, sep: string, vq: string) =>
      (isSecretName(name) ? `${q}${name}${q}${sep}${vq}${REDACTED}${vq}` : m))
    .replace(SPACED_PAIR, (m, name: string, q: string, sep: string, value: string) => {
      if (!isSecretName(name) || value.includes(REDACTED) || /^(?:bearer|basic|digest|token|negotiate)$/i.test(value)) return m;
      const vq = /^["']/.test(value) ? value[0] : '';
      return `${name}${q}${sep}${vq}${REDACTED}${vq}`;
    });
}

/** Values of secret-named variables become «redacted»; other values lose embedded credentials. */
export function redactEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    out[name] = isSecretName(name) ? REDACTED : redactText(String(value));
  }
  return out;
}

/** argv with `--password x` (value in the next element) and everything redactText catches redacted. */
export function redactArgs(argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    const prev = i > 0 ? argv[i - 1] : '';
    if (/^--?[A-Za-z][\w.-]*$/.test(prev) && isSecretName(prev) && !arg.startsWith('-')) return REDACTED;
    if ((prev === '-p' || prev === '-P') && !arg.startsWith('-') && !keepShortFlagValue(arg)) return REDACTED;
    if ((prev === '-u' || prev === '--user') && /^[^:]*:./.test(arg)) return `${arg.slice(0, arg.indexOf(':'))}:${REDACTED}`;
    return redactText(arg);
  });
}

/** Every string value redacted (keys kept): the last line of defence before anything is shown or saved. */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map(redactDeep) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v)])) as T;
  }
  return value;
}
