import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LoadIpcMessage } from '../../cli/load';
import { loadTarget } from '../../core/load/target';
import { DEFAULT_LOAD, type LoadTestReport } from '../../core/load/types';
import { renderLoadMarkdown } from '../../core/load/report';
import { readCrashSettings, workspaceFolderPaths } from '../config';
import { confirm } from '../ui';
import type { CommandContext } from './context';
import type { ShownReport } from './investigateCrash';
import { serverFromArg } from './pickServer';

/** The report shown, and the load test's own report. */
export interface LoadTestOutcome extends ShownReport {
  readonly report: LoadTestReport;
}

interface Plan { label: string; detail: string; stages: number[]; durationMs: number; leakRounds: number }

const PLANS: Plan[] = [
  { label: 'Standard', detail: '50, 100, 200, 500 connections for 10 s each, then a 5-round leak check (about 1.5 min)', stages: [...DEFAULT_LOAD.stages], durationMs: DEFAULT_LOAD.durationMs, leakRounds: DEFAULT_LOAD.leakRounds },
  { label: 'Quick', detail: '10 and 50 connections for 2 s each, then a 3-round leak check (about 15 s)', stages: [10, 50], durationMs: 2000, leakRounds: 3 },
];
const CUSTOM = 'Custom…';
/** After asking the load process to stop, how long it gets before SIGTERM (and then SIGKILL). */
const CANCEL_GRACE_MS = 5000;

async function choosePlan(): Promise<Plan | undefined> {
  const picked = await vscode.window.showQuickPick([...PLANS.map((p) => ({ ...p, plan: p as Plan | null })), { label: CUSTOM, detail: 'Your stages and duration', plan: null }], { placeHolder: 'Which load test?' });
  if (!picked) return undefined;
  if (picked.plan) return picked.plan;
  const stages = await vscode.window.showInputBox({
    prompt: 'Concurrent connections per stage, comma-separated (at most 10 stages, 2000 connections)', value: DEFAULT_LOAD.stages.join(','),
    validateInput: (v) => (/^\s*\d+(\s*,\s*\d+){0,9}\s*$/.test(v) && v.split(',').every((x) => Number(x) >= 1 && Number(x) <= 2000) ? null : 'e.g. 50,100,200,500'),
  });
  if (!stages) return undefined;
  const seconds = await vscode.window.showInputBox({
    prompt: 'Seconds per stage (0.2 to 120)', value: String(DEFAULT_LOAD.durationMs / 1000),
    validateInput: (v) => (Number(v) >= 0.2 && Number(v) <= 120 ? null : 'from 0.2 to 120'),
  });
  if (!seconds) return undefined;
  return { label: CUSTOM, detail: '', stages: stages.split(',').map((x) => Number(x.trim())), durationMs: Math.round(Number(seconds) * 1000), leakRounds: DEFAULT_LOAD.leakRounds };
}

/** Runs `dist/cli.js load` in a child process: the load generator must not share the extension host's thread. */
function runChild(args: string[], cwd: string, onMessage: (m: LoadIpcMessage) => void): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = fork(path.join(__dirname, 'cli.js'), ['load', ...args], {
    cwd, silent: true, env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  child.stdout?.resume();
  child.on('message', (m) => onMessage(m as LoadIpcMessage));
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stderr }));
    child.once('error', (err) => resolve({ code: null, stderr: `${stderr}\n${err.message}` }));
  });
  return { child, done };
}

/**
 * devServerDoctor.loadTest: a bounded load test and leak check of one of the workspace's servers, on a loopback URL
 * it listens on, with progress and cancel; the report (Markdown, JSON, SVG chart) is shown and saved with the crash reports.
 */
