// What the suite files share: the extension's API, answers to vscode.window in place of the user, a test folder's
// before/after hooks and the last-resort cleanup of its processes. Not a test file (index.ts loads only *.test.js).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DevServerDoctorApi } from '../../../src/extension';
import { pidsInside, ProcessJar } from '../../live/liveHelpers';

export const EXTENSION_ID = 'dev-server-doctor.dev-server-doctor';

/** Activates the extension under test (VS Code does it once; later calls return the same API). */
export async function activateApi(): Promise<DevServerDoctorApi> {
  const ext = vscode.extensions.getExtension<DevServerDoctorApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return ext.activate();
}

type MessageFn = 'showErrorMessage' | 'showWarningMessage' | 'showInformationMessage';
/** The vscode.window functions a test may answer in place of the user. */
export type WindowFn = MessageFn | 'showQuickPick' | 'showInputBox' | 'withProgress';
export type Answer = (...args: any[]) => unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
export type Answers = Partial<Record<WindowFn, Answer>>;
/** A message shown while `answering` ran, and whether it was a modal one. */
export interface Shown { message: string; modal: boolean }

/**
 * Replaces vscode.window functions while `fn` runs, and records every message shown (`said`, and with
 * modality `shown`). Two forms:
 * - a record of answers: warning and information messages are always replaced, and one without an answer
 *   (or whose answer is undefined) is dismissed; error messages, quick picks, input boxes and progress are
 *   replaced only when answered here (an unanswered error still shows for real);
 * - one function, answering the warning and information messages it recognises: those it returns undefined
 *   for show for real (the extension's own toasts go on as a user would see them).
 */
export async function answering<T>(
  answers: Answers | ((message: string) => string | undefined),
  fn: (said: string[], shown: Shown[]) => PromiseLike<T>,
): Promise<T> {
  const w = vscode.window as unknown as Record<WindowFn, Answer>;
  const passThrough = typeof answers === 'function';
  const table: Answers = passThrough ? { showWarningMessage: answers, showInformationMessage: answers } : answers;
  const messages: MessageFn[] = ['showWarningMessage', 'showInformationMessage', ...(table.showErrorMessage ? ['showErrorMessage' as const] : [])];
  const others = (['showQuickPick', 'showInputBox', 'withProgress'] as const).filter((k) => table[k]);
  const saved = Object.fromEntries([...messages, ...others].map((k) => [k, w[k]])) as Record<WindowFn, Answer>;
  const said: string[] = [];
  const shown: Shown[] = [];
  for (const k of messages) {
    w[k] = (message: string, ...rest: unknown[]) => {
      const options = rest[0] && typeof rest[0] === 'object' ? rest[0] as vscode.MessageOptions : undefined;
      const text = typeof message === 'string' ? message : JSON.stringify(message);
      said.push(text);
      shown.push({ message: text, modal: options?.modal === true });
      const answer = table[k]?.(message, ...rest);
      return passThrough && answer === undefined ? saved[k].call(vscode.window, message, ...rest) : Promise.resolve(answer);
    };
  }
  for (const k of others) w[k] = table[k]!;
  try {
    return await fn(said, shown);
  } finally {
    Object.assign(w, saved);
  }
}

/**
 * A showQuickPick answer: the items `choose` accepts (all of them for canPickMany, else the first);
 * `offered`, when given, sees every item offered first.
 */
export const pick = (choose: (item: any) => boolean, offered?: (items: any[]) => void) => // eslint-disable-line @typescript-eslint/no-explicit-any
  async (items: readonly any[] | Thenable<readonly any[]>, opts?: vscode.QuickPickOptions) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const all = [...await items];
    offered?.(all);
    const list = all.filter(choose);
    return opts?.canPickMany ? list : list[0];
  };

/**
 * SIGKILLs every process whose working folder (/proc/PID/cwd) is `dir` or inside it, by pid, never by name:
 * the last-resort cleanup of servers the extension started in terminals a test's jar does not know.
 * Returns the pids signalled.
 */
export function killProcessesUnder(dir: string): number[] {
  if (!fs.existsSync(dir)) return [];
  const pids = pidsInside(fs.realpathSync(dir));
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return pids;
}

/**
 * The hooks a suite working in its own folder of the fixture workspace shares, registered in the calling describe:
 * before, apply `settings` (workspace scope); after, undo them and every key in `resets` (those its tests set), stop
 * the jar's processes and any other still working in the folder (by pid), delete the folder and refresh the views.
 */
export function testFolder(name: string, { settings = {}, resets = [] }: { settings?: Record<string, unknown>; resets?: string[] } = {}) {
  const ws = process.env.DSD_TEST_WORKSPACE!;
  const root = path.join(ws, name);
  const jar = new ProcessJar();
  const cfg = () => vscode.workspace.getConfiguration('devServerDoctor');
  before(async () => {
    for (const [key, value] of Object.entries(settings)) await cfg().update(key, value, vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    for (const key of new Set([...Object.keys(settings), ...resets])) await cfg().update(key, undefined, vscode.ConfigurationTarget.Workspace);
    await jar.cleanup();
    killProcessesUnder(root);
    fs.rmSync(root, { recursive: true, force: true });
    await vscode.commands.executeCommand('devServerDoctor.refresh');
  });
  return { ws, root, jar };
}
