// The investigation as a report: Markdown for reading (each remedy as the caller formats it: a command
// link in VS Code, the line to type in a terminal) and JSON for scripts, saved timestamped. Everything leaving here passes redaction once more.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { count, formatBytes, formatDuration } from '../format';
import type { StatusJson } from '../statusJson';
import type { Investigation } from './investigate';
import { redactDeep, redactText } from '../redact';
import { remedy, remedyKey, inotifyRaiseLines, RECOMMENDED_MAX_USER_WATCHES, runningAsRoot } from '../remedies/catalogue';
import { verdictCategory, verdictSeverity, type Evidence, type RemedyRef, type Verdict, type VerdictCategory, type VerdictSeverity } from './types';
import { causeWords } from './verdict';

export interface EvidenceJson {
  source: Evidence['source'];
  text: string;
  /** ISO time; null when the source carries none. */
  time: string | null;
  location?: string;
}

export interface VerdictJson {
  cause: Verdict['cause'];
  /** critical (OOM, kills), high (crashes), medium (watcher waits, bare exits), low. */
  severity: VerdictSeverity;
  /** memory, port, disk, limits, code, dependency, process, watcher, other. */
  category: VerdictCategory;
  confidence: Verdict['confidence'];
  server: string | null;
  pid: number | null;
  /** ISO time of the crash. */
  time: string;
  summary: string;
  topFrame: string | null;
  evidence: EvidenceJson[];
  remedies: RemedyRef[];
  detail?: Verdict['detail'];
  /** heap-oom, oom-kill, oomd-kill: undersized / leak / native-growth, its numbers, and whether a larger heap helps. */
  memoryKind?: Verdict['memoryKind'];
}

export interface Recommendation extends RemedyRef {
  /** Why, in plain words. */
  readonly reason: string;
}

export interface ReportJson {
  generatedAt: string;
  since: string;
  workspaceFolders: string[];
  verdicts: VerdictJson[];
  /** Kernel records (OOM kills, segfaults) of dev runtimes nothing ties to this workspace; absent when there are none. */
  elsewhere?: VerdictJson[];
  state: StatusJson | null;
  inotify: Investigation['inotify'];
  recommendations: Recommendation[];
  problems: string[];
}

const iso = (t: number): string => new Date(t).toISOString();

export function verdictJson(v: Verdict): VerdictJson {
  return redactDeep({
    cause: v.cause,
    severity: verdictSeverity(v.cause),
    category: verdictCategory(v.cause),
    confidence: v.confidence,
    server: v.server,
    pid: v.pid,
    time: iso(v.time),
    summary: v.summary,
    topFrame: v.topFrame,
    evidence: v.evidence.map((e) => ({ source: e.source, text: e.text, time: e.time === null ? null : iso(e.time), ...(e.location ? { location: e.location } : {}) })),
    remedies: v.remedies.map((r) => ({ ...r })),
    ...(v.detail ? { detail: { ...v.detail } } : {}),
    ...(v.memoryKind ? { memoryKind: { ...v.memoryKind } } : {}),
  });
}

/** File watchers are short of watches once they use this share of the limit. */
const WATCHES_TIGHT_SHARE = 0.8;

