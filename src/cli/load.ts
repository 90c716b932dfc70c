// `dev-server-doctor load [--url URL] [--stages 50,100,200,500] [--duration 10s] [--json]`: a bounded load test and
// leak check of one of the workspace's own servers (loopback only), judged by the verdict engine if it dies.
// Forked by the VS Code extension (Load Test Server…) with an IPC channel: progress and the report go over it.
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
import { UsageError, type CliIo, type Flags } from './args';
import { parseVerbArgs, type Verb } from './verb';

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

type LoadFlags = Omit<LoadCliOptions, 'json' | 'workspaces'>;

function whole(v: string, lo: number, hi: number, what: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < lo || n > hi) throw new UsageError(`${what} takes a whole number from ${lo} to ${hi}, not "${v}".`);
  return n;
}

function loadOptions(flags: Flags, cwd: string): LoadFlags {
  const stagesGiven = flags.value('--stages');
  const stages = stagesGiven === undefined ? [...DEFAULT_LOAD.stages] : stagesGiven.split(',').map((s) => whole(s.trim(), 1, 2000, '--stages'));
  if (stages.length === 0 || stages.length > 10) throw new UsageError('--stages takes 1 to 10 comma-separated connection counts.');
  let durationMs = DEFAULT_LOAD.durationMs;
  const d = flags.value('--duration');
  if (d !== undefined) {
    const ms = parseDuration(/^\d+(?:\.\d+)?$/.test(d) ? `${d}s` : d);
    if (ms === null || ms < 200 || ms > 120_000) throw new UsageError('--duration takes 0.2s to 120s per stage, e.g. 10s.');
    durationMs = ms;
  }
  const leak = flags.value('--leak-rounds');
  const max = flags.value('--max-requests');
  return {
    url: flags.value('--url') ?? null,
    stages,
    durationMs,
    leakRounds: leak === undefined ? DEFAULT_LOAD.leakRounds : whole(leak, 0, 20, '--leak-rounds'),
    maxRequestsPerStage: max === undefined ? DEFAULT_LOAD.maxRequestsPerStage : whole(max, 1, 2_000_000, '--max-requests'),
    saveDirs: flags.paths('--save', cwd),
  };
}

/** Messages to a parent that forked us with IPC (the VS Code extension). */
export type LoadIpcMessage =
  | { readonly type: 'progress'; readonly progress: LoadProgress }
  | { readonly type: 'refused'; readonly message: string }
  | { readonly type: 'report'; readonly report: LoadTestReport; readonly files: readonly string[]; readonly problems: readonly string[] };

export interface LoadIo extends CliIo {
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

/** Its options from a command line (the verb's own parser); throws UsageError. */
export function parseLoadArgs(argv: readonly string[], cwd: string): LoadCliOptions {
  const args = parseVerbArgs(load, argv, cwd);
  if (args === null) throw new UsageError('load --help asks for the usage, not a test.');
  return args;
}

/**
 * `load`: parses, wires Ctrl-C / SIGTERM and a parent's cancel (the extension forks it with IPC) to an
 * abort, and runs the test.
 */
export const load: Verb<LoadFlags> = {
  name: 'load',
  summary: "a load test of one of the workspace's servers, then a leak check (the first stage repeated)",
  details: [
    'only loopback URLs on a port a workspace server listens on; without --url, the one server that listens',
    'exit 0; 1 when the test met problems (the server crashed, errors); 2 when refused or on bad usage',
  ],
  flags: [
    { name: '--url', value: 'URL', help: "the server's loopback URL (default: the workspace's one listening server)" },
    { name: '--stages', value: 'N,N,…', help: `connections per stage (default ${DEFAULT_LOAD.stages.join(',')}; 1 to 10 stages)` },
    { name: '--duration', value: 'DURATION', help: `each stage's length, 0.2s to 120s (default ${DEFAULT_LOAD.durationMs / 1000}s)` },
    { name: '--leak-rounds', value: 'N', help: `repeat the first stage N times to check for a leak (default ${DEFAULT_LOAD.leakRounds})` },
    { name: '--max-requests', value: 'N', help: 'stop a stage after N requests' },
    { name: '--save', value: 'DIR', repeatable: true, help: 'save the report (Markdown, JSON, SVG) in DIR' },
  ],
  options: loadOptions,
  async run(args, io, deps) {
    const abort = new AbortController();
    const stop = () => abort.abort();
    const signals = deps.signals ?? process;
    signals.once('SIGINT', stop);
    signals.once('SIGTERM', stop);
    const onMessage = (m: unknown) => { if ((m as { type?: string } | null)?.type === 'cancel') abort.abort(); };
    process.on('message', onMessage);
    const send = process.send ? (m: LoadIpcMessage) => { process.send?.(m); } : undefined;
    try {
      return await runLoad(args, { ...io, signal: abort.signal, ...(send ? { send } : {}) });
    } finally {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      process.off('message', onMessage);
      if (process.connected) process.disconnect();
    }
  },
};
