'use strict';
/**
 * The scale-out example flows (examples/scale-out/) and what points them at one
 * machine's broker, Redis and simulated fleet: `npm run scale-demo` runs them, the
 * end-to-end test (test/integration/scale-out.test.ts) and the bench measure them. Only
 * addresses, credentials and timing are replaced; every node, wire and expression stays
 * as shipped.
 */
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const { scaleDuration } = require('./examples');

const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = require(path.join(ROOT, 'package.json')).name;

const SCALE_OUT_DIR = path.resolve(__dirname, '..', '..', 'examples', 'scale-out');
const AGGREGATOR_FILE = '1 scheduler and aggregator.json';
const WORKER_FILE = '2 worker.json';
/** The interval the shipped flows poll at, s. */
const SHIPPED_INTERVAL_S = 60;

/** @returns {{ aggregator: any[], worker: any[] }} the two shipped flows */
function loadScaleOutExamples(dir = SCALE_OUT_DIR) {
  const read = (file) => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  return { aggregator: read(AGGREGATOR_FILE), worker: read(WORKER_FILE) };
}

/**
 * A deep copy of a scale-out flow pointed at a broker and a fleet.
 * @param {any[]} nodes
 * @param {{
 *   brokerHost?: string, brokerPort?: number,   every mqtt-broker node
 *   pollSeconds?: number,   the scheduler's cycle (inject repeat and its `interval`); alert durations scale alike
 *   jobSize?: number,       devices per job
 *   inventoryFile?: string, the scheduler's inventory.txt
 *   community?: string,     credential of every v1/v2c snmp-config node
 *   v3?: { authKey: string, privKey: string, user?: string },   credentials of the v3 snmp-config nodes
 * }} o
 */
