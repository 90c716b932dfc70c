// The `containers` of `status --json` and the one-shot read the CLI does (connect, list, inspect, done).
import { redactText } from '../redact';
import { ContainerMonitor, type EngineStatus } from './containerMonitor';
import type { EngineAddress } from './engine';
import type { ContainerInfo } from './model';
import type { Verdict } from '../crash/types';

/** Field names are a contract (issue 11): add, never rename. */
export interface StatusContainerJson {
  name: string;
  service: string | null;
  project: string | null;
  state: string;
  health: string | null;
  ports: { hostIp: string; hostPort: number; containerPort: number; protocol: string }[];
  memoryBytes: number | null;
  memoryLimitBytes: number | null;
  restartCount: number;
  oomKilled: boolean;
  exitCode: number | null;
  // additions beyond the contract
  id: string;
  image: string;
  workspaceFolder: string;
  composeFile: string | null;
  startedAt: string | null;
}

export function toStatusContainers(list: readonly ContainerInfo[]): StatusContainerJson[] {
  return list.map((c) => ({
    name: c.name, service: c.service, project: c.project, state: c.state, health: c.health,
    ports: c.ports.map((p) => ({ ...p })), memoryBytes: c.memoryBytes, memoryLimitBytes: c.memoryLimitBytes,
    restartCount: c.restartCount, oomKilled: c.oomKilled, exitCode: c.exitCode,
    id: c.id, image: redactText(c.image), workspaceFolder: c.workspaceFolder, composeFile: c.composeFile,
    startedAt: c.startedAt ? new Date(c.startedAt).toISOString() : null,
  }));
}

/** What investigate and status --json take about containers. */
export interface ContainerFacts {
  readonly engine: EngineStatus;
  readonly containers: ContainerInfo[];
  /** Crashes found by inspecting them (only when asked with `sinceMs`). */
  readonly verdicts: Verdict[];
}

/** Connects once, lists the workspace's containers (and, with `sinceMs`, their crashes since then) and disconnects. Never throws. */
export async function readContainersOnce(workspaceFolders: readonly string[], address?: EngineAddress | null, sinceMs?: number): Promise<ContainerFacts> {
  const monitor = new ContainerMonitor({ workspaceFolders: () => workspaceFolders, ...(address !== undefined ? { address } : {}) });
  try {
    await monitor.start();
    const verdicts = sinceMs !== undefined ? await monitor.investigate(sinceMs) : [];
    return { engine: monitor.status(), containers: [...monitor.containers()], verdicts };
  } catch {
    return { engine: monitor.status(), containers: [], verdicts: [] };
  } finally {
    monitor.dispose();
  }
}