/** Ranked: the top remedy of each recent crash (newest first), then what the current state calls for. */
export function recommendations(inv: Investigation): Recommendation[] {
  const out: Recommendation[] = [];
  const add = (r: RemedyRef, reason: string): void => {
    if (!out.some((o) => remedyKey(o) === remedyKey(r))) out.push({ ...r, reason });
  };
  for (const v of inv.verdicts) if (v.remedies[0]) add(v.remedies[0], v.summary);
  const state = inv.state;
  if (state) {
    const orphans = state.servers.filter((s) => s.state === 'orphaned' && s.pid !== null);
    const zombies = state.servers.flatMap((s) => s.zombiePids);
    if (orphans.length || zombies.length) {
      add(remedy('kill-zombies', { pids: [...orphans.map((s) => s.pid!), ...zombies] }, 'Stop orphaned dev servers and reap zombies'),
        [...orphans.map((s) => `${s.name} (pid ${s.pid}${s.ports.length ? `, port ${s.ports.join(', ')}` : ''}) is orphaned`),
          ...(zombies.length ? [count(zombies.length, 'zombie process', 'zombie processes')] : [])].join('; '));
    }
    const { inotify } = state.system;
    const usage = inv.inotify;
    const tight = inotify.maxUserWatches !== null && usage !== null && usage.watches >= inotify.maxUserWatches * WATCHES_TIGHT_SHARE;
    if (tight || state.alerts.some((a) => a.kind === 'inotify')) {
      add(remedy('raise-inotify-limit', { maxUserWatches: RECOMMENDED_MAX_USER_WATCHES }, undefined, inotifyRaiseLines({ asRoot: runningAsRoot() })[0]),
        tight ? `File watchers use ${usage!.watches} of ${inotify.maxUserWatches} inotify watches` : `fs.inotify.max_user_watches is only ${inotify.maxUserWatches}`);
    }
    for (const d of state.system.disks) {
      const alert = state.alerts.find((a) => a.kind === 'disk' && a.message.includes(d.mount));
      if (alert) add(remedy('free-disk', { path: d.paths[0] ?? d.mount }, `Free disk space on ${d.mount}`), alert.message);
    }
    for (const a of state.alerts) {
      if (a.kind === 'memory' || a.kind === 'cgroup-memory' || a.kind === 'swap') {
        add(remedy('kill-zombies', undefined, 'Stop orphaned and zombie dev servers to free memory'), a.message);
      }
    }
  }
  return out;
}

export function toReportJson(inv: Investigation): ReportJson {
  return redactDeep({
    generatedAt: iso(inv.generatedAt),
    since: iso(inv.sinceMs),
    workspaceFolders: [...inv.workspaceFolders],
    verdicts: inv.verdicts.map(verdictJson),
    ...(inv.elsewhere?.length ? { elsewhere: inv.elsewhere.map(verdictJson) } : {}),
    state: inv.state,
    inotify: inv.inotify,
    recommendations: recommendations(inv),
    problems: [...inv.problems],
  });
}

/**
 * How a remedy reads in the Markdown: the VS Code layer makes it a command link, the CLI the line to
 * type. The default is its title, with the exact change (`detail`) after it.
 */
export type RemedyFormatter = (r: RemedyRef) => string;

export const plainRemedy: RemedyFormatter = (r) => `**${escapeMarkdown(r.title)}**${r.detail ? ` — ${code(r.detail)}` : ''}`;

/** Text that renders as itself in Markdown (no links, emphasis or HTML). */
export function escapeMarkdown(s: string): string {
  return s.replace(/([\\`*_[\]<>|])/g, '\\$1');
}

/**
 * Text from outside (package and server names, log lines, alert messages, paths) as Markdown text on one line:
 * nothing in it can become a link, an autolink, HTML or code, and no line break can start a heading or a list.
 */
export function mdText(s: string): string {
  // Emphasis markers stay as they are: they make no link, and `dmesg_restrict` must read as itself in a terminal.
  return s.replace(/[\\`[\]<>]/g, '\\$&').replace(/\r?\n/g, ' ');
}

/** Every link target the report builds itself (`href` of each remedy): the only ones its view may make clickable. */
export function reportLinks(inv: Investigation, href: (r: RemedyRef) => string): string[] {
  return [...new Set([...inv.verdicts.flatMap((v) => v.remedies), ...recommendations(inv)].map(href))];
}

function localTime(t: number): string {
  const d = new Date(t);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function fenced(text: string): string[] {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}text`, ...text.split('\n'), fence];
}

const code = (s: string): string => {
  const longest = Math.max(0, ...[...s.matchAll(/`+/g)].map((m) => m[0].length));
  const tick = '`'.repeat(longest + 1);
  return `${tick}${longest ? ' ' : ''}${s}${longest ? ' ' : ''}${tick}`;
};

