import type { CommandContext } from './context';
import { containerActionCommand } from './containerAction';

/** devServerDoctor.startContainer: starts a container of this workspace (tree node or a verdict's remedy), after confirmation. */
export function startContainerCommand(ctx: CommandContext) {
  return containerActionCommand(ctx, 'start');
}