function prepareScaleOut(nodes, o = {}) {
  const out = JSON.parse(JSON.stringify(nodes));
  const timeScale = o.pollSeconds === undefined ? undefined : o.pollSeconds / SHIPPED_INTERVAL_S;
  for (const n of out) {
    switch (n.type) {
      case 'mqtt-broker':
        if (o.brokerHost !== undefined) n.broker = o.brokerHost;
        if (o.brokerPort !== undefined) n.port = String(o.brokerPort);
        break;
      case 'inject':
        if (o.pollSeconds !== undefined && String(n.repeat) === String(SHIPPED_INTERVAL_S)) {
          n.repeat = String(o.pollSeconds);
          for (const p of n.props || []) if (p.p === 'interval') p.v = String(o.pollSeconds);
        }
        if (o.jobSize !== undefined) for (const p of n.props || []) if (p.p === 'jobSize') p.v = String(o.jobSize);
        break;
      case 'file in':
        if (o.inventoryFile && n.filename === 'inventory.txt') n.filename = o.inventoryFile;
        break;
      case 'snmp-config':
        if (n.version === '3') {
          if (o.v3) {
            if (o.v3.user) n.user = o.v3.user;
            n.credentials = { authKey: o.v3.authKey, privKey: o.v3.privKey };
          }
        } else if (o.community !== undefined) {
          n.credentials = { community: o.community };
        }
        break;
      case 'threshold-alert':
        if (timeScale !== undefined) {
          n.rules = n.rules.map((r) => ({ ...r, for: scaleDuration(r.for, timeScale), keepFiringFor: scaleDuration(r.keepFiringFor, timeScale) }));
          n.repeat = scaleDuration(n.repeat, timeScale);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

/**
 * The settings.js lines of the aggregator's Redis context store, as the README gives
 * them (plus the default memory store), for a Node-RED whose userDir has this pack.
 * @param {string} url redis://host:port
 * @param {string} [prefix]
 */
function redisContextStorageCode(url, prefix = 'snmp-fleet') {
  return `module.exports.contextStorage = {
  default: { module: 'memory' },
  redis: {
    module: require('@snmp-fleet/node-red-snmp-fleet/nodes/context/redis'),
    config: { url: ${JSON.stringify(url)}, prefix: ${JSON.stringify(prefix)} },
  },
};`;
}

/** The ids of the nodes of a flow, by name (for status checks and taps). */
function nodeIdsByName(nodes) {
  const ids = {};
  for (const n of nodes) if (n.name) ids[n.name] = n.id;
  return ids;
}

/**
 * A Node-RED user directory with this pack linked into node_modules, and its settings:
 * loopback only, no tours or catalogues, `settingsCode` appended (a context store).
 * @returns {string} the settings file
 */
function prepareUserDir(dir, port, settingsCode = '') {
  fs.mkdirSync(dir, { recursive: true });
  const link = path.join(dir, 'node_modules', ...PACKAGE_NAME.split('/'));
  fs.mkdirSync(path.dirname(link), { recursive: true });
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(ROOT, link, 'dir');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true, dependencies: { [PACKAGE_NAME]: `file:${ROOT}` } }, null, 2));
  fs.writeFileSync(path.join(dir, 'flows.json'), '[]');
  const settings = path.join(dir, 'settings.js');
  fs.writeFileSync(settings, `// Written by scripts/lib/scale-out.js.
module.exports = {
  uiHost: '127.0.0.1',
  uiPort: ${port},
  flowFile: 'flows.json',
  credentialSecret: 'snmp-fleet-scale-out-local-only',
  fileWorkingDirectory: ${JSON.stringify(dir)},
  logging: { console: { level: 'info', metrics: false, audit: false } },
  editorTheme: { tours: false, projects: { enabled: false }, palette: { catalogues: [] } },
  diagnostics: { enabled: false },
  telemetry: { enabled: false },
  externalModules: { palette: { allowInstall: false }, modules: { allowInstall: false } },
};
${settingsCode}
`);
  return settings;
}

/**
 * Starts a Node-RED process on `dir` (prepared with {@link prepareUserDir}), its output
 * appended to dir/node-red.log, and resolves once its admin API answers.
 * @param {{ dir: string, port: number, settingsCode?: string, detached?: boolean, onSpawn?: (pid: number) => void, startTimeoutMs?: number }} o
 *   detached: its own process group (a terminal's Ctrl-C then reaches only the caller, which stops it)
 * @returns {Promise<{ child: import('child_process').ChildProcess, pid: number, url: string, log: string,
 *   deploy(flows: any[]): Promise<void>, stop(graceMs?: number): Promise<void> }>}
 */
async function startRedProcess(o) {
  const settings = prepareUserDir(o.dir, o.port, o.settingsCode);
  const logFile = path.join(o.dir, 'node-red.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--userDir', o.dir, '--settings', settings], {
    cwd: o.dir,
    stdio: ['ignore', out, out],
    detached: Boolean(o.detached),
    env: { ...process.env, NODE_RED_ENABLE_TOURS: 'false' },
  });
  fs.closeSync(out);
  if (o.onSpawn && child.pid) o.onSpawn(child.pid);
  const url = `http://127.0.0.1:${o.port}`;
  const stop = (graceMs = 10000) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(killer); resolve(); });
    child.kill('SIGINT');
  });
  const deadline = Date.now() + (o.startTimeoutMs || 90000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Node-RED at ${url} exited while starting; see ${logFile}`);
    try {
      const res = await fetch(`${url}/settings`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop(1000);
      throw new Error(`Node-RED did not answer on ${url}; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    pid: child.pid,
    url,
    log: logFile,
    async deploy(flows) {
      const res = await fetch(`${url}/flows`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify({ flows }),
        signal: AbortSignal.timeout(30000),
      });
      if (!res.ok) throw new Error(`deploying to ${url} failed: ${res.status} ${await res.text()}`);
    },
    stop,
  };
}

module.exports = { prepareUserDir, startRedProcess, SCALE_OUT_DIR, SHIPPED_INTERVAL_S, loadScaleOutExamples, prepareScaleOut, redisContextStorageCode, nodeIdsByName };
