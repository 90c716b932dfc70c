import type { CommandContext } from './context';
import { containerActionCommand } from './containerAction';

/** devServerDoctor.stopContainer: stops a container of this workspace (tree node or a verdict's remedy), after confirmation. */
export function stopContainerCommand(ctx: CommandContext) {
  return containerActionCommand(ctx, 'stop');
}
