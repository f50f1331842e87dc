/**
 * snmp-metrics in the real editor (Debian's Chromium, a real Node-RED with httpNodeRoot
 * /api): dragged from the palette, its dialog shows the URL Prometheus will scrape as
 * the path is typed, marks a path, prefix or series cap the runtime would refuse, and
 * once deployed the node serves that URL and says so in its status.
 */
import { strict as assert } from 'assert';
import type { Browser, Page } from 'playwright-core';
import { startNodeRed, type NodeRed } from '../support/node-red-process';
import { dragFromPalette, launchBrowser, openEditor, screenshot } from './editor-support';

describe('editor: the snmp-metrics dialog', function () {
  this.timeout(60000);
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  let id = '';

  before(async () => {
    red = await startNodeRed({ settings: { httpNodeRoot: '/api' } });
    browser = await launchBrowser();
    ({ page, pageErrors } = await openEditor(browser, red.url));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  afterEach(function () {
    if (pageErrors.length > 0 && this.currentTest?.state === 'passed') {
      (this.test as unknown as { error(err: Error): void }).error(new Error(`editor script errors: ${pageErrors.splice(0).join('\n')}`));
    }
  });

  const field = (name: string) => page.locator(`#node-input-${name}`);
  const invalid = async (name: string) => /input-error/.test(await field(name).getAttribute('class') ?? '');

  it('shows the URL Prometheus scrapes, under httpNodeRoot, as the path is typed', async () => {
    id = await dragFromPalette(page, 'snmp-metrics', 300, 150);
    await page.locator(`[id="${id}"]`).dblclick();
    await field('path').waitFor();
    const url = page.locator('#snmp-metrics-url');
    assert.equal(await url.textContent(), `${red!.url}/api/metrics`);
    await field('path').fill('fleet/prom');
    assert.equal(await url.textContent(), `${red!.url}/api/fleet/prom`);
    assert.equal(await field('labelColumns').inputValue(), 'ifName ifDescr ifAlias');
    assert.equal(await field('health').isChecked(), false, 'the pack\'s health only when asked for');
    await screenshot(page, 'snmp-metrics-dialog', { selector: '.red-ui-tray:last-of-type', docs: true });
  });

  it('marks what the runtime would refuse', async () => {
    for (const [name, bad, good] of [['path', '/a/:id', '/metrics'], ['prefix', '9snmp', 'snmp_'], ['maxSeries', 'lots', '5000'], ['staleAfter', '0', '3'], ['labelColumns', 'if-Name', 'ifName ifAlias']]) {
      await field(name).fill(bad);
      await field(name).dispatchEvent('change');
      await page.waitForFunction((n) => /input-error/.test(document.querySelector(`#node-input-${n}`)?.className ?? ''), name);
      await field(name).fill(good);
      await field(name).dispatchEvent('change');
      await page.waitForFunction((n) => !/input-error/.test(document.querySelector(`#node-input-${n}`)?.className ?? ''), name);
      assert.equal(await invalid(name), false);
    }
    await field('health').check();
    await page.locator('#node-dialog-ok').click();
    await field('path').waitFor({ state: 'detached' });
  });

  it('serves the path once deployed, and tells so in its status', async () => {
    await page.locator('#red-ui-header-button-deploy').click();
    await red!.waitForStatus(id, (s) => /\/metrics · no data yet/.test(s.text ?? ''), 20000);
    const res = await fetch(`${red!.url}/api/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^snmp_fleet_metrics_series_limit\{node="[^"]+",node_id="[^"]+"\} 5000$/m);
    const label = await page.locator(`[id="${id}"] .red-ui-flow-node-label-text`).textContent();
    assert.equal(label, 'metrics /metrics');
  });
});
