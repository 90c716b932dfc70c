import { requireTrust } from '../ui';
import type { CommandContext } from './context';
import { argsOf, runLineInTerminal, str } from './runLine';

/**
 * devServerDoctor.switchNodeVersion ({ version, manager, cwd } and the exact line in `detail` from a
 * node-version-mismatch verdict): types the version manager's command (nvm, fnm, volta) in a terminal.
 */
export function switchNodeVersionCommand(ctx: CommandContext) {
  return async (arg?: unknown, detail?: unknown): Promise<void> => {
    if (!requireTrust('Switching the Node.js version')) return;
    const a = argsOf(arg);
    const line = str(a.command) ?? str(detail);
    const version = str(a.version) ?? 'the project\'s version';
    if (!line || /^install Node\.js/.test(line)) {
      await runLineInTerminal(ctx, { title: `Node ${version}`, line: 'node --version', cwd: str(a.cwd), button: 'Open Terminal',
        why: `No version manager (nvm, fnm, volta) was found: install Node ${version} from nodejs.org or your package manager, then check the version here.` });
      return;
    }
    await runLineInTerminal(ctx, { title: `Node ${version}`, line, cwd: str(a.cwd), button: 'Switch',
      why: 'New terminals pick the version up; restart the server from one of them.' });
  };
}
