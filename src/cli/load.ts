// `dev-server-doctor load [--url URL] [--stages 50,100,200,500] [--duration 10s] [--json]`: a bounded load test and
// leak check of one of the workspace's own servers (loopback only), judged by the verdict engine if it dies.
// Forked by the VS Code extension (Load Test Server…) with an IPC channel: progress and the report go over it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Verdict } from '../core/crash/types';
import { CrashWatcher } from '../core/crash/watcher';
import { parseDuration } from '../core/format';
import { runLoadTest, type LoadProgress } from '../core/load/run';
import { loadReportJson, renderLoadMarkdown, saveLoadReport } from '../core/load/report';
import { loadTarget } from '../core/load/target';
import { DEFAULT_LOAD, type LoadTestReport } from '../core/load/types';
import { Monitor } from '../core/monitor';
import { redactText } from '../core/redact';
import { DEFAULT_SETTINGS } from '../core/settings';
import { createProbe } from '../core/system/probe';

export const LOAD_USAGE = `  node dist/cli.js load [--url URL] [--stages 50,100,200,500] [--duration 10s] [--leak-rounds 5]
                        [--max-requests N] [--json] [--save DIR ...] [--workspace DIR ...]
               a load test of one of the workspace's servers, then a leak check (the first stage repeated);
               only loopback URLs on a port a workspace server listens on`;

export interface LoadCliOptions {
  readonly url: string | null;
  readonly stages: readonly number[];
  readonly durationMs: number;
  readonly leakRounds: number;
  readonly maxRequestsPerStage: number;
  readonly json: boolean;
  readonly saveDirs: readonly string[];
  readonly workspaces: readonly string[];
}

export class LoadUsageError extends Error {}

/** Parses the verb's arguments (the CLI's common parser may replace this). */
export function parseLoadArgs(argv: readonly string[], cwd: string): LoadCliOptions {
  const o = {
    url: null as string | null, stages: [...DEFAULT_LOAD.stages], durationMs: DEFAULT_LOAD.durationMs, leakRounds: DEFAULT_LOAD.leakRounds,
    maxRequestsPerStage: DEFAULT_LOAD.maxRequestsPerStage, json: false, saveDirs: [] as string[], workspaces: [] as string[],
  };
  const rest = [...argv];
  while (rest.length) {
    const a = rest.shift()!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? rest.shift();
      if (v === undefined || v === '') throw new LoadUsageError(`${flag} needs a value.`);
      return v;
    };
    const int = (v: string, lo: number, hi: number, what: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < lo || n > hi) throw new LoadUsageError(`${what} takes a whole number from ${lo} to ${hi}, not "${v}".`);
      return n;
    };
    if (flag === '--url') o.url = value();
    else if (flag === '--stages') o.stages = value().split(',').map((s) => int(s.trim(), 1, 2000, '--stages'));
    else if (flag === '--duration') {
      const v = value();
      const ms = parseDuration(/^\d+(?:\.\d+)?$/.test(v) ? `${v}s` : v);
      if (ms === null || ms < 200 || ms > 120_000) throw new LoadUsageError('--duration takes 0.2s to 120s per stage, e.g. 10s.');
      o.durationMs = ms;
    } else if (flag === '--leak-rounds') o.leakRounds = int(value(), 0, 20, '--leak-rounds');
    else if (flag === '--max-requests') o.maxRequestsPerStage = int(value(), 1, 2_000_000, '--max-requests');
    else if (flag === '--json') o.json = true;
    else if (flag === '--save') o.saveDirs.push(path.resolve(cwd, value()));
    else if (flag === '--workspace' || flag === '-w') o.workspaces.push(path.resolve(cwd, value()));
    else throw new LoadUsageError(`Unknown option "${a}".`);
  }
  if (o.stages.length === 0 || o.stages.length > 10) throw new LoadUsageError('--stages takes 1 to 10 comma-separated connection counts.');
  if (o.workspaces.length === 0) o.workspaces.push(path.resolve(cwd));
  for (const w of o.workspaces) if (!fs.existsSync(w) || !fs.statSync(w).isDirectory()) throw new LoadUsageError(`Workspace folder not found: ${w}`);
  return o;
}

