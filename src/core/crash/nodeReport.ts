// Node.js diagnostic reports (report.*.json from --report-on-fatalerror and friends): found, read with
// a size bound, and summarised without secrets.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { userFrame } from './output';
import { learnSecretValues, redactArgs, redactEnv, redactText } from '../redact';

export interface NodeReportSummary {
  /** 'OOMError', 'FatalError', 'Exception', 'Signal', 'JavaScript API'… */
  readonly trigger: string | null;
  /** e.g. "Allocation failed - JavaScript heap out of memory". */
  readonly event: string | null;
  readonly pid: number | null;
  /** Epoch ms of the dump. */
  readonly time: number | null;
  readonly cwd: string | null;
  readonly commandLine: string[];
  readonly nodeVersion: string | null;
  readonly filename: string | null;
  readonly heap: { readonly usedBytes: number | null; readonly totalBytes: number | null; readonly limitBytes: number | null };
  readonly errorMessage: string | null;
  /** Top of javascriptStack.stack. */
  readonly stack: string[];
  readonly topFrame: string | null;
  /** Only a few harmless variables, redacted. */
  readonly env: Record<string, string>;
}

export type NodeReportResult = { ok: true; report: NodeReportSummary } | { ok: false; problem: string };

const STACK_FRAMES = 5;
const SAFE_ENV = ['NODE_OPTIONS', 'NODE_ENV', 'PORT', 'HOST', 'npm_lifecycle_event', 'npm_lifecycle_script', 'npm_package_name'];
const MAX_REPORT_BYTES = 32 * 1024 * 1024;
const MAX_DIR_ENTRIES = 5000;
const MAX_REPORTS = 20;
const REPORT_NAME = /^report\..*\.json$/;

type Json = Record<string, unknown>;

const obj = (v: unknown): Json | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v as Json : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
};

function dumpTime(header: Json): number | null {
  const stamp = num(header.dumpEventTimeStamp);
  if (stamp !== null) return stamp;
  const t = Date.parse(str(header.dumpEventTime) ?? '');
  return Number.isNaN(t) ? null : t;
}

/** Summary of a report's text; malformed, truncated or non-report JSON gives ok:false and why. */
export function parseNodeReport(text: string): NodeReportResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `The Node.js report is not valid JSON (truncated or corrupted): ${(err as Error).message}.` };
  }
  const root = obj(data);
  const header = root && obj(root.header);
  if (!root || !header) return { ok: false, problem: 'The file is JSON but not a Node.js diagnostic report (it has no "header").' };

  const jsStack = obj(root.javascriptStack) ?? {};
  const heap = obj(root.javascriptHeap) ?? {};
  const frames = (Array.isArray(jsStack.stack) ? jsStack.stack : [])
    .map(str).filter((f): f is string => f !== null && f.trim() !== '' && f.trim() !== 'Unavailable.')
    .slice(0, STACK_FRAMES).map((f) => redactText(f.trim()));
  const envIn = obj(root.environmentVariables) ?? {};
  // The crashed process's secrets: redacted by value from now on, wherever its log or stack repeats them.
  learnSecretValues(Object.fromEntries(Object.entries(envIn).filter(([, v]) => typeof v === 'string')) as Record<string, string>);
  const env = redactEnv(Object.fromEntries(Object.entries(envIn)
    .filter(([k, v]) => SAFE_ENV.includes(k) && typeof v === 'string') as [string, string][]));
  const commandLine = Array.isArray(header.commandLine) ? header.commandLine.map((a) => String(a)) : [];
  const message = str(jsStack.message);
  const event = str(header.event);
  const cwd = str(header.cwd);

  return {
    ok: true,
    report: {
      trigger: str(header.trigger),
      event: event && redactText(event),
      pid: num(header.processId),
      time: dumpTime(header),
      cwd: cwd && redactText(cwd),
      commandLine: redactArgs(commandLine),
      nodeVersion: str(header.nodejsVersion),
      filename: str(header.filename),
      heap: { usedBytes: num(heap.usedMemory), totalBytes: num(heap.totalMemory), limitBytes: num(heap.memoryLimit) },
      errorMessage: message && message !== 'No stack.' ? redactText(message) : null,
      stack: frames,
      topFrame: userFrame(frames),
      env,
    },
  };
}

/** Reads and summarises one report file (bounded in size). Never throws. */
export function readNodeReport(file: string): NodeReportResult {
  try {
    const size = fs.statSync(file).size;
    if (size > MAX_REPORT_BYTES) return { ok: false, problem: `${file} is ${Math.round(size / 1048576)} MB, too large for a Node.js report; skipped.` };
    const result = parseNodeReport(fs.readFileSync(file, 'utf8'));
    return result.ok ? result : { ok: false, problem: `${file}: ${result.problem}` };
  } catch (err) {
    return { ok: false, problem: `${file} could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).` };
  }
}

/** report.*.json files modified since `sinceMs` directly inside `dirs`, newest first, at most 20. */
export function findNodeReports(dirs: readonly string[], sinceMs: number): string[] {
  const found: { file: string; mtime: number }[] = [];
  for (const dir of new Set(dirs)) {
    let handle: fs.Dir | null = null;
    try {
      handle = fs.opendirSync(dir);
      for (let i = 0; i < MAX_DIR_ENTRIES; i++) {
        const entry = handle.readSync();
        if (!entry) break;
        if (!entry.isFile() || !REPORT_NAME.test(entry.name)) continue;
        const file = path.join(dir, entry.name);
        try {
          const mtime = fs.statSync(file).mtimeMs;
          if (mtime >= sinceMs) found.push({ file, mtime });
        } catch { /* vanished between listing and stat */ }
      }
    } catch { /* a missing or unreadable folder simply holds no reports */ } finally {
      handle?.closeSync();
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).slice(0, MAX_REPORTS).map((f) => f.file);
}
