// Crashes and exits of commands run through `dev-server-doctor run`, shared with a `watch` started
// separately through one small append-only file in the user's temp state (no daemon). Records carry
// their folder; a reader keeps only those inside its workspace. Bad lines are skipped, never thrown.

import * as fs from 'node:fs';
import { JsonLinesTail } from './jsonLinesTail';
import * as os from 'node:os';
import * as path from 'node:path';
import { redactText } from '../redact';
import type { Verdict } from './types';

export type RunRecord =
  | { readonly v: 1; readonly type: 'run-start'; readonly id: string; readonly at: number; readonly pid: number | null; readonly cwd: string; readonly name: string; readonly command: string }
  | { readonly v: 1; readonly type: 'verdict'; readonly id: string; readonly at: number; readonly cwd: string; readonly verdict: Verdict }
  | {
      readonly v: 1; readonly type: 'run-end'; readonly id: string; readonly at: number; readonly pid: number | null; readonly cwd: string;
      readonly name: string; readonly command: string; readonly exitCode: number | null; readonly signal: string | null;
      /** 'crashed' | 'exited' | 'stopped' | 'rss-limit' | 'spawn-error', as the supervisor tells. */
      readonly ending: string; readonly uptimeMs: number;
      /** The end of its output, redacted. */
      readonly outputTail: string;
    };

/** The file grows to this, then starts over (the previous one is kept as .1). */
const MAX_BYTES = 1024 * 1024;
export const TAIL_CHARS = 4096;

/** The shared file: one per user, in the temp folder (DEV_SERVER_DOCTOR_STATE overrides, for tests). */
export function sharedRunsFile(): string {
  const dir = process.env.DEV_SERVER_DOCTOR_STATE || path.join(os.tmpdir(), `dev-server-doctor-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
  return path.join(dir, 'runs.jsonl');
}

/** Appends a record; returns a problem in plain words instead of throwing (full disk, unwritable temp). */
export function appendRunRecord(rec: RunRecord, file = sharedRunsFile()): string | null {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      if (fs.statSync(file).size > MAX_BYTES) fs.renameSync(file, `${file}.1`);
    } catch { /* not there yet */ }
    const safe = rec.type === 'run-end' ? { ...rec, outputTail: redactText(rec.outputTail.slice(-TAIL_CHARS)), command: redactText(rec.command) }
      : rec.type === 'run-start' ? { ...rec, command: redactText(rec.command) } : rec;
    fs.appendFileSync(file, `${JSON.stringify(safe)}\n`, { mode: 0o600 });
    return null;
  } catch (err) {
    return `Could not share this run with other dev-server-doctor processes through ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`;
  }
}

function isRecord(x: unknown): x is RunRecord {
  if (!x || typeof x !== 'object') return false;
  const r = x as { v?: unknown; type?: unknown; id?: unknown; cwd?: unknown; at?: unknown };
  return r.v === 1 && typeof r.id === 'string' && typeof r.cwd === 'string' && typeof r.at === 'number'
    && (r.type === 'run-start' || r.type === 'run-end' || (r.type === 'verdict' && typeof (x as { verdict?: unknown }).verdict === 'object'));
}

/** Reads records appended since it was created (or since the last read). */
export class SharedRunsReader {
  private readonly tail: JsonLinesTail<RunRecord>;

  constructor(file = sharedRunsFile(), fromStart = false) {
    this.tail = new JsonLinesTail(file, isRecord, { fromStart });
  }

  read(): RunRecord[] {
    return this.tail.read();
  }
}
