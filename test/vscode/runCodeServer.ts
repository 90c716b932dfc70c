// `npm run test:vscode`: runs the mocha suite in test/vscode/suite inside a real VS Code (code-server
// 4.100.3 = VS Code 1.100.3, driven by headless Chromium), then looks at the sidebar and status bar the
// way a user would. `--vsix FILE` installs the packaged extension instead of the development folder and
// only does the user's checks. `--extension DIR` points at another extension folder (default: the repo).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../live/liveHelpers';
import { startFixtureWorkspace } from './fixture';
import { checkContainerUi } from './containerUi';
import { checkIncidentUi } from './incidentUi';
import { isDark, palette, screenshotInTheme, screenshotsInBothThemes, setTheme } from './theme';
import type { SuiteResult } from './suite/index';

const CODE_SERVER_VERSION = '4.100.3';
const ROOT = path.resolve(__dirname, '..', '..', '..');
const CODE_SERVER_DIR = path.join(ROOT, '.cache', 'code-server');
const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const INSTALLED_MARKER = path.join(CODE_SERVER_DIR, `.installed-${CODE_SERVER_VERSION}`);
const SCREENSHOT_DIR = path.join(ROOT, 'test-output', 'screenshots');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const STARTUP_TIMEOUT_MS = 60_000;
const RESULT_TIMEOUT_MS = 900_000; // the whole suite: real servers, crashes and restarts (about 4 min on an idle 2-core machine)
const TREE_ROW_TIMEOUT_MS = 20_000;
const KILL_GRACE_MS = 3_000;
const EXTENSION_ID = 'dev-server-doctor.dev-server-doctor';
const DISPLAY_NAME = 'Dev Server Doctor';

interface Options { vsix?: string; extension: string }

function parseArgs(argv: string[]): Options {
  const opts: Options = { extension: ROOT };
  for (let i = 0; i < argv.length; i++) {
    const value = argv[i + 1];
    if ((argv[i] === '--vsix' || argv[i] === '--extension') && value) {
      if (argv[i] === '--vsix') opts.vsix = path.resolve(value);
      else opts.extension = path.resolve(value);
      i++;
    } else {
      throw new Error(`unknown argument ${argv[i]}; usage: runCodeServer [--vsix FILE] [--extension DIR]`);
    }
  }
  return opts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Cleanup steps, run once in reverse order whether the run ends normally, by an error or by a signal. */
class Teardown {
  private readonly steps: { name: string; fn: () => unknown }[] = [];
  private done?: Promise<void>;

  get started(): boolean {
    return this.done !== undefined;
  }

  /** A step added after a signal started the teardown (the run was mid-launch) runs at once. */
  add(name: string, fn: () => unknown): void {
    if (this.started) void Teardown.runStep({ name, fn });
    else this.steps.push({ name, fn });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) await Teardown.runStep(step);
    })();
    return this.done;
  }

  private static async runStep(step: { name: string; fn: () => unknown }): Promise<void> {
    try {
      await step.fn();
    } catch (err) {
      console.error(`cleanup: ${step.name} failed: ${(err as Error).message}`);
    }
  }
}

