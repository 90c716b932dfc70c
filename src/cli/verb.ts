// What a CLI verb is, and how one runs: parse its flags, resolve the workspace, run, map errors to exit codes.
import { COMMON_FLAGS, Flags, UsageError, workspaceFolders, type CliDeps, type CliIo, type FlagSpec } from './args';
import { verbUsage } from './help';

/** What every verb gets besides its own options. */
export interface CommonArgs {
  readonly command: string;
  readonly json: boolean;
  /** Real paths of the --workspace folders (default: the current directory). */
  readonly workspaces: string[];
}

export interface Verb<O extends object = object> {
  /** What the user types: `status`. */
  readonly name: string;
  /** One line for the verb list in the help. */
  readonly summary: string;
  /** More lines for the verb's own help (what the flags do together, exit codes). */
  readonly details?: readonly string[];
  /** Its own flags, besides --workspace, --json and --help. */
  readonly flags: readonly FlagSpec[];
  /** It runs a command given after `--`; this names it in the help (`COMMAND [ARGS…]`). */
  readonly takesCommand?: string;
  /**
   * It writes to the real stdout/stderr itself: `mcp` speaks JSON-RPC, `run` passes the command's output
   * through untouched (colours, progress bars) and redacts the lines it builds. Every other verb's
   * output passes the CLI's redacting, control-character-stripping sink.
   */
  readonly rawOutput?: boolean;
  /** Its options from the parsed flags; throws UsageError for bad values. */
  options(flags: Flags, cwd: string): O;
  /** Runs it; resolves to the exit code. */
  run(args: CommonArgs & O, io: CliIo, deps: CliDeps): Promise<number>;
}

export function allFlags(verb: Verb): FlagSpec[] {
  return [...COMMON_FLAGS, ...verb.flags];
}

/** Parses a verb's arguments; null when --help was asked for. */
export function parseVerbArgs<O extends object>(verb: Verb<O>, argv: readonly string[], cwd: string): (CommonArgs & O) | null {
  const flags = Flags.parse(argv, allFlags(verb), verb.takesCommand !== undefined);
  if (flags.has('--help')) return null;
  const options = verb.options(flags, cwd);
  return { command: verb.name, json: flags.has('--json'), workspaces: workspaceFolders(flags, cwd), ...options };
}

/** Runs a verb: exit 2 with its usage on bad usage, 1 with the message on an error, else what the verb returns. */
export async function runVerb<O extends object>(verb: Verb<O>, argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  try {
    const args = parseVerbArgs(verb, argv, deps.cwd ?? process.cwd());
    if (args === null) {
      io.stdout.write(verbUsage(verb));
      return 0;
    }
    return await verb.run(args, io, deps);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n\n${verbUsage(verb)}`);
      return 2;
    }
    io.stderr.write(`dev-server-doctor ${verb.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