const cell = (s: string): string => mdText(s).replace(/\|/g, '\\|');

function verdictSection(v: Verdict, i: number, fmt: RemedyFormatter): string[] {
  const out = [`### ${i + 1}. ${mdText(v.server ?? 'Unknown process')}: ${causeWords(v.cause)}`, '', `**${mdText(v.summary)}**`, ''];
  out.push(`- Cause: \`${v.cause}\` (${v.confidence} confidence)`);
  out.push(`- When: ${localTime(v.time)}${v.pid !== null ? ` · pid ${v.pid}` : ''}`);
  if (v.topFrame) out.push(`- Top frame: ${code(v.topFrame)}`);
  if (v.memoryKind) out.push(`- Memory: **${v.memoryKind.kind}** (${v.memoryKind.confidence}); raising the heap: ${v.memoryKind.raiseHeapHelps} — ${v.memoryKind.why}`);
  out.push('', 'Evidence:', '');
  for (const e of v.evidence) {
    const where = mdText([e.location, e.time !== null ? localTime(e.time) : null].filter(Boolean).join(', '));
    out.push(`- **${e.source}**${where ? ` (${where})` : ''}:`, '', ...fenced(e.text).map((l) => `  ${l}`), '');
  }
  if (v.remedies.length) {
    out.push('Remedies:', '');
    v.remedies.forEach((r, n) => out.push(`${n + 1}. ${fmt(r)}`));
    out.push('');
  }
  return out;
}

/** The workspace's containers as `docker inspect` describes them; one line when there is no engine. */
function containerSection(state: StatusJson): string[] {
  const list = state.containers ?? [];
  if (!state.containerEngine) return [];
  if (!state.containerEngine.available) return ['### Containers', '', cell(state.containerEngine.message), ''];
  if (list.length === 0) return ['### Containers', '', `No container belongs to this workspace (${cell(state.containerEngine.message)}).`, ''];
  const out = ['### Containers', '', '| Container | Service | State | Health | Ports | Memory / limit | Restarts | Exit |', '|---|---|---|---|---|---|---|---|'];
  for (const c of list) {
    const mem = `${c.memoryBytes !== null ? formatBytes(c.memoryBytes) : ''}${c.memoryLimitBytes ? ` / ${formatBytes(c.memoryLimitBytes)}` : ''}`;
    const exit = c.exitCode !== null ? `${c.exitCode}${c.oomKilled ? ' (OOMKilled)' : ''}` : '';
    out.push(`| ${cell(c.name)} | ${cell(c.service ?? '')} | ${c.state} | ${c.health ?? ''} | ${c.ports.map((p) => `${p.hostIp}:${p.hostPort}→${p.containerPort}`).join(', ')} | ${mem} | ${c.restartCount} | ${exit} |`);
  }
  out.push('');
  return out;
}

