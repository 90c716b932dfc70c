// Real containers for live tests, without a registry: an imported empty image that runs the host's node
// (host /usr, /lib, /lib64, /bin bind-mounted read-only). Every container made here is removed by id.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findEngine } from '../../src/core/containers/engine';

export const EMPTY_IMAGE = 'local/dsd-empty';
export const HOST_MOUNTS = ['/usr', '/lib', '/lib64', '/bin'].filter((d) => fs.existsSync(d)).flatMap((d) => ['-v', `${d}:${d}:ro`]);

function docker(args: readonly string[], input?: Buffer): { ok: boolean; out: string } {
  const r = spawnSync('docker', args, { input, encoding: 'buffer', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}`.trim() };
}

/** Why Docker cannot be used here, or null when it can (an engine answers `docker info`). */
export function dockerMissing(): string | null {
  if (!findEngine().address) return findEngine().reason;
  const info = docker(['info', '--format', '{{.ServerVersion}}']);
  return info.ok ? null : `the docker engine does not answer: ${info.out.split('\n')[0]}`;
}

/** Imports the empty image once (a tar of a few empty folders). */
export function ensureEmptyImage(): void {
  if (docker(['image', 'inspect', EMPTY_IMAGE]).ok) return;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-rootfs-'));
  try {
    for (const d of ['tmp', 'proc', 'sys', 'dev', 'etc']) fs.mkdirSync(path.join(root, d));
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { encoding: 'buffer' });
    const r = docker(['import', '-', EMPTY_IMAGE], tar.stdout);
    if (!r.ok) throw new Error(`docker import failed: ${r.out}`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

export interface CliInspect {
  readonly State: { readonly Running: boolean; readonly OOMKilled: boolean; readonly ExitCode: number; readonly FinishedAt: string };
  readonly RestartCount: number;
  readonly NetworkSettings: { readonly Ports: Record<string, { readonly HostIp: string; readonly HostPort: string }[]> };
}

export class ContainerJar {
  private readonly ids = new Set<string>();

  /** `docker run -d` with the host's node available; returns the container id. */
  run(args: readonly string[], command: readonly string[]): string {
    const r = docker(['run', '-d', '--label', 'dev-server-doctor.test=1', ...HOST_MOUNTS, ...args, EMPTY_IMAGE, ...command]);
    if (!r.ok) throw new Error(`docker run failed: ${r.out}`);
    const id = r.out.split('\n').pop()!.trim();
    this.ids.add(id);
    return id;
  }

  /** `docker inspect`, as the CLI prints it: the ground truth the tests compare with. */
  inspect(id: string): CliInspect {
    const r = docker(['inspect', id]);
    if (!r.ok) throw new Error(`docker inspect failed: ${r.out}`);
    return (JSON.parse(r.out) as CliInspect[])[0];
  }

  cli(args: readonly string[]): { ok: boolean; out: string } {
    return docker(args);
  }

  cleanup(): void {
    for (const id of this.ids) docker(['rm', '-f', '-v', id]);
    this.ids.clear();
  }
}

/** Compose's labels, set by hand (they are plain labels), placing a container in `workingDir`. */
export function composeLabels(project: string, service: string, workingDir: string): string[] {
  return ['--label', `com.docker.compose.project=${project}`, '--label', `com.docker.compose.service=${service}`,
    '--label', `com.docker.compose.project.working_dir=${workingDir}`,
    '--label', `com.docker.compose.project.config_files=${path.join(workingDir, 'docker-compose.yml')}`];
}
