// The light and dark themes as a user switches them (Preferences: Toggle between Light/Dark Themes), for
// screenshots of the same view in both. Headless Chromium keeps some composited layers (the sidebar, the
// activity bar, the title bar) painted in the old theme after the switch although their computed colours
// changed: screenshots showed a light sidebar beside a dark editor. A resize of the page makes the workbench
// lay itself out and paint every part again.
import type { Page } from 'playwright-core';

const TIMEOUT_MS = 20_000;

/** Whether the workbench shows a dark theme (its class). */
export async function isDark(page: Page): Promise<boolean> {
  return ((await page.locator('.monaco-workbench').first().getAttribute('class')) ?? '').split(/\s+/).includes('vs-dark');
}

/** Whether the sidebar's computed background is dark. */
async function paintedDark(page: Page): Promise<boolean> {
  const lum = await page.evaluate(`(() => { const c = (getComputedStyle(document.querySelector('.part.sidebar')).backgroundColor.match(/\\d+/g) || ['0', '0', '0']).map(Number); return (c[0] * 299 + c[1] * 587 + c[2] * 114) / 1000; })()`) as number;
  return lum < 128;
}

/** Runs a command from the palette, the workbench focused first (not a webview, which keeps its own keys). */
export async function palette(page: Page, command: string, row: string | RegExp): Promise<void> {
  await page.locator('.part.statusbar').first().click({ position: { x: 600, y: 10 } });
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input').first();
  await input.waitFor({ state: 'visible', timeout: TIMEOUT_MS });
  await input.fill(`>${command}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: row }).first().waitFor({ state: 'visible', timeout: TIMEOUT_MS });
  await page.keyboard.press('Enter');
}

/** Switches to the dark or light theme and waits until every part of the page is painted in it. */
export async function setTheme(page: Page, dark: boolean): Promise<void> {
  if ((await isDark(page)) !== dark) {
    await palette(page, 'Toggle between Light/Dark Themes', 'Light/Dark');
    const until = Date.now() + TIMEOUT_MS;
    while ((await isDark(page)) !== dark && Date.now() < until) await page.waitForTimeout(200);
    if ((await isDark(page)) !== dark) throw new Error('the theme did not switch');
    while ((await paintedDark(page)) !== dark && Date.now() < until) await page.waitForTimeout(200);
    if ((await paintedDark(page)) !== dark) throw new Error('the workbench was not repainted in the other theme');
  }
  await repaint(page);
}

/** A one-pixel resize and back: the workbench lays out and paints all its parts anew. */
async function repaint(page: Page): Promise<void> {
  const size = page.viewportSize();
  if (!size) return;
  await page.setViewportSize({ width: size.width - 1, height: size.height });
  await page.waitForTimeout(300);
  await page.setViewportSize(size);
  await page.waitForTimeout(1500);
}
