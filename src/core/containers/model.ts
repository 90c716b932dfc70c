// Containers as the extension shows them, and which of them belong to the workspace. Pure.
import * as path from 'node:path';
import { folderOf, isInside } from '../paths';

export const COMPOSE_PROJECT = 'com.docker.compose.project';
export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_WORKING_DIR = 'com.docker.compose.project.working_dir';
export const COMPOSE_CONFIG_FILES = 'com.docker.compose.project.config_files';

export type ContainerHealth = 'healthy' | 'unhealthy' | 'starting' | null;

export interface ContainerPort {
  readonly hostIp: string;
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: string;
}

/** One container of the workspace. */
export interface ContainerInfo {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly service: string | null;
  readonly project: string | null;
  /** created, running, paused, restarting, removing, exited, dead. */
  readonly state: string;
  readonly health: ContainerHealth;
  readonly ports: readonly ContainerPort[];
  readonly memoryBytes: number | null;
  readonly memoryLimitBytes: number | null;
  readonly restartCount: number;
  readonly oomKilled: boolean;
  readonly exitCode: number | null;
  /** Epoch ms; null when never started / not finished. */
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly pid: number | null;
  readonly workspaceFolder: string;
  /** Why it belongs to the workspace: its compose labels or a bind mount. */
  readonly belongsBy: 'compose' | 'mount';
  /** The compose file declaring its service, when the labels name one inside the workspace. */
  readonly composeFile: string | null;
  readonly composeWorkingDir: string | null;
}

/** The parts of `docker inspect` this extension reads (dockerode's ContainerInspectInfo fits). */
export interface InspectLike {
  readonly Id: string;
  readonly Name: string;
  readonly RestartCount?: number;
  readonly Config?: { readonly Image?: string; readonly Labels?: Record<string, string> | null };
  readonly State?: {
    readonly Status?: string; readonly OOMKilled?: boolean; readonly ExitCode?: number; readonly Pid?: number;
    readonly StartedAt?: string; readonly FinishedAt?: string; readonly Error?: string;
    readonly Health?: { readonly Status?: string; readonly FailingStreak?: number; readonly Log?: readonly { readonly ExitCode?: number; readonly Output?: string; readonly End?: string }[] } | null;
  };
  readonly HostConfig?: { readonly Memory?: number; readonly MemorySwap?: number };
  readonly Mounts?: readonly { readonly Type?: string; readonly Source?: string }[];
  readonly NetworkSettings?: { readonly Ports?: Record<string, readonly { readonly HostIp: string; readonly HostPort: string }[] | null> | null };
}

/** The workspace folder a container belongs to: compose working dir or config file inside it, else a bind mount inside it. */
export function workspaceOwner(labels: Readonly<Record<string, string>> | null | undefined, mounts: readonly { Type?: string; Source?: string }[] | undefined,
  folders: readonly string[]): { folder: string; by: 'compose' | 'mount'; composeFile: string | null } | null {
  const l = labels ?? {};
  const workingDir = l[COMPOSE_WORKING_DIR];
  const configFiles = (l[COMPOSE_CONFIG_FILES] ?? '').split(',').map((f) => f.trim()).filter(Boolean)
    .map((f) => (path.isAbsolute(f) || !workingDir ? f : path.join(workingDir, f)));
  const inside = configFiles.find((f) => path.isAbsolute(f) && folderOf(f, folders) !== null);
  if (inside) return { folder: folderOf(inside, folders)!, by: 'compose', composeFile: inside };
  if (workingDir && path.isAbsolute(workingDir)) {
    const folder = folderOf(workingDir, folders);
    if (folder) return { folder, by: 'compose', composeFile: configFiles[0] ?? null };
  }
  for (const m of mounts ?? []) {
    if (m.Type !== 'bind' || !m.Source || !path.isAbsolute(m.Source)) continue;
    // A mount of a folder that holds the whole workspace (/, /home) says nothing about belonging.
    const folder = folderOf(m.Source, folders);
    if (folder && isInside(m.Source, folder)) return { folder, by: 'mount', composeFile: null };
  }
  return null;
}

function epoch(s: string | undefined): number | null {
  if (!s || s.startsWith('0001-01-01')) return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

export function portsOf(i: InspectLike): ContainerPort[] {
  const out: ContainerPort[] = [];
  for (const [spec, binds] of Object.entries(i.NetworkSettings?.Ports ?? {})) {
    const [cport, protocol = 'tcp'] = spec.split('/');
    for (const b of binds ?? []) {
      const hostPort = Number(b.HostPort);
      if (Number.isInteger(hostPort) && hostPort > 0) out.push({ hostIp: b.HostIp || '0.0.0.0', hostPort, containerPort: Number(cport), protocol });
    }
  }
  return out.sort((a, b) => a.hostPort - b.hostPort || a.hostIp.localeCompare(b.hostIp));
}

/** A workspace container from its inspect data; null when it is not the workspace's. */
export function toContainerInfo(i: InspectLike, folders: readonly string[], memory: { usageBytes: number | null; limitBytes: number | null } | null): ContainerInfo | null {
  const labels = i.Config?.Labels ?? {};
  const owner = workspaceOwner(labels, i.Mounts, folders);
  if (!owner) return null;
  const health = i.State?.Health?.Status;
  const status = i.State?.Status ?? 'unknown';
  const configured = i.HostConfig?.Memory ? i.HostConfig.Memory : null;
  return {
    id: i.Id,
    name: i.Name.replace(/^\//, ''),
    image: i.Config?.Image ?? '',
    service: labels[COMPOSE_SERVICE] ?? null,
    project: labels[COMPOSE_PROJECT] ?? null,
    state: status,
    health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : null,
    ports: portsOf(i),
    memoryBytes: status === 'running' ? memory?.usageBytes ?? null : null,
    memoryLimitBytes: configured ?? memory?.limitBytes ?? null,
    restartCount: i.RestartCount ?? 0,
    oomKilled: i.State?.OOMKilled === true,
    exitCode: status === 'running' || status === 'created' ? null : i.State?.ExitCode ?? null,
    startedAt: epoch(i.State?.StartedAt),
    finishedAt: epoch(i.State?.FinishedAt),
    pid: i.State?.Pid ? i.State.Pid : null,
    workspaceFolder: owner.folder,
    belongsBy: owner.by,
    composeFile: owner.composeFile,
    composeWorkingDir: labels[COMPOSE_WORKING_DIR] ?? null,
  };
}

/** Removes the 8-byte frame headers of a non-TTY container's log stream (stdout and stderr multiplexed). */
export function demuxLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2 || buf[i] === 0) && buf[i + 1] === 0 && buf[i + 2] === 0 && buf[i + 3] === 0) {
    const len = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + len));
    i += 8 + len;
  }
  // A TTY container's logs have no headers.
  return (i === 0 ? buf : Buffer.concat(parts)).toString('utf8');
}
