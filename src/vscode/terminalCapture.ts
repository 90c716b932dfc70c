// Captures what dev servers print in VS Code's terminals (shell integration) and how tasks end, so
// verdicts can quote the crash output and know the exit code. Bounded: a chatty server costs at most
// MAX_OUTPUT_BYTES per command, and only the last MAX_EXECUTIONS commands are kept.
import * as vscode from 'vscode';

const MAX_OUTPUT_BYTES = 256 * 1024;
const MAX_EXECUTIONS = 50;

export interface CapturedExecution {
  readonly id: number;
  readonly source: 'terminal' | 'task';
  readonly name: string;
  readonly commandLine: string;
  readonly cwd: string | null;
  /** The shell's pid (terminal) or the task process's pid. */
  readonly pid: number | null;
  readonly startedAt: number;
  endedAt: number | null;
  /** undefined while running, and for a terminal command the shell could not report (Ctrl-C often). */
  exitCode: number | undefined;
  output: string;
}

/** Keeps the tail of `text` within `max` characters, cut at a line start. */
export function keepTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max);
  const nl = cut.indexOf('\n');
  return nl >= 0 && nl < cut.length - 1 ? cut.slice(nl + 1) : cut;
}

export class TerminalCapture implements vscode.Disposable {
  private readonly executions: CapturedExecution[] = [];
  private readonly byExecution = new WeakMap<vscode.TerminalShellExecution, CapturedExecution>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly ended = new vscode.EventEmitter<CapturedExecution>();
  private nextId = 1;

  /** A command or task finished (exit code known or not). */
  readonly onDidEnd = this.ended.event;

  constructor() {
    this.disposables.push(
      this.ended,
      vscode.window.onDidStartTerminalShellExecution((e) => void this.started(e)),
      vscode.window.onDidEndTerminalShellExecution((e) => {
        const rec = this.byExecution.get(e.execution);
        if (!rec) return;
        rec.endedAt = Date.now();
        rec.exitCode = e.exitCode;
        this.ended.fire(rec);
      }),
      vscode.tasks.onDidStartTaskProcess((e) => {
        this.add({
          source: 'task', name: e.execution.task.name, commandLine: taskCommand(e.execution.task), cwd: taskCwd(e.execution.task),
          pid: e.processId ?? null, startedAt: Date.now(), endedAt: null, exitCode: undefined, output: '',
        });
      }),
      vscode.tasks.onDidEndTaskProcess((e) => {
        const rec = [...this.executions].reverse().find((x) => x.source === 'task' && x.name === e.execution.task.name && x.endedAt === null);
        if (!rec) return;
        rec.endedAt = Date.now();
        rec.exitCode = e.exitCode;
        this.ended.fire(rec);
      }),
    );
  }

  /** Commands and tasks that ran since `sinceMs`, newest first. */
  recent(sinceMs: number): readonly CapturedExecution[] {
    return this.executions.filter((x) => (x.endedAt ?? Date.now()) >= sinceMs).reverse();
  }

  private add(rec: Omit<CapturedExecution, 'id'>): CapturedExecution {
    const full: CapturedExecution = { id: this.nextId++, ...rec };
    this.executions.push(full);
    if (this.executions.length > MAX_EXECUTIONS) this.executions.splice(0, this.executions.length - MAX_EXECUTIONS);
    return full;
  }

  private async started(e: vscode.TerminalShellExecutionStartEvent): Promise<void> {
    const rec = this.add({
      source: 'terminal',
      name: e.terminal.name,
      commandLine: e.execution.commandLine.value,
      cwd: e.execution.cwd?.fsPath ?? e.shellIntegration.cwd?.fsPath ?? null,
      pid: (await e.terminal.processId) ?? null,
      startedAt: Date.now(),
      endedAt: null,
      exitCode: undefined,
      output: '',
    });
    this.byExecution.set(e.execution, rec);
    try {
      for await (const chunk of e.execution.read()) {
        rec.output = keepTail(rec.output + chunk, MAX_OUTPUT_BYTES);
      }
    } catch {
      // The terminal went away mid-read: keep what arrived.
    }
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function taskCommand(task: vscode.Task): string {
  const exec = task.execution;
  if (exec instanceof vscode.ShellExecution) {
    const cmd = typeof exec.command === 'string' ? exec.command : exec.command?.value ?? exec.commandLine ?? '';
    const args = (exec.args ?? []).map((a) => (typeof a === 'string' ? a : a.value));
    return [cmd, ...args].join(' ').trim() || exec.commandLine || task.name;
  }
  if (exec instanceof vscode.ProcessExecution) return [exec.process, ...exec.args].join(' ');
  return task.name;
}

function taskCwd(task: vscode.Task): string | null {
  const exec = task.execution;
  const cwd = exec instanceof vscode.ShellExecution || exec instanceof vscode.ProcessExecution ? exec.options?.cwd : undefined;
  if (cwd) return cwd;
  return typeof task.scope === 'object' && task.scope ? task.scope.uri.fsPath : null;
}
