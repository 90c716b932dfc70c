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
const ASSIGNMENT = new RegExp(`(^|[^\\w.-])(-{0,2}[A-Za-z_][\\w.-]*)=${VALUE}`, 'g');
const SPACED_FLAG = new RegExp(`(^|\\s)(--?[A-Za-z][\\w.-]*)(\\s+)(?!-)${VALUE}`, 'g');
const QUOTED_PROPERTY = /(["']?)([A-Za-z_][\w.-]*)\1(\s*:\s*)(["'`])((?:(?!\4)[^\r\n])*)\4/g;

/** Redacts URL credentials, bearer tokens, auth headers, secret flags and NAME=value assignments in free text. */
export function redactText(s: string): string {
  return s
    .replace(URL_CREDENTIALS, `$1${REDACTED}@`)
    .replace(HEADER, (_m, name: string, sep: string, scheme: string | undefined) =>
      `${name}${sep}${scheme ? `${scheme} ` : ''}${REDACTED}`)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(ASSIGNMENT, (m, pre: string, name: string) => (isSecretName(name) ? `${pre}${name}=${REDACTED}` : m))
    .replace(SPACED_FLAG, (m, pre: string, flag: string, space: string) =>
      (isSecretName(flag) ? `${pre}${flag}${space}${REDACTED}` : m))
    .replace(QUOTED_PROPERTY, (m, q: string, name: string, sep: string, vq: string) =>
      (isSecretName(name) ? `${q}${name}${q}${sep}${vq}${REDACTED}${vq}` : m));
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
