// What a container's crash says, as a verdict: OOM kill by its memory limit, a non-zero exit with its last
// log lines, a failing health check — each with `docker inspect` facts as evidence and its remedies.
import * as path from 'node:path';
import { formatBytes } from '../format';
import { redactText } from '../redact';
import type { ContainerRef, Evidence, Verdict } from '../crash/types';
import { remedy, type RemedyRef } from '../remedies/catalogue';
import type { ContainerInfo, InspectLike } from './model';

/** Log lines quoted in an exit-nonzero verdict, unless the caller says otherwise. */
export const DEFAULT_LOG_TAIL = 20;
const MB = 1024 * 1024;

function who(c: ContainerInfo): string {
  return c.service ?? c.name;
}

export function containerRef(c: ContainerInfo): ContainerRef {
  return { id: c.id, name: c.name, service: c.service, project: c.project, composeFile: c.composeFile, memoryLimitBytes: c.memoryLimitBytes, oomKilled: c.oomKilled, restartCount: c.restartCount };
}

/** `docker inspect` facts, quoted as evidence. */
export function inspectFacts(c: ContainerInfo, i: InspectLike): Evidence {
  const s = i.State ?? {};
  const facts = [
    `State.Status=${s.Status ?? '?'}`, `State.OOMKilled=${s.OOMKilled === true}`, `State.ExitCode=${s.ExitCode ?? '?'}`,
    s.FinishedAt && !s.FinishedAt.startsWith('0001') ? `State.FinishedAt=${s.FinishedAt}` : null,
    `RestartCount=${i.RestartCount ?? 0}`,
    `HostConfig.Memory=${i.HostConfig?.Memory ? `${i.HostConfig.Memory} (${formatBytes(i.HostConfig.Memory)})` : '0 (no limit)'}`,
    s.Health?.Status ? `State.Health.Status=${s.Health.Status}` : null,
    s.Error ? `State.Error=${s.Error}` : null,
  ].filter(Boolean);
  return { source: 'container', text: redactText(facts.join(', ')), time: null, location: `docker inspect ${c.name}` };
}

function remediesFor(c: ContainerInfo, cause: 'oom-kill' | 'exit-nonzero' | 'unhealthy'): RemedyRef[] {
  const target = { container: c.id, name: c.name, ...(c.service ? { service: c.service } : {}) };
  const out: RemedyRef[] = [];
  if (cause === 'oom-kill' && c.composeFile && c.service) {
    const now = c.memoryLimitBytes ? Math.round(c.memoryLimitBytes / MB) : null;
    const mb = now ? Math.max(Math.ceil((now * 2) / 32) * 32, 128) : 512;
    out.push(remedy('raise-container-memory', { ...target, file: c.composeFile, megabytes: mb },
      `Raise ${c.service}'s memory limit to ${mb} MB in ${path.basename(c.composeFile)}`, `mem_limit: ${mb}m`));
  }
  const running = c.state === 'running' || c.state === 'restarting';
  out.push(running ? remedy('restart-container', target, `Restart container ${c.name}`) : remedy('start-container', target, `Start container ${c.name}`));
  return out;
}

export function oomVerdict(c: ContainerInfo, i: InspectLike, at: number): Verdict {
  const limit = c.memoryLimitBytes;
  const summary = limit
    ? `${who(c)} was killed by its ${formatBytes(limit)} memory limit (container ${c.name}, exit ${c.exitCode ?? 137})`
    : `${who(c)} was killed by the OOM killer (container ${c.name}, no memory limit of its own: the machine ran out of memory)`;
  return {
    cause: 'oom-kill', confidence: i.State?.OOMKilled ? 'high' : 'medium', server: who(c), pid: null, time: at,
    summary: redactText(summary), evidence: [inspectFacts(c, i)], topFrame: null, remedies: remediesFor(c, 'oom-kill'),
    detail: { ...(c.exitCode !== null ? { exitCode: c.exitCode } : {}), signal: 'SIGKILL', ...(limit ? { cgroupLimitBytes: limit } : {}), container: containerRef(c) },
  };
}

/** A log line that tells a failure. */
const ERRORISH = /\b(?:error|err!|fatal|fail(?:ed|ure)?|exception|panic|cannot|could not|refused|denied|abort(?:ed)?)\b/i;

export function exitVerdict(c: ContainerInfo, i: InspectLike, exitCode: number, logs: string, at: number, tail = DEFAULT_LOG_TAIL): Verdict {
  const lines = logs.split('\n').map((l) => l.replace(/\s+$/, '')).filter((l) => l !== '').slice(-tail);
  // stdout and stderr reach the engine through separate pipes: a line printed just before the error may come after
  // it. The last line that reads like an error tells why; else the last line.
  const telling = [...lines].reverse().find((l) => ERRORISH.test(l)) ?? lines[lines.length - 1];
  const last = telling !== undefined ? `: ${redactText(telling).slice(0, 200)}` : '';
  const evidence: Evidence[] = [inspectFacts(c, i)];
  if (lines.length) evidence.push({ source: 'container', text: redactText(lines.join('\n')), time: null, location: `docker logs --tail ${tail} ${c.name}` });
  return {
    cause: 'exit-nonzero', confidence: 'medium', server: who(c), pid: null, time: at,
    summary: redactText(`${who(c)} (container ${c.name}) exited with code ${exitCode}${last}`), evidence, topFrame: null,
    remedies: remediesFor(c, 'exit-nonzero'), detail: { exitCode, container: containerRef(c) },
  };
}

export function unhealthyVerdict(c: ContainerInfo, i: InspectLike, at: number): Verdict {
  const log = i.State?.Health?.Log ?? [];
  const lastCheck = log[log.length - 1];
  const output = lastCheck?.Output?.trim() ? redactText(lastCheck.Output.trim()).slice(0, 500) : null;
  const streak = i.State?.Health?.FailingStreak;
  const evidence: Evidence[] = [inspectFacts(c, i)];
  if (output) evidence.push({ source: 'container', text: `last health check (exit ${lastCheck?.ExitCode ?? '?'}): ${output}`, time: lastCheck?.End ? Date.parse(lastCheck.End) || null : null, location: `docker inspect ${c.name}` });
  return {
    cause: 'unhealthy', confidence: 'high', server: who(c), pid: null, time: at,
    summary: redactText(`${who(c)} (container ${c.name}) is unhealthy${streak ? `: ${streak} health checks failed in a row` : ''}${output ? ` — ${output.split('\n')[0].slice(0, 160)}` : ''}`),
    evidence, topFrame: null, remedies: remediesFor(c, 'unhealthy'), detail: { container: containerRef(c) },
  };
}
