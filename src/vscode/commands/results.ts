// What each command last returned (a report shown, a restart's outcome), kept for the extension's API
// so callers and the integration tests can read it; commands just return their outcome.
import type { ShownReport } from './investigateCrash';
import type { HeapCheck } from './raiseHeapLimit';
import type { RestartOutcome } from './restartServer';

/** The commands whose outcome is kept, and its type. */
export interface CommandOutcomes {
  'devServerDoctor.investigateCrash': ShownReport;
  'devServerDoctor.restartServer': RestartOutcome;
  'devServerDoctor.raiseHeapLimit': HeapCheck;
}

export class LastResults {
  private readonly byCommand = new Map<string, unknown>();

  record(command: string, result: unknown): void {
    if (result !== undefined) this.byCommand.set(command, result);
  }

  get<K extends keyof CommandOutcomes>(command: K): CommandOutcomes[K] | undefined {
    return this.byCommand.get(command) as CommandOutcomes[K] | undefined;
  }
}