export function loadTestCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<ShownReport | undefined> => {
    const server = await serverFromArg(ctx, arg, (s) => (s.state === 'up' || s.state === 'orphaned') && s.ports.length > 0, 'Load test which server?');
    if (!server) return;
    const snap = ctx.snapshot() ?? await ctx.refresh.refresh('manual');
    if (!snap) return;
    const port = server.ports[0]!;
    const suggested = loadTarget(`http://localhost:${port}/`, snap);
    const url = await vscode.window.showInputBox({
      prompt: `URL to load test (a loopback URL ${server.name} listens on)`,
      value: 'url' in suggested ? suggested.url : `http://127.0.0.1:${port}/`,
      validateInput: (v) => { const t = loadTarget(v, ctx.snapshot() ?? snap); return 'refused' in t ? t.refused : null; },
    });
    if (!url) return;
    const target = loadTarget(url, ctx.snapshot() ?? snap);
    if ('refused' in target) {
      void vscode.window.showWarningMessage(`Dev Server Doctor: ${target.refused}`);
      return;
    }
    const plan = await choosePlan();
    if (!plan) return;
    const totalS = Math.round(((plan.stages.length + plan.leakRounds) * plan.durationMs) / 1000);
    const detail = `Sends GET ${target.url} from ${plan.stages.join(', ')} concurrent connections, ${plan.durationMs / 1000} s per stage `
      + `(at most ${DEFAULT_LOAD.maxRequestsPerStage.toLocaleString('en')} requests each), then repeats the first stage ${plan.leakRounds} times to look for a memory leak: about ${totalS} s. `
      + `${target.server.name} may slow down or fail under it; a crash is judged like any other. You can cancel at any time.`;
    if (!(await confirm(`Load test ${target.server.name}?`, detail, 'Start Load Test'))) return;
    const folders = workspaceFolderPaths();
    const settings = readCrashSettings();
    const saveDirs = [path.join(ctx.storageDir, 'reports'), ...(settings.reportFolder ? [settings.reportFolder] : [])];
    const args = ['--url', target.url, '--stages', plan.stages.join(','), '--duration', `${plan.durationMs / 1000}s`, '--leak-rounds', String(plan.leakRounds), '--json',
      ...saveDirs.flatMap((d) => ['--save', d]), ...folders.flatMap((f) => ['--workspace', f])];
    let report: LoadTestReport | null = null;
    let files: readonly string[] = [];
    let refused: string | null = null;
    const steps = plan.stages.length + plan.leakRounds;
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Load testing ${target.server.name}`, cancellable: true }, async (progress, token) => {
      const { child, done } = runChild(args, folders[0] ?? process.cwd(), (m) => {
        if (m.type === 'progress') progress.report({ message: m.progress.message, increment: 100 / steps });
        else if (m.type === 'report') { report = m.report; files = m.files; }
        else if (m.type === 'refused') refused = m.message;
      });
      ctx.running.set('devServerDoctor.loadTest', child.pid);
      const cancel = token.onCancellationRequested(() => {
        if (child.connected) child.send({ type: 'cancel' });
        setTimeout(() => { if (child.exitCode === null) child.kill('SIGTERM'); }, CANCEL_GRACE_MS).unref();
        setTimeout(() => { if (child.exitCode === null) child.kill('SIGKILL'); }, 2 * CANCEL_GRACE_MS).unref();
      });
      try {
        return await done;
      } finally {
        cancel.dispose();
        ctx.running.set('devServerDoctor.loadTest', null);
      }
    });
    const r = report as LoadTestReport | null;
    if (!r) {
      const why = refused ?? (outcome.stderr.trim().split('\n').slice(-3).join(' ') || `the load process exited with code ${outcome.code}`);
      void vscode.window.showWarningMessage(`Dev Server Doctor: the load test did not finish: ${why}`);
      return;
    }
    const chart = files.find((f) => f.endsWith('.svg'));
    const markdown = renderLoadMarkdown(r) + (files.length ? `\n---\nSaved as ${files.map((f) => `\`${f}\``).join(', ')}.\n` : '');
    ctx.reports.show(markdown, `Load test ${target.server.name}`, []);
    const shown: LoadTestOutcome = { markdown, files: [...files], problems: [...r.problems], verdicts: r.crashVerdicts.length, report: r };
    const best = r.stages.reduce((a, s) => Math.max(a, s.requestsPerSecond), 0);
    const summary = r.crashed ? `${target.server.name} died during the load test.`
      : `${target.server.name}: up to ${best} req/s over ${r.stages.length} stage(s)${r.leak ? `; ${r.leak.verdict.likelyLeak ? 'likely memory leak' : 'no leak found'}` : ''}${r.cancelled ? ' (cancelled)' : ''}.`;
    const choice = await vscode.window.showInformationMessage(`Dev Server Doctor: ${summary}`, ...(chart ? ['Open Chart'] : []));
    if (choice === 'Open Chart' && chart) await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(chart));
    return shown;
  };
}
