// One poll of the workspace, the way every verb takes it.
import type { HealthAnnotator } from '../core/health/checker';
import { Monitor } from '../core/monitor';
import { DEFAULT_SETTINGS, type CoreSettings } from '../core/settings';
import { createProbe } from '../core/system/probe';
import type { Snapshot, SystemProbe } from '../core/types';
import type { CliDeps } from './args';

export function probeOf(deps: CliDeps): SystemProbe {
  return deps.probe ?? createProbe();
}

/** A Monitor over the workspace folders; the caller disposes it. */
export function monitorFor(folders: readonly string[], deps: CliDeps, settings: Partial<CoreSettings> = {}, health?: HealthAnnotator): Monitor {
  return new Monitor({ probe: probeOf(deps), workspaceFolders: [...folders], settings: { ...DEFAULT_SETTINGS, ...settings }, ...(health ? { health } : {}) });
}

/** One snapshot of the workspace. */
export async function pollOnce(folders: readonly string[], deps: CliDeps): Promise<Snapshot> {
  const monitor = monitorFor(folders, deps);
  try {
    return await monitor.pollOnce();
  } finally {
    monitor.dispose();
  }
}
