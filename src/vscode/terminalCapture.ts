// Feeds what dev servers print in VS Code's terminals (shell integration) and how tasks end into the
// crash watcher's OutputFeed, so verdicts can quote the crash output and know the exit code. The feed
// keeps a bounded tail per command and only the last commands.
import * as vscode from 'vscode';
import type { MemoryOutputFeed } from '../core/crash/watcher';
import { TASK_TYPE } from './devServerTasks';

export class TerminalCapture implements vscode.Disposable {
  private readonly ids = new WeakMap<vscode.TerminalShellExecution, string>();
  private readonly taskIds = new Map<vscode.TaskExecution, string>();
  private readonly shellPids = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly userStopped = new vscode.EventEmitter<number>();
  private next = 1;

  /** A terminal command ended by the user (Ctrl-C: no exit code, or 130): the shell's pid. */
  readonly onDidUserStop = this.userStopped.event;

  constructor(private readonly feed: MemoryOutputFeed) {
    this.disposables.push(
      this.userStopped,
      vscode.window.onDidStartTerminalShellExecution((e) => void this.started(e)),
      vscode.window.onDidEndTerminalShellExecution((e) => {
        const id = this.ids.get(e.execution);
        if (!id) return;
        // An undefined exit code (Ctrl-C, or a shell that could not tell) is never taken as a crash.
        this.feed.end(id, e.exitCode);
        const pid = this.shellPids.get(id);
        this.shellPids.delete(id);
        // 143 (SIGTERM) is not the user's key: it may be anyone's kill (the extension's own are recorded before signalling).
        if (pid !== undefined && (e.exitCode === undefined || e.exitCode === 130)) this.userStopped.fire(pid);
      }),
      vscode.tasks.onDidStartTaskProcess((e) => {
        // Our own tasks report their output and exit themselves (devServerTasks.ts).
        if (e.execution.task.definition.type === TASK_TYPE) return;
        const id = `task:${this.next++}`;
        this.taskIds.set(e.execution, id);
        this.feed.start(id, { label: `task: ${e.execution.task.name}`, pid: e.processId ?? null, cwd: taskCwd(e.execution.task), command: taskCommand(e.execution.task), kind: 'task', name: e.execution.task.name });
      }),
      vscode.tasks.onDidEndTaskProcess((e) => {
        const id = this.taskIds.get(e.execution);
        if (!id) return;
        this.taskIds.delete(e.execution);
        this.feed.end(id, e.exitCode);
      }),
    );
  }

  private async started(e: vscode.TerminalShellExecutionStartEvent): Promise<void> {
    const id = `terminal:${this.next++}`;
    this.ids.set(e.execution, id);
    const command = e.execution.commandLine.value;
    // Registered at once, so the first chunk of a crash that takes milliseconds is not lost; the shell's pid follows.
    this.feed.start(id, {
      label: `terminal: ${e.terminal.name} (${command})`,
      pid: null,
      cwd: e.execution.cwd?.fsPath ?? e.shellIntegration.cwd?.fsPath ?? null,
      command,
      kind: 'terminal',
    });
    const stream = e.execution.read();
    void Promise.resolve(e.terminal.processId).then((pid) => {
      // The shell's pid: the parent of the server's root process.
      if (pid === undefined) return;
      this.feed.setPid(id, pid);
      this.shellPids.set(id, pid);
    }, () => undefined);
    try {
      for await (const chunk of stream) this.feed.append(id, chunk);
    } catch {
      // The terminal went away mid-read: keep what arrived.
    }
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function taskCommand(task: vscode.Task): string | null {
  const exec = task.execution;
  if (exec instanceof vscode.ShellExecution) {
    const cmd = exec.commandLine ?? (typeof exec.command === 'string' ? exec.command : exec.command?.value);
    if (!cmd) return null;
    const args = (exec.args ?? []).map((a) => (typeof a === 'string' ? a : a.value));
    return [cmd, ...args].join(' ');
  }
  if (exec instanceof vscode.ProcessExecution) return [exec.process, ...exec.args].join(' ');
  // npm tasks carry their script in the definition.
  const def = task.definition as { type?: string; script?: unknown };
  return def.type === 'npm' && typeof def.script === 'string' ? `npm run ${def.script}` : null;
}

function taskCwd(task: vscode.Task): string | null {
  const exec = task.execution;
  const cwd = exec instanceof vscode.ShellExecution || exec instanceof vscode.ProcessExecution ? exec.options?.cwd : undefined;
  if (cwd) return cwd;
  return typeof task.scope === 'object' && task.scope ? task.scope.uri.fsPath : null;
}
