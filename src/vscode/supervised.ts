// Supervised start: the core's Supervisor runs a server's script in a pseudoterminal the user sees,
// restarts it on a crash with growing delays, and reports each run's exact exit to the crash watcher.
import * as os from 'node:os';
import * as path from 'node:path';
import { launchSpecOf } from '../core/remedies/launch';
import * as vscode from 'vscode';
import { terminalText } from '../core/terminalText';
import type { MemoryOutputFeed } from '../core/crash/watcher';
import type { ExpectedStops } from '../core/crash/expectedStops';
import { Supervisor, type SupervisorState } from '../core/supervisor/supervisor';
import type { ExpectedServer } from '../core/types';
import { supervisionSettings } from './config';

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number | undefined {
  if (code !== null) return code;
  const n = signal ? os.constants.signals[signal] : undefined;
  return n ? 128 + n : undefined;
}

interface Running {
  readonly sup: Supervisor;
  readonly terminal: vscode.Terminal;
  readonly unsubscribe: (() => void)[];
}

export class SupervisedServers implements vscode.Disposable {
  private readonly runs = new Map<string, Running>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires when a supervised server's state or health changes. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly feed: MemoryOutputFeed,
    private readonly logDir: string,
    private readonly log: vscode.LogOutputChannel,
    /** Where the supervisor records its own stops and restarts before signalling (never a crash, never an outage). */
    private readonly stops: ExpectedStops,
  ) {}

  state(serverId: string): SupervisorState | undefined {
    return this.runs.get(serverId)?.sup.state;
  }

  /** Starts `server` under supervision in a terminal named after it (shows the terminal if already running). */
  start(serverId: string, server: ExpectedServer): vscode.Terminal {
    const existing = this.runs.get(serverId);
    if (existing) {
      existing.terminal.show();
      return existing.terminal;
    }
    const s = supervisionSettings(server.name);
    // The script's own body, not `npm run …`: the supervised child is then the server itself.
    const spec = launchSpecOf(server);
    const sup = new Supervisor({
      name: server.name,
      command: spec?.body ?? server.command,
      cwd: server.cwd,
      env: { ...(spec?.env ?? process.env), FORCE_COLOR: '1' },
      logDir: path.join(this.logDir, 'supervised'),
      restart: { maxRestarts: s.maxRestarts, windowMs: s.windowMs },
      rssLimitBytes: s.rssLimitBytes,
      healthUrl: s.healthUrl,
      expectedStops: this.stops,
      stoppedBy: 'vscode',
    });
    const write = new vscode.EventEmitter<string>();
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      open: () => sup.start(),
      close: () => void this.stop(serverId),
      // Ctrl-C stops it, as in any terminal; the supervisor never counts that as a crash.
      handleInput: (data) => sup.write(data),
    };
    let feedId: string | null = null;
    let lastRun = 0;
    const unsubscribe = [
      sup.onOutput((c) => {
        write.fire(c.text.replace(/\r?\n/g, '\r\n'));
        if (feedId && c.stream !== 'supervisor') this.feed.append(feedId, c.text);
      }),
      sup.onState((st) => {
        if (st.status === 'running' && st.run !== lastRun && st.pid !== null) {
          lastRun = st.run;
          feedId = `supervised:${serverId}:${st.run}`;
          this.feed.start(feedId, { label: `supervised: ${server.name} (run ${st.run})`, pid: st.pid, cwd: server.cwd, command: server.command, kind: 'supervised', name: server.name });
        }
        this.changed.fire();
      }),
      sup.onRunEnd((r) => {
        // A stop the user asked for ends without an exit code: never a crash.
        if (feedId) this.feed.end(feedId, r.ending === 'stopped' ? undefined : exitCodeOf(r.exitCode, r.signal), r.endedAt, r.ending === 'stopped' ? null : r.signal);
        this.log.info(`supervised ${server.name}: run ${r.run} ${r.ending} (exit ${r.exitCode ?? r.signal ?? '?'})`);
      }),
      sup.onGiveUp((g) => {
        void vscode.window.showErrorMessage(terminalText(`Dev Server Doctor: ${server.name}: ${g.message}`), 'Investigate', 'Show Terminal').then((choice) => {
          if (choice === 'Investigate') void vscode.commands.executeCommand('devServerDoctor.investigateCrash');
          else if (choice === 'Show Terminal') terminal.show();
        });
        this.changed.fire();
      }),
      sup.onHealth(() => this.changed.fire()),
      () => write.dispose(),
    ];
    const terminal = vscode.window.createTerminal({ name: `${server.name} (supervised)`, pty, iconPath: new vscode.ThemeIcon('shield') });
    this.runs.set(serverId, { sup, terminal, unsubscribe });
    terminal.show(true);
    this.changed.fire();
    return terminal;
  }

  async stop(serverId: string): Promise<void> {
    const run = this.runs.get(serverId);
    if (!run) return;
    this.runs.delete(serverId);
    await run.sup.dispose();
    run.unsubscribe.forEach((u) => u());
    run.terminal.dispose();
    this.changed.fire();
  }

  dispose(): void {
    for (const id of [...this.runs.keys()]) void this.stop(id);
    this.changed.dispose();
  }
}