function ensureCodeServer(): void {
  if (fs.existsSync(INSTALLED_MARKER)) return;
  const started = Date.now();
  console.log(`code-server ${CODE_SERVER_VERSION} is not installed yet: running scripts/install-code-server.sh`);
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'install-code-server.sh')], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/install-code-server.sh failed (exit ${r.status ?? r.signal})`);
  console.log(`code-server installed in ${seconds(started)}`);
}


interface CodeServer { child: ChildProcess; log(): string; stop(): Promise<void> }

function startCodeServer(port: number, dataDir: string, workspace: string, env: NodeJS.ProcessEnv): CodeServer {
  const child = spawn(process.execPath, [
    CODE_SERVER_ENTRY,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--user-data-dir', path.join(dataDir, 'user'),
    '--extensions-dir', path.join(dataDir, 'extensions'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    workspace,
  ], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const append = (d: Buffer) => { log += d.toString(); };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;

  // Detached, so code-server leads its own process group: killing -pid also ends the extension host
  // and anything the extension under test started.
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is already gone
    }
  };
  const stop = async () => {
    if (child.pid === undefined) return;
    killGroup('SIGTERM');
    if (running()) await Promise.race([exited, sleep(KILL_GRACE_MS)]);
    killGroup('SIGKILL');
  };
  return { child, log: () => log, stop };
}

async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined, abort: () => string | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    const why = abort();
    if (why) throw new Error(`${what}: ${why}`);
    if (Date.now() > deadline) throw new Error(`${what}: timed out after ${timeoutMs / 1000} s`);
    await sleep(200);
  }
}

function installVsix(vsix: string, dataDir: string, env: NodeJS.ProcessEnv): void {
  const r = spawnSync(process.execPath, [
    CODE_SERVER_ENTRY,
    '--user-data-dir', path.join(dataDir, 'user'),
    '--extensions-dir', path.join(dataDir, 'extensions'),
    '--install-extension', vsix,
  ], { env, encoding: 'utf8' });
  process.stdout.write(r.stdout);
  if (r.status !== 0) throw new Error(`installing ${vsix} failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
}

function workbenchUrl(port: number, folder: string, payload?: [string, string][]): string {
  let url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  return url;
}

type TestRecord = SuiteResult['tests'][number];

/** Runs one user-level check, recording it in `result` like a mocha test. */
async function uiTest(result: SuiteResult, title: string, fn: () => Promise<void>): Promise<boolean> {
  const started = Date.now();
  const record: TestRecord = { title, state: 'passed', duration: 0 };
  try {
    await fn();
    result.passed++;
  } catch (err) {
    const e = err as Error;
    record.state = 'failed';
    result.failed++;
    result.failures.push({ title, message: e.message, stack: e.stack ?? '' });
  }
  record.duration = Date.now() - started;
  result.tests.push(record);
  return record.state === 'passed';
}

/** `crashHistory`: the suite recorded crashes in the previous extension host; this one must still list them. */
/** The dashboard as a user opens it (the Servers view's title button), screenshotted in a dark and a light theme. */
async function checkDashboard(page: Page, result: SuiteResult): Promise<void> {
  await uiTest(result, 'ui: the dashboard opens from the Servers view title and draws in dark and light themes', async () => {
    const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
    await pane.locator('.pane-header').first().hover();
    await pane.locator('.pane-header .action-label[aria-label="Open Dashboard"]').first().click({ timeout: TREE_ROW_TIMEOUT_MS });
    const view = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await view.locator('section.card.server:not(.no-data) canvas').first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    await view.locator('#crash-table').waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    const cards = await view.locator('section.card.server h3').allInnerTexts();
    console.log(`  dashboard servers: ${JSON.stringify(cards)}`);
    if (cards.length === 0) throw new Error('the dashboard shows no server');
    await screenshotsInBothThemes(page, SCREENSHOT_DIR, 'dashboard');
  });
  await uiTest(result, 'ui: the Get Started walkthrough lists its steps with their media, in light and dark themes (walkthrough-light.png, walkthrough-dark.png)', async () => {
    await palette(page, 'Welcome: Open Walkthrough', 'Open Walkthrough');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get started with Dev Server Doctor' }).first().click({ timeout: TREE_ROW_TIMEOUT_MS });
    await page.locator('.getting-started-step', { hasText: 'See what it found in this workspace' }).first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    await page.locator('.getting-started-step', { hasText: 'Read a crash report' }).first().waitFor({ state: 'attached', timeout: TREE_ROW_TIMEOUT_MS });
    // The step's media (Markdown, in its own frame) is rendered: its heading is there to read.
    const rendered = async (): Promise<boolean> => {
      for (const f of page.frames()) if (await f.locator('h2', { hasText: 'What it found here' }).count().catch(() => 0)) return true;
      return false;
    };
    const until = Date.now() + TREE_ROW_TIMEOUT_MS;
    while (!(await rendered()) && Date.now() < until) await page.waitForTimeout(250);
    if (!(await rendered())) {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'walkthrough-failure.png') });
      throw new Error('the walkthrough step\'s media ("What it found here") did not render (walkthrough-failure.png)');
    }
    await screenshotsInBothThemes(page, SCREENSHOT_DIR, 'walkthrough');
  });
}

