// Help text, generated from the verbs' declarations: every verb and every flag, nothing written twice.
import { COMMON_FLAGS, type FlagSpec } from './args';
import type { Verb } from './verb';

export const PROGRAM = 'dev-server-doctor';

function synopsis(f: FlagSpec): string {
  return `[${f.name}${f.value ? ` ${f.value}` : ''}${f.repeatable ? ' ...' : ''}]`;
}

function flagLines(flags: readonly FlagSpec[]): string[] {
  const names = flags.map((f) => `${f.name}${f.alias ? `, ${f.alias}` : ''}${f.value ? ` ${f.value}` : ''}`);
  const width = Math.max(0, ...names.map((n) => n.length)) + 2;
  return flags.map((f, i) => `    ${names[i]!.padEnd(width)}${f.help}`);
}

/** One verb: its synopsis, what it does, its own flags. */
export function verbUsage(verb: Verb, withCommon = true): string {
  const common = COMMON_FLAGS.filter((f) => f.name !== '--help');
  const lines = [
    `  ${PROGRAM} ${verb.name} ${[...verb.flags, ...common].map(synopsis).join(' ')}${verb.takesCommand ? ` -- ${verb.takesCommand}` : ''}`,
    `    ${verb.summary}`,
    ...(verb.details ?? []).map((d) => `    ${d}`),
    ...flagLines(verb.flags),
  ];
  if (withCommon) lines.push('', '  Flags of every verb:', ...flagLines(COMMON_FLAGS));
  return `${lines.join('\n')}\n`;
}

/** Everything: each verb with its flags, then the flags every verb takes. */
export function fullUsage(verbs: readonly Verb[]): string {
  const width = Math.max(...verbs.map((v) => v.name.length), 'help'.length) + 2;
  return [
    'Dev Server Doctor — why did my dev server die?',
    '',
    `Usage: ${PROGRAM} VERB [FLAGS]     (from a clone: node dist/cli.js VERB [FLAGS])`,
    '',
    'Verbs:',
    ...verbs.map((v) => `  ${v.name.padEnd(width)}${v.summary}`),
    `  ${'help'.padEnd(width)}this text; \`help VERB\` or \`VERB --help\` for one verb`,
    '',
    ...verbs.map((v) => verbUsage(v, false)),
    'Flags of every verb:',
    ...flagLines(COMMON_FLAGS),
    '',
  ].join('\n');
}
