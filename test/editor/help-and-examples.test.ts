/**
 * The rest of what a user meets in the editor, in Debian's Chromium against a real
 * Node-RED process: the help sidebar for every node of the pack (Node-RED's help style
 * guide), labels that say what a node does, statuses that read as sentences when
 * something is wrong, walk completion, and Import → Examples for every file in examples/.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { ROOT, startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { coveredNodeTypes, launchBrowser, openEditor, packNodeTypes, screenshot } from './editor-support';

const TAB = 'f1';
// Deployed before the editor opens: nodes that are red for a reason the status must name.
const FLOWS: FlowNode[] = [
  { id: TAB, type: 'tab', label: 'Flow 1' },
  { id: 'cfg-v3-nouser', type: 'snmp-config', name: 'broken v3', version: '3', user: '', securityLevel: 'noAuthNoPriv' },
  { id: 'get-noconfig', type: 'snmp-get', z: TAB, name: '', snmp: '', oids: 'sysName.0', x: 160, y: 80, wires: [[], []] },
  { id: 'get-badconfig', type: 'snmp-get', z: TAB, name: 'core routers', snmp: 'cfg-v3-nouser', oids: 'sysName.0', x: 160, y: 160, wires: [[], []] },
  { id: 'walk-x', type: 'snmp-bulkwalk', z: TAB, name: '', snmp: 'cfg-v3-nouser', oids: 'IF-MIB::ifXTable', x: 460, y: 80, wires: [[], []] },
  { id: 'walk-more', type: 'snmp-bulkwalk', z: TAB, name: '', snmp: 'cfg-v3-nouser', oids: 'ifDescr\nifHCInOctets\nifHCOutOctets', x: 460, y: 160, wires: [[], []] },
];

interface HelpSummary {
  title: string;
  firstTag: string;
  firstText: string;
  headings: string[];
  ports: number;
  messageProperties: number;
  text: string;
  /** Inline code phrases whose right edge lies past the help panel's. */
  overflowing: string[];
}

