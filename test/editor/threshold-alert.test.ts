/**
 * threshold-alert's dialog in the real editor (Debian's Chromium, a real Node-RED):
 * it opens at its first rule however many rules there are, shows the PagerDuty fields
 * only for the PagerDuty output, and warns about a missing routing key only where an
 * event would really leave without one.
 */
import { strict as assert } from 'assert';
import type { Browser, Page } from 'playwright-core';
import { startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { launchBrowser, openEditor, screenshot } from './editor-support';

const RULES = Array.from({ length: 8 }, (_, i) => ({
  kind: 'threshold', name: `Rule${i + 1}`, field: `field${i + 1}`, op: '>', threshold: String(80 + i), clear: '', for: '1m', keepFiringFor: '', severity: 'warning', summary: '{{device}} {{instance}}',
}));

function alertNode(id: string, format: string, x: number, extra: Record<string, unknown> = {}): FlowNode {
  return { id, type: 'threshold-alert', z: 'tab', name: id, x, y: 100, rules: RULES, repeat: '0', nodata: 'resolve', nodataAfter: '3', format, routingKeyInBody: true, store: '', wires: [[], []], ...extra };
}

describe('editor: the threshold-alert dialog', function () {
  this.timeout(90000);
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];

  before(async () => {
    red = await startNodeRed();
    await red.deploy([
      { id: 'tab', type: 'tab', label: 'alerts' },
      alertNode('toSlack', 'slack', 150),
      alertNode('pdNoKey', 'pagerduty', 350),
      alertNode('pdWithKey', 'pagerduty', 550, { credentials: { routingKey: 'R0UTING-KEY-SET' } }),
    ]);
    browser = await launchBrowser();
    ({ page, pageErrors } = await openEditor(browser, red.url));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  afterEach(() => {
    assert.deepEqual(pageErrors.splice(0), [], 'no script error in the editor');
  });

  async function open(id: string): Promise<void> {
    await page.evaluate((nodeId) => (window as any).RED.editor.edit((window as any).RED.nodes.node(nodeId)), id);
    await page.locator('#node-input-rule-container .threshold-alert-rule').first().waitFor();
    // the tray slides in; the list is laid out once it has
    await page.waitForFunction(() => {
      const tray = document.querySelector('.red-ui-tray');
      return tray !== null && getComputedStyle(tray).right === '0px';
    });
  }

  async function cancel(): Promise<void> {
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#node-input-rule-container').waitFor({ state: 'detached' });
  }

  const shown = (selector: string) => page.locator(selector).first().isVisible();

  it('takes a node saved before grouping existed as valid, and marks a grouping the runtime refuses', async () => {
    // the deployed nodes carry no grouping, groupBy, groupWait or groupInterval, as flows saved before them
    const judged = await page.evaluate(() => {
      const RED = (window as any).RED;
      const n = RED.nodes.node('toSlack');
      const before = { grouping: n.grouping, valid: (RED.editor.validateNode(n), n.valid), errors: n.validationErrors || [] };
      n.grouping = '';
      const empty = (RED.editor.validateNode(n), n.valid);
      n.grouping = 'by-magic';
      const bad = { valid: (RED.editor.validateNode(n), n.valid), errors: n.validationErrors || [] };
      n.grouping = before.grouping;
      RED.editor.validateNode(n);
      return { before, empty, bad };
    });
    assert.equal(judged.before.grouping, undefined, 'the node has no grouping property');
    assert.deepEqual(judged.before.errors, []);
    assert.equal(judged.before.valid, true);
    assert.equal(judged.empty, true, 'empty is the runtime default too');
    assert.equal(judged.bad.valid, false);
    assert.ok(judged.bad.errors.length > 0, 'the editor says why');
    await page.evaluate(() => (window as any).RED.view.redraw(true));
    assert.equal(await page.locator('[id="toSlack"] .red-ui-flow-node-error').evaluate((el) => el.classList.contains('hide')), true, 'no red triangle on it');
  });

  it('opens at its first rule, not scrolled to the last one added', async () => {
    await open('toSlack');
    const container = page.locator('#node-input-rule-container').locator('xpath=ancestor::div[contains(@class, "red-ui-editableList-container")]');
    const scrolled = await container.evaluate((el) => ({ top: el.scrollTop, height: el.clientHeight, full: el.scrollHeight }));
    assert.ok(scrolled.full > scrolled.height, `8 rules overflow the list (${scrolled.full} > ${scrolled.height}), so the test means something`);
    assert.equal(scrolled.top, 0);
    const first = await page.locator('.threshold-alert-rule .rule-name').first().boundingBox();
    const box = await container.boundingBox();
    assert.ok(first && box && first.y >= box.y && first.y + first.height <= box.y + box.height, 'the first rule is in view');
    assert.equal(await page.locator('.threshold-alert-rule .rule-name').first().inputValue(), 'Rule1');
    await screenshot(page, 'threshold-alert-dialog-slack', { selector: '.red-ui-tray' });
  });

  it('Slack output hides the PagerDuty-only fields and shows no key warning', async () => {
    assert.equal(await page.locator('#node-input-format').inputValue(), 'slack');
    for (const sel of ['#node-input-routingKeyInBody', '#node-input-routingKey', '.threshold-alert-no-key']) assert.equal(await shown(sel), false, `${sel} hidden`);
    assert.equal(await page.locator('.threshold-alert-pd-only:visible').count(), 0);
    // switching the output to PagerDuty brings them (and, with no key, the warning)
    await page.locator('#node-input-format').selectOption('pagerduty');
    assert.equal(await shown('#node-input-routingKey'), true);
    assert.equal(await shown('.threshold-alert-no-key'), true);
    await page.locator('#node-input-format').selectOption('slack');
    assert.equal(await shown('#node-input-routingKey'), false);
    assert.equal(await shown('.threshold-alert-no-key'), false);
    await cancel();
  });

  it('gives the rules the height the shown rows leave, and takes it back when PagerDuty rows appear', async () => {
    await open('toSlack');
    // what the dialog leaves unused under its last shown row, and the rule list's height
    const layout = () => page.evaluate(() => {
      const body = document.querySelector('.red-ui-tray-body') as HTMLElement;
      const rows = Array.from(document.querySelectorAll('#dialog-form > div')).filter((el) => (el as HTMLElement).offsetParent !== null);
      const last = rows[rows.length - 1].getBoundingClientRect();
      const list = document.querySelector('#node-input-rule-container')!.closest('.red-ui-editableList-container')!.getBoundingClientRect();
      return { unused: Math.round(body.getBoundingClientRect().bottom - last.bottom), list: Math.round(list.height) };
    });
    const slack = await layout();
    assert.ok(slack.list > 200, `8 rules get more than the minimum height (${slack.list} px)`);
    assert.ok(slack.unused < 60, `no empty band under the last row (${slack.unused} px)`);
    await page.locator('#node-input-format').selectOption('pagerduty');
    const pd = await layout();
    assert.ok(pd.list < slack.list, `the PagerDuty rows take their room from the list (${pd.list} < ${slack.list} px)`);
    // where they do not all fit, the list keeps its minimum and the dialog scrolls, as Node-RED's own do
    assert.ok(pd.list >= 200, `the list keeps its minimum (${pd.list} px)`);
    assert.ok(pd.unused < 60, `no empty band under the last row (${pd.unused} px)`);
    await cancel();
  });

  it('the PagerDuty key warning shows only where an event would leave without a key', async () => {
    await open('pdNoKey');
    assert.equal(await shown('.threshold-alert-no-key'), true, 'PagerDuty, key in body, no key: warned');
    await screenshot(page, 'threshold-alert-dialog-pagerduty-no-key', { selector: '.red-ui-tray' });
    await page.locator('#node-input-routingKey').pressSequentially('${PAGERDUTY_ROUTING_KEY}');
    assert.equal(await shown('.threshold-alert-no-key'), false, 'a key typed: no warning');
    await page.locator('#node-input-routingKey').fill('');
    await page.locator('#node-input-routingKey').press('Backspace');
    assert.equal(await shown('.threshold-alert-no-key'), true);
    await page.locator('#node-input-routingKeyInBody').uncheck();
    assert.equal(await shown('.threshold-alert-no-key'), false, 'the key is added later in the flow: no warning');
    assert.equal(await shown('#node-input-routingKey'), false);
    await cancel();

    await open('pdWithKey');
    assert.equal(await shown('#node-input-routingKey'), true);
    assert.equal(await shown('.threshold-alert-no-key'), false, 'a stored key: no warning');
    await cancel();
  });
});
