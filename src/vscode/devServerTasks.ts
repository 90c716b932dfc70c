// Tasks of type `devServerDoctor`: a dev server's script (or a command) run as a VS Code task whose
// output the crash watcher reads as it streams. VS Code gives extensions no way to read what a shell or
// npm task prints (before 1.106 task terminals fire no shell-execution events), so these tasks run the
// command themselves (the core Supervisor, in a pseudoterminal) and pass its output through unchanged:
// no problem matcher needed, colours kept, Ctrl-C stops it and is never a crash.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExpectedStops } from '../core/crash/expectedStops';
import type { MemoryOutputFeed } from '../core/crash/watcher';
import { resolveWorkspaceFolder, scriptPath } from '../core/paths';
import { packageManagerOf, projectFolders } from '../core/remedies/preflight';
import { Supervisor } from '../core/supervisor/supervisor';
import type { Server, Snapshot } from '../core/types';
import { supervisionSettings } from './config';

export const TASK_TYPE = 'devServerDoctor';

/** What tasks.json says: `{ "type": "devServerDoctor", "script": "dev", "path": "packages/api" }` or `"command": "node server.js"`. */
export interface DevServerTaskDefinition extends vscode.TaskDefinition {
  readonly script?: string;
  readonly command?: string;
  /** The package's folder, relative to the workspace folder (as npm tasks say it). */
  readonly path?: string;
  /** Restart it after a crash, as Start Supervised does. */
  readonly restart?: boolean;
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? os.constants.signals[signal] : undefined;
  return n ? 128 + n : 1;
}

export class DevServerTaskProvider implements vscode.TaskProvider, vscode.Disposable {
  private next = 1;
  private readonly running = new Set<Supervisor>();

  constructor(
    private readonly feed: MemoryOutputFeed,
    private readonly snapshot: () => Snapshot | undefined,
    /** Where the supervisor records the stops the user asks for (never a crash, never an outage). */
    private readonly stops: ExpectedStops,
  ) {}

  /** One task per declared script of the workspace's servers. */
  provideTasks(): vscode.Task[] {
    const servers = (this.snapshot()?.servers ?? []).filter((s) => s.source === 'package.json' && s.script);
    const tasks: vscode.Task[] = [];
    for (const s of servers) {
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(s.cwd));
      if (!folder) continue;
      const rel = path.relative(folder.uri.fsPath, s.cwd).split(path.sep).join('/');
      const def: DevServerTaskDefinition = { type: TASK_TYPE, script: s.script!, ...(rel ? { path: rel } : {}) };
      const task = this.resolveTask(new vscode.Task(def, folder, rel ? `${s.script} - ${rel}` : s.script!, 'Dev Server Doctor'));
      if (task) {
        task.detail = s.command;
        tasks.push(task);
      }
    }
    return tasks;
  }

  /** Gives a tasks.json entry of our type its execution. */
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const def = task.definition as DevServerTaskDefinition;
    if (def.type !== TASK_TYPE) return undefined;
    const folder = typeof task.scope === 'object' && task.scope ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    const resolved = new vscode.Task(def, folder, task.name, task.source || 'Dev Server Doctor',
      new vscode.CustomExecution(async (d) => this.pty(d as DevServerTaskDefinition, folder, task.name)), []);
    resolved.isBackground = true;
    return resolved;
  }

  private pty(def: DevServerTaskDefinition, folder: vscode.WorkspaceFolder, taskName: string): vscode.Pseudoterminal {
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number>();
    const say = (text: string) => write.fire(text.replace(/\r?\n/g, '\r\n'));
    const wsPath = resolveWorkspaceFolder(folder.uri.fsPath);
    const cwd = def.path ? path.resolve(wsPath, def.path) : wsPath;
    const command = typeof def.command === 'string' && def.command.trim() ? def.command.trim()
      : typeof def.script === 'string' && def.script ? `${packageManagerOf(projectFolders(cwd, wsPath))} run ${def.script}` : null;
    const server = this.serverOf(cwd, def.script ?? null, command);
    const name = server?.name ?? taskName;
    let sup: Supervisor | null = null;
    let closed = false;
    const unsubscribe: (() => void)[] = [];
    const end = (code: number) => {
      if (closed) return;
      closed = true;
      unsubscribe.splice(0).forEach((u) => u());
      if (sup) this.running.delete(sup);
      close.fire(code);
    };
    return {
      onDidWrite: write.event,
      onDidClose: close.event,
      open: () => {
        if (!command) {
          say(`Dev Server Doctor: this task needs a "script" (of the package.json in its "path") or a "command".\n`);
          end(2);
          return;
        }
        const s = supervisionSettings(name);
        const supervisor = new Supervisor({
          name, command, cwd,
          env: { ...process.env, PATH: scriptPath(cwd, wsPath), FORCE_COLOR: '1' },
          restartOnCrash: def.restart === true,
          expectedStops: this.stops,
          restart: { maxRestarts: s.maxRestarts, windowMs: s.windowMs },
        });
        sup = supervisor;
        this.running.add(supervisor);
        let feedId: string | null = null;
        let lastRun = 0;
        unsubscribe.push(
          supervisor.onOutput((c) => {
            say(c.text);
            if (feedId && c.stream !== 'supervisor') this.feed.append(feedId, c.text);
          }),
          supervisor.onState((st) => {
            if (st.status === 'running' && st.run !== lastRun && st.pid !== null) {
              lastRun = st.run;
              feedId = `devtask:${this.next++}`;
              this.feed.start(feedId, { label: `task: ${taskName}${st.run > 1 ? ` (run ${st.run})` : ''}`, pid: st.pid, cwd, command, kind: 'task', name });
            }
            if (st.status === 'exited' || st.status === 'stopped' || st.status === 'gave-up') {
              const last = st.lastRun;
              end(!last || last.ending === 'stopped' ? 130 : last.ending === 'spawn-error' ? 127 : exitCodeOf(last.exitCode, last.signal));
            }
          }),
          supervisor.onRunEnd((r) => {
            // A stop the user asked for ends without an exit code: never a crash.
            if (feedId) this.feed.end(feedId, r.ending === 'stopped' ? undefined : exitCodeOf(r.exitCode, r.signal), r.endedAt, r.ending === 'stopped' ? null : r.signal);
          }),
        );
        supervisor.start();
      },
      // The task terminated or its terminal closed.
      close: () => { if (sup) void sup.dispose(); },
      // Ctrl-C stops it, as in any terminal.
      handleInput: (data) => sup?.write(data),
    };
  }

  /** The declared server this task runs, for its name in verdicts. */
  private serverOf(cwd: string, script: string | null, command: string | null): Server | null {
    const here = (this.snapshot()?.servers ?? []).filter((s) => s.cwd === cwd);
    return here.find((s) => script !== null && s.script === script) ?? here.find((s) => command !== null && s.command.trim() === command) ?? null;
  }

  dispose(): void {
    for (const s of this.running) void s.dispose();
    this.running.clear();
  }
}
