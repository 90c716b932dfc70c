// Pure parsers of kernel OOM-killer and systemd-oomd records, in every log format a user may have:
// dmesg, dmesg -T, journalctl -o short-iso / short-precise, kern.log (syslog or RFC 3339).

export interface OomRecord {
  /** global: the kernel's OOM killer for the whole machine; memcg: a memory cgroup's limit; oomd: systemd-oomd. */
  readonly kind: 'global' | 'memcg' | 'oomd';
  readonly pid: number | null;
  readonly comm: string | null;
  /** Epoch ms; null when the line carried no usable time. */
  readonly time: number | null;
  readonly anonRssBytes?: number;
  readonly totalVmBytes?: number;
  readonly fileRssBytes?: number;
  readonly shmemRssBytes?: number;
  readonly oomScoreAdj?: number;
  /** CONSTRAINT_MEMCG, CONSTRAINT_NONE… */
  readonly constraint?: string;
  /** task_memcg path; for oomd the killed unit's cgroup path. */
  readonly memcg?: string;
  readonly cgroupLimitBytes?: number;
  /** systemd-oomd's reason ("memory pressure for … being 71.23% > 50.00% for > 20s …"). */
  readonly reason?: string;
  readonly lines: string[];
}

/** A process the kernel saw fault: "node[1234]: segfault at 0 ip … sp … error 4 in node[…]" and the x86 "traps:" lines. */
export interface FaultRecord {
  readonly pid: number;
  readonly comm: string;
  readonly time: number | null;
  /** The signal the fault delivers: SIGSEGV, SIGBUS, SIGILL or SIGFPE. */
  readonly signal: string;
  /** "segfault at 7fff9fdd6ff0", "general protection fault", "trap invalid opcode"… */
  readonly what: string;
  readonly lines: string[];
}

export interface KernelLogOptions {
  /** Wall-clock boot time (epoch ms) to convert dmesg's boot-relative seconds; without it those times are null. */
  readonly bootTimeMs?: number;
  /** "Now", to give syslog's year-less dates a year (default Date.now()). */
  readonly nowMs?: number;
}

