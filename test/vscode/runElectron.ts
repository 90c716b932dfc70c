// `npm run test:electron`: the same suite in desktop VS Code, downloaded by @vscode/test-electron.
// Needs internet access to update.code.visualstudio.com (and a display, e.g. xvfb-run, on Linux);
// where that is missing, `npm run test:vscode` runs the suite in code-server instead.
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { startFixtureWorkspace } from './fixture';

const NO_DOWNLOAD = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo|Failed to get JSON|download/i;

async function main(): Promise<number> {
  const fixture = await startFixtureWorkspace();
  const stop = () => void fixture.cleanup().then(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await runTests({
      extensionDevelopmentPath: path.resolve(__dirname, '..', '..', '..'),
      extensionTestsPath: path.join(__dirname, 'suite', 'index'),
      launchArgs: [fixture.dir, '--disable-extensions'],
      extensionTestsEnv: { ...fixture.env, DSD_TEST_HOST: 'electron' },
    });
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (NO_DOWNLOAD.test(message)) {
      console.error(`test:electron could not download VS Code (${message}).\n` +
        'This runner needs internet access to update.code.visualstudio.com. ' +
        'Without it, run the same suite in code-server: npm run test:vscode');
    } else {
      console.error(`test:electron failed: ${message}`);
    }
    return 1;
  } finally {
    await fixture.cleanup();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