function stateSection(state: StatusJson, inv: Investigation): string[] {
  const out = ['## Current state', '', '### Servers', ''];
  if (state.servers.length === 0) out.push('No dev servers declared or running in the workspace.', '');
  else {
    out.push('| Server | State | PID | Ports | Memory | Heap limit | Up |', '|---|---|---|---|---|---|---|');
    const now = Date.parse(state.generatedAt);
    for (const s of state.servers) {
      out.push(`| ${cell(s.name)} | ${s.state} | ${s.pid ?? ''} | ${s.ports.join(', ')} | ${s.state === 'down' ? '' : formatBytes(s.rssBytes)} | ${s.heapLimitBytes !== null ? `${formatBytes(s.heapLimitBytes)} (${s.heapLimitSource})` : ''} | ${s.startTimeMs ? formatDuration(now - s.startTimeMs) : ''} |`);
    }
    out.push('');
  }
  out.push(...containerSection(state));
  const { memory: m, cgroup, disks, inotify } = state.system;
  out.push('### Memory', '');
  out.push(`- RAM: ${m.usedPercent}% used, ${formatBytes(m.availableBytes)} available of ${formatBytes(m.totalBytes)}`);
  out.push(`- Swap: ${m.swapTotalBytes ? `${formatBytes(m.swapUsedBytes)} used of ${formatBytes(m.swapTotalBytes)}` : 'none'}`);
  out.push(cgroup
    ? `- Memory cgroup (v${cgroup.version}) ${code(cgroup.path)}: ${formatBytes(cgroup.usageBytes)} used, limit ${cgroup.limitBytes === null ? 'none' : formatBytes(cgroup.limitBytes)}, OOM kills so far: ${cgroup.oomKills}`
    : '- Memory cgroup: none applies');
  out.push('', '### Disks', '');
  if (disks.length === 0) out.push('No disk information.');
  for (const d of disks) out.push(`- ${code(d.mount)}: ${d.usedPercent}% used, ${formatBytes(d.freeBytes)} free of ${formatBytes(d.totalBytes)}${d.paths.length ? ` (holds ${d.paths.map(code).join(', ')})` : ''}`);
  out.push('', '### File watchers (inotify)', '');
  const usage = inv.inotify;
  const max = inotify.maxUserWatches;
  out.push(`- Watches: ${usage ? `${usage.watches} in use of ` : ''}${max ?? 'unknown'} allowed (fs.inotify.max_user_watches)${usage && max ? `, ${Math.max(0, max - usage.watches)} left` : ''}`);
  out.push(`- Instances: ${usage ? `${usage.instances} in use of ` : ''}${inotify.maxUserInstances ?? 'unknown'} allowed (fs.inotify.max_user_instances)`);
  if (usage?.top) out.push(`- Most watches: pid ${usage.top.pid} (${usage.top.watches})${usage.top.command ? `: ${code(usage.top.command)}` : ''}`);
  out.push('', '### Orphans and zombies', '');
  const orphans = state.servers.filter((s) => s.state === 'orphaned');
  const zombies = state.servers.filter((s) => s.zombiePids.length > 0);
  if (!orphans.length && !zombies.length) out.push('None.');
  for (const s of orphans) out.push(`- ${mdText(s.name)}: pid ${s.pid}${s.ports.length ? `, port ${s.ports.join(', ')}` : ''} is orphaned (${mdText(s.orphanReason ?? 'its launcher is gone')})`);
  for (const s of zombies) out.push(`- ${mdText(s.name)}: zombie pid ${s.zombiePids.join(', ')}`);
  if (state.alerts.length) {
    out.push('', '### Alerts', '');
    for (const a of state.alerts) out.push(`- ${a.severity}: ${mdText(a.message)}`);
  }
  out.push('');
  return out;
}

/** The whole report as Markdown: recent crashes newest first, the current state, recommendations, problems. */
export function renderMarkdown(inv: Investigation, fmt: RemedyFormatter = plainRemedy): string {
  const out = ['# Dev Server Doctor: crash investigation', ''];
  out.push(`Generated ${localTime(inv.generatedAt)} for ${inv.workspaceFolders.map(code).join(', ') || 'no folder'}; crashes since ${localTime(inv.sinceMs)} (last ${formatDuration(inv.generatedAt - inv.sinceMs)}).`, '');
  out.push(`## Recent crashes (${inv.verdicts.length})`, '');
  if (inv.verdicts.length === 0) out.push('No crash recorded in that time: no OOM kill in the kernel log, no crash in the log files, no Node.js report.', '');
  inv.verdicts.forEach((v, i) => out.push(...verdictSection(v, i, fmt)));
  const elsewhere = inv.elsewhere ?? [];
  if (elsewhere.length) {
    out.push(`## Elsewhere on this machine (${elsewhere.length})`, '', 'Kernel records of other processes: no pid or cgroup ties them to this workspace\'s servers.', '');
    for (const v of elsewhere) out.push(`- ${localTime(v.time)} · ${mdText(v.server ?? 'unknown process')}${v.pid !== null ? ` (pid ${v.pid})` : ''}: ${mdText(v.summary)}`);
    out.push('');
  }
  if (inv.state) out.push(...stateSection(inv.state, inv));
  const recs = recommendations(inv);
  out.push('## Recommendations', '');
  if (recs.length === 0) out.push('Nothing to do.');
  recs.forEach((r, i) => out.push(`${i + 1}. ${fmt(r)}: ${mdText(r.reason)}`));
  out.push('');
  if (inv.problems.length) {
    out.push('## Could not read', '');
    for (const p of inv.problems) out.push(`- ${mdText(p)}`);
    out.push('');
  }
  return redactText(out.join('\n'));
}