interface LogLine {
  readonly raw: string;
  readonly time: number | null;
  /** The message after the time and "host ident[pid]:" prefix. */
  readonly body: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

// Optional caller id ("[ T1234]") that kernels built with CONFIG_PRINTK_CALLER add.
const BOOT_RELATIVE = /^\[\s*(\d+)\.(\d+)\](?:\[\s*[TC]\d+\])?\s?/;
const CTIME = /^\[(?:[A-Z][a-z]{2} )?([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))? (\d{4})\]\s?/;
const ISO = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?\s+\S+\s+(.*)$/;
const SYSLOG = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s+\S+\s+(.*)$/;
/** "kernel: ", "systemd-oomd[612]: " */
const IDENT = /^[\w.@-]+(?:\[\d+\])?:\s?/;

function fractionMs(digits: string | undefined): number {
  return digits ? Number(`0.${digits}`) * 1000 : 0;
}


function monthIndex(name: string): number {
  return MONTHS.indexOf(name);
}

/** Syslog dates have no year: take now's, or last year's when that would lie in the future. */
function syslogTime(mon: string, day: string, h: string, m: string, s: string, frac: string | undefined, nowMs: number): number | null {
  const mi = monthIndex(mon);
  if (mi < 0) return null;
  const year = new Date(nowMs).getFullYear();
  const at = (y: number): number => new Date(y, mi, Number(day), Number(h), Number(m), Number(s)).getTime() + fractionMs(frac);
  const t = at(year);
  return Math.round(t > nowMs + DAY_MS ? at(year - 1) : t);
}

function stripIdent(rest: string): string {
  return rest.replace(IDENT, '').replace(BOOT_RELATIVE, '');
}

/** Splits one log line into its wall-clock time and message, whatever the format. */
export function parseLogLine(raw: string, opts: KernelLogOptions = {}): LogLine {
  const line = raw.replace(/\s+$/, '');
  const nowMs = opts.nowMs ?? Date.now();
  let m = BOOT_RELATIVE.exec(line);
  if (m) {
    const time = opts.bootTimeMs !== undefined ? Math.round(opts.bootTimeMs + Number(m[1]) * 1000 + fractionMs(m[2])) : null;
    return { raw: line, time, body: line.slice(m[0].length) };
  }
  m = CTIME.exec(line);
  if (m) {
    const mi = monthIndex(m[1]);
    const time = mi < 0 ? null
      : new Date(Number(m[7]), mi, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime() + Math.round(fractionMs(m[6]));
    return { raw: line, time, body: line.slice(m[0].length) };
  }
  m = ISO.exec(line);
  if (m) {
    const zone = m[3] ? m[3].replace(/^([+-]\d{2})(\d{2})$/, '$1:$2') : '';
    const ms = m[2] ? `.${m[2].slice(0, 3).padEnd(3, '0')}` : '';
    const time = Date.parse(`${m[1]}${ms}${zone}`);
    return { raw: line, time: Number.isNaN(time) ? null : time, body: stripIdent(m[4]) };
  }
  m = SYSLOG.exec(line);
  if (m) return { raw: line, time: syslogTime(m[1], m[2], m[3], m[4], m[5], m[6], nowMs), body: stripIdent(m[7]) };
  return { raw: line, time: null, body: line };
}

const KB = 1024;
// The kernel prints "no limit" as PAGE_COUNTER_MAX in kB (9007199254740988kB); anything this big is no limit.
const NO_LIMIT_KB = 2 ** 50;

const INVOKED = /\binvoked oom-killer:/;
const MEMORY_USAGE = /^memory: usage (\d+)kB, limit (\d+)kB/;
const MEMCG_STATS = /^Memory cgroup stats for (\S+?):?$/;
const OOM_KILL = /^oom-kill:(\S+)/;
const KILL_OLD = /^(Memory cgroup out of memory|Out of memory[^:]*): Kill process (\d+) \((.*?)\)/;
const KILLED = /^(?:(Memory cgroup out of memory|Out of memory[^:]*): )?Killed process (\d+) \((.*?)\)(.*)$/;
const REAPED = /^oom_reaper: reaped process (\d+) \(/;
const OOMD = /^Killed (\/\S+) due to (.+?)\.?$/;

interface OomKillLine { readonly fields: Record<string, string>; readonly line: string; readonly time: number | null }

function kbField(rest: string, name: string): number | undefined {
  const m = new RegExp(`${name}:(\\d+)kB`).exec(rest);
  return m ? Number(m[1]) * KB : undefined;
}

function oomKillFields(spec: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq)] = part.slice(eq + 1);
    else fields[part] = '';
  }
  return fields;
}

/** One OOM event runs from "X invoked oom-killer" to "Killed process"; what it says is joined by pid. */
class OomEvent {
  limitBytes?: number;
  statsPath?: string;
  readonly lines: string[] = [];
  readonly oomKills = new Map<number, OomKillLine>();
  readonly kindHints = new Map<number, 'global' | 'memcg'>();

  constructor(readonly invokedLine?: string) {
    if (invokedLine) this.lines.push(invokedLine);
  }

  record(kill: RegExpExecArray, time: number | null, line: string): OomRecord {
    const pid = Number(kill[2]);
    const rest = kill[4];
    const ok = this.oomKills.get(pid);
    this.oomKills.delete(pid);
    const constraint = ok?.fields.constraint;
    const prefixKind = kill[1] ? (kill[1].startsWith('Memory cgroup') ? 'memcg' : 'global') : undefined;
    const kind = constraint === 'CONSTRAINT_MEMCG' ? 'memcg' : prefixKind ?? this.kindHints.get(pid) ?? 'global';
    const adj = /oom_score_adj:(-?\d+)/.exec(rest);
    const memcg = ok?.fields.task_memcg ?? this.statsPath;
    return omitUndefined({
      kind, pid, comm: kill[3], time,
      anonRssBytes: kbField(rest, 'anon-rss'), totalVmBytes: kbField(rest, 'total-vm'),
      fileRssBytes: kbField(rest, 'file-rss'), shmemRssBytes: kbField(rest, 'shmem-rss'),
      oomScoreAdj: adj ? Number(adj[1]) : undefined, constraint, memcg,
      cgroupLimitBytes: kind === 'memcg' ? this.limitBytes : undefined,
      lines: [...this.lines, ...(ok ? [ok.line] : []), line],
    });
  }

