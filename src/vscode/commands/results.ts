// What each command last returned (a report shown, a restart's outcome), kept for the extension's API
// so callers and the integration tests can read it; commands just return their outcome.
import type { StuckOutcome } from './findWhereStuck';
import type { ShownReport } from './investigateCrash';
import type { LoadTestOutcome } from './loadTest';
import type { HeapCheck } from './raiseHeapLimit';
import type { RestartOutcome } from './restartServer';

/** The commands whose outcome is kept, and its type. */
export interface CommandOutcomes {
  'devServerDoctor.investigateCrash': ShownReport;
  'devServerDoctor.restartServer': RestartOutcome;
  'devServerDoctor.raiseHeapLimit': HeapCheck;
  'devServerDoctor.findWhereStuck': StuckOutcome;
  'devServerDoctor.loadTest': LoadTestOutcome;
}

export class LastResults {
  private readonly byCommand = new Map<string, unknown>();
  private lastReport: ShownReport | undefined;

  record(command: string, result: unknown): void {
    if (result === undefined) return;
    this.byCommand.set(command, result);
    if (isShownReport(result)) this.lastReport = result;
  }

  /** The report shown last, whichever command showed it (Investigate Crash, Find Where It's Stuck, a load test). */
  report(): ShownReport | undefined {
    return this.lastReport;
  }

  get<K extends keyof CommandOutcomes>(command: K): CommandOutcomes[K] | undefined {
    return this.byCommand.get(command) as CommandOutcomes[K] | undefined;
  }
}

function isShownReport(x: unknown): x is ShownReport {
  return !!x && typeof x === 'object' && typeof (x as ShownReport).markdown === 'string' && Array.isArray((x as ShownReport).files);
}
