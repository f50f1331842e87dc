#!/usr/bin/env node
'use strict';
/**
 * Regenerates docs/screenshots/ from a running `npm start` demo: the example flows in the
 * Node-RED editor and the live dashboard after a few poll cycles. Needs a build
 * (`npm run build`) and Debian's chromium; drives it with playwright-core.
 *
 *     node scripts/screenshots.js
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');
const { freeTcpPort } = require('./lib/influxd');
const { loadExamples } = require('./lib/examples');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'docs', 'screenshots');
const POLL = 8;
const DEVICES = 30;
const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function startDemo(port, trapPort, dir) {
  const env = { ...process.env, PORT: String(port), TRAP_PORT: String(trapPort), SNMP_FLEET_DEMO_DIR: dir, SNMP_FLEET_DEMO_POLL: String(POLL), SNMP_FLEET_DEMO_DEVICES: String(DEVICES) };
  delete env.SLACK_WEBHOOK_URL;
  delete env.PAGERDUTY_ROUTING_KEY;
  const demo = spawn(process.execPath, [path.join(__dirname, 'demo.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const ready = new Promise((resolve, reject) => {
    demo.stdout.on('data', (d) => {
      out += d.toString();
      if (out.includes('[demo] dashboard:')) resolve();
    });
    demo.once('exit', (code) => reject(new Error(`demo exited (${code}):\n${out.slice(-2000)}`)));
  });
  return { demo, ready, output: () => out };
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-shots-'));
  const port = await freeTcpPort();
  const { demo, ready } = startDemo(port, await freeTcpPort(), dir);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    await ready;
    const url = `http://127.0.0.1:${port}`;
    // the saturating link and the dark device both fire from about 9 polls after deploy
    // until about 15 (scripts/demo.js startScenario)
    await new Promise((r) => setTimeout(r, 10 * POLL * 1000));

    const dash = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await dash.goto(`${url}/dashboard/snmp-fleet`, { waitUntil: 'domcontentloaded', timeout: 60000 });
    await dash.waitForSelector('canvas', { timeout: 60000 });
    await new Promise((r) => setTimeout(r, 2.5 * POLL * 1000));
    await dash.screenshot({ path: path.join(outDir, 'dashboard.png'), fullPage: true });
    process.stdout.write('docs/screenshots/dashboard.png\n');
    await dash.close();

    const page = await browser.newPage({ viewport: { width: 1680, height: 1000 }, deviceScaleFactor: 1 });
    await page.goto(`${url}/`, { waitUntil: 'domcontentloaded', timeout: 120000 });
    await page.waitForSelector('#red-ui-workspace-chart', { timeout: 60000 });
    await page.waitForFunction(() => window.RED && RED.workspaces && RED.workspaces.count() >= 4, null, { timeout: 60000 });
    // the whole width for the flow: palette and sidebar closed
    await page.evaluate(() => {
      RED.menu.setSelected('menu-item-palette', false);
      RED.menu.setSelected('menu-item-sidebar', false);
    });
    for (const example of loadExamples()) {
      const tab = example.flow.find((n) => n.type === 'tab');
      const file = `example-${example.name.slice(0, 2)}-${example.name.slice(3).replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}.png`;
      await page.evaluate((id) => { RED.workspaces.show(id); RED.actions.invoke('core:zoom-reset'); }, tab.id);
      await page.waitForTimeout(500);
      // zoom out until the flow's widest node fits
      const right = Math.max(...example.flow.filter((n) => n.z === tab.id).map((n) => n.x + 150));
      const bottom = Math.max(...example.flow.filter((n) => n.z === tab.id).map((n) => n.y + 40));
      await page.evaluate(({ w, h }) => {
        const chart = document.getElementById('red-ui-workspace-chart');
        for (let i = 0; i < 10 && (w * RED.view.scale() > chart.clientWidth || h * RED.view.scale() > chart.clientHeight); i++) {
          RED.actions.invoke('core:zoom-out');
        }
        chart.scrollLeft = 0;
        chart.scrollTop = 0;
      }, { w: right, h: bottom });
      await page.waitForTimeout(1000);
      await page.locator('#red-ui-workspace-chart').screenshot({ path: path.join(outDir, file) });
      process.stdout.write(`docs/screenshots/${file}\n`);
    }
  } finally {
    await browser.close();
    const exited = new Promise((r) => demo.once('exit', r));
    demo.kill('SIGINT');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