async function checkUi(page: Page, result: SuiteResult, serverPort: string, crashHistory: boolean): Promise<void> {
  const servers = await uiTest(result, 'ui: servers tree lists the live server with its port', async () => {
    await page.locator(`.part.activitybar [aria-label*="${DISPLAY_NAME}"]`).first().click({ timeout: TREE_ROW_TIMEOUT_MS });
    const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
    const row = pane.locator('.monaco-list-row', { hasText: `:${serverPort}` }).first();
    try {
      await row.waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    } catch {
      const rows = await pane.locator('.monaco-list-row').allInnerTexts();
      throw new Error(`no row in the Servers view contains ":${serverPort}" after ${TREE_ROW_TIMEOUT_MS / 1000} s; rows: ${JSON.stringify(rows)}`);
    }
    console.log(`  servers tree row: ${JSON.stringify(await row.getAttribute('aria-label'))}`);
    // Expanding the server shows its port and its process tree, as a user would check them.
    await row.click();
    const portRow = pane.locator('.monaco-list-row', { hasText: `http://localhost:${serverPort}` }).first();
    await portRow.waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    await pane.locator('.monaco-list-row', { hasText: 'server.js' }).first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
  });
  await uiTest(result, 'ui: the Servers view stays still when nothing changes, and its tooltip is there on hover', async () => {
    const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
    const list = pane.locator('.monaco-list').first();
    // Runs in the page (the harness has no DOM types): count every change under the list for 10 s.
    /* eslint-disable @typescript-eslint/no-explicit-any -- this runs in the page; the harness has no DOM types */
    await list.evaluate((el: any) => {
      const g = globalThis as any;
      g.__dsdMutations = 0;
      new g.MutationObserver((m: unknown[]) => { g.__dsdMutations += m.length; }).observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.waitForTimeout(10_000);
    const mutations = await page.evaluate(() => (globalThis as any).__dsdMutations as number);
    /* eslint-enable @typescript-eslint/no-explicit-any */
    if (!Number.isFinite(mutations)) throw new Error('the mutation counter did not run');
    console.log(`  Servers view: ${mutations} DOM mutations in 10 s with nothing changing (5 polls)`);
    // Before, every poll redrew every row (785 in 10 s); a memory figure crossing a rounding step redraws its row only.
    if (mutations > 200) throw new Error(`${mutations} DOM mutations in 10 s while nothing changed: rows are being redrawn`);
    const row = pane.locator('.monaco-list-row', { hasText: `:${serverPort}` }).first();
    await row.locator('.label-name').first().hover();
    await page.mouse.move((await row.boundingBox())!.x + 40, (await row.boundingBox())!.y + 8, { steps: 4 });
    const hover = page.locator('.monaco-hover', { hasText: 'Command' }).first();
    await hover.waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS }).catch(async (e: Error) => {
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'tooltip-failure.png') });
      throw e;
    });
    await page.waitForTimeout(2500);
    if (!(await hover.isVisible())) throw new Error('the tooltip vanished while the pointer rested on the row');
    await page.mouse.move(5, 5);
  });
  await uiTest(result, 'ui: system view shows memory, disk and watcher headroom', async () => {
    const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'System' }) });
    for (const label of ['Memory', 'Disk', 'File watchers']) {
      await pane.locator('.monaco-list-row', { hasText: label }).first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    }
  });
  if (crashHistory) {
    await uiTest(result, 'ui: the crash history survived the extension host restart (Crashes view)', async () => {
      const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Crashes' }) });
      const header = pane.locator('.pane-header').first();
      if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
      const row = pane.locator('.monaco-list-row', { hasText: /(?:crash|fw)-\w+ · dev — / }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
      } catch {
        throw new Error(`no crash row in the Crashes view after the reload; rows: ${JSON.stringify(await pane.locator('.monaco-list-row').allInnerTexts())}`);
      }
    });
  }
  const status = await uiTest(result, 'ui: status bar shows the summary', async () => {
    const item = page.locator(`.part.statusbar .statusbar-item[aria-label*="${DISPLAY_NAME}"]`).first();
    try {
      await item.waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    } catch {
      const labels = await page.locator(`.part.statusbar .statusbar-item[id^="${EXTENSION_ID}"]`)
        .evaluateAll((els) => els.map((el) => el.getAttribute('aria-label')));
      throw new Error(`no status bar item whose aria-label contains "${DISPLAY_NAME}"; the extension's items have aria-labels ${JSON.stringify(labels)}`);
    }
    const text = (await item.innerText()).trim();
    if (!text) throw new Error('the status bar item is empty');
    console.log(`  status bar: ${JSON.stringify(text)} (aria-label ${JSON.stringify(await item.getAttribute('aria-label'))})`);
  });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const shot = path.join(SCREENSHOT_DIR, servers && status ? 'sidebar.png' : 'sidebar-failure.png');
  await page.screenshot({ path: shot });
  console.log(`  screenshot: ${path.relative(ROOT, shot)}`);
}

