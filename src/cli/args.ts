// The CLI's one argument parser: flags declared by each verb, `--flag VALUE` and `--flag=VALUE`,
// the flags every verb takes (--workspace, --json, --help) and the one UsageError.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SystemProbe } from '../core/types';

/**
 * The flag of a destructive action (--kill, --clean) and the --yes that confirms it: without --yes it is a dry run
 * (read back with Flags.confirmed).
 */
export function confirmFlags(action: string, help: string): FlagSpec[] {
  return [{ name: action, help: `${help} (a dry run without --yes)` }, { name: '--yes', help: `confirm ${action}` }];
}

/** "Dry run: nothing was stopped. Add --kill --yes to stop them."; `asked`: the action was given, only --yes is missing. */
export function dryRunLine(action: string, asked: boolean, nothingWas: string, toDo: string): string {
  return `Dry run: nothing was ${nothingWas}. Add ${asked ? '' : `${action} `}--yes to ${toDo}.`;
}

/** Bad usage: printed with the verb's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, readonly verb?: string) {
    super(message);
  }
}

export interface CliIo {
  readonly stdout: { write(s: string): unknown; readonly isTTY?: boolean };
  readonly stderr: { write(s: string): unknown; readonly isTTY?: boolean };
}

/** What the verbs use from the machine; tests pass their own. */
export interface CliDeps {
  readonly cwd?: string;
  /** Input passed to a command the CLI runs (`run`); default: none. */
  readonly stdin?: NodeJS.ReadableStream & { isTTY?: boolean; unref?: () => void };
  /** Where stop signals arrive for a verb that forwards them (`run`, `load`); default: process. */
  readonly signals?: Pick<NodeJS.Process, 'on' | 'off' | 'once'>;
  readonly probe?: SystemProbe;
  /** Resolves when a long-running verb (watch) should stop; default: SIGINT or SIGTERM. */
  readonly untilStopped?: () => Promise<void>;
}

export interface FlagSpec {
  /** `--since`. */
  readonly name: string;
  /** `-w`. */
  readonly alias?: string;
  /** What the value is called in the help (`DURATION`); absent: a switch. */
  readonly value?: string;
  /** May be given more than once. */
  readonly repeatable?: boolean;
  readonly help: string;
}

/** Flags every verb takes. */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: '--workspace', alias: '-w', value: 'DIR', repeatable: true, help: 'a workspace folder (repeatable; default: the current directory)' },
  { name: '--json', help: 'machine-readable output' },
  { name: '--help', alias: '-h', help: "this verb's usage" },
];

/** Parsed flags: switches given, values given (in order). */
export class Flags {
  private readonly switches = new Set<string>();
  private readonly valueMap = new Map<string, string[]>();
  /** The words after `--` (a command to run), for verbs that take one; empty otherwise. */
  readonly rest: string[] = [];

  has(name: string): boolean {
    return this.switches.has(name);
  }

  values(name: string): string[] {
    return this.valueMap.get(name) ?? [];
  }

  /** The last value given, if any. */
  value(name: string): string | undefined {
    return this.valueMap.get(name)?.at(-1);
  }

  /** A number in [min, max], or undefined when the flag is absent. */
  number(name: string, min: number, max: number, what = `a number from ${min} to ${max}`): number | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} takes ${what}.`);
    return n;
  }

  /** The last value, one of `allowed`, or undefined when the flag is absent. */
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.value(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) {
      throw new UsageError(`${name} takes ${allowed.length > 1 ? `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}` : allowed[0]}.`);
    }
    return v as T;
  }

  /** Whole numbers given to a repeatable flag, each in [min, max]. */
  integers(name: string, min: number, max: number): number[] {
    return this.values(name).map((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}.`);
      return n;
    });
  }

  /** Paths given to a repeatable flag, resolved against cwd. */
  paths(name: string, cwd: string): string[] {
    return this.values(name).map((d) => path.resolve(cwd, d));
  }

  /** `--yes` confirms `action` (--kill, --clean); --yes alone is a mistake worth telling. */
  confirmed(action: string): boolean {
    if (this.has('--yes') && !this.has(action)) throw new UsageError(`--yes confirms ${action}; add ${action}.`);
    return this.has(action) && this.has('--yes');
  }

  /** `takesCommand`: words after `--` are a command (kept in `rest`), not flags. */
  static parse(argv: readonly string[], specs: readonly FlagSpec[], takesCommand = false): Flags {
    const flags = new Flags();
    const byName = new Map<string, FlagSpec>();
    for (const s of specs) {
      byName.set(s.name, s);
      if (s.alias) byName.set(s.alias, s);
    }
    const rest = [...argv];
    while (rest.length > 0) {
      const arg = rest.shift()!;
      if (arg === '--' && takesCommand) {
        flags.rest.push(...rest);
        break;
      }
      const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
      const given = eq > 0 ? arg.slice(0, eq) : arg;
      const spec = byName.get(given);
      if (!spec) throw new UsageError(`Unknown option "${arg}"${takesCommand ? ' (the command goes after --)' : ''}.`);
      if (spec.value === undefined) {
        if (eq > 0) throw new UsageError(`${spec.name} takes no value.`);
        flags.switches.add(spec.name);
        continue;
      }
      const value = eq > 0 ? arg.slice(eq + 1) : rest.shift();
      if (value === undefined || value === '') throw new UsageError(`${spec.name} needs a value.`);
      const seen = flags.valueMap.get(spec.name) ?? [];
      flags.valueMap.set(spec.name, spec.repeatable ? [...seen, value] : [value]);
    }
    return flags;
  }
}

/**
 * The --workspace folders (default: cwd) as real paths, so they compare with processes' working
 * directories (which the kernel reports resolved).
 */
export function workspaceFolders(flags: Flags, cwd: string): string[] {
  const dirs = flags.values('--workspace');
  return (dirs.length ? dirs : [cwd]).map((d) => {
    const abs = path.resolve(cwd, d);
    try {
      if (fs.statSync(abs).isDirectory()) return fs.realpathSync.native(abs);
    } catch {
      // reported below
    }
    throw new UsageError(`Workspace folder not found: ${abs}`);
  });
}
