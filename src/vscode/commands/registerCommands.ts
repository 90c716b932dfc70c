import * as vscode from 'vscode';
import type { CommandContext } from './context';
import { LastResults } from './results';
import { copyPidCommand } from './copyPid';
import { focusCommand } from './focus';
import { disableCrashCaptureCommand, enableCrashCaptureCommand } from './crashCapture';
import { freeDiskCommand } from './freeDisk';
import { markResolvedCommand } from './markResolved';
import { startServerCommand } from './startServer';
import { startSupervisedCommand } from './startSupervised';
import { stopSupervisedCommand } from './stopSupervised';
import { investigateCrashCommand } from './investigateCrash';
import { killPortHolderCommand } from './killPortHolder';
import { killProcessTreeCommand } from './killProcessTree';
import { killZombiesCommand } from './killZombies';
import { npmInstallCommand } from './npmInstall';
import { raiseHeapLimitCommand } from './raiseHeapLimit';
import { raiseInotifyLimitCommand } from './raiseInotifyLimit';
import { restartServerCommand } from './restartServer';
import { openInBrowserCommand } from './openInBrowser';
import { refreshCommand } from './refresh';
import { captureHeapSnapshotCommand } from './captureHeapSnapshot';
import { clearBuildCacheCommand } from './clearBuildCache';
import { rebuildNativeModuleCommand } from './rebuildNativeModule';
import { showRemedyCommand } from './showRemedy';
import { switchNodeVersionCommand } from './switchNodeVersion';
import { raiseContainerMemoryCommand } from './raiseContainerMemory';
import { restartContainerCommand } from './restartContainer';
import { startContainerCommand } from './startContainer';
import { startDependencyCommand } from './startDependency';
import { stopContainerCommand } from './stopContainer';
import { waitThenRestartCommand } from './waitThenRestart';
import { openFileCommand } from './openFile';
import { raiseFdLimitCommand } from './raiseFdLimit';
import { findWhereStuckCommand } from './findWhereStuck';
import { loadTestCommand } from './loadTest';
import { openDashboardCommand } from './openDashboard';
import { openCrashReportCommand } from './openCrashReport';

/**
 * Every command of the extension, wired in one place. Failures are logged and shown, never thrown at the
 * user. What a command returns is its result for executeCommand, and is kept in `results`.
 */
export function registerCommands(ctx: CommandContext, results = new LastResults()): vscode.Disposable[] {
  const commands: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    'devServerDoctor.refresh': refreshCommand(ctx),
    'devServerDoctor.openInBrowser': openInBrowserCommand(ctx),
    'devServerDoctor.copyPid': copyPidCommand(ctx),
    'devServerDoctor.focus': focusCommand(),
    'devServerDoctor.investigateCrash': investigateCrashCommand(ctx),
    'devServerDoctor.killZombies': killZombiesCommand(ctx),
    'devServerDoctor.killProcessTree': killProcessTreeCommand(ctx),
    'devServerDoctor.killPortHolder': killPortHolderCommand(ctx),
    'devServerDoctor.freeDisk': freeDiskCommand(ctx),
    'devServerDoctor.raiseHeapLimit': raiseHeapLimitCommand(ctx),
    'devServerDoctor.restartServer': restartServerCommand(ctx),
    'devServerDoctor.npmInstall': npmInstallCommand(ctx),
    'devServerDoctor.raiseInotifyLimit': raiseInotifyLimitCommand(ctx),
    'devServerDoctor.rebuildNativeModule': rebuildNativeModuleCommand(ctx),
    'devServerDoctor.switchNodeVersion': switchNodeVersionCommand(ctx),
    'devServerDoctor.captureHeapSnapshot': captureHeapSnapshotCommand(ctx),
    'devServerDoctor.clearBuildCache': clearBuildCacheCommand(ctx),
    'devServerDoctor.showRemedy': showRemedyCommand(ctx),
    'devServerDoctor.startServer': startServerCommand(ctx),
    'devServerDoctor.startSupervised': startSupervisedCommand(ctx),
    'devServerDoctor.stopSupervised': stopSupervisedCommand(ctx),
    'devServerDoctor.markResolved': markResolvedCommand(ctx),
    'devServerDoctor.enableCrashCapture': enableCrashCaptureCommand(ctx),
    'devServerDoctor.disableCrashCapture': disableCrashCaptureCommand(ctx),
    'devServerDoctor.openFile': openFileCommand(),
    'devServerDoctor.raiseFdLimit': raiseFdLimitCommand(),
    'devServerDoctor.findWhereStuck': findWhereStuckCommand(ctx),
    'devServerDoctor.loadTest': loadTestCommand(ctx),
    'devServerDoctor.startContainer': startContainerCommand(ctx),
    'devServerDoctor.stopContainer': stopContainerCommand(ctx),
    'devServerDoctor.restartContainer': restartContainerCommand(ctx),
    'devServerDoctor.raiseContainerMemory': raiseContainerMemoryCommand(ctx),
    'devServerDoctor.startDependency': startDependencyCommand(ctx),
    'devServerDoctor.waitThenRestart': waitThenRestartCommand(ctx),
    'devServerDoctor.openDashboard': openDashboardCommand(ctx),
    'devServerDoctor.openCrashReport': openCrashReportCommand(ctx),
  };
  return Object.entries(commands).map(([id, run]) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        const result = await run(...args);
        results.record(id, result);
        return result;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        ctx.log.error(`${id} failed: ${message}`);
        void vscode.window.showErrorMessage(`Dev Server Doctor: ${message}`, 'Open Log').then((choice) => {
          if (choice) ctx.log.show();
        });
        return undefined;
      }
    }));
}