/** A plain http server whose /spin route loops forever; writes its port to .port. */
const HUNG_APP_JS = `const http = require('http');
const srv = http.createServer((q, s) => { if (q.url === '/spin') { for (;;) {} } s.end('ok'); });
srv.listen(0, '127.0.0.1', () => require('fs').writeFileSync(__dirname + '/.port', String(srv.address().port)));
`;

/**
 * What a user sees when a server hangs: the row turns to "unresponsive" and an error toast offers
 * [Find Where It's Stuck] [Restart] [Investigate]. Health checks are made fast through the workspace's settings.
 */
async function checkHungUi(page: Page, result: SuiteResult, workspace: string, teardown: Teardown): Promise<void> {
  const dir = path.join(workspace, 'hung-ui');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'hung-ui', scripts: { start: 'node app.js' } }));
  fs.writeFileSync(path.join(dir, 'app.js'), HUNG_APP_JS);
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'devServerDoctor.healthIntervalSeconds': 1, 'devServerDoctor.healthTimeoutSeconds': 1.5 }));
  const child = spawn(process.execPath, ['app.js'], { cwd: dir, detached: true, stdio: 'ignore' });
  teardown.add('hung server', () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  await uiTest(result, 'ui: a hung server turns unresponsive with a notification offering Find Where It\'s Stuck, Restart and More… (screenshot unresponsive.png)', async () => {
    const portFile = path.join(dir, '.port');
    const end = Date.now() + TREE_ROW_TIMEOUT_MS;
    while (!fs.existsSync(portFile) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    const port = Number(fs.readFileSync(portFile, 'utf8'));
    const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
    await pane.locator('.monaco-list-row', { hasText: 'hung-ui' }).first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
    // Let a first check answer, then hang it.
    await new Promise((r) => setTimeout(r, 2500));
    const req = (await import('node:http')).get({ host: '127.0.0.1', port, path: '/spin' }).on('error', () => undefined);
    try {
      await pane.locator('.monaco-list-row', { hasText: /hung-ui.*unresponsive/ }).first().waitFor({ state: 'visible', timeout: 30_000 });
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'did not answer' }).first();
      await toast.waitFor({ state: 'visible', timeout: 15_000 });
      // A warning about a server can be withdrawn (a progress notification): its actions are links, two and More….
      for (const action of ["Find Where It's Stuck", 'Restart', 'More…']) {
        await toast.getByRole('link', { name: action }).first().waitFor({ state: 'visible', timeout: 5000 });
      }
      const actions = await toast.getByRole('link').allInnerTexts();
      if (actions.length > 3) throw new Error(`the unresponsive notification offers ${actions.length} actions: ${actions.join(', ')}`);
      console.log(`  hung server row: ${JSON.stringify(await pane.locator('.monaco-list-row', { hasText: 'hung-ui' }).first().getAttribute('aria-label'))}`);
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'unresponsive.png') });
    } finally {
      req.destroy();
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      fs.rmSync(path.join(workspace, '.vscode'), { recursive: true, force: true });
    }
  });
}

