'use strict';
/**
 * The shipped example flows (examples/*.json) and the few substitutions that point them
 * at a particular fleet: `npm start` uses them against the simulator, the end-to-end
 * tests against the simulator and their own InfluxDB and HTTP receiver. Only addresses,
 * credentials and timing are replaced; every node, wire and expression stays as shipped
 * (test/integration/examples-e2e.test.ts checks that nothing else differs).
 */
const fs = require('fs');
const path = require('path');

const EXAMPLES_DIR = path.resolve(__dirname, '..', '..', 'examples');
const PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Example files are numbered, `NN what it shows.json`, in the order Node-RED lists them. */
const EXAMPLE_FILE = /^\d\d .+\.json$/;

/**
 * @returns {Array<{ file: string, name: string, flow: any[] }>} every example, in file order
 */
function loadExamples(dir = EXAMPLES_DIR) {
  return fs.readdirSync(dir)
    .filter((f) => EXAMPLE_FILE.test(f))
    .sort()
    .map((file) => ({ file, name: file.replace(/\.json$/, ''), flow: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) }));
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i;
const UNIT_SECONDS = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** `scale` × a threshold-alert duration ("5m", "90", "4h"), as seconds text; blank stays blank. */
function scaleDuration(value, scale) {
  if (value === undefined || value === null || String(value).trim() === '') return value;
  const m = DURATION.exec(String(value).trim());
  if (!m) return value;
  const seconds = Number(m[1]) * UNIT_SECONDS[(m[2] || 's').toLowerCase()] * scale;
  return `${Number(seconds.toFixed(3))}s`;
}

/** True when an inventory lists at least one device (not only comments). */
function hasDevices(inventory) {
  return String(inventory || '').split(/\r?\n/).some((line) => line.replace(/#.*$/, '').trim() !== '');
}

/**
 * A deep copy of `nodes` pointed at a fleet.
 * @param {any[]} nodes flow nodes (one or several examples)
 * @param {{
 *   inventory?: string,      snmp-config nodes that list devices get this inventory instead
 *   community?: string,      credential of every snmp-config node (v1/v2c)
 *   pollSeconds?: number,    inject nodes repeating every 60 s repeat this often instead
 *   timeScale?: number,      threshold-alert `for`, `keepFiringFor` and `repeat` are multiplied by it
 *   influx?: { hostname: string, port: number, database?: string, usetls?: boolean, username?: string, password?: string },
 *   pagerDutyUrl?: string,   replaces the PagerDuty Events API URL of http request nodes
 *   trapPort?: number, trapAddress?: string,   trap-in listener
 *   inventoryFile?: string,  file-in nodes reading inventory.csv read this path instead
 *   env?: Record<string, string>,   added to every tab's env (flow-level variables)
 *   mysql?: { host: string, port: number, database?: string },   MySQL config nodes connect there
 *   intervalSeconds?: number,   poll nodes on their own schedule poll devices without an interval this often
 * }} o
 */
function prepareExamples(nodes, o = {}) {
  const out = JSON.parse(JSON.stringify(nodes));
  for (const n of out) {
    switch (n.type) {
      case 'tab':
        if (o.env) {
          n.env = (n.env || []).filter((e) => !(e.name in o.env));
          for (const [name, value] of Object.entries(o.env)) n.env.push({ name, value, type: 'str' });
        }
        break;
      case 'snmp-config':
        if (o.inventory !== undefined && hasDevices(n.inventory)) n.inventory = o.inventory;
        if (o.community !== undefined) n.credentials = { ...(n.credentials || {}), community: o.community };
        break;
      case 'inject':
        if (o.pollSeconds !== undefined && String(n.repeat) === '60') n.repeat = String(o.pollSeconds);
        break;
      case 'threshold-alert':
        if (o.timeScale !== undefined) {
          n.rules = n.rules.map((r) => ({ ...r, for: scaleDuration(r.for, o.timeScale), keepFiringFor: scaleDuration(r.keepFiringFor, o.timeScale) }));
          n.repeat = scaleDuration(n.repeat, o.timeScale);
        }
        break;
      case 'influxdb':
        if (o.influx) {
          n.hostname = o.influx.hostname;
          n.port = o.influx.port;
          if (o.influx.database) n.database = o.influx.database;
          n.usetls = Boolean(o.influx.usetls);
          n.protocol = o.influx.usetls ? 'https' : 'http';
          if (o.influx.username || o.influx.password) {
            n.credentials = { username: o.influx.username || '', password: o.influx.password || '' };
          }
        }
        break;
      case 'http request':
        if (o.pagerDutyUrl && n.url === PAGERDUTY_URL) n.url = o.pagerDutyUrl;
        break;
      case 'trap-in':
        if (o.trapPort !== undefined) n.port = o.trapPort;
        if (o.trapAddress !== undefined) n.address = o.trapAddress;
        break;
      case 'file in':
        if (o.inventoryFile && n.filename === 'inventory.csv') n.filename = o.inventoryFile;
        break;
      case 'MySQLdatabase':
        if (o.mysql) {
          n.host = o.mysql.host;
          n.port = String(o.mysql.port);
          if (o.mysql.database) n.db = o.mysql.database;
        }
        break;
      case 'snmp-get':
      case 'snmp-bulkwalk':
        if (o.intervalSeconds !== undefined && n.schedule === 'interval') n.interval = String(o.intervalSeconds);
        break;
      default:
        break;
    }
  }
  return out;
}

module.exports = { EXAMPLES_DIR, EXAMPLE_FILE, PAGERDUTY_URL, loadExamples, prepareExamples, scaleDuration, hasDevices };
