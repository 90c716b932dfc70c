// Child processes a command runs on the user's behalf (the load test's `cli.js load`), by command id: the
// extension's API reports them, and closing the window ends them rather than leaving load running.
import type * as vscode from 'vscode';

export class RunningChildren implements vscode.Disposable {
  private readonly pids = new Map<string, number>();

  set(command: string, pid: number | null | undefined): void {
    if (pid) this.pids.set(command, pid);
    else this.pids.delete(command);
  }

  pid(command: string): number | null {
    return this.pids.get(command) ?? null;
  }

  dispose(): void {
    for (const pid of this.pids.values()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    this.pids.clear();
  }
}
