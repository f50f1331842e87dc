/**
 * snmp-spool's edit dialog in Debian's Chromium against a real Node-RED: it says whether
 * a complete node and a catch node are wired back (reading the editor's links), names
 * what is missing, and marks a value the runtime would refuse.
 */
import { strict as assert } from 'assert';
import type { Browser, Page } from 'playwright-core';
import { startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { launchBrowser, openEditor, screenshot } from './editor-support';

const TAB = 'spool-tab';
const FLOWS: FlowNode[] = [
  { id: TAB, type: 'tab', label: 'Spool' },
  { id: 'sp-wired', type: 'snmp-spool', z: TAB, name: 'wired', x: 200, y: 80, wires: [['sink']] },
  { id: 'sink', type: 'debug', z: TAB, name: 'sink', active: false, x: 400, y: 80, wires: [] },
  { id: 'written', type: 'complete', z: TAB, name: 'written', scope: ['sink'], uncaught: false, x: 400, y: 140, wires: [['sp-wired']] },
  { id: 'failed', type: 'catch', z: TAB, name: 'failed', scope: ['sink'], uncaught: false, x: 400, y: 180, wires: [['sp-wired']] },
  { id: 'sp-half', type: 'snmp-spool', z: TAB, name: 'half', x: 200, y: 260, wires: [[]] },
  { id: 'written-2', type: 'complete', z: TAB, name: 'written', scope: ['sink'], uncaught: false, x: 400, y: 300, wires: [['sp-half']] },
];

describe('editor: the snmp-spool dialog', function () {
  this.timeout(90000);
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];

  before(async () => {
    red = await startNodeRed({ flows: FLOWS });
    browser = await launchBrowser();
    ({ page, pageErrors } = await openEditor(browser, red.url));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
  });

  /** Opens the node's dialog and returns the wiring tip's text and colour. */
  async function wiringTip(id: string): Promise<{ text: string; color: string }> {
    await page.evaluate((nodeId) => { const RED = (window as any).RED; RED.editor.edit(RED.nodes.node(nodeId)); }, id);
    const tip = page.locator('#snmp-spool-wiring');
    await tip.waitFor();
    return { text: (await tip.textContent()) ?? '', color: await tip.evaluate((el) => getComputedStyle(el).color) };
  }

  async function cancel(): Promise<void> {
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#snmp-spool-wiring').waitFor({ state: 'detached' });
  }

  it('says the acknowledgements are wired when a complete and a catch node lead back into it', async () => {
    const tip = await wiringTip('sp-wired');
    assert.match(tip.text, /^A complete node and a catch node are wired back into this spool/);
    // a node written without the optional properties shows the defaults, not an empty, invalid select
    assert.equal(await page.locator('#node-input-fsync').inputValue(), 'second');
    assert.equal(await page.locator('#node-input-fsync').evaluate((el) => el.classList.contains('input-error')), false);
    await screenshot(page, 'spool-dialog-wired', { selector: '.red-ui-tray' });
    await cancel();
    assert.deepEqual(pageErrors, []);
  });

  it('names what is missing, in the error colour, when only a complete node is wired back', async () => {
    const wired = await wiringTip('sp-wired');
    await cancel();
    const tip = await wiringTip('sp-half');
    assert.match(tip.text, /^Nothing wired back yet from: catch\. Wire a complete node and a catch node/);
    assert.notEqual(tip.color, wired.color);
    await screenshot(page, 'spool-dialog-missing', { selector: '.red-ui-tray' });
    await cancel();
  });

  it('marks a value the runtime refuses, and accepts a duration', async () => {
    await wiringTip('sp-wired');
    const field = (name: string) => page.locator(`#node-input-${name}`);
    await field('maxInFlight').fill('0');
    await field('ackTimeout').fill('5m');
    await field('maxSize').fill('lots');
    await field('name').click();
    await page.waitForFunction(() => document.querySelector('#node-input-maxInFlight')?.classList.contains('input-error'));
    assert.equal(await field('maxInFlight').evaluate((el) => el.classList.contains('input-error')), true);
    assert.equal(await field('maxSize').evaluate((el) => el.classList.contains('input-error')), true);
    assert.equal(await field('ackTimeout').evaluate((el) => el.classList.contains('input-error')), false);
    await cancel();
  });
});
