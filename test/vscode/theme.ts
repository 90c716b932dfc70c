// The light and dark themes as a user switches them (Preferences: Toggle between Light/Dark Themes), for
// screenshots of the same view in both. Headless Chromium keeps some composited layers (the sidebar, the
// activity bar, the title bar) painted in the old theme after the switch although their computed colours
// changed: screenshots showed a light sidebar beside a dark editor. A resize of the page makes the workbench
// lay itself out and paint every part again.
import * as path from 'node:path';
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

/**
 * A screenshot that shows the theme asked for: the title bar and the sidebar are read back from the PNG
 * itself (decoded in a scratch page), and the page is painted again until they agree (three tries).
 */
export async function screenshotInTheme(page: Page, file: string, dark: boolean): Promise<void> {
  let seen = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const png = await page.screenshot({ path: file });
    // The title bar and the sidebar's lower right corner (the activity bar is dark in some light themes, as Light+).
    const lums = await pixelLuminance(page, png, [[150, 8], [340, 700]]);
    if (lums.every((l) => (l < 128) === dark)) return;
    const bg = await page.evaluate(`getComputedStyle(document.querySelector('.part.titlebar')).backgroundColor`);
    seen = `${lums.map((l) => Math.round(l)).join(', ')}; workbench ${(await isDark(page)) ? 'dark' : 'light'}, title bar computed ${String(bg)}`;
    console.log(`  ${path.basename(file)} attempt ${attempt}: ${seen}`);
    await repaint(page);
  }
  throw new Error(`${path.basename(file)}: the screenshot is not painted ${dark ? 'dark' : 'light'} (title bar and sidebar luminance ${seen})`);
}

/** The luminance (0–255) of pixels of a PNG, decoded by the browser in a scratch page. */
async function pixelLuminance(page: Page, png: Buffer, points: readonly (readonly [number, number])[]): Promise<number[]> {
  const scratch = await page.context().newPage();
  try {
    return await scratch.evaluate(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      return ${JSON.stringify(points)}.map(([x, y]) => { const d = g.getImageData(x, y, 1, 1).data; return (d[0] * 299 + d[1] * 587 + d[2] * 114) / 1000; });
    })()`) as number[];
  } finally {
    await scratch.close();
  }
}

/**
 * `name-light.png` and `name-dark.png` of what the page shows now, the current theme first; the page is left in
 * the theme it had.
 */
export async function screenshotsInBothThemes(page: Page, dir: string, name: string): Promise<void> {
  const wasDark = await isDark(page);
  try {
    for (const dark of [wasDark, !wasDark]) {
      await setTheme(page, dark);
      await screenshotInTheme(page, path.join(dir, `${name}-${dark ? 'dark' : 'light'}.png`), dark);
    }
  } finally {
    await setTheme(page, wasDark);
  }
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
