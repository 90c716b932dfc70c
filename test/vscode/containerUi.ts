// The user's view of a workspace container in the real workbench: its row in the Servers view (icon,
// description), the engine's line in the System view, and a screenshot (test-output/screenshots/containers.png).
// Needs a Docker engine; without one the check is recorded as skipped with the reason.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { ContainerJar, composeLabels, dockerMissing, ensureEmptyImage } from '../live/dockerHelpers';

const ROW_TIMEOUT_MS = 30_000;

export async function checkContainerUi(page: Page, workspace: string, screenshotDir: string, log: (s: string) => void): Promise<void> {
  const missing = dockerMissing();
  if (missing) {
    log(`  containers ui: skipped (${missing})`);
    return;
  }
  ensureEmptyImage();
  const jar = new ContainerJar();
  try {
    jar.run([...composeLabels(`dsdui${Date.now()}`, 'db', workspace), '-p', '127.0.0.1::8080', '--memory', '256m'],
      ['/usr/bin/node', '-e', "require('http').createServer((q,s)=>s.end('ok')).listen(8080)"]);
    const servers = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
    const row = servers.locator('.monaco-list-row', { hasText: 'db' }).filter({ hasText: '256 MB' }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: ROW_TIMEOUT_MS });
    } catch {
      throw new Error(`no container row "db … 256 MB" in the Servers view; rows: ${JSON.stringify(await servers.locator('.monaco-list-row').allInnerTexts())}`);
    }
    log(`  container row: ${JSON.stringify(await row.getAttribute('aria-label'))}`);
    if ((await row.locator('.codicon-vm-running').count()) === 0) throw new Error('the container row has no vm-running icon');
    const system = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'System' }) });
    const line = system.locator('.monaco-list-row', { hasText: 'Containers' }).first();
    await line.waitFor({ state: 'visible', timeout: ROW_TIMEOUT_MS });
    log(`  system containers line: ${JSON.stringify(await line.innerText())}`);
    fs.mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, 'containers.png') });
  } finally {
    jar.cleanup();
  }
}
