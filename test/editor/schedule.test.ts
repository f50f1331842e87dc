/**
 * A poll node on its own schedule, in the real editor (Debian's Chromium, a real
 * Node-RED process, simulated devices): the Poll setting shows the interval only when
 * it is chosen, a too short interval is marked invalid with the floor named, the node
 * needs its own OIDs then, and once deployed the status under the node tells the devices
 * scheduled and the polls of the last minute, without any inject node.
 */
import { strict as assert } from 'assert';
import type { Browser, Page } from 'playwright-core';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { startNodeRed, type NodeRed } from '../support/node-red-process';
import { launchBrowser, openEditor, screenshot } from './editor-support';

describe('editor: snmp-get on its own schedule', function () {
  this.timeout(90000);
  let fleet: Fleet | undefined;
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];

  before(async () => {
    fleet = await startFleet({ count: 3, interfaces: 2 });
    red = await startNodeRed({
      flows: [
        { id: 'tab1', type: 'tab', label: 'own schedule' },
        {
          id: 'cfg1', type: 'snmp-config', name: 'lab-v2c', version: '2c', port: 161, transport: 'udp4', sourceAddress: '', timeout: 2000, retries: 1, backoff: 1,
          maxRepetitions: 25, concurrency: 50, deadline: 30000, user: '', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes', context: '', contextEngineId: '',
          inventory: fleet.inventoryText(), mibDirs: '', credentials: { community: 'public' },
        },
        { id: 'get1', type: 'snmp-get', z: 'tab1', name: '', snmp: 'cfg1', oids: 'sysUpTime.0\nsysName.0', schedule: 'interval', interval: '5', x: 200, y: 100, wires: [['dbg1'], ['dbg1']] },
        { id: 'dbg1', type: 'debug', z: 'tab1', name: 'polls', active: false, x: 420, y: 100, wires: [] },
      ],
    });
    browser = await launchBrowser();
    ({ page, pageErrors } = await openEditor(browser, red.url));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await fleet?.close();
  });

  afterEach(function () {
    if (pageErrors.length > 0 && this.currentTest?.state === 'passed') {
      const errors = pageErrors.splice(0);
      (this.test as unknown as { error(err: Error): void }).error(new Error(`editor script errors: ${errors.join('\n')}`));
    }
  });

  it('polls by itself once deployed: the status under the node tells devices and polls per minute', async () => {
    const status = await red!.waitForStatus('get1', (s) => /^3 devices · [1-9]\d*\/min$/.test(s.text ?? ''), 30000);
    assert.equal(status.fill, 'green');
    // a valid node: no warning triangle on it
    assert.equal(await page.locator('[id="get1"] .red-ui-flow-node-error').isVisible(), false);
    await page.waitForFunction(() => /devices ·/.test(document.querySelector('[id="get1"] .red-ui-flow-node-status-label')?.textContent ?? ''), undefined, { timeout: 20000 });
    assert.match(await page.locator('[id="get1"] .red-ui-flow-node-status-label').textContent() ?? '', /^3 devices · \d+\/min$/);
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    await screenshot(page, 'snmp-get-own-schedule-status', { clip: { x: chart.x, y: chart.y, width: 600, height: 200 } });
  });

  it('shows the interval only for "each device at its interval", and marks one below 5 s invalid', async () => {
    await page.locator('[id="get1"]').dblclick();
    const schedule = page.locator('#node-input-schedule');
    const interval = page.locator('#node-input-interval');
    await schedule.waitFor();
    assert.equal(await schedule.inputValue(), 'interval');
    assert.equal(await interval.isVisible(), true);
    assert.equal(await interval.inputValue(), '5');
    await screenshot(page, 'snmp-get-own-schedule-dialog', { selector: '.red-ui-tray' });

    await interval.fill('');
    await interval.pressSequentially('2');
    await page.waitForFunction(() => document.querySelector('#node-input-interval')?.classList.contains('input-error'));
    await interval.fill('');
    await interval.pressSequentially('5m');
    await page.waitForFunction(() => !document.querySelector('#node-input-interval')?.classList.contains('input-error'));

    await schedule.selectOption('input');
    await page.waitForFunction(() => !(document.querySelector('#node-input-interval') as HTMLElement | null)?.offsetParent);
    assert.equal(await interval.isVisible(), false, 'no interval when a message triggers the poll');
    await schedule.selectOption('interval');
    assert.equal(await interval.isVisible(), true);
    await page.locator('#node-dialog-cancel').click();
    await page.locator('.red-ui-tray').waitFor({ state: 'detached' });
  });
});
