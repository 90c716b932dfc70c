// Where the dev servers run, and so which memory ceiling a "raise the memory" remedy must name: a WSL 2
// VM (its .wslconfig memory=), a dev container or Codespace (the container's cgroup limit), Docker
// Desktop's VM, a Gitpod workspace, or this machine. Pure detection over files and environment read
// once (readMemoryCeiling), so tests feed captured /proc files and environment stand-ins.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import { formatBytes } from '../format';

export type CeilingWhere = 'wsl2' | 'devcontainer' | 'codespaces' | 'docker-desktop' | 'gitpod' | 'container' | 'machine';

export interface CeilingRemedy {
  readonly title: string;
  /** Exact text to save or type (.wslconfig lines, a devcontainer.json diff, a command). */
  readonly text: string;
  /** The file it goes into, when there is one. */
  readonly file?: string;
  /** What to do after, in order ('wsl --shutdown' from Windows…). */
  readonly then: readonly string[];
}

export interface MemoryCeiling {
  readonly where: CeilingWhere;
  /** "WSL 2", "Dev container", "GitHub Codespaces", "Docker Desktop VM", "Gitpod", "Container", "This machine". */
  readonly label: string;
  /** The ceiling in bytes: the cgroup limit, else the (VM's) memory; null when unknown. */
  readonly limitBytes: number | null;
  /** Which limit that is, in plain words. */
  readonly what: string;
  readonly remedy: CeilingRemedy | null;
}

export interface CeilingInputs {
  /** /proc/version. */
  readonly procVersion: string | null;
  /** MemTotal of /proc/meminfo in bytes. */
  readonly memTotalBytes: number | null;
  /** The memory cgroup limit of the servers (or this process); null = none. */
  readonly cgroupLimitBytes: number | null;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** /.dockerenv (or /run/.containerenv) exists. */
  readonly containerMarker: boolean;
  /** The workspace's devcontainer.json, when there is one. */
  readonly devcontainer?: { readonly file: string; readonly text: string } | null;
}

const GiB = 1024 ** 3;

/** The next whole GB at least 1.5 × the current ceiling (at least 4 GB). */
export function suggestedGb(currentBytes: number | null): number {
  if (!currentBytes) return 8;
  return Math.max(4, Math.ceil((currentBytes * 1.5) / GiB));
}

/** The lines of %UserProfile%\.wslconfig; save them as UTF-8 without BOM (WSL ignores a file with one). */
export function wslconfigText(gb: number): string {
  return ['[wsl2]', `memory=${gb}GB`, '', '[experimental]', 'autoMemoryReclaim=gradual', ''].join('\n');
}

/** A unified diff of one JSON(C) file changed by `edits`, with a few lines of context. */
function unifiedDiff(file: string, before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) { endA--; endB--; }
  const ctx = 2;
  const from = Math.max(0, start - ctx);
  const toA = Math.min(a.length - 1, endA + ctx);
  const toB = Math.min(b.length - 1, endB + ctx);
  const lines = [`--- a/${file}`, `+++ b/${file}`, `@@ -${from + 1},${toA - from + 1} +${from + 1},${toB - from + 1} @@`];
  for (let i = from; i < start; i++) lines.push(` ${a[i]}`);
  for (let i = start; i <= endA; i++) lines.push(`-${a[i]}`);
  for (let i = start; i <= endB; i++) lines.push(`+${b[i]}`);
  for (let i = endA + 1; i <= toA; i++) lines.push(` ${a[i]}`);
  return lines.join('\n');
}

/** devcontainer.json with more memory: runArgs --memory for a local dev container, hostRequirements.memory for Codespaces. */
export function devcontainerDiff(dc: { file: string; text: string } | null | undefined, gb: number, codespaces: boolean): { file: string; text: string } {
  const file = dc?.file ?? '.devcontainer/devcontainer.json';
  const before = dc?.text ?? '{\n  "name": "dev"\n}\n';
  const fmt = { formattingOptions: { insertSpaces: true, tabSize: 2 } };
  let after = before;
  if (codespaces) {
    after = applyEdits(after, modify(after, ['hostRequirements', 'memory'], `${gb}gb`, fmt));
  } else {
    const parsed = parseJsonc(before) as { runArgs?: unknown } | undefined;
    const args = Array.isArray(parsed?.runArgs) ? (parsed!.runArgs as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    const kept: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (/^--memory(?:-swap)?(?:=|$)|^-m(?:=|$)/.test(args[i])) { if (!args[i].includes('=')) i++; continue; }
      kept.push(args[i]);
    }
    after = applyEdits(after, modify(after, ['runArgs'], [...kept, `--memory=${gb}g`, `--memory-swap=${gb}g`], fmt));
  }
  return { file, text: unifiedDiff(file, before, after) };
}

