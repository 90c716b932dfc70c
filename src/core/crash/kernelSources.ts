// Reads OOM-killer and systemd-oomd records from whichever kernel log this machine lets us read:
// the journal, then dmesg, then /var/log/kern.log. Says plainly what could not be read and how to
// grant access. Spawns a few tools: for the on-demand report, never for the poll.

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { parseKernelFaults, parseKernelLog, type FaultRecord, type OomRecord } from './kernelLog';
import { readTail } from './logTail';

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Why the command did not run to completion: 'ENOENT', 'EACCES', 'ETIMEDOUT', 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'…; null when it did. */
  readonly error: string | null;
  /** null when it did not exit normally. */
  readonly exitCode: number | null;
}

/** Runs a command; injectable so tests can play "no permission" or "not installed". Must not throw. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

export interface RunnerOptions {
  readonly timeoutMs?: number;
  readonly maxBuffer?: number;
  readonly env?: NodeJS.ProcessEnv;
}

const TIMEOUT_MS = 5000;
const MAX_OUTPUT = 32 * 1024 * 1024;
const KERN_LOG_TAIL = 8 * 1024 * 1024;

export function execFileRunner(opts: RunnerOptions = {}): CommandRunner {
  // The C locale keeps error messages in English and dates in one format.
  const env = { ...(opts.env ?? process.env), LC_ALL: 'C' };
  return (file, args) => new Promise((resolve) => {
    try {
      execFile(file, [...args], { timeout: opts.timeoutMs ?? TIMEOUT_MS, maxBuffer: opts.maxBuffer ?? MAX_OUTPUT, env, encoding: 'utf8' },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: string | number }) | null;
          const error = !e ? null : typeof e.code === 'string' ? e.code : e.killed ? 'ETIMEDOUT' : null;
          const exitCode = !e ? 0 : typeof e.code === 'number' ? e.code : null;
          resolve({ stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), error, exitCode });
        });
    } catch (err) {
      resolve({ stdout: '', stderr: '', error: (err as NodeJS.ErrnoException).code ?? 'EINVAL', exitCode: null });
    }
  });
}

export interface KernelSourceOptions {
  /** Only records at or after this time (epoch ms); records without a time are kept. */
  readonly sinceMs: number;
  readonly run?: CommandRunner;
  readonly kernLogPath?: string;
  /** Where the boot time (btime) is read, for dmesg's boot-relative seconds. */
  readonly procStatPath?: string;
  readonly nowMs?: number;
}

export interface KernelOomRecords {
  readonly records: OomRecord[];
  /** Segfaults and traps in the kernel log, oldest first. */
  readonly faults: FaultRecord[];
  /** A kernel log was read (an OOM kill would show); false when none was readable. */
  readonly kernelRead: boolean;
  /** The source the kernel records came from ('journalctl -k', 'dmesg', '/var/log/kern.log'); null when none. */
  readonly kernelSource: string | null;
  /** What was read, e.g. 'dmesg'. */
  readonly sources: string[];
  /** What could not be read and how to grant access, as plain sentences. */
  readonly problems: string[];
}

type Attempt =
  | { readonly ok: true; readonly text: string; readonly source: string; readonly note?: string }
  | { readonly ok: false; readonly why: string; readonly missing?: boolean };

/** "-- No entries --", "-- Boot 1a2b… --", "-- Journal begins at … --" */
const JOURNAL_MARKER = /^-- .* --\s*$/;
const JOURNAL_DENIED = /insufficient permissions|not seeing messages from other users|Permission denied/i;

function firstLine(s: string): string {
  return s.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
}

function commandFailure(name: string, r: CommandResult): string {
  if (r.error === 'ENOENT') return `${name} is not installed`;
  if (r.error === 'ETIMEDOUT') return `${name} did not answer within ${TIMEOUT_MS / 1000} s`;
  const msg = firstLine(r.stderr);
  return `${name} failed${msg ? `: ${msg}` : r.exitCode !== null ? ` (exit ${r.exitCode})` : r.error ? ` (${r.error})` : ''}`;
}

/**
 * journalctl -r lists newest first, so a maxBuffer cut drops the oldest lines; put them back in order.
 * No -q: it would hide the warning that a non-privileged user cannot see the system journal.
 */
async function readJournal(run: CommandRunner, what: string, args: readonly string[], sinceS: number): Promise<Attempt> {
  const r = await run('journalctl', [...args, '-o', 'short-iso', '--no-pager', '-r', '--since', `@${sinceS}`]);
  const cut = r.error === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER';
  if ((r.error && !cut) || (r.exitCode !== 0 && !cut)) return { ok: false, why: commandFailure(what, r), missing: r.error === 'ENOENT' };
  let lines = r.stdout.split('\n').filter((l) => !JOURNAL_MARKER.test(l));
  if (cut) lines = lines.slice(0, -1);
  const text = lines.reverse().join('\n');
  if (!text.trim() && JOURNAL_DENIED.test(r.stderr)) return { ok: false, why: `${what}: ${firstLine(r.stderr)}` };
  return { ok: true, text, source: what, ...(cut ? { note: `${what} printed more than ${MAX_OUTPUT / 1048576} MB; only the newest part was read.` } : {}) };
}

