/**
 * What the editor tests share: Debian's Chromium driven by playwright-core, the list of
 * this pack's node types the editor tests cover, and screenshots (test artifacts, and
 * the few the README shows when UPDATE_DOCS_SCREENSHOTS=1).
 */
import * as fs from 'fs';
import * as path from 'path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../support/node-red-process';

export const CHROMIUM = '/usr/bin/chromium';
export const PALETTE_CATEGORY = 'SNMP fleet';
/** The palette's element id for the category (Node-RED escapes spaces and punctuation to "_"). */
export const PALETTE_CONTAINER = `#red-ui-palette-container-${PALETTE_CATEGORY.replace(/[^A-Za-z0-9-]/g, '_')}`;

/**
 * Node types still being written by other engineers: their editor files are checked in
 * the second pass. Emptying this list is all it takes to cover them.
 */
export const SECOND_PASS: string[] = [];

/** The node types package.json registers, in its order. */
export function packNodeTypes(): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return Object.keys(pkg['node-red'].nodes);
}

/** The types the editor tests cover now. */
export function coveredNodeTypes(): string[] {
  return packNodeTypes().filter((t) => !SECOND_PASS.includes(t));
}

/**
 * Headless Chromium with a fresh profile (playwright-core creates a temporary
 * user-data-dir per launch and removes it on close).
 */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no ${CHROMIUM}: install it with: apt-get install -y --no-install-recommends chromium (or run npm run system-deps as root)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Opens the editor and waits until the palette holds this pack's category. */
export async function openEditor(browser: Browser, url: string): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // fail a step in seconds, not at mocha's timeout
  page.setDefaultTimeout(10000);
  const pageErrors: string[] = [];
  // the message and where it was thrown (the pack's editor code or Node-RED's own)
  page.on('pageerror', (e) => pageErrors.push(`${e.message}${e.stack ? ` (${(e.stack.split('\n')[1] ?? '').trim()})` : ''}`));
  // Node-RED logs a failing oneditprepare to the console instead of throwing
  page.on('console', (m) => {
    if (/^oneditprepare |^Validation error:|Error:/.test(m.text())) pageErrors.push(m.text());
  });
  // the editor's first load is slow on a loaded machine; the steps after it keep their short timeout
  await page.goto(url, { timeout: 60000 });
  await page.waitForSelector(`${PALETTE_CONTAINER} .red-ui-palette-node`, { timeout: 30000 });
  return { page, pageErrors };
}

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'screenshots');
const DOCS = path.join(ROOT, 'docs', 'screenshots');

/**
 * Saves a screenshot of the page (or of one element) as a test artifact; with
 * `docs: true` and UPDATE_DOCS_SCREENSHOTS=1 also as the README's copy.
 */
export async function screenshot(page: Page, name: string, opts: { selector?: string; docs?: boolean; hideTooltips?: boolean; clip?: { x: number; y: number; width: number; height: number } } = {}): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  if (opts.hideTooltips !== false) {
    // a hover tooltip left over from the last click would cover the form
    await page.mouse.move(1, 1);
    await page.waitForFunction(() => !document.querySelector('.red-ui-popover.red-ui-popover-size-small'), undefined, { timeout: 3000 }).catch(() => undefined);
  }
  if (opts.selector) await page.locator(opts.selector).first().screenshot({ path: file });
  else await page.screenshot({ path: file, clip: opts.clip });
  if (opts.docs && process.env.UPDATE_DOCS_SCREENSHOTS === '1') {
    fs.mkdirSync(DOCS, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS, `${name}.png`));
  }
  return file;
}

/** Drags a palette entry onto the workspace at (x, y) relative to the canvas; resolves with the new node's id. */
export async function dragFromPalette(page: Page, type: string, x: number, y: number): Promise<string> {
  const before: string[] = await page.evaluate((t) => (window as any).RED.nodes.filterNodes({ type: t }).map((n: any) => n.id), type);
  const entry = page.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
  await entry.scrollIntoViewIfNeeded();
  const from = (await entry.boundingBox())!;
  const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  await page.mouse.move(chart.x + x, chart.y + y, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(([t, n]) => (window as any).RED.nodes.filterNodes({ type: t }).length > n, [type, before.length] as const);
  return page.evaluate(([t, old]) => (window as any).RED.nodes.filterNodes({ type: t }).map((n: any) => n.id).find((id: string) => !old.includes(id)), [type, before] as const);
}

/** Wires output `port` of one node to the input of another by dragging between the ports. */
export async function wire(page: Page, fromId: string, toId: string, port = 0): Promise<void> {
  const out = (await page.locator(`[id="${fromId}"] .red-ui-flow-port-output .red-ui-flow-port`).nth(port).boundingBox())!;
  const input = (await page.locator(`[id="${toId}"] .red-ui-flow-port-input .red-ui-flow-port`).boundingBox())!;
  await page.mouse.move(out.x + out.width / 2, out.y + out.height / 2);
  await page.mouse.down();
  await page.mouse.move(input.x + input.width / 2, input.y + input.height / 2, { steps: 10 });
  await page.mouse.up();
  await page.waitForFunction(([a, b]) => (window as any).RED.nodes.filterLinks({ source: { id: a }, target: { id: b } }).length === 1, [fromId, toId] as const);
}
