/**
 * Building a poll flow in the real editor, as a user would: Debian's Chromium against a
 * real Node-RED process with this pack linked in, polling a real Debian snmpd over SNMPv3
 * authPriv. The steps build on each other (one page, one flow), in the order a user takes
 * them: palette → drag and wire → new snmp-config (v3 fields, inventory) → OIDs with
 * completion → deploy → status → export.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Locator, Page } from 'playwright-core';
import { startNodeRed, type NodeRed, type NodeStatus } from '../support/node-red-process';
import { startSnmpd, type Snmpd } from '../support/snmpd';
import { coveredNodeTypes, dragFromPalette, launchBrowser, openEditor, PALETTE_CATEGORY, PALETTE_CONTAINER, screenshot, wire } from './editor-support';

const USER = 'fleet-ops';
// Known secrets: none of them may ever show up in an export, the API, a file or a log.
const AUTH_KEY = 'Auth-Secret-7f3a91';
const PRIV_KEY = 'Priv-Secret-c4e2b8';

describe('editor: building an SNMPv3 poll flow', function () {
  this.timeout(60000);
  let snmpd: Snmpd | undefined;
  let red: NodeRed | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  let injectId = '';
  let getId = '';
  let configId = '';

  before(async () => {
    snmpd = await startSnmpd({ users: [{ name: USER, auth: 'SHA-256', authKey: AUTH_KEY, priv: 'AES', privKey: PRIV_KEY }] });
    red = await startNodeRed();
    browser = await launchBrowser();
    ({ page, pageErrors } = await openEditor(browser, red.url));
  });

  after(async () => {
    await browser?.close();
    await red?.stop();
    await snmpd?.stop();
  });

  afterEach(function () {
    // a script error in a dialog fails the step that caused it
    if (pageErrors.length > 0 && this.currentTest?.state === 'passed') {
      const errors = pageErrors.splice(0);
      (this.test as unknown as { error(err: Error): void }).error(new Error(`editor script errors: ${errors.join('\n')}`));
    }
  });

  const configField = (name: string) => page.locator(`#node-config-input-${name}`);
  let lastTabClick = 0;
  /** Opens a tab of the snmp-config dialog; Node-RED's tabs take two clicks within 400 ms as a double click. */
  const openTab = async (name: string) => {
    const wait = lastTabClick + 450 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    await page.locator(`#red-ui-tab-snmp-tab-${name} a`).click();
    lastTabClick = Date.now();
    await page.locator(`#snmp-tab-${name}`).waitFor();
  };
  /** Types into a field as a user does: Node-RED validates on keyup, change and paste, not on input. */
  const typeInto = async (field: Locator, text: string) => {
    await field.fill('');
    await field.pressSequentially(text);
  };
  const visible = (name: string) => configField(name).isVisible();

  it(`shows the pack's nodes in the "${PALETTE_CATEGORY}" palette category with their icons`, async () => {
    const category = page.locator(PALETTE_CONTAINER);
    assert.equal((await category.locator('.red-ui-palette-header span').innerText()).trim(), PALETTE_CATEGORY);
    for (const type of coveredNodeTypes().filter((t) => t !== 'snmp-config')) {
      const entry = category.locator(`.red-ui-palette-node[data-palette-type="${type}"]`);
      assert.equal(await entry.count(), 1, `${type} is in the category`);
      const icon = await entry.locator('.red-ui-palette-icon').getAttribute('style');
      assert.match(icon ?? '', new RegExp(`icons/@snmp-fleet/node-red-snmp-fleet/${type}\\.svg`), `${type} has its own icon`);
    }
    assert.equal((await category.locator('.red-ui-palette-node[data-palette-type="snmp-get"] .red-ui-palette-label').innerText()).trim(), 'snmp get');
    await category.scrollIntoViewIfNeeded();
    await screenshot(page, 'palette', { selector: PALETTE_CONTAINER, docs: true });
  });

  it('drags an inject and an snmp-get onto the workspace and wires them', async () => {
    injectId = await dragFromPalette(page, 'inject', 160, 140);
    getId = await dragFromPalette(page, 'snmp-get', 420, 140);
    await wire(page, injectId, getId);
    const label = await page.locator(`[id="${getId}"] .red-ui-flow-node-label-text`).textContent();
    assert.equal(label, 'get sysUpTime.0 +1', 'a new snmp-get says what it polls');
  });

  it('opens a new snmp-config from the snmp-get dialog, with v3 fields only for v3 and privacy only for authPriv', async () => {
    await page.locator(`[id="${getId}"] .red-ui-flow-node`).dblclick();
    await page.waitForSelector('#node-input-oid-list .snmp-fleet-oid-input');
    // the "+" beside the select opens a new config node
    await page.locator('#node-input-btn-snmp-add').click();
    await configField('version').waitFor();
    // Node-RED moves the focus to the new tray's first focusable (its Properties tab) 150 ms
    // after opening it; on a loaded machine that fell amid the typing below and the name
    // came out empty or cut ("lab "). Type once the tray has taken the focus.
    await page.waitForFunction(() => {
      const trays = document.querySelectorAll('.red-ui-tray');
      return trays.length > 0 && trays[trays.length - 1].contains(document.activeElement);
    });
    await typeInto(configField('name'), 'lab v3');

    assert.equal(await configField('version').inputValue(), '2c');
    await openTab('security');
    assert.equal(await visible('community'), true, 'v2c asks for a community');
    for (const f of ['user', 'securityLevel', 'authProtocol', 'authKey', 'privProtocol', 'privKey', 'context', 'contextEngineId']) {
      assert.equal(await visible(f), false, `v2c hides ${f}`);
    }

    await openTab('connection');
    await configField('version').selectOption('3');
    await openTab('security');
    assert.equal(await visible('community'), false, 'v3 hides the community');
    await configField('securityLevel').selectOption('noAuthNoPriv');
    assert.deepEqual([await visible('user'), await visible('authKey'), await visible('privKey')], [true, false, false], 'noAuthNoPriv: user only');
    await configField('securityLevel').selectOption('authNoPriv');
    assert.deepEqual([await visible('authProtocol'), await visible('authKey'), await visible('privProtocol'), await visible('privKey')], [true, true, false, false], 'authNoPriv: no privacy fields');
    await configField('securityLevel').selectOption('authPriv');
    assert.deepEqual([await visible('authProtocol'), await visible('authKey'), await visible('privProtocol'), await visible('privKey')], [true, true, true, true], 'authPriv: every field');

    await typeInto(configField('user'), USER);
    await configField('authProtocol').selectOption('sha256');
    await typeInto(configField('authKey'), 'short');
    assert.match(await configField('authKey').getAttribute('class') ?? '', /input-error/, 'a key under 8 characters is marked');
    await typeInto(configField('authKey'), AUTH_KEY);
    await configField('privProtocol').selectOption('aes');
    await typeInto(configField('privKey'), PRIV_KEY);
    assert.doesNotMatch(await configField('authKey').getAttribute('class') ?? '', /input-error/);
    await screenshot(page, 'snmp-config-v3', { selector: '.red-ui-tray:last-of-type', docs: true });
  });

  it('marks a bad inventory line invalid, naming its line number', async () => {
    await openTab('inventory');
    const inventory = configField('inventory');
    const error = page.locator('#snmp-config-inventory-error');
    await typeInto(inventory, `# lab\n127.0.0.1:${snmpd!.port} agent site=lab\nbad..host:161 broken`);
    // the text under the field follows each key at once; the field's and the tab's marks follow
    // Node-RED's validation on keyup, a moment later on a loaded machine: wait for all three
    const settled = (bad: boolean) => page.waitForFunction((b) => {
      const shown = (document.querySelector('#snmp-config-inventory-error') as HTMLElement).style.display !== 'none';
      const field = document.querySelector('#node-config-input-inventory')!.classList.contains('input-error');
      const tab = document.querySelector('#red-ui-tab-snmp-tab-inventory')!.classList.contains('snmp-fleet-tab-error');
      return shown === b && field === b && tab === b;
    }, bad);
    // the whole text typed (a prefix, "bad..ho", is as wrong)
    await page.waitForFunction(() => /"bad\.\.host"/.test(document.querySelector('#snmp-config-inventory-error')?.textContent ?? ''));
    await settled(true);
    assert.equal(await error.innerText(), 'Inventory line 3: "bad..host" is not a host name or IP address');
    assert.match(await inventory.getAttribute('class') ?? '', /input-error/, 'the field is marked invalid');
    assert.match(await page.locator('#red-ui-tab-snmp-tab-inventory').getAttribute('class') ?? '', /snmp-fleet-tab-error/, 'the tab shows the problem');
    await screenshot(page, 'snmp-config-inventory-error', { selector: '.red-ui-tray:last-of-type', docs: true });

    await typeInto(inventory, `127.0.0.1:${snmpd!.port} agent site=lab\n127.0.0.1:99999 broken`);
    await page.waitForFunction(() => /line 2: port of "127\.0\.0\.1:99999"/.test(document.querySelector('#snmp-config-inventory-error')?.textContent ?? ''));
    await settled(true);
    assert.equal(await error.innerText(), 'Inventory line 2: port of "127.0.0.1:99999" must be 1-65535', 'in the words of the runtime');

    await typeInto(inventory, `# lab\n127.0.0.1:${snmpd!.port} agent site=lab`);
    await settled(false);
    assert.doesNotMatch(await inventory.getAttribute('class') ?? '', /input-error/);
    assert.doesNotMatch(await page.locator('#red-ui-tab-snmp-tab-inventory').getAttribute('class') ?? '', /snmp-fleet-tab-error/);

    await page.locator('#node-config-dialog-ok').click();
    await page.locator('#node-config-input-version').waitFor({ state: 'detached' });
    configId = await page.locator('#node-input-snmp').inputValue();
    const config = await page.evaluate((id) => { const n = (window as any).RED.nodes.node(id); return { type: n.type, version: n.version, user: n.user, valid: n.valid }; }, configId);
    assert.deepEqual(config, { type: 'snmp-config', version: '3', user: USER, valid: true });
    assert.match(await page.locator('#node-input-snmp option:checked').innerText(), /^lab v3$/);
  });

  it('completes OID names from the MIB service and marks names it does not know', async () => {
    const rows = page.locator('#node-input-oid-list .snmp-fleet-oid-input');
    // start from an empty list
    for (let left = await rows.count(); left > 0; left--) {
      await page.locator('#node-input-oid-list .red-ui-editableList-item-remove').first().click();
      await page.waitForFunction((n) => document.querySelectorAll('#node-input-oid-list .snmp-fleet-oid-input').length === n, left - 1);
    }
    await page.locator('.red-ui-editableList-addButton').click();
    await rows.first().pressSequentially('sysUp', { delay: 30 });
    const menu = page.locator('.red-ui-autoComplete-container');
    const suggestion = menu.locator('.snmp-fleet-completion', { hasText: 'sysUpTime' }).first();
    await suggestion.waitFor();
    assert.match(await suggestion.innerText(), /SNMPv2-MIB · TimeTicks/, 'a suggestion names its module and type');
    await screenshot(page, 'snmp-get-oid-completion', { selector: '.red-ui-tray:last-of-type', docs: true });
    await suggestion.click();
    assert.equal(await rows.first().inputValue(), 'sysUpTime.0', 'a scalar is completed with its .0 instance');
    const note = page.locator('#node-input-oid-list .snmp-fleet-oid-note').first();
    await page.waitForFunction(() => /1\.3\.6\.1\.2\.1\.1\.3\.0/.test(document.querySelector('#node-input-oid-list .snmp-fleet-oid-note')?.textContent ?? ''));
    assert.equal(await note.innerText(), '1.3.6.1.2.1.1.3.0 · TimeTicks');

    await page.locator('.red-ui-editableList-addButton').click();
    await rows.nth(1).pressSequentially('sysUpTme.0', { delay: 10 });
    await page.keyboard.press('Escape');
    // wait for the verdict on the whole name: on a loaded machine a pause between two keys can
    // let the check of a prefix ("sysUpT") answer first and mark the row for a moment
    await page.waitForFunction(() => /"sysUpTme\.0"/.test(document.querySelectorAll('#node-input-oid-list .snmp-fleet-oid-note')[1]?.textContent ?? ''));
    assert.equal(await page.locator('#node-input-oid-list input.input-error').count(), 1);
    const badNote = page.locator('#node-input-oid-list .snmp-fleet-oid-note').nth(1);
    assert.equal(await badNote.innerText(), 'unknown MIB object name "sysUpTme" in "sysUpTme.0"', 'the reason comes from the MIB service');
    await screenshot(page, 'snmp-get-oid-invalid', { selector: '.red-ui-tray:last-of-type' });

    // a numeric OID net-snmp would send as another (its first two arcs share one byte)
    await rows.nth(1).fill('');
    await rows.nth(1).pressSequentially('7.1.2', { delay: 10 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => /cannot be sent/.test(document.querySelectorAll('#node-input-oid-list .snmp-fleet-oid-note')[1]?.textContent ?? ''));
    assert.equal(await badNote.innerText(), '"7.1.2" cannot be sent: an OID has two arcs at least, the first 0, 1 or 2, the second below 40');
    assert.equal(await page.locator('#node-input-oid-list input.input-error').count(), 1);

    await rows.nth(1).fill('');
    await rows.nth(1).pressSequentially('sysName.0', { delay: 10 });
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelectorAll('#node-input-oid-list input.input-error').length === 0);
    // the note is filled when the MIB service answers, which may come after the mark clears
    await page.waitForFunction(() => /1\.3\.6\.1\.2\.1\.1\.5\.0/.test(document.querySelectorAll('#node-input-oid-list .snmp-fleet-oid-note')[1]?.textContent ?? ''));
    assert.equal(await badNote.innerText(), '1.3.6.1.2.1.1.5.0 · DisplayString');

    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-oid-list').waitFor({ state: 'detached' });
    const saved = await page.evaluate((id) => { const n = (window as any).RED.nodes.node(id); return { oids: n.oids, snmp: n.snmp, valid: n.valid }; }, getId);
    assert.deepEqual(saved, { oids: 'sysUpTime.0\nsysName.0', snmp: configId, valid: true });
    assert.equal(await page.locator(`[id="${getId}"] .red-ui-flow-node-label-text`).textContent(), 'get sysUpTime.0 +1');
  });

  it('labels the two outputs "results" and "failures"', async () => {
    const labels: string[] = [];
    for (const port of [0, 1]) {
      await page.locator(`[id="${getId}"] .red-ui-flow-port-output .red-ui-flow-port`).nth(port).hover();
      const tip = page.locator('.red-ui-flow-port-tooltip');
      await tip.waitFor();
      labels.push((await tip.textContent() ?? '').trim());
      await page.mouse.move(5, 5);
      await tip.waitFor({ state: 'detached' });
    }
    assert.deepEqual(labels, ['results', 'failures']);
  });

  it('deploys; after a trigger the status under snmp-get turns green and reads as a sentence', async () => {
    await page.locator('#red-ui-header-button-deploy').click();
    await page.locator('.red-ui-notification', { hasText: /Successfully deployed/ }).waitFor();
    // a click on the inject button while the editor redraws the deployed flow can be lost
    // on a loaded machine (no status at all came in 15 s once): click again, up to three times
    const done = (s: NodeStatus) => s.fill === 'green' || s.fill === 'red' || s.fill === 'yellow';
    let status: NodeStatus | undefined;
    for (let attempt = 1; status === undefined; attempt++) {
      await page.locator(`[id="${injectId}"] .red-ui-flow-node-button`).click();
      try {
        status = await red!.waitForStatus(getId, done, 10000);
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
    assert.equal(status.fill, 'green', `status ${JSON.stringify(status)}`);
    assert.equal(status.shape, 'dot');
    assert.match(status.text ?? '', /^1\/1 ok · [\d.]+ (ms|s)$/);

    // what the user sees under the node: the translated sentence, not a locale key
    const shown = page.locator(`[id="${getId}"] .red-ui-flow-node-status-label`);
    await page.waitForFunction((id) => /ok/.test(document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`)?.textContent ?? ''), getId);
    assert.match(await shown.textContent() ?? '', /^1\/1 ok · [\d.]+ (ms|s)$/);
    assert.match(await page.locator(`[id="${getId}"] .red-ui-flow-node-status`).getAttribute('class') ?? '', /red-ui-flow-node-status-dot-green/);
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    await screenshot(page, 'flow-deployed-status', { clip: { x: chart.x, y: chart.y, width: 700, height: 260 }, docs: true });
    assert.equal(red!.output().includes(AUTH_KEY) || red!.output().includes(PRIV_KEY), false, 'no secret in the Node-RED log');
  });

  it('never puts a credential into an exported flow, the admin API or the flow files', async () => {
    await page.keyboard.press('Control+e');
    await page.locator('#red-ui-clipboard-dialog-export-rng-full').click();
    await page.locator('#red-ui-tab-red-ui-clipboard-dialog-export-tab-clipboard-json a').click();
    const exportText = page.locator('#red-ui-clipboard-dialog-export-text');
    await exportText.waitFor();
    const exported = await exportText.inputValue();
    const nodes = JSON.parse(exported) as Array<{ id: string; type: string; credentials?: unknown }>;
    assert.ok(nodes.some((n) => n.type === 'snmp-config' && n.id === configId), 'the export holds the config node');
    assert.ok(nodes.some((n) => n.type === 'snmp-get'), 'and the snmp-get node');
    for (const secret of [AUTH_KEY, PRIV_KEY]) assert.equal(exported.includes(secret), false, 'editor export holds no secret');
    await page.keyboard.press('Escape');

    const api = JSON.stringify(await red!.getFlows());
    const creds = JSON.stringify((await red!.request('GET', `/credentials/snmp-config/${configId}`)).body);
    assert.match(creds, /"has_authKey":true/, 'the editor only learns that a key is set');
    const files = ['flows.json', 'flows_cred.json'].map((f) => fs.readFileSync(path.join(red!.userDir, f), 'utf8')).join('\n');
    for (const secret of [AUTH_KEY, PRIV_KEY]) {
      assert.equal(api.includes(secret), false, 'GET /flows holds no secret');
      assert.equal(creds.includes(secret), false, 'GET /credentials holds no secret');
      assert.equal(files.includes(secret), false, 'flow files hold no secret in clear');
      assert.equal(red!.output().includes(secret), false, 'no secret in the Node-RED log');
    }
  });
});
