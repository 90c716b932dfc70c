// Containers in the terminal: the Containers section of `status`.
import { formatBytes, formatDuration } from '../core/format';
import type { EngineStatus } from '../core/containers/containerMonitor';
import type { ContainerInfo } from '../core/containers/model';
import { redactText } from '../core/redact';

export function containerLine(c: ContainerInfo, now = Date.now()): string {
  const ports = c.ports.map((p) => `${p.hostIp === '0.0.0.0' ? '' : `${p.hostIp}:`}${p.hostPort}→${p.containerPort}`).join(' ');
  const mem = c.memoryBytes !== null ? `${formatBytes(c.memoryBytes)}${c.memoryLimitBytes ? ` / ${formatBytes(c.memoryLimitBytes)}` : ''}`
    : c.memoryLimitBytes ? `limit ${formatBytes(c.memoryLimitBytes)}` : '';
  const bits = [
    `${c.state === 'running' ? '●' : '○'} ${c.state.padEnd(8)}`,
    c.service ? `${c.service} (${c.name})` : c.name,
    c.health ?? '',
    ports,
    mem,
    c.restartCount ? `restarts ${c.restartCount}` : '',
    c.state === 'running' && c.startedAt ? `up ${formatDuration(now - c.startedAt)}` : '',
    c.state !== 'running' && c.exitCode !== null ? `exit ${c.exitCode}${c.oomKilled ? ' (OOM-killed)' : ''}` : '',
  ];
  return `  ${bits.filter(Boolean).join('  ')}`;
}

/** The Containers section: one line per workspace container, or the one line saying there is no engine. */
export function formatContainers(list: readonly ContainerInfo[], engine: EngineStatus): string {
  if (!engine.available) return redactText(`\nContainers\n  ${engine.message}`);
  if (list.length === 0) return redactText(`\nContainers (${engine.message})\n  none belong to this workspace`);
  return redactText(['', `Containers (${engine.message})`, ...list.map((c) => containerLine(c))].join('\n'));
}
