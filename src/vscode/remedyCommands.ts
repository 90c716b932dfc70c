// Each remedy of the catalogue as the VS Code command that applies it. The one place where remedy ids
// meet command ids: buttons, report links and the pre-flight fixes all go through here (ui.ts runs them).
// Pure: no `vscode` import, so the unit tests check the mapping and the links.
import type { RemedyId, RemedyRef } from '../core/remedies/catalogue';

export const REMEDY_COMMANDS: Readonly<Record<RemedyId, string>> = {
  'restart-server': 'devServerDoctor.restartServer',
  'start-server': 'devServerDoctor.startServer',
  'raise-heap-limit': 'devServerDoctor.raiseHeapLimit',
  'kill-port-holder': 'devServerDoctor.killPortHolder',
  'kill-zombies': 'devServerDoctor.killZombies',
  'kill-process-tree': 'devServerDoctor.killProcessTree',
  'free-disk': 'devServerDoctor.freeDisk',
  'raise-inotify-limit': 'devServerDoctor.raiseInotifyLimit',
  'install-dependencies': 'devServerDoctor.npmInstall',
  'raise-fd-limit': 'devServerDoctor.raiseFdLimit',
  'investigate': 'devServerDoctor.investigateCrash',
  'open-file': 'devServerDoctor.openFile',
  'find-where-stuck': 'devServerDoctor.findWhereStuck',
  'load-test': 'devServerDoctor.loadTest',
  'rebuild-native-module': 'devServerDoctor.rebuildNativeModule',
  'switch-node-version': 'devServerDoctor.switchNodeVersion',
  'use-unprivileged-port': 'devServerDoctor.showRemedy',
  'use-ipv4-loopback': 'devServerDoctor.showRemedy',
  'use-other-inspector-port': 'devServerDoctor.showRemedy',
  'capture-heap-snapshot': 'devServerDoctor.captureHeapSnapshot',
  'clear-build-cache': 'devServerDoctor.clearBuildCache',
  'raise-memory-ceiling': 'devServerDoctor.showRemedy',
  'raise-process-limit': 'devServerDoctor.showRemedy',
  'start-dependency': 'devServerDoctor.startDependency',
  'wait-then-restart': 'devServerDoctor.waitThenRestart',
  'start-container': 'devServerDoctor.startContainer',
  'stop-container': 'devServerDoctor.stopContainer',
  'restart-container': 'devServerDoctor.restartContainer',
  'raise-container-memory': 'devServerDoctor.raiseContainerMemory',
};

/** Every command a remedy can run: the only command links the report webview enables. */
export const REMEDY_COMMAND_IDS: readonly string[] = [...new Set(Object.values(REMEDY_COMMANDS))];

/** The command and its argument for a remedy. */
export function remedyCommand(r: RemedyRef): { command: string; arg: unknown } {
  return { command: REMEDY_COMMANDS[r.id], arg: r.args };
}

/** `command:id?{json}`: the target of a remedy's link in the report webview (and the only kind it lets through). */
export function remedyHref(r: RemedyRef): string {
  const { command, arg } = remedyCommand(r);
  return `command:${command}${arg === undefined ? '' : `?${encodeURIComponent(JSON.stringify(arg))}`}`;
}

/** `[Title](command:id?{json})`, as our report webview runs it; the exact change follows as code. */
export function remedyLink(r: RemedyRef): string {
  const title = r.title.replace(/([\\`*_[\]<>|])/g, '\\$1');
  return `[${title}](${remedyHref(r)})${r.detail ? ` — \`${r.detail.replace(/`/g, "'")}\`` : ''}`;
}
