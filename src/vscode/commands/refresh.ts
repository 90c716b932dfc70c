import type { CommandContext } from './context';

/** devServerDoctor.refresh: reads package.json files again and polls now. */
export function refreshCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    await ctx.refresh.rescanAndRefresh('manual');
  };
}
