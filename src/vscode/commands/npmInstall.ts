import * as path from 'node:path';
import * as vscode from 'vscode';
import { packageManagerOf, projectFolders } from '../../core/remedies/preflight';
import { folderOf } from '../../core/paths';
import { workspaceFolderPaths } from '../config';
import { confirm, requireTrust } from '../ui';
import type { CommandContext } from './context';
import { MAX_PACKAGE_JSON_BYTES, readWorkspaceFile } from '../../core/workspace/readWorkspaceFile';

/**
 * devServerDoctor.npmInstall ({ cwd, package? } from a missing-module verdict or a failed pre-flight):
 * installs the project's dependencies, or adds the missing package after asking, in a terminal.
 */
export function npmInstallCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Installing dependencies')) return;
    const a = (typeof arg === 'object' && arg !== null ? arg : {}) as { cwd?: unknown; package?: unknown };
    let cwd = typeof a.cwd === 'string' ? a.cwd : undefined;
    if (!cwd) {
      const folders = [...new Set((ctx.snapshot()?.servers ?? []).map((s) => s.cwd))];
      cwd = folders.length === 1 ? folders[0] : (await vscode.window.showQuickPick(folders.length ? folders : workspaceFolderPaths(), { title: 'Install dependencies in which folder?' }));
    }
    if (!cwd) return;
    const ws = folderOf(cwd, workspaceFolderPaths()) ?? cwd;
    const pm = packageManagerOf(projectFolders(cwd, ws));
    const pkg = typeof a.package === 'string' ? a.package : undefined;
    let command = `${pm} install`;
    if (pkg) {
      let declared = false;
      try {
        const read = readWorkspaceFile(path.join(cwd, 'package.json'), MAX_PACKAGE_JSON_BYTES);
        const json = JSON.parse('text' in read ? read.text : '{}') as Record<string, Record<string, string> | undefined>;
        declared = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'].some((f) => json[f]?.[pkg] !== undefined);
      } catch { /* no readable package.json: treat as undeclared */ }
      if (!declared) {
        const add = pm === 'npm' ? `npm install ${pkg}` : `${pm} add ${pkg}`;
        if (!(await confirm(`${pkg} is not in ${path.join(cwd, 'package.json')}. Add it?`, `Runs "${add}" in ${cwd}. If the name is a typo, fix the import instead.`, 'Add Package'))) return;
        command = add;
      }
    }
    const terminal = vscode.window.createTerminal({ name: `${pm} install`, cwd });
    terminal.show();
    terminal.sendText(command);
    ctx.log.info(`ran "${command}" in ${cwd}`);
  };
}