export interface SavedReport {
  /** Files written. */
  readonly files: string[];
  /** Where it could not be saved and why, in plain sentences (the report is still shown). */
  readonly problems: string[];
}

function stamp(t: number): string {
  return localTime(t).replace(/[-:]/g, '').replace(' ', '-');
}

function errorWords(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC': return 'no space left on the device (ENOSPC)';
    case 'EDQUOT': return 'the disk quota is exceeded (EDQUOT)';
    case 'EACCES': case 'EPERM': return `permission denied (${e.code})`;
    case 'EROFS': return 'the file system is read-only (EROFS)';
    default: return e.code ?? e.message;
  }
}

/** Writes dev-server-doctor-YYYYMMDD-HHMMSS.md and .json into each folder (created if needed). Never throws. */
/** A picture saved beside the report (an SVG) and linked from its Markdown. */
export interface ReportChart {
  /** File name part: `<report>-<name>.svg`. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

/** The Markdown section linking charts saved as `<base>-<name>.svg` beside the report. */
export function chartsMarkdown(charts: readonly ReportChart[], base: string): string {
  if (charts.length === 0) return '';
  return ['', '## Memory before the crashes', '', ...charts.map((c) => `![${escapeMarkdown(c.title)}](${encodeURI(`${path.basename(base)}-${c.name}.svg`)})`), ''].join('\n');
}

export function saveReport(inv: Investigation, dirs: readonly string[], fmt: RemedyFormatter = plainRemedy, charts: readonly ReportChart[] = []): SavedReport {
  const md = renderMarkdown(inv, fmt);
  return saveReportFiles(dirs, 'dev-server-doctor', inv.generatedAt, [
    ['.md', (stem) => md + chartsMarkdown(charts, stem)],
    ['.json', `${JSON.stringify(toReportJson(inv), null, 2)}\n`],
    ...charts.map((c) => [`-${c.name}.svg`, c.svg] as const),
  ]);
}

/**
 * Writes PREFIX-YYYYMMDD-HHMMSS + SUFFIX for each of `parts` (`.md`, `.json`, `-memory.svg`…) into each folder (created
 * if needed), all or none per folder, never overwriting an earlier report. Never throws. A part given as
 * `(stem) => text` gets the file name stem, to link its sibling files.
 */
export function saveReportFiles(
  dirs: readonly string[], prefix: string, at: number, parts: readonly (readonly [string, string | ((stem: string) => string)])[],
): SavedReport {
  const files: string[] = [];
  const problems: string[] = [];
  for (const dir of dirs) {
    const written: string[] = [];
    try {
      fs.mkdirSync(dir, { recursive: true });
      const stem = path.join(dir, `${prefix}-${stamp(at)}`);
      let base = stem;
      for (let n = 2; parts.some(([suffix]) => fs.existsSync(`${base}${suffix}`)); n++) base = `${stem}-${n}`;
      for (const [suffix, text] of parts) {
        const file = `${base}${suffix}`;
        written.push(file);
        fs.writeFileSync(file, typeof text === 'string' ? text : text(path.basename(base)));
      }
      files.push(...written);
    } catch (err) {
      // A half-written report is worse than none.
      for (const f of written) { try { fs.unlinkSync(f); } catch { /* never created */ } }
      problems.push(`Could not save the report in ${dir}: ${errorWords(err)}.`);
    }
  }
  return { files, problems };
}
