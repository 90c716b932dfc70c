import type { CommandContext } from './context';

/** devServerDoctor.openDashboard: the live dashboard (memory curves, machine, crash table and statistics). */
export function openDashboardCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    ctx.dashboard().show();
  };
}