/** Messages to a parent that forked us with IPC (the VS Code extension). */
export type LoadIpcMessage =
  | { readonly type: 'progress'; readonly progress: LoadProgress }
  | { readonly type: 'refused'; readonly message: string }
  | { readonly type: 'report'; readonly report: LoadTestReport; readonly files: readonly string[]; readonly problems: readonly string[] };

export interface LoadIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly send?: (m: LoadIpcMessage) => void;
  /** Aborts the test (Ctrl-C, SIGTERM, the parent's cancel). */
  readonly signal?: AbortSignal;
}

export async function runLoad(o: LoadCliOptions, io: LoadIo): Promise<number> {
  const monitor = new Monitor({ probe: createProbe(), workspaceFolders: o.workspaces, settings: DEFAULT_SETTINGS });
  const crashes = new CrashWatcher(monitor);
  try {
    const snap = await monitor.pollOnce();
    const target = loadTarget(o.url, snap);
    if ('refused' in target) {
      io.stderr.write(`${redactText(target.refused)}\n`);
      io.send?.({ type: 'refused', message: redactText(target.refused) });
      return 2;
    }
    const server = target.server;
    const verdicts: Verdict[] = [];
    crashes.onVerdict((v) => { if (v.detail?.serverId === server.id || v.server === server.name) verdicts.push(v); });
    // Polls during the test so a death is seen and judged like any crash.
    monitor.start();
    if (!o.json) io.stderr.write(`${redactText(`Load testing ${server.name} at ${target.url}`)} (pid ${server.pid})…\n`);
    const result = await runLoadTest(
      { url: target.url, stages: o.stages, durationMs: o.durationMs, maxRequestsPerStage: o.maxRequestsPerStage, leakRounds: o.leakRounds, requestTimeoutMs: DEFAULT_LOAD.requestTimeoutMs },
      {
        pid: server.pid,
        ...(io.signal ? { signal: io.signal } : {}),
        onProgress: (p) => {
          if (!o.json) io.stderr.write(`  ${p.message}\n`);
          io.send?.({ type: 'progress', progress: p });
        },
      },
    );
    if (result.crashed) {
      // Give the watcher the polls it needs to judge the death (it waits for the exit to settle).
      const until = Date.now() + 8000;
      while (verdicts.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
    }
    const report: LoadTestReport = {
      generatedAt: Date.now(), url: target.url, server: server.name, pid: server.pid,
      options: { stages: o.stages, durationMs: o.durationMs, maxRequestsPerStage: o.maxRequestsPerStage, leakRounds: o.leakRounds, requestTimeoutMs: DEFAULT_LOAD.requestTimeoutMs },
      stages: result.stages, leak: result.leak, crashed: result.crashed, cancelled: result.cancelled, problems: result.problems,
      crashVerdicts: verdicts.map((v) => ({ cause: v.cause, summary: v.summary })),
    };
    const saved = o.saveDirs.length ? saveLoadReport(report, o.saveDirs) : { files: [], problems: [] };
    for (const p of saved.problems) io.stderr.write(`${p}\n`);
    for (const f of saved.files) io.stderr.write(`saved ${f}\n`);
    io.stdout.write(o.json ? `${JSON.stringify(loadReportJson(report), null, 2)}\n` : renderLoadMarkdown(report));
    io.send?.({ type: 'report', report: loadReportJson(report), files: saved.files, problems: saved.problems });
    return result.problems.length ? 1 : 0;
  } finally {
    crashes.dispose();
    monitor.dispose();
  }
}

/** Entry from cli.ts: parses, wires Ctrl-C / SIGTERM / the parent's cancel to an abort. */
export async function loadCommand(argv: readonly string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<number> {
  let o: LoadCliOptions;
  try {
    o = parseLoadArgs(argv, process.cwd());
  } catch (err) {
    if (err instanceof LoadUsageError) {
      io.stderr.write(`${err.message}\n\nUsage:\n${LOAD_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const onMessage = (m: unknown) => { if ((m as { type?: string } | null)?.type === 'cancel') abort.abort(); };
  process.on('message', onMessage);
  const send = process.send ? (m: LoadIpcMessage) => { process.send?.(m); } : undefined;
  try {
    return await runLoad(o, { ...io, signal: abort.signal, ...(send ? { send } : {}) });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.off('message', onMessage);
    if (process.connected) process.disconnect();
  }
}