function bootTimeMs(procStatPath: string): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync(procStatPath, 'utf8'));
    return m ? Number(m[1]) * 1000 : undefined;
  } catch {
    return undefined;
  }
}

async function readDmesg(run: CommandRunner): Promise<Attempt> {
  const r = await run('dmesg', []);
  if (r.error || r.exitCode !== 0) {
    const denied = /Operation not permitted|Permission denied/i.test(r.stderr);
    return { ok: false, why: denied
      ? 'dmesg: reading the kernel log is not permitted (kernel.dmesg_restrict=1 lets only root read it)'
      : commandFailure('dmesg', r) };
  }
  return { ok: true, text: r.stdout, source: 'dmesg' };
}

function readKernLog(file: string): Attempt {
  const tail = readTail(file, KERN_LOG_TAIL);
  if (tail.problem) return { ok: false, why: tail.problem.replace(/\.$/, '') };
  if (tail.binary) return { ok: false, why: `${file} does not look like text` };
  return { ok: true, text: tail.text, source: `${file}${tail.truncated ? ` (last ${KERN_LOG_TAIL / 1048576} MB)` : ''}` };
}

const GRANT_ACCESS = 'To let Dev Server Doctor see kernel OOM kills, run `sudo sysctl kernel.dmesg_restrict=0` (until the next reboot), '
  + 'or add your user to the systemd-journal group (`sudo usermod -aG systemd-journal $USER`; the adm group also opens /var/log/kern.log) and log in again.';

/** Kernel and systemd-oomd kill records since `sinceMs`, oldest first. Never throws. */
export async function readKernelOomRecords(opts: KernelSourceOptions): Promise<KernelOomRecords> {
  if (process.platform !== 'linux' && !opts.run) {
    return { records: [], faults: [], kernelRead: false, kernelSource: null, sources: [], problems: ['Kernel OOM-killer records are read on Linux only.'] };
  }
  const run = opts.run ?? execFileRunner();
  const sinceS = Math.floor(opts.sinceMs / 1000);
  const records: OomRecord[] = [];
  const faults: FaultRecord[] = [];
  const sources: string[] = [];
  const problems: string[] = [];
  const parseOpts = { bootTimeMs: bootTimeMs(opts.procStatPath ?? '/proc/stat'), nowMs: opts.nowMs };
  const use = (a: Attempt & { ok: true }, kernel: boolean): boolean => {
    sources.push(a.source);
    if (a.note) problems.push(a.note);
    records.push(...parseKernelLog(a.text, parseOpts));
    if (kernel) faults.push(...parseKernelFaults(a.text, parseOpts));
    return a.text.trim() !== '';
  };
  let kernelSource: string | null = null;

  try {
    const kernelSources: (() => Promise<Attempt> | Attempt)[] = [
      () => readJournal(run, 'journalctl -k', ['-k'], sinceS),
      () => readDmesg(run),
      () => readKernLog(opts.kernLogPath ?? '/var/log/kern.log'),
    ];
    const failures: string[] = [];
    // A source that can be read but is empty (a journal that does not capture the kernel) passes to the next.
    for (const attempt of kernelSources) {
      const a = await attempt();
      if (!a.ok) failures.push(a.why);
      else if (use(a, true)) { kernelSource = a.source; break; }
    }
    if (kernelSource === null && failures.length) {
      problems.push(`Could not read the kernel log, so a kill by the kernel OOM killer cannot be confirmed: ${failures.join('; ')}.`, GRANT_ACCESS);
    }
    const oomd = await readJournal(run, 'journalctl -u systemd-oomd', ['-u', 'systemd-oomd'], sinceS);
    if (oomd.ok) use(oomd, false);
    else if (!oomd.missing) problems.push(`Could not read systemd-oomd's journal: ${oomd.why}.`);
    if (parseOpts.bootTimeMs === undefined && sources.includes('dmesg')) {
      problems.push('The boot time could not be read from /proc/stat, so dmesg times are unknown.');
    }
  } catch (err) {
    problems.push(`Reading the kernel log failed unexpectedly: ${(err as Error).message}.`);
  }
  const since = <T extends { time: number | null }>(list: T[]): T[] =>
    list.filter((r) => r.time === null || r.time >= opts.sinceMs).sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  return { records: since(records), faults: since(faults), kernelRead: kernelSource !== null, kernelSource, sources, problems };
}
