// Which port a resolved script listens on: its --port/-p flag, PORT it sets, PORT in .env files for the
// frameworks that read them, else the framework's default.
import type { Framework, PortSource } from '../types';
import { DOTENV_PORT_FRAMEWORKS, PORT_VARIABLES } from './frameworks';

type Env = Record<string, string>;

/** What port inference needs of a resolved command. */
export interface PortFacts {
  readonly framework: Framework;
  /** Where port flags are read. */
  readonly args: readonly string[];
  readonly defaultPort: number | null;
  /** Variables the script itself sets. */
  readonly env: Readonly<Env>;
}

/**
 * The raw value of the last --port / -p flag (`--port 3001`, `--port=3001`, `-p 3001`, `-p=3001`), or null.
 */
export function portFlagValue(args: readonly string[]): string | null {
  let value: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if ((a === '--port' || a === '-p') && i + 1 < args.length) value = args[++i];
    else if (a.startsWith('--port=')) value = a.slice('--port='.length);
    else if (a.startsWith('-p=')) value = a.slice('-p='.length);
  }
  return value;
}

/** A port number from text such as "3001", "$PORT", "${PORT}" or "${PORT:-3000}"; null unless 1…65535. */
export function parsePort(text: string | undefined, lookup: (name: string) => string | undefined = () => undefined): number | null {
  if (text === undefined) return null;
  const ref = /^\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)(?::?-([^}]*))?\})$/.exec(text.trim());
  const resolved = ref ? lookup(ref[1] ?? ref[2]) || ref[3] : text.trim();
  if (resolved === undefined || !/^\d{1,5}$/.test(resolved)) return null;
  const port = Number(resolved);
  return port >= 1 && port <= 65535 ? port : null;
}

export function expectedPort(inv: PortFacts, dotenv: Readonly<Env>): { expectedPort: number | null; portSource: PortSource | null } {
  const lookup = (k: string): string | undefined => inv.env[k] ?? dotenv[k];
  // create-react-app ignores flags; it reads PORT only
  const flag = inv.framework === 'react-scripts' ? null : parsePort(portFlagValue(inv.args) ?? undefined, lookup);
  if (flag) return { expectedPort: flag, portSource: 'flag' };
  const names = PORT_VARIABLES[inv.framework] ?? ['PORT'];
  for (const [env, source, applies] of [
    [inv.env, 'script-env', true],
    [dotenv, 'dotenv', DOTENV_PORT_FRAMEWORKS.has(inv.framework)],
  ] as const) {
    if (!applies) continue;
    for (const n of names) {
      const port = parsePort(env[n], lookup);
      if (port) return { expectedPort: port, portSource: source };
    }
  }
  return inv.defaultPort
    ? { expectedPort: inv.defaultPort, portSource: 'framework-default' }
    : { expectedPort: null, portSource: null };
}
