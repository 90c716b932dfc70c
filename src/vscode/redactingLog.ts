// The extension's log as the user sees it in the Output panel: every line redacted and free of control characters,
// whoever writes it (a verdict, a process command, an error message).
import type * as vscode from 'vscode';
import { terminalText } from '../core/terminalText';

const WRITERS = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);

function clean(arg: unknown): unknown {
  if (typeof arg === 'string') return terminalText(arg);
  if (arg instanceof Error) {
    const e = new Error(terminalText(arg.message));
    e.name = arg.name;
    e.stack = arg.stack === undefined ? undefined : terminalText(arg.stack);
    return e;
  }
  return arg;
}

/** The same channel, with what is written to it passed through terminalText first. */
export function redactingLog(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const fn = value as (...args: unknown[]) => unknown;
      if (typeof prop === 'string' && WRITERS.has(prop)) return (...args: unknown[]) => fn.apply(target, args.map(clean));
      return fn.bind(target);
    },
  });
}
