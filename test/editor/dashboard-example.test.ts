/**
 * Example 04 (the live dashboard) as a user sees it, in headless Chromium: a real
 * Node-RED with @flowfuse/node-red-dashboard runs the example as shipped against 50
 * simulated devices (the demo's size), one of them with a saturated port. The charts stay
 * readable at that size: ten named bars, not fifty lines. The form silences a device for
 * an hour by sending threshold-alert the `msg.silence` DESIGN.md describes.
 *
 * What the charts draw is read from the dashboard's own socket.io frames (eCharts paints
 * on a canvas): the data and options each widget receives, exactly as it renders them.
 * The only addition to the example is a debug node on the form's output, to see the
 * message threshold-alert gets.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { startNodeRed, watchDebug, ROOT, type FlowNode, type NodeRed } from '../support/node-red-process';
import { launchBrowser, screenshot } from './editor-support';

const { loadExamples, prepareExamples } = require('../../scripts/lib/examples.js') as {
  loadExamples(): Array<{ file: string; name: string; flow: FlowNode[] }>;
  prepareExamples(nodes: FlowNode[], o: Record<string, unknown>): FlowNode[];
};

const DEVICES = 50;
const POLL_S = 2;
const SATURATED = { device: 7, ifIndex: 3 };
const byName = (flow: FlowNode[], type: string, label: string) => {
  const n = flow.find((x) => x.type === type && (x.label === label || x.name === label));
  assert.ok(n, `${type} "${label}" is in the example`);
  return n!;
};

describe('example 04: the live dashboard at 50 devices', function () {
  this.timeout(180000);
  let fleet: Fleet;
  let red: NodeRed;
  let browser: Browser;
  let page: Page;
  let debug: ReturnType<typeof watchDebug>;
  let userDir = '';
  let flow: FlowNode[] = [];
  /** socket.io events the page received: [event, msg]. */
  const frames: Array<[string, any]> = [];

  /** The messages a widget received, oldest first. */
  const inputs = (id: string) => frames.filter(([event]) => event === `msg-input:${id}`).map(([, msg]) => msg);

  before(async function () {
    fleet = await startFleet({ count: DEVICES, interfaces: 8, host: 'per-device', seed: 4 });
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-example-'));
    fs.mkdirSync(path.join(userDir, 'node_modules', '@flowfuse'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@flowfuse', 'node-red-dashboard'), path.join(userDir, 'node_modules', '@flowfuse', 'node-red-dashboard'), 'dir');
    red = await startNodeRed({ userDir, startTimeoutMs: 60000 });
    debug = watchDebug(red.port);
    const shipped = loadExamples().find((e) => e.name.startsWith('04'))!.flow;
    flow = prepareExamples(shipped, { inventory: fleet.inventoryText(), pollSeconds: POLL_S, timeScale: POLL_S / 60 });
    const silence = byName(flow, 'change', 'msg.silence for 1 h');
    silence.wires = [[...(silence.wires as string[][])[0], 'test-silence-out']];
    flow.push({ id: 'test-silence-out', type: 'debug', z: silence.z, name: 'silence sent', active: true, tosidebar: true, console: false, tostatus: false, complete: 'true', targetType: 'full', x: 900, y: 700, wires: [] });
    fleet.device(SATURATED.device).saturate(SATURATED.ifIndex, 600000);
    await red.deploy(flow);

    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
    page.setDefaultTimeout(30000);
    page.on('websocket', (ws) => ws.on('framereceived', (f) => {
      const text = typeof f.payload === 'string' ? f.payload : f.payload.toString();
      const m = /^\d+(\[.*)$/s.exec(text);
      if (!m) return;
      try {
        const [event, msg] = JSON.parse(m[1]);
        if (typeof event === 'string') frames.push([event, msg]);
      } catch { /* not an event */ }
    }));
    await page.goto(`${red.url}/dashboard/snmp-fleet`);
  });

  after(async function () {
    debug?.close();
    await browser?.close();
    await red?.stop();
    await fleet?.close();
    if (userDir) fs.rmSync(userDir, { recursive: true, force: true });
  });

  async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 60000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('draws the 10 busiest devices as 10 named bars, busiest first, not a line per device', async function () {
    const chart = byName(flow, 'ui-chart', 'Inbound traffic: the 10 busiest devices now (Mbit/s)');
    assert.deepEqual([chart.chartType, chart.xAxisType, chart.action], ['bar', 'category', 'replace']);
    // every device has answered twice (a rate needs two samples) once all 50 have a bar candidate
    const latest = await until('bars of the busiest devices', () => {
      const last = inputs(chart.id).at(-1);
      return last && Array.isArray(last.payload) && last.payload.length === 10 ? last : undefined;
    });
    const bars = latest.payload as Array<{ device: string; mbps: number }>;
    assert.equal(new Set(bars.map((b) => b.device)).size, 10, 'ten different devices');
    assert.equal(bars[0].device, fleet.devices[SATURATED.device].name, 'the saturated device leads');
    for (let i = 1; i < bars.length; i++) assert.ok(bars[i - 1].mbps >= bars[i].mbps, 'sorted, busiest first');
    assert.deepEqual(latest.ui_update?.chartOptions?.xAxis?.axisLabel, { interval: 0, rotate: 30 }, 'every bar is named');
  });

  it('draws the 10 busiest ports by name, and the whole fleet as one line', async function () {
    const ports = byName(flow, 'ui-chart', 'The 10 busiest ports now (% of their speed)');
    const latest = await until('bars of the busiest ports', () => {
      const last = inputs(ports.id).at(-1);
      return last && Array.isArray(last.payload) && last.payload.length === 10 ? last : undefined;
    });
    const top = latest.payload[0] as { port: string; pct: number };
    const ifName = Buffer.from(fleet.device(SATURATED.device).value(`1.3.6.1.2.1.31.1.1.1.1.${SATURATED.ifIndex}`)!.value as Buffer).toString();
    assert.equal(top.port, `${fleet.devices[SATURATED.device].name} ${ifName}`);
    // a rate between two polls 2 s apart runs over the line speed by as much as the two
    // answers' delays differ: a few hundred ms (up to 20 %) with the whole suite running
    assert.ok(top.pct > 80 && top.pct <= 150, `${top.pct} %`);
    const fleetChart = byName(flow, 'ui-chart', 'Inbound traffic of the whole fleet, last hour (Mbit/s)');
    await until('points of the fleet line', () => inputs(fleetChart.id).length >= 2);
    const series = new Set(inputs(fleetChart.id).map((m) => m.topic));
    assert.deepEqual([...series], ['whole fleet']);
    assert.ok(inputs(fleetChart.id).every((m) => typeof m.payload === 'number'));
    // the first poll only starts the counters: the line begins with the first rates, not
    // with the total of no device (0), whether the page was open then or loaded the history
    const loaded = frames.filter(([event]) => event === `widget-load:${fleetChart.id}`).flatMap(([, msgs]) => (Array.isArray(msgs) ? msgs : []));
    const points = [...loaded, ...inputs(fleetChart.id)].map((m) => m.payload);
    assert.ok(points.every((p) => typeof p === 'number' && p > 0), `points of the fleet line: ${points.join(', ')}`);
    await page.waitForTimeout(1500);
    await screenshot(page, 'dashboard-charts');
  });

  it('silences a device for an hour from the form, with a notification on the page', async function () {
    const form = byName(flow, 'ui-form', 'Silence the alerts of a device for an hour');
    const device = fleet.devices[SATURATED.device].name;
    // the saturated port fires HighUtilization (its 5 min are 10 s here): the README's picture
    await page.locator('td', { hasText: 'HighUtilization' }).first().waitFor({ timeout: 60000 });
    await screenshot(page, 'dashboard', { docs: true });
    // the form's choices come with the page's state (sent again only when the device list changes)
    await page.locator('.v-select').first().click();
    const listed = await page.getByRole('option').allInnerTexts();
    assert.deepEqual(listed.slice(0, 3).map((t) => t.trim()), fleet.devices.slice(0, 3).map((d) => d.name), `the devices, sorted: ${listed.join(', ')}`);
    await page.getByRole('option', { name: device, exact: true }).click();
    await page.getByRole('button', { name: 'Silence for 1 h' }).click();
    const sent = await until('msg.silence on its way to threshold-alert', () => debug.messages.find((m) => m.name === 'silence sent'), 20000);
    assert.deepEqual(sent.msg.silence, { match: { device }, for: '1h', comment: 'from the dashboard', by: 'dashboard' });
    assert.equal(sent.msg.payload, undefined, 'a control message, not data');
    await page.getByText(`${device}: alerts silenced for 1 h`).waitFor();
    const silence = byName(flow, 'change', 'msg.silence for 1 h');
    assert.ok((silence.wires as string[][])[0].includes(byName(flow, 'threshold-alert', 'fleet rules').id), 'it goes to the alert node');
    await screenshot(page, 'dashboard-silenced');
  });
});