/** Which ceiling applies, from what was read. */
export function detectMemoryCeiling(i: CeilingInputs): MemoryCeiling {
  const version = i.procVersion ?? '';
  const cg = i.cgroupLimitBytes;
  const wsl = /microsoft/i.test(version) && (/WSL2|microsoft-standard/i.test(version) || !!i.env.WSL_INTEROP);
  const dockerDesktopKernel = /linuxkit/i.test(version);
  const gitpod = !!(i.env.GITPOD_WORKSPACE_ID || i.env.GITPOD_HOST);
  const codespaces = i.env.CODESPACES === 'true';
  const devcontainer = i.env.REMOTE_CONTAINERS === 'true' || !!i.env.REMOTE_CONTAINERS_IPC || !!i.env.DEVCONTAINER;
  const container = i.containerMarker;
  const vmBytes = i.memTotalBytes;
  const limit = cg !== null && (vmBytes === null || cg < vmBytes) ? cg : vmBytes;
  const cgWords = cg !== null && (vmBytes === null || cg < vmBytes) ? `the container's memory cgroup limit (${formatBytes(cg)})` : null;

  if (codespaces) {
    const gb = suggestedGb(limit);
    const d = devcontainerDiff(i.devcontainer, gb, true);
    return { where: 'codespaces', label: 'GitHub Codespaces', limitBytes: limit, what: cgWords ?? `the codespace's machine type (${formatBytes(vmBytes)})`,
      remedy: { title: `Ask for a machine with ${gb} GB: hostRequirements.memory in devcontainer.json`, text: d.text, file: d.file,
        then: ['Commit the change', 'Rebuild the codespace (or create a new one) so it gets a machine type with that much memory'] } };
  }
  if (gitpod) {
    return { where: 'gitpod', label: 'Gitpod', limitBytes: limit, what: cgWords ?? `the workspace class's memory (${formatBytes(vmBytes)})`,
      remedy: { title: 'Use a larger Gitpod workspace class', text: `Workspace class with more than ${formatBytes(limit)} of memory`,
        then: ['Gitpod: User settings → Preferences → Workspace classes (or the workspace class in the project settings)', 'Start a new workspace'] } };
  }
  if (wsl && !container) {
    const gb = suggestedGb(vmBytes);
    return { where: 'wsl2', label: 'WSL 2', limitBytes: limit, what: cgWords ?? `the WSL 2 VM's memory (${formatBytes(vmBytes)}: memory= in %UserProfile%\\.wslconfig, by default half of Windows' RAM)`,
      remedy: { title: `Give the WSL 2 VM ${gb} GB: %UserProfile%\\.wslconfig`, text: wslconfigText(gb), file: '%UserProfile%\\.wslconfig',
        then: ['Save it as UTF-8 without BOM (Notepad: "UTF-8", not "UTF-8 with BOM")', 'In PowerShell: wsl --shutdown', 'Open the WSL terminal again'] } };
  }
  if (container && (devcontainer || i.devcontainer)) {
    const gb = suggestedGb(limit);
    const d = devcontainerDiff(i.devcontainer, gb, false);
    const vm = wsl ? ' inside the WSL 2 VM (its .wslconfig memory= caps it too)' : dockerDesktopKernel ? ' inside Docker Desktop\'s VM (Settings → Resources → Memory caps it too)' : '';
    return { where: 'devcontainer', label: 'Dev container', limitBytes: limit, what: `${cgWords ?? `the container host's memory (${formatBytes(vmBytes)})`}${vm}`,
      remedy: { title: `Give the dev container ${gb} GB: runArgs in devcontainer.json`, text: d.text, file: d.file,
        then: ['Dev Containers: Rebuild Container', ...(vm ? ['Raise the VM\'s memory first if it is below that'] : [])] } };
  }
  if (dockerDesktopKernel || (container && wsl)) {
    const gb = suggestedGb(vmBytes);
    return { where: 'docker-desktop', label: 'Docker Desktop VM', limitBytes: limit, what: cgWords ?? `Docker Desktop's VM memory (${formatBytes(vmBytes)})`,
      remedy: wsl
        ? { title: `Give Docker Desktop's WSL 2 VM ${gb} GB: %UserProfile%\\.wslconfig`, text: wslconfigText(gb), file: '%UserProfile%\\.wslconfig',
          then: ['Save it as UTF-8 without BOM', 'In PowerShell: wsl --shutdown', 'Restart Docker Desktop'] }
        : { title: `Give Docker Desktop's VM ${gb} GB`, text: `Docker Desktop → Settings → Resources → Memory limit: ${gb} GB`, then: ['Apply & restart'] } };
  }
  if (container) {
    const gb = suggestedGb(limit);
    return { where: 'container', label: 'Container', limitBytes: limit, what: cgWords ?? `the container host's memory (${formatBytes(vmBytes)})`,
      remedy: cg !== null ? { title: `Start the container with ${gb} GB`, text: `docker run --memory=${gb}g --memory-swap=${gb}g …  (compose: mem_limit: ${gb}g)`, then: ['Recreate the container'] } : null };
  }
  return { where: 'machine', label: 'This machine', limitBytes: limit, what: cgWords ?? `this machine's memory (${formatBytes(vmBytes)})`, remedy: null };
}

export interface ReadCeilingOptions {
  readonly procRoot?: string;
  readonly root?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cgroupLimitBytes?: number | null;
  readonly workspaceFolders?: readonly string[];
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** Reads /proc/version, MemTotal, the container markers and the workspace's devcontainer.json. Never throws. */
export function readMemoryCeiling(opts: ReadCeilingOptions = {}): MemoryCeiling {
  const procRoot = opts.procRoot ?? '/proc';
  const root = opts.root ?? '/';
  const mem = /^MemTotal:\s+(\d+)\s*kB/m.exec(read(path.join(procRoot, 'meminfo')) ?? '');
  let devcontainer: { file: string; text: string } | null = null;
  for (const folder of opts.workspaceFolders ?? []) {
    for (const rel of ['.devcontainer/devcontainer.json', '.devcontainer.json']) {
      const text = read(path.join(folder, rel));
      if (text !== null && text.length < 256 * 1024) { devcontainer = { file: rel, text }; break; }
    }
    if (devcontainer) break;
  }
  return detectMemoryCeiling({
    procVersion: read(path.join(procRoot, 'version')),
    memTotalBytes: mem ? Number(mem[1]) * 1024 : null,
    cgroupLimitBytes: opts.cgroupLimitBytes ?? null,
    env: opts.env ?? process.env,
    containerMarker: fs.existsSync(path.join(root, '.dockerenv')) || fs.existsSync(path.join(root, 'run', '.containerenv')),
    devcontainer,
  });
}
