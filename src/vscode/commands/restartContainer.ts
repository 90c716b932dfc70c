import type { CommandContext } from './context';
import { containerActionCommand } from './containerAction';

/** devServerDoctor.restartContainer: restarts a container of this workspace (tree node or a verdict's remedy), after confirmation. */
export function restartContainerCommand(ctx: CommandContext) {
  return containerActionCommand(ctx, 'restart');
}