/**
 * The rows a user reads on a heap-limited server (`npm run dev` → `node --max-old-space-size=128 server.js`) and on a
 * down one: labelled memory numbers, the tooltip telling the tree from the node process, Start on the down row; a
 * `next start` script is not listed while it is down. Screenshots servers-heap-light.png, servers-heap-dark.png, servers-down.png.
 */
async function checkServerRowsUi(page: Page, result: SuiteResult, workspace: string, teardown: Teardown): Promise<void> {
  const dir = path.join(workspace, 'rows-ui');
  fs.mkdirSync(path.join(dir, 'web'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'catalog', scripts: { dev: 'node --max-old-space-size=128 server.js' } }));
  fs.writeFileSync(path.join(dir, 'server.js'), "const s = require('http').createServer((q, r) => r.end('ok')); s.listen(0, '127.0.0.1', () => require('fs').writeFileSync(__dirname + '/.port', String(s.address().port)));\n");
  fs.writeFileSync(path.join(dir, 'web', 'package.json'), JSON.stringify({ name: 'storefront', scripts: { dev: 'node web.js --port 4998', start: 'next start' } }));
  const child = spawn('sh', ['-c', 'npm run dev'], { cwd: dir, detached: true, stdio: 'ignore' });
  teardown.add('heap-limited server', () => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
  // The package.json files are read again as a user would make sure of: the view's Refresh button.
  const refresh = async (): Promise<void> => {
    await pane.locator('.pane-header').first().hover();
    await pane.locator('.pane-header .action-label[aria-label="Refresh"]').first().click({ timeout: TREE_ROW_TIMEOUT_MS }).catch(() => undefined);
  };
  await refresh();
  try {
    await uiTest(result, 'ui: a heap-limited server\'s row reads "heap limit 128 MB · RSS …" and its tooltip labels each number (screenshots servers-heap-light.png, servers-heap-dark.png)', async () => {
      const row = pane.locator('.monaco-list-row', { hasText: /^catalog/ }).filter({ hasText: 'heap limit 128 MB' }).first();
      await row.waitFor({ state: 'visible', timeout: 30_000 }).catch(async (e: Error) => {
        throw new Error(`${e.message}; rows: ${JSON.stringify(await pane.locator('.monaco-list-row').allInnerTexts())}`);
      });
      const text = (await row.innerText()).replace(/\s+/g, ' ').trim();
      console.log(`  heap-limited row: ${JSON.stringify(text)}`);
      if (!/:\d+ · heap limit 128 MB · RSS \d+(\.\d)? MB · pid \d+/.test(text)) throw new Error(`the row reads ${JSON.stringify(text)}`);
      const hover = page.locator('.monaco-hover', { hasText: 'Heap limit' }).first();
      // The pointer rests on the row's label, as a user's would (moved there anew if the first rest shows nothing).
      const showTooltip = async (): Promise<void> => {
        for (let i = 0; i < 4; i++) {
          await page.mouse.move(5, 5);
          const box = await row.boundingBox();
          if (box) await page.mouse.move(box.x + 40 + i * 8, box.y + box.height / 2, { steps: 4 });
          if (await hover.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) return;
        }
        throw new Error('no tooltip on the row after 4 rests of the pointer');
      };
      await showTooltip();
      const tip = (await hover.innerText()).replace(/\s+/g, ' ');
      for (const want of [/Heap limit: 128 MB \(--max-old-space-size\)/, /RSS \(whole tree\): \d+(\.\d)? MB in \d processes/, /RSS \(node process\): \d+(\.\d)? MB \(PID \d+/, /Heap used: not measured/]) {
        if (!want.test(tip)) throw new Error(`the tooltip lacks ${want}: ${tip}`);
      }
      const dark = await isDark(page);
      await screenshotInTheme(page, path.join(SCREENSHOT_DIR, `servers-heap-${dark ? 'dark' : 'light'}.png`), dark);
      await page.mouse.move(5, 5);
      // The same row and tooltip in the other theme.
      try {
        await setTheme(page, !dark);
        await showTooltip();
        await page.waitForTimeout(500);
        await screenshotInTheme(page, path.join(SCREENSHOT_DIR, `servers-heap-${dark ? 'light' : 'dark'}.png`), !dark);
        await page.mouse.move(5, 5);
      } finally {
        await setTheme(page, dark);
      }
    });
    await uiTest(result, 'ui: a down server\'s row offers Start; a `next start` script is not listed while down (screenshot servers-down.png)', async () => {
      const row = pane.locator('.monaco-list-row', { hasText: /^storefront · dev/ }).first();
      await row.waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
      if (await pane.locator('.monaco-list-row', { hasText: /^storefront · start/ }).count()) throw new Error('next start is listed while down');
      await row.hover();
      await row.locator('.action-label[aria-label="Start Server"]').first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
      if (await row.locator('.action-label[aria-label="Restart Server"]').count()) throw new Error('a down row offers Restart inline');
      console.log(`  down row: ${JSON.stringify((await row.innerText()).replace(/\s+/g, ' ').trim())}`);
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'servers-down.png') });
    });
  } finally {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    fs.rmSync(dir, { recursive: true, force: true });
    // Its rows leave the view, so that the checks after this one find theirs in sight.
    await page.mouse.move(5, 5);
    await refresh();
  }
}

