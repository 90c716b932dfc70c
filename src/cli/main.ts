// `dev-server-doctor VERB [FLAGS]` (dist/cli.js): the same core as the extension, from a terminal.
//
// Adding a verb is one file and one line:
//   1. src/cli/<verb>.ts exports a `Verb` (see verb.ts): its name, a one-line summary, its own flags
//      (FlagSpec: name, value placeholder, help), `options(flags, cwd)` turning parsed flags into typed
//      options (throw UsageError for bad values), and `run(args, io, deps)` resolving to the exit code.
//      --workspace/-w, --json and --help come with every verb; args.workspaces are real paths.
//   2. Register it in VERBS below. The help text, the parser and the exit codes follow from it.
// Output goes to io.stdout / io.stderr only (tests pass their own); secrets go through core/redact.
import { safeSink, terminalText } from '../core/terminalText';
import { UsageError, type CliDeps, type CliIo } from './args';
import { disk } from './disk';
import { fullUsage, verbUsage } from './help';
import { investigate } from './investigate';
import { load } from './load';
import { mcp } from './mcp';
import { status } from './status';
import { run } from './run';
import { parseVerbArgs, runVerb, type CommonArgs, type Verb } from './verb';
import { watch } from './watch';
import { zombies } from './zombies';

export const VERBS: readonly Verb[] = [
  status,
  watch,
  investigate,
  zombies,
  disk,
  run,
  load,
  mcp,
];

export const USAGE = fullUsage(VERBS);

function verbNamed(name: string): Verb | undefined {
  return VERBS.find((v) => v.name === name);
}

const isHelp = (a: string | undefined) => a === undefined || a === 'help' || a === '--help' || a === '-h';

/** A verb's parsed arguments (its own options as further fields); command 'help' for help. */
export type CliArgs = CommonArgs & Record<string, unknown>;

/** Parses a whole command line; throws UsageError. */
export function parseArgs(argv: readonly string[], cwd: string): CliArgs {
  const [name, ...rest] = argv;
  if (isHelp(name)) return { command: 'help', json: false, workspaces: [] };
  const verb = verbNamed(name!);
  if (!verb) throw new UsageError(`Unknown command "${name}".`);
  // Each verb's options are its own fields; callers that know the verb read them.
  return (parseVerbArgs(verb, rest, cwd) as CliArgs | null) ?? { command: 'help', json: false, workspaces: [] };
}

export async function main(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (isHelp(name)) {
    if (name !== 'help' || rest[0] === undefined) {
      io.stdout.write(USAGE);
      return 0;
    }
    const one = verbNamed(rest[0]);
    if (one) io.stdout.write(verbUsage(one));
    else io.stderr.write(`Unknown command "${rest[0]}".\n\n${USAGE}`);
    return one ? 0 : 2;
  }
  const verb = verbNamed(name!);
  if (!verb) {
    io.stderr.write(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  return runVerb(verb, rest, io, deps);
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  // Everything printed passes redaction and loses control characters, whatever the verb builds; a verb
  // with rawOutput (mcp's JSON-RPC, run's pass-through of the command's output) redacts what it builds itself.
  const raw = verbNamed(argv[0] ?? '')?.rawOutput === true;
  const io = raw ? { stdout: process.stdout, stderr: process.stderr } : { stdout: safeSink(process.stdout), stderr: safeSink(process.stderr) };
  main(argv, io, { stdin: process.stdin, signals: process }).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`dev-server-doctor: ${terminalText(err instanceof Error ? err.message : String(err))}\n`);
      process.exitCode = 1;
    },
  );
}
