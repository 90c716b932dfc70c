// Language-model tools for VS Code's agent mode: devServerDoctor_status, devServerDoctor_investigate and
// devServerDoctor_applyRemedy. They answer from the extension's live state (the last snapshot, the crashes
// it judged), in the same words a user reads; a remedy goes through the same command, and so the same
// confirmation dialogs, as the user's click. `vscode.lm.registerTool` exists from VS Code 1.95: on older
// builds (the engine allows 1.93) nothing is registered and the extension activates as before.
import * as vscode from 'vscode';
import { plainRemedy, renderMarkdown, verdictJson } from '../core/crash/report';
import { isRemedyId, REMEDIES, remedy, type RemedyArgs } from '../core/remedies/catalogue';
import { redactDeep, redactText } from '../core/redact';
import { toStatusJson } from '../core/statusJson';
import type { CommandContext } from './commands/context';
import { investigateWorkspace } from './commands/investigateCrash';
import { runRemedy } from './ui';

/** The parts of the 1.95+ API used here, declared locally: @types/vscode follows the 1.93 engine. */
interface LmToolResultCtor { new (parts: unknown[]): unknown }
interface LmTextPartCtor { new (text: string): unknown }
interface LmApi {
  registerTool(name: string, tool: {
    invoke(options: { input: unknown }, token: vscode.CancellationToken): Promise<unknown>;
    prepareInvocation?(options: { input: unknown }, token: vscode.CancellationToken): unknown;
  }): vscode.Disposable;
}

export const LM_TOOL_NAMES = ['devServerDoctor_status', 'devServerDoctor_investigate', 'devServerDoctor_applyRemedy'] as const;

/** Registers the tools where the API exists; returns what to dispose (empty on older VS Code). */
export function registerLanguageModelTools(ctx: CommandContext): vscode.Disposable[] {
  const api = vscode as unknown as { lm?: Partial<LmApi>; LanguageModelToolResult?: LmToolResultCtor; LanguageModelTextPart?: LmTextPartCtor };
  const lm = api.lm;
  const Result = api.LanguageModelToolResult;
  const Text = api.LanguageModelTextPart;
  if (!lm?.registerTool || !Result || !Text) {
    ctx.log.info('This VS Code has no language-model tool API (1.95+): the agent tools are not registered.');
    return [];
  }
  const text = (s: string): unknown => new Result([new Text(redactText(s))]);
  const registerTool = lm.registerTool.bind(lm);

  return [
    registerTool('devServerDoctor_status', {
      invoke: async () => {
        const snap = ctx.snapshot() ?? await ctx.refresh.refresh('manual');
        if (!snap) return text('Dev Server Doctor has not read the system yet; try again in a moment.');
        const json = toStatusJson(snap);
        const lines = json.servers.map((s) => `- ${s.name}: ${s.state}${s.pid !== null ? `, pid ${s.pid}` : ''}${s.ports.length ? `, port ${s.ports.join(', ')}` : ''}`);
        return text(`Dev servers of this workspace:\n${lines.join('\n') || '- none found'}\n\nFull status (JSON):\n${JSON.stringify(redactDeep(json), null, 2)}`);
      },
    }),
    registerTool('devServerDoctor_investigate', {
      prepareInvocation: () => ({ invocationMessage: 'Investigating why the dev server stopped…' }),
      invoke: async () => {
        const inv = await investigateWorkspace(ctx);
        const head = inv.verdicts.length
          ? inv.verdicts.map((v) => `- ${v.summary}${v.remedies[0] ? ` Top remedy: ${v.remedies[0].title} (id ${v.remedies[0].id}).` : ''}`).join('\n')
          : '- No crash recorded in that time.';
        return text(`Verdicts, newest first:\n${head}\n\nVerdicts (JSON):\n${JSON.stringify(inv.verdicts.map(verdictJson), null, 2)}\n\nReport:\n${renderMarkdown(inv, plainRemedy)}`);
      },
    }),
    registerTool('devServerDoctor_applyRemedy', {
      prepareInvocation: (options) => {
        const input = (options.input ?? {}) as { id?: unknown };
        const id = isRemedyId(input.id) ? input.id : null;
        return {
          invocationMessage: id ? `Applying "${REMEDIES[id].title}"…` : 'Applying a remedy…',
          confirmationMessages: id ? { title: REMEDIES[id].title, message: `${REMEDIES[id].what} Dev Server Doctor still asks before anything destructive.` } : undefined,
        };
      },
      invoke: async (options) => {
        const input = (options.input ?? {}) as { id?: unknown } & RemedyArgs;
        if (!isRemedyId(input.id)) return text(`Unknown remedy id "${String(input.id)}". Known: ${Object.keys(REMEDIES).join(', ')}.`);
        const { id, ...args } = input;
        // The same command as the user's click: its own confirmations, trust checks and ownership checks apply.
        await runRemedy(remedy(id, args));
        return text(`Ran "${REMEDIES[id].title}" through its command; the user confirmed or declined in its dialog. Call devServerDoctor_status to see the result.`);
      },
    }),
  ];
}
