/**
 * counter-rate in the editor, as a new user meets it: dropped from the palette it is valid
 * with its defaults (no red triangle), stays valid through its dialog, deploys without
 * the "invalid nodes" question, and says that its rates keep the counters' names (with
 * scale 8, ifHCInOctets is bits per second), on the output port, in the dialog and in
 * the help.
 */
import { strict as assert } from 'assert';
import type { Browser, Page } from 'playwright-core';
import { startNodeRed, type NodeRed } from '../support/node-red-process';
import { dragFromPalette, launchBrowser, openEditor, screenshot } from './editor-support';

describe('editor: counter-rate from the palette', function () {
  this.timeout(90000);
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  let id = '';

  before(async () => {
    red = await startNodeRed();
    browser = await launchBrowser();
    ({ page, pageErrors } = await openEditor(browser, red.url));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  const state = () => page.evaluate((nodeId) => {
    const n = (window as any).RED.nodes.node(nodeId);
    return { valid: n.valid, errors: n.validationErrors ?? [] };
  }, id);
  const triangleShown = () => page.locator(`[id="${id}"] .red-ui-flow-node-error`).evaluate((el) => !el.classList.contains('hide') && getComputedStyle(el).display !== 'none');

  it('is valid with its defaults when dropped from the palette: no red triangle', async () => {
    id = await dragFromPalette(page, 'counter-rate', 300, 160);
    assert.deepEqual(await state(), { valid: true, errors: [] });
    assert.equal(await triangleShown(), false);
  });

  it('stays valid through its dialog, which says the rates keep the counters\' names', async () => {
    await page.locator(`[id="${id}"]`).dblclick();
    await page.locator('#node-input-scale').waitFor();
    assert.equal(await page.locator('#node-input-scale').inputValue(), '1');
    assert.match(await page.locator('#counter-rate-names-tip').innerText(), /with scale 8, ifHCInOctets holds bits per second, not octets/);
    await screenshot(page, 'counter-rate-dialog');
    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-scale').waitFor({ state: 'detached' });
    assert.deepEqual(await state(), { valid: true, errors: [] });
    assert.equal(await triangleShown(), false);
    assert.deepEqual(pageErrors, []);
  });

  it('names its output by what the numbers are: bits per second at scale 8', async () => {
    const label = (props: Record<string, string>) => page.evaluate(([nodeId, p]) => {
      const RED = (window as any).RED;
      const n = { ...RED.nodes.node(nodeId), ...p };
      return RED.nodes.getType('counter-rate').outputLabels.call(Object.assign(Object.create(RED.nodes.node(nodeId)), n), 0);
    }, [id, props] as const);
    assert.match(await label({ scale: '8', mode: 'rate' }), /^bits per second \(scale 8\), under the counters' own names: ifHCInOctets is bits\/s here$/);
    assert.match(await label({ scale: '1', mode: 'rate' }), /^rates per second, under the counters' own names$/);
    assert.match(await label({ scale: '1000', mode: 'rate' }), /× 1000/);
    assert.match(await label({ scale: '8', mode: 'delta' }), /^deltas per poll/);
    const help = await (await fetch(`${red!.url}/nodes`, { headers: { accept: 'text/html' } })).text();
    const counterHelp = help.slice(help.indexOf('data-help-name="counter-rate"'));
    assert.match(counterHelp.slice(0, 4000), /with scale 8, <code>ifHCInOctets<\/code> holds bits per\s+second, not octets/);
  });

  it('deploys without asking about invalid nodes', async () => {
    await page.locator('#red-ui-header-button-deploy').click();
    await page.locator('.red-ui-notification').filter({ hasText: /deployed/i }).first().waitFor();
    assert.equal(await page.locator('.red-ui-notification').filter({ hasText: /invalid/i }).count(), 0);
    const flows = await red!.getFlows();
    assert.ok(flows.flows.some((n) => n.id === id && n.type === 'counter-rate'));
  });
});
