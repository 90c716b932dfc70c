import type { CommandContext } from './context';
import { serverFromArg } from './pickServer';

/** devServerDoctor.stopSupervised: stops a supervised server (never counted as a crash). */
export function stopSupervisedCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    const server = await serverFromArg(ctx, arg, (s) => ctx.supervised.state(s.id) !== undefined, 'Stop which supervised server?');
    if (!server) return;
    await ctx.supervised.stop(server.id);
    await ctx.refresh.refresh('manual');
  };
}
