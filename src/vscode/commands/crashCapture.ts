import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { CommandContext } from './context';

/** NODE_OPTIONS flags (appended, never replacing the user's) that make Node write a report when it dies. */
export function captureFlags(dir: string, heapSnapshot: boolean): string {
  const quoted = `"${dir.replace(/(["\\])/g, '\\$1')}"`;
  return ` --report-on-fatalerror --report-directory=${quoted}${heapSnapshot ? ` --heapsnapshot-near-heap-limit=1 --diagnostic-dir=${quoted}` : ''}`;
}

/**
 * devServerDoctor.enableCrashCapture: for this workspace's terminals only, Node writes a diagnostic
 * report (heap used and limit at the crash, the top JS frames) into the extension's storage when it
 * dies, and optionally a heap snapshot near the heap limit. Applies to terminals opened from now on.
 */
export function enableCrashCaptureCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    const choice = await vscode.window.showQuickPick([
      { label: 'Crash reports', description: '--report-on-fatalerror', heap: false },
      { label: 'Crash reports and a heap snapshot near the heap limit', description: '--heapsnapshot-near-heap-limit=1 (large files, slow to write)', heap: true },
    ], { title: 'Capture Node.js crashes in this workspace\'s terminals' });
    if (!choice) return;
    fs.mkdirSync(ctx.crashCaptureDir, { recursive: true });
    const env = ctx.environment;
    env.clear();
    env.persistent = true;
    env.description = 'Dev Server Doctor: Node.js writes a report when a dev server crashes';
    env.append('NODE_OPTIONS', captureFlags(ctx.crashCaptureDir, choice.heap));
    void vscode.window.showInformationMessage(`Dev Server Doctor: crash capture is on for terminals opened from now on (reports go to ${ctx.crashCaptureDir}).`);
  };
}

/** devServerDoctor.disableCrashCapture: removes the flags again. */
export function disableCrashCaptureCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    ctx.environment.clear();
    void vscode.window.showInformationMessage('Dev Server Doctor: crash capture is off for terminals opened from now on.');
  };
}