  /** oom-kill lines whose "Killed process" line never came (a cut log): still a kill, with less detail. */
  orphans(): OomRecord[] {
    return [...this.oomKills.entries()].map(([pid, ok]) => {
      const constraint = ok.fields.constraint;
      const kind = constraint === 'CONSTRAINT_MEMCG' ? 'memcg' : 'global';
      return omitUndefined({
        kind, pid, comm: ok.fields.task ?? null, time: ok.time, constraint, memcg: ok.fields.task_memcg,
        cgroupLimitBytes: kind === 'memcg' ? this.limitBytes : undefined, lines: [...this.lines, ok.line],
      });
    });
  }
}

function omitUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** OOM records in a kernel log or journal text (any of the supported formats, mixed is fine), oldest first. */
export function parseKernelLog(text: string, opts: KernelLogOptions = {}): OomRecord[] {
  const records: OomRecord[] = [];
  let event = new OomEvent();
  const flush = (): void => { records.push(...event.orphans()); };

  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    const { time, body, raw: line } = parseLogLine(raw, opts);
    let m: RegExpExecArray | null;
    if (INVOKED.test(body)) {
      flush();
      event = new OomEvent(line);
    } else if ((m = MEMORY_USAGE.exec(body))) {
      const limitKb = Number(m[2]);
      if (limitKb < NO_LIMIT_KB) event.limitBytes = limitKb * KB;
      event.lines.push(line);
    } else if ((m = MEMCG_STATS.exec(body))) {
      event.statsPath = m[1];
    } else if ((m = OOM_KILL.exec(body))) {
      const fields = oomKillFields(m[1]);
      const pid = Number(fields.pid);
      if (Number.isInteger(pid)) event.oomKills.set(pid, { fields, line, time });
    } else if ((m = KILL_OLD.exec(body))) {
      event.kindHints.set(Number(m[2]), m[1].startsWith('Memory cgroup') ? 'memcg' : 'global');
      event.lines.push(line);
    } else if ((m = KILLED.exec(body))) {
      records.push(event.record(m, time, line));
    } else if ((m = REAPED.exec(body))) {
      const pid = Number(m[1]);
      const last = [...records].reverse().find((r) => r.pid === pid);
      last?.lines.push(line);
    } else if ((m = OOMD.exec(body))) {
      records.push({ kind: 'oomd', pid: null, comm: null, time, memcg: m[1], reason: m[2], lines: [line] });
    }
  }
  flush();
  return records;
}

const SEGFAULT = /^(.+?)\[(\d+)\]: (segfault at [0-9a-f]+|bus error at [0-9a-f]+)\b/;
const TRAP = /^traps: (.+?)\[(\d+)\] (general protection(?: fault)?|trap [a-z0-9 ]+?|[a-z ]+?) ip:[0-9a-f]+/;

function trapSignal(what: string): string {
  if (/invalid opcode/.test(what)) return 'SIGILL';
  if (/divide error/.test(what)) return 'SIGFPE';
  if (/^bus error/.test(what)) return 'SIGBUS';
  return 'SIGSEGV';
}

/** Segfaults and traps the kernel logged (only for processes without their own SIGSEGV handler), oldest first. */
export function parseKernelFaults(text: string, opts: KernelLogOptions = {}): FaultRecord[] {
  const records: FaultRecord[] = [];
  for (const raw of text.split('\n')) {
    if (!/segfault at|bus error at|traps: /.test(raw)) continue;
    const { time, body, raw: line } = parseLogLine(raw, opts);
    const m = SEGFAULT.exec(body) ?? TRAP.exec(body);
    if (!m) continue;
    records.push({ pid: Number(m[2]), comm: m[1], time, signal: trapSignal(m[3]), what: m[3], lines: [line] });
  }
  return records;
}