describe('editor: help, labels, statuses and examples', function () {
  this.timeout(60000);
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

  afterEach(function () {
    if (pageErrors.length > 0 && this.currentTest?.state === 'passed') {
      (this.test as unknown as { error(err: Error): void }).error(new Error(`editor script errors: ${pageErrors.splice(0).join('\n')}`));
    }
  });

  async function help(type: string): Promise<HelpSummary> {
    await page.evaluate((t) => (window as any).RED.sidebar.help.show(t), type);
    const panel = page.locator('.red-ui-sidebar-help-stack .red-ui-help .red-ui-help');
    await panel.locator('h3').first().waitFor();
    return panel.evaluate((el) => {
      const body = el.querySelector('.red-ui-text-bidi-aware') ?? el;
      const first = body.firstElementChild as HTMLElement;
      return {
        title: (el.parentElement!.querySelector('h1, .red-ui-help-title')?.textContent ?? '').trim(),
        firstTag: first.tagName,
        firstText: (first.textContent ?? '').trim(),
        headings: Array.from(body.querySelectorAll('h3')).map((h) => (h.textContent ?? '').trim()),
        ports: body.querySelectorAll('ol.node-ports > li').length,
        messageProperties: body.querySelectorAll('dl.message-properties').length,
        text: body.textContent ?? '',
        overflowing: Array.from(body.querySelectorAll('code'))
          .filter((c) => c.getBoundingClientRect().right > el.getBoundingClientRect().right + 1)
          .map((c) => c.textContent ?? ''),
      };
    });
  }

  for (const type of coveredNodeTypes()) {
    it(`shows help for ${type} in the help sidebar, as the help style guide lays it out`, async () => {
      const h = await help(type);
      const def = await page.evaluate((t) => { const d = (window as any).RED.nodes.getType(t); return { category: d.category, outputs: d.outputs ?? 0, inputs: d.inputs ?? 0 }; }, type);
      assert.equal(h.firstTag, 'P', 'starts with the one-sentence summary the palette tooltip shows');
      assert.ok(h.firstText.length > 20, 'the summary says something');
      if (def.category === 'config') {
        assert.deepEqual(h.headings.filter((x) => ['Inputs', 'Outputs'].includes(x)), [], 'a config node has no messages');
        assert.deepEqual(h.headings.filter((x) => ['Details', 'References'].includes(x)), ['Details', 'References']);
      } else {
        // a node without an input (trap-in) has no Inputs section, as the guide allows
        assert.deepEqual(h.headings, [...(def.inputs > 0 ? ['Inputs'] : []), 'Outputs', 'Details', 'References']);
        assert.ok(h.messageProperties >= (def.inputs > 0 ? 2 : 1), 'inputs and outputs list message properties');
        if (def.outputs > 1) assert.equal(h.ports, def.outputs, 'one ol.node-ports entry per output');
      }
      assert.doesNotMatch(h.text, new RegExp(`${type}\\.(label|tip|errors|status)\\.`), 'no raw locale key');
      assert.deepEqual(h.overflowing, [], 'every code phrase wraps inside the sidebar');
      const source = await page.evaluate((t) => document.querySelector(`script[data-help-name="${t}"]`)?.innerHTML ?? '', type);
      assert.doesNotMatch(source, /<\/?(b|i)>/, 'no <b> or <i> (the guide asks for none)');
      if (type === 'snmp-get') await screenshot(page, 'help-snmp-get', { selector: '#red-ui-sidebar', docs: true });
    });
  }

  it('labels nodes by what they do, italic when named, and names both outputs', async () => {
    const labels = await page.evaluate(() => {
      const RED = (window as any).RED;
      const out: Record<string, { label: string; style: string; outputs: string[] }> = {};
      for (const id of ['get-noconfig', 'get-badconfig', 'walk-x', 'walk-more']) {
        const n = RED.nodes.node(id);
        const def = n._def;
        out[id] = {
          label: RED.utils.getNodeLabel(n),
          style: typeof def.labelStyle === 'function' ? def.labelStyle.call(n) : '',
          outputs: [0, 1].map((i) => def.outputLabels.call(n, i)),
        };
      }
      return out;
    });
    assert.deepEqual(labels['get-noconfig'], { label: 'get sysName.0', style: '', outputs: ['results', 'failures'] });
    assert.deepEqual(labels['get-badconfig'], { label: 'core routers', style: 'node_label_italic', outputs: ['results', 'failures'] });
    assert.deepEqual(labels['walk-x'], { label: 'walk ifXTable', style: '', outputs: ['results', 'failures'] });
    assert.equal(labels['walk-more'].label, 'walk ifDescr +2');
    // what the workspace draws
    assert.equal(await page.locator('[id="walk-x"] .red-ui-flow-node-label-text').textContent(), 'walk ifXTable');
  });

  it('shows red statuses as sentences that say why, not as locale keys', async () => {
    for (const [id, text] of [['get-noconfig', 'no snmp-config'], ['get-badconfig', 'invalid snmp-config'], ['walk-x', 'invalid snmp-config']]) {
      const status = await red!.waitForStatus(id, (s) => !!s.text);
      assert.deepEqual(status, { fill: 'red', shape: 'ring', text }, `runtime status of ${id}`);
      const shown = page.locator(`[id="${id}"] .red-ui-flow-node-status-label`);
      await page.waitForFunction(([i, t]) => document.querySelector(`[id="${i}"] .red-ui-flow-node-status-label`)?.textContent === t, [id, text] as const);
      assert.equal(await shown.textContent(), text);
    }
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    await screenshot(page, 'status-red-reasons', { clip: { x: chart.x, y: chart.y, width: 720, height: 230 } });
  });

  it('completes a table name for snmp-bulkwalk without an instance, and splits a pasted list into rows', async () => {
    await page.locator('[id="walk-x"] .red-ui-flow-node').dblclick();
    const rows = page.locator('#node-input-oid-list .snmp-fleet-oid-input');
    await rows.first().waitFor();
    assert.equal(await rows.first().inputValue(), 'IF-MIB::ifXTable');
    await page.locator('.red-ui-editableList-addButton').click();
    await rows.nth(1).pressSequentially('ifHCIn', { delay: 30 });
    const suggestion = page.locator('.red-ui-autoComplete-container .snmp-fleet-completion', { hasText: 'ifHCInOctets' }).first();
    await suggestion.waitFor();
    await suggestion.click();
    assert.equal(await rows.nth(1).inputValue(), 'ifHCInOctets', 'a column is walked by its name');
    await page.waitForFunction(() => /1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6/.test(document.querySelectorAll('#node-input-oid-list .snmp-fleet-oid-note')[1]?.textContent ?? ''));
    await screenshot(page, 'snmp-bulkwalk-dialog', { selector: '.red-ui-tray:last-of-type', docs: true });

    // a list pasted into a row becomes one row per line
    await page.locator('.red-ui-editableList-addButton').click();
    await rows.nth(2).focus();
    await rows.nth(2).evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', 'ifInErrors\nifOutErrors # errors, both ways\n');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    });
    await page.waitForFunction(() => document.querySelectorAll('#node-input-oid-list .snmp-fleet-oid-input').length === 4);
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), ['IF-MIB::ifXTable', 'ifHCInOctets', 'ifInErrors', 'ifOutErrors']);

    await page.locator('#node-dialog-ok').click();
    await page.locator('#node-input-oid-list').waitFor({ state: 'detached' });
    assert.equal(await page.evaluate(() => (window as any).RED.nodes.node('walk-x').oids), 'IF-MIB::ifXTable\nifHCInOctets\nifInErrors\nifOutErrors');
    assert.equal(await page.locator('[id="walk-x"] .red-ui-flow-node-label-text').textContent(), 'walk ifXTable +3');
  });

  it('shows IF-MIB\'s longest column name whole in an OID row at the default dialog width', async () => {
    await page.locator('[id="walk-more"] .red-ui-flow-node').dblclick();
    const row = page.locator('#node-input-oid-list .snmp-fleet-oid-input').first();
    await row.fill('ifCounterDiscontinuityTime');
    const fits = await row.evaluate((el) => [el.scrollWidth, el.clientWidth]);
    assert.ok(fits[0] <= fits[1], `the 26 characters need ${fits[0]} px, the field has ${fits[1]}`);
    await page.locator('#node-dialog-cancel').click();
    await page.locator('#node-input-oid-list').waitFor({ state: 'detached' });
  });

  it('lists every example of examples/ (folders too) under Import → Examples and imports each without unknown nodes', async function () {
    // eight imports, each of which may wait for a loaded machine's editor
    this.timeout(180000);
    const dir = path.join(ROOT, 'examples');
    const entries = fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : [];
    const files = entries.filter((e) => e.isFile() && e.name.endsWith('.json')).map((e) => e.name).sort();
    // a folder of examples is a branch of the tree (Node-RED's library reads folders too)
    const folders = entries.filter((e) => e.isDirectory() && fs.readdirSync(path.join(dir, e.name)).some((f) => f.endsWith('.json'))).map((e) => e.name).sort();
    const names = [...files.map((f) => f.replace(/\.json$/, '')), ...folders].sort();
    const nested = folders.flatMap((d) => fs.readdirSync(path.join(dir, d)).filter((f) => f.endsWith('.json')).sort().map((f) => `${d}/${f.replace(/\.json$/, '')}`));
    for (const f of [...files, ...nested.map((n) => `${n}.json`)]) assert.ok(Array.isArray(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))), `${f} is a flow (a JSON array)`);

    const openExamples = async () => {
      await page.evaluate(() => (window as any).RED.actions.invoke('core:show-import-dialog'));
      await page.locator('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a').click();
      return page.locator('#red-ui-clipboard-dialog-import-tab-examples');
    };
    let tree = await openExamples();
    const folder = tree.locator('.red-ui-treeList-label', { hasText: '@snmp-fleet/node-red-snmp-fleet' });
    if (names.length === 0) {
      // Node-RED lists a module only when it has examples
      assert.equal(await folder.count(), 0);
      await page.locator('#red-ui-clipboard-dialog-cancel').click();
      return;
    }
    await folder.click();
    // the tree renders the folder's children after the click: wait for them
    const children = folder.locator('xpath=ancestor::li[1]').locator('.red-ui-treeList-label-text');
    await children.nth(names.length).waitFor({ state: 'attached', timeout: 10000 });
    const listed = await children.allTextContents();
    assert.deepEqual(listed.slice(1).map((s) => s.trim()).sort(), names, 'the Examples tree lists exactly the files and folders in examples/');
    await page.locator('#red-ui-clipboard-dialog-cancel').click();

    const exact = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    for (const name of [...files.map((f) => f.replace(/\.json$/, '')), ...nested]) {
      const tabsBefore: string[] = await page.evaluate(() => { const ids: string[] = []; (window as any).RED.nodes.eachWorkspace((w: any) => ids.push(w.id)); return ids; });
      tree = await openExamples();
      await tree.locator('.red-ui-treeList-label', { hasText: '@snmp-fleet/node-red-snmp-fleet' }).click();
      const parts = name.split('/');
      if (parts.length > 1) await tree.locator('.red-ui-treeList-label-text', { hasText: exact(parts[0]) }).click();
      const item = tree.locator('.red-ui-treeList-label-text', { hasText: exact(parts[parts.length - 1]) });
      await item.click();
      // Import is enabled once the editor has fetched the example: give a loaded machine
      // time, and click the item again only if the first click came before the tree was ready
      const importButton = page.locator('#red-ui-clipboard-dialog-ok:not([disabled])');
      try {
        await importButton.waitFor({ timeout: 30000 });
      } catch {
        await item.click();
        await importButton.waitFor({ timeout: 30000 });
      }
      await page.locator('#red-ui-clipboard-dialog-import-opt-new').click();
      await importButton.click();
      await page.locator('#red-ui-clipboard-dialog').waitFor({ state: 'hidden' });
      // the dialog closes first; the editor then fetches the example and imports it: wait for its tab
      await page.waitForFunction((before) => {
        let added = 0;
        (window as any).RED.nodes.eachWorkspace((w: any) => { if (!before.includes(w.id)) added++; });
        return added > 0;
      }, tabsBefore, { timeout: 30000 }).catch(() => undefined);
      const result = await page.evaluate(([before, types]) => {
        const RED = (window as any).RED;
        const tabs: string[] = [];
        RED.nodes.eachWorkspace((w: any) => { if (!before.includes(w.id)) tabs.push(w.id); });
        const bad: string[] = [];
        let count = 0;
        RED.nodes.eachNode((n: any) => {
          if (!tabs.includes(n.z)) return;
          count++;
          if (n.type === 'unknown') bad.push(n._orig?.type ?? n.name ?? n.id);
        });
        RED.nodes.eachConfig((n: any) => { if (n.type === 'unknown') bad.push(n._orig?.type ?? n.id); });
        // this pack's nodes as the editor judges them: a red triangle on an example says it is broken
        // (no named functions in here: the test's compiler would wrap them in a helper the page lacks)
        const judged: any[] = [];
        RED.nodes.eachNode((n: any) => { if (tabs.includes(n.z) && types.includes(n.type)) judged.push(n); });
        // the config nodes this example's nodes use (the editor holds other tests' too)
        RED.nodes.eachConfig((n: any) => { if (types.includes(n.type) && (n.users || []).some((u: any) => tabs.includes(u.z))) judged.push(n); });
        const invalid: string[] = [];
        for (const n of judged) {
          RED.editor.validateNode(n);
          if (n.valid === false) invalid.push(`${n.type} "${n.name || n.id}": ${(n.validationErrors || []).join(', ')}`);
        }
        if (tabs[0]) RED.workspaces.show(tabs[0]);
        return { tabs, count, unknown: bad, invalid };
      }, [tabsBefore, packNodeTypes()] as const);
      assert.equal(result.tabs.length, 1, `${name} comes in as one new flow`);
      assert.deepEqual(result.unknown, [], `${name} imports without unknown nodes`);
      assert.deepEqual(result.invalid, [], `${name}: the editor marks none of this pack's nodes invalid`);
      assert.deepEqual(await unsetChoicesInDialogs(result.tabs[0]), [], `${name}: every dialog of this pack's nodes opens with each select showing a choice and no field marked`);
      assert.ok(result.count > 0, `${name} brought nodes`);
      // the flow alone, without palette and sidebar, as large as it fits
      await page.evaluate(() => { const RED = (window as any).RED; RED.menu.setSelected('menu-item-palette', false); RED.menu.setSelected('menu-item-sidebar', false); });
      await fitFlowInView(result.tabs[0]);
      assert.deepEqual(await layoutFaults(result.tabs[0]), [], `${name}: no node covers another, and none starts at the canvas's left edge`);
      // docs/screenshots/example-*.png come from scripts/screenshots.js (a live demo); these are artifacts only
      await screenshot(page, `import-example-${name.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-|-$/g, '').toLowerCase()}`);
      await page.evaluate(() => { const RED = (window as any).RED; RED.menu.setSelected('menu-item-palette', true); RED.menu.setSelected('menu-item-sidebar', true); RED.actions.invoke('core:zoom-reset'); });
    }
  });

  /**
   * Opens the edit dialog of every node of this pack on the tab (and of the snmp-config
   * nodes they use) as a user would, and lists each select that shows no choice (a property
   * the flow was saved without) and each field marked in the error colour, then cancels.
   */
  async function unsetChoicesInDialogs(tab: string): Promise<string[]> {
    const targets: { id: string; type: string; config: boolean }[] = await page.evaluate(([z, types]) => {
      const RED = (window as any).RED;
      const found: { id: string; type: string; config: boolean }[] = [];
      RED.nodes.eachNode((n: any) => { if (n.z === z && types.includes(n.type)) found.push({ id: n.id, type: n.type, config: false }); });
      RED.nodes.eachConfig((n: any) => { if (types.includes(n.type) && (n.users || []).some((u: any) => u.z === z)) found.push({ id: n.id, type: n.type, config: true }); });
      return found;
    }, [tab, packNodeTypes()] as const);
    const problems: string[] = [];
    for (const t of targets) {
      await page.evaluate(({ id, type, config }) => {
        const RED = (window as any).RED;
        if (config) RED.editor.editConfig('', type, id);
        else RED.editor.edit(RED.nodes.node(id));
      }, t);
      const ok = page.locator(t.config ? '#node-config-dialog-ok' : '#node-dialog-ok');
      await ok.waitFor();
      // the tray slides in and the dialog's script fills it: wait until it has stopped moving
      await page.waitForFunction(() => {
        const tray = document.querySelector('.red-ui-tray');
        return tray !== null && getComputedStyle(tray).right === '0px';
      });
      const seen: string[] = await page.evaluate(() => {
        const out: string[] = [];
        document.querySelectorAll('.red-ui-tray select[id*="-input-"]').forEach((el: any) => {
          if (el.options.length > 0 && el.selectedIndex === -1) out.push(`${el.id} shows no choice`);
        });
        document.querySelectorAll('.red-ui-tray .input-error').forEach((el: any) => {
          if (el.offsetParent !== null) out.push(`${el.id || el.className} is marked`);
        });
        return out;
      });
      for (const p of seen) problems.push(`${t.type} ${t.id}: ${p}`);
      await page.locator(t.config ? '#node-config-dialog-cancel' : '#node-dialog-cancel').click();
      await page.waitForFunction(() => document.querySelectorAll('.red-ui-tray').length === 0);
    }
    return problems;
  }

  /**
   * Nodes of the tab whose boxes overlap, or that start less than 10 px from the canvas's
   * left edge (where the editor clips them), with the widths the editor drew (a node is as
   * wide as its label, so only the editor knows).
   */
  async function layoutFaults(tab: string): Promise<string[]> {
    return page.evaluate((z) => {
      const RED = (window as any).RED;
      const boxes = RED.nodes.filterNodes({ z }).map((n: any) => ({ name: n.name || n.label || n.type, x: n.x, y: n.y, w: n.w ?? 0, h: n.h ?? 0 }));
      const faults: string[] = [];
      for (const b of boxes) if (b.x - b.w / 2 < 10) faults.push(`"${b.name}" starts at x ${b.x - b.w / 2}`);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const [a, b] = [boxes[i], boxes[j]];
          if (Math.abs(a.x - b.x) * 2 < a.w + b.w && Math.abs(a.y - b.y) * 2 < a.h + b.h) faults.push(`"${a.name}" and "${b.name}" overlap`);
        }
      }
      return faults;
    }, tab);
  }

  /** Deselects, hides notifications and zooms out until the whole flow is in view, for a readable screenshot. */
  async function fitFlowInView(tab: string): Promise<void> {
    // through the editor's own close(): a notification taken out of the page under it makes
    // its timer's close throw (parentNode.removeChild on null), as the examples test saw in CI
    await page.evaluate(() => document.querySelectorAll('.red-ui-notification').forEach((n: any) => (typeof n.close === 'function' ? n.close() : n.remove())));
    await page.waitForFunction(() => document.querySelectorAll('.red-ui-notification').length === 0, undefined, { timeout: 3000 }).catch(() => undefined);
    await page.keyboard.press('Escape');
    const chart = (await page.locator('#red-ui-workspace-chart').boundingBox())!;
    for (let i = 0; i < 8; i++) {
      const fits = await page.evaluate(([z, w, h]) => {
        const RED = (window as any).RED;
        let maxX = 0;
        let maxY = 0;
        for (const n of RED.nodes.filterNodes({ z })) {
          maxX = Math.max(maxX, (n.x ?? 0) + (n.w ?? 120) / 2);
          maxY = Math.max(maxY, (n.y ?? 0) + (n.h ?? 30) / 2);
        }
        return (maxX + 40) * RED.view.scale() <= w && (maxY + 40) * RED.view.scale() <= h;
      }, [tab, chart.width, chart.height] as const);
      if (fits) break;
      await page.evaluate(() => (window as any).RED.actions.invoke('core:zoom-out'));
    }
  }
});
