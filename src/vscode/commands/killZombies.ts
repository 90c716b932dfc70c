import * as vscode from 'vscode';
import { killGuard } from '../killGuard';
import { findKillCandidates, isPreselected } from '../../core/remedies/kill';
import { NOTHING_TO_STOP } from '../../core/remedies/results';
import type { CommandContext } from './context';
import { describeCandidate, stopTrees } from './killProcesses';

/**
 * devServerDoctor.killZombies: orphaned dev servers, duplicate watchers, holders of expected ports and
 * parents of zombies, picked by the user, confirmed, then stopped tree by tree.
 */
export function killZombiesCommand(ctx: CommandContext) {
  return async (): Promise<void> => {
    const snap = await ctx.refresh.refresh('manual');
    if (!snap) return;
    const plan = findKillCandidates(snap, { guard: killGuard() });
    for (const w of plan.warnings) ctx.log.info(w);
    if (plan.candidates.length === 0) {
      void vscode.window.showInformationMessage(`Dev Server Doctor: ${NOTHING_TO_STOP}${plan.warnings.length ? ` ${plan.warnings.join(' ')}` : ''}`);
      return;
    }
    const picked = await vscode.window.showQuickPick(
      plan.candidates.map((c) => ({
        label: `$(debug-stop) ${c.serverName ?? c.command}`,
        description: describeCandidate(c),
        detail: c.reasons.map((r) => r.message).join(' '),
        picked: isPreselected(c, snap),
        candidate: c,
      })),
      { canPickMany: true, title: 'Kill Zombies and Orphans', placeHolder: 'Pick the process trees to stop' },
    );
    if (picked?.length) await stopTrees(ctx, picked.map((p) => p.candidate));
  };
}
