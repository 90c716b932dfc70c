import { requireTrust } from '../ui';
import type { CommandContext } from './context';
import { argsOf, runLineInTerminal, str } from './runLine';

/**
 * devServerDoctor.rebuildNativeModule ({ package, cwd } from a native-abi-mismatch verdict): `npm rebuild <package>`
 * in the server's folder, so the module is compiled for the Node that runs it.
 */
export function rebuildNativeModuleCommand(ctx: CommandContext) {
  return async (arg?: unknown): Promise<void> => {
    if (!requireTrust('Rebuilding a native module')) return;
    const a = argsOf(arg);
    const pkg = str(a.package);
    const line = pkg && /^(?:@[\w.-]+\/)?[\w.-]+$/.test(pkg) ? `npm rebuild ${pkg}` : 'npm rebuild';
    await runLineInTerminal(ctx, { title: `Rebuild ${pkg ?? 'native modules'}`, line, cwd: str(a.cwd), button: 'Rebuild',
      why: 'It recompiles the module for the Node.js this terminal runs; restart the server afterwards.' });
  };
}