/** Errors the extension hosts logged (activation failures, uncaught exceptions), with their stack lines. */
function extensionHostErrors(userDataDir: string): string[] {
  const logsDir = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logsDir)) return [];
  const errors: string[] = [];
  const logs = fs.readdirSync(logsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('remoteexthost.log'));
  for (const log of logs) {
    let inError = false;
    for (const line of fs.readFileSync(path.join(logsDir, log), 'utf8').split('\n')) {
      const entry = /^\d{4}-\d\d-\d\d [\d:.]+ \[(\w+)\]/.exec(line);
      if (entry) inError = entry[1] === 'error';
      if (inError && line) errors.push(line);
    }
  }
  return errors;
}

/** The extension's own log channel (warnings, verdicts, problems), from every window of the run. */
function extensionLog(userDataDir: string): string[] {
  const logsDir = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logsDir)) return [];
  return fs.readdirSync(logsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(`${DISPLAY_NAME}.log`))
    .flatMap((f) => fs.readFileSync(path.join(logsDir, f), 'utf8').split('\n').filter(Boolean));
}

function printReport(result: SuiteResult, elapsed: string): void {
  console.log('');
  for (const t of result.tests) {
    const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✗' : '-';
    console.log(`  ${mark} ${t.title}${t.state === 'pending' ? ' (pending)' : ` (${t.duration}ms)`}`);
  }
  console.log('');
  console.log(`  ${result.passed} passing (${elapsed})`);
  console.log(`  ${result.failed} failing`);
  console.log(`  ${result.pending} pending`);
  result.failures.forEach((f, i) => {
    console.log(`\n  ${i + 1}) ${f.title}:\n     ${f.message}`);
    const stack = f.stack.split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).join('\n');
    if (stack) console.log(stack);
  });
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const teardown = new Teardown();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`);
      void teardown.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  const result: SuiteResult = { passed: 0, failed: 0, pending: 0, failures: [], tests: [] };
  const started = Date.now();
  let server: CodeServer | undefined;
  let dataDir: string | undefined;
  const browserLog: string[] = [];
  try {
    ensureCodeServer();
    for (const f of ['sidebar.png', 'sidebar-failure.png']) fs.rmSync(path.join(SCREENSHOT_DIR, f), { force: true });

    const fixture = await startFixtureWorkspace();
    teardown.add('fixture', fixture.cleanup);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-vscode-'));
    dataDir = tmp;
    teardown.add('temp dir', () => fs.rmSync(tmp, { recursive: true, force: true }));
    for (const d of ['user/User', 'extensions', 'chromium']) fs.mkdirSync(path.join(tmp, d), { recursive: true });
    // code-server and Chromium otherwise leave a config (with a password), logs, a device id and crash
    // report folders in the user's home; the XDG variables send them into the temp dir.
    const xdg = { XDG_CONFIG_HOME: path.join(tmp, 'xdg', 'config'), XDG_DATA_HOME: path.join(tmp, 'xdg', 'data'), XDG_CACHE_HOME: path.join(tmp, 'xdg', 'cache') };
    // Keep the editor area quiet so screenshots show the extension, not the welcome page.
    fs.writeFileSync(path.join(tmp, 'user', 'User', 'settings.json'), JSON.stringify({
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'telemetry.telemetryLevel': 'off',
    }));
    if (opts.vsix) installVsix(opts.vsix, tmp, { ...process.env, ...xdg });

    const resultFile = path.join(tmp, 'result.json');
    const port = await freePort();
    let phase = Date.now();
    server = startCodeServer(port, tmp, fixture.dir, {
      ...process.env,
      ...xdg,
      ...fixture.env,
      DSD_TEST_RESULT: resultFile,
      DSD_TEST_HOST: 'code-server',
    });
    teardown.add('code-server', server.stop);
    const cs = server;
    const csExit = () => (cs.child.exitCode !== null || cs.child.signalCode !== null)
      ? `code-server exited (${cs.child.exitCode ?? cs.child.signalCode})` : undefined;
    await waitFor('code-server startup', STARTUP_TIMEOUT_MS, () => (cs.log().includes('HTTP server listening') ? true : undefined), csExit);
    console.log(`code-server ${CODE_SERVER_VERSION} listening on 127.0.0.1:${port} after ${seconds(phase)}`);

    const context: BrowserContext = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
      executablePath: CHROMIUM,
      env: { ...process.env, ...xdg },
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      // Playwright's own handlers would exit the process on a signal before code-server and the fixture are stopped.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    teardown.add('browser', () => context.close());
    const page = context.pages()[0] ?? await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') browserLog.push(m.text()); });
    page.on('pageerror', (e) => browserLog.push(`pageerror: ${e.message}`));

    const remote = (p: string) => `vscode-remote://127.0.0.1:${port}${p}`;
    const devPayload: [string, string][] = [['extensionDevelopmentPath', remote(opts.extension)]];
    if (opts.vsix) {
      await page.goto(workbenchUrl(port, fixture.dir));
    } else {
      phase = Date.now();
      await page.goto(workbenchUrl(port, fixture.dir, [...devPayload, ['extensionTestsPath', remote(path.join(__dirname, 'suite', 'index'))]]));
      const suite = await waitFor('suite result', RESULT_TIMEOUT_MS, () => {
        try {
          return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as SuiteResult;
        } catch {
          return undefined; // not written yet, or half-written
        }
      }, csExit);
      console.log(`suite result after ${seconds(phase)}`);
      // What the tests noted for a person (suite/notes.ts: measured delays, verdicts).
      try { console.log(`--- test notes ---\n${fs.readFileSync(`${resultFile}.notes`, 'utf8').trimEnd()}\n--- end of test notes ---`); } catch { /* none */ }
      Object.assign(result, suite);
      // When run() settles the workbench stops the extension host (the test run is over), so the
      // user's view is checked in a fresh window of the same page, with the extension but no tests.
      await page.goto(workbenchUrl(port, fixture.dir, devPayload));
    }

    phase = Date.now();
    // DSD_SKIP_UI=1 (with DSD_TEST_GREP, while developing): only the mocha suite, not the user's-view checks.
    if (process.env.DSD_SKIP_UI === '1') {
      console.log('ui checks skipped (DSD_SKIP_UI=1)');
      printReport(result, seconds(started));
      return result.failed > 0 ? 1 : 0;
    }
    await checkUi(page, result, fixture.env.DSD_TEST_SERVER_PORT, !opts.vsix);
    await checkDashboard(page, result);
    await checkHungUi(page, result, fixture.dir, teardown);
    await uiTest(result, 'ui: one incident, one toast: the OOM-risk warning is withdrawn by the crash it predicted, no "is down" toast follows, the row says it crashed and Mark Resolved clears it (screenshots incident-*, report-*)', () =>
      checkIncidentUi(page, fixture.dir, SCREENSHOT_DIR, (s) => console.log(s), (name, fn) => teardown.add(name, fn)));
    await checkServerRowsUi(page, result, fixture.dir, teardown);
    await uiTest(result, 'ui: a workspace container in the Servers view, the engine in the System view', () =>
      checkContainerUi(page, fixture.dir, SCREENSHOT_DIR, (s) => console.log(s)));
    // A folder with nothing in it: the Servers view explains what it looks for instead of an error.
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'dsd-empty-'));
    teardown.add('empty folder', () => fs.rmSync(empty, { recursive: true, force: true }));
    await page.goto(workbenchUrl(port, empty, opts.vsix ? undefined : devPayload));
    await uiTest(result, 'ui: an empty workspace shows the welcome content, not an error', async () => {
      const pane = page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: 'Servers' }) });
      if (!(await pane.isVisible())) await page.locator(`.part.activitybar [aria-label*="${DISPLAY_NAME}"]`).first().click({ timeout: TREE_ROW_TIMEOUT_MS });
      await pane.getByText('No dev servers found').first().waitFor({ state: 'visible', timeout: TREE_ROW_TIMEOUT_MS });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'empty-workspace.png') });
    });
    console.log(`ui checks took ${seconds(phase)}`);
  } catch (err) {
    // After a signal the run fails because its browser and server were closed under it: not news.
    if (teardown.started) return 1;
    const e = err as Error;
    result.failed++;
    result.failures.push({ title: 'harness', message: e.message, stack: e.stack ?? '' });
    if (server) console.log(`--- code-server log ---\n${server.log()}\n--- end of code-server log ---`);
    if (browserLog.length) console.log(`--- browser console errors (last 30) ---\n${browserLog.slice(-30).join('\n')}`);
  } finally {
    if (result.failed > 0 && dataDir) {
      const errors = extensionHostErrors(path.join(dataDir, 'user'));
      if (errors.length) console.log(`--- extension host errors ---\n${errors.slice(-60).join('\n')}\n--- end of extension host errors ---`);
      const ours = extensionLog(path.join(dataDir, 'user'));
      if (ours.length) console.log(`--- Dev Server Doctor log (last 80 lines) ---\n${ours.slice(-80).join('\n')}\n--- end of Dev Server Doctor log ---`);
    }
    await teardown.run();
  }
  printReport(result, seconds(started));
  return result.failed > 0 ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
