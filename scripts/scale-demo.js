#!/usr/bin/env node
'use strict';
/**
 * `npm run scale-demo -- --workers 3`: the scale-out shape of README "Scaling out" on
 * this machine only, from the shipped flows in examples/scale-out/:
 *
 * - Debian `mosquitto` (MQTT 5) and `redis-server`, each on a free 127.0.0.1 port with a
 *   private config and data folder;
 * - a simulated fleet on 127.0.0.1 (default 300 devices, 8 interfaces each; one in ten
 *   speaks SNMPv3 only, and the inventory names the workers' `core-v3` profile for it);
 * - one aggregator Node-RED (the scheduler and aggregator flow; counter-rate and
 *   threshold-alert state in Redis through the pack's context store) on port PORT or
 *   --port (default 1880), and N worker Node-REDs (the worker flow) on free ports;
 * - a line per cycle: how many devices answered, through how many jobs.
 *
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP stop everything it started and remove its folder.
 *
 *   node scripts/scale-demo.js [--workers 3] [--devices 300] [--interfaces 8]
 *       [--interval 10] [--job-size 25] [--port 1880 (0: any free)] [--dir DIR] [--keep]
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const { parseArgs } = require('util');
const { startRedis, startMosquitto } = require('./lib/servers');
const { freeTcpPort } = require('./lib/influxd');
const { loadScaleOutExamples, prepareScaleOut, redisContextStorageCode, startRedProcess } = require('./lib/scale-out');

const root = path.resolve(__dirname, '..');
const COMMUNITY = 'public';
/** The v3 user of the devices polled with the worker's `core-v3` profile (demo keys only). */
const V3_USER = { name: 'monitor', level: 'authPriv', authProtocol: 'sha256', authKey: 'demo-auth-key', privProtocol: 'aes', privKey: 'demo-priv-key' };

function usage(message) {
  if (message) process.stderr.write(`scale-demo: ${message}\n\n`);
  process.stderr.write(fs.readFileSync(__filename, 'utf8').split('\n').slice(3, 18).map((l) => l.replace(/^ \* ?/, '')).join('\n') + '\n');
  process.exit(message ? 2 : 0);
}

function options() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        workers: { type: 'string' }, devices: { type: 'string' }, interfaces: { type: 'string' }, interval: { type: 'string' },
        'job-size': { type: 'string' }, port: { type: 'string' }, dir: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  if (values.help) usage();
  const int = (name, fallback, min, max) => {
    const text = values[name];
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be a whole number from ${min} to ${max}, got "${text}"`);
    return n;
  };
  return {
    workers: int('workers', 3, 1, 32),
    devices: int('devices', 300, 1, 20000),
    interfaces: int('interfaces', 8, 1, 48),
    interval: int('interval', 10, 2, 3600),
    jobSize: int('job-size', 25, 1, 10000),
    // 0: any free port
    port: int('port', Number(process.env.PORT) || 1880, 0, 65535),
    dir: values.dir ? path.resolve(values.dir) : undefined,
    keep: Boolean(values.keep),
  };
}

function say(text) {
  process.stdout.write(`[scale-demo] ${text}\n`);
}

/** Processes this script started, for the last-resort kill on exit. */
const children = new Set();
let shutdown = null;

/** Counts results per cycle from the broker, as the aggregator sees them, and prints a line per cycle. */
function watchCycles(brokerUrl, devices, intervalS) {
  const mqtt = require('mqtt');
  const client = mqtt.connect(brokerUrl, { protocolVersion: 5, clean: true, reconnectPeriod: 1000 });
  let jobs = 0;
  let answered = new Set();
  let failed = new Set();
  let cycle = 0;
  client.on('connect', () => client.subscribe(['snmp-fleet/jobs', 'snmp-fleet/results'], { qos: 0 }));
  client.on('error', () => { /* reconnects; the demo goes on */ });
  client.on('message', (topic, payload) => {
    let body;
    try {
      body = JSON.parse(payload.toString());
    } catch {
      return;
    }
    if (topic === 'snmp-fleet/jobs') {
      jobs++;
      return;
    }
    if (body && body.payload === null) failed.add(body.topic);
    else if (body) answered.add(body.topic);
  });
  const timer = setInterval(() => {
    cycle++;
    if (jobs > 0 || answered.size > 0 || failed.size > 0) {
      say(`last ${intervalS} s: ${answered.size} of ${devices} devices answered, ${failed.size} failed, ${jobs} jobs`);
    }
    jobs = 0;
    answered = new Set();
    failed = new Set();
  }, intervalS * 1000);
  return () => {
    clearInterval(timer);
    client.end(true);
  };
}

async function main() {
  const o = options();
  let fleetModule;
  try {
    fleetModule = require(path.join(root, 'nodes', 'sim', 'fleet.js'));
    require.resolve(path.join(root, 'nodes', 'context', 'redis.js'));
  } catch {
    console.error('scale-demo: the compiled nodes are missing; run `npm run build` first (npm run scale-demo does)');
    process.exit(1);
  }
  const base = o.dir || fs.mkdtempSync(path.join(os.tmpdir(), 'snmp-fleet-scale-demo-'));
  fs.mkdirSync(base, { recursive: true });

  const stops = [];
  const reds = [];
  let stopWatch = () => {};
  shutdown = async (reason, code = 0) => {
    if (shutdown.running) return shutdown.running;
    shutdown.running = (async () => {
      say(`${reason}: stopping`);
      stopWatch();
      // the Node-REDs first: the aggregator writes its last state while Redis still runs
      await Promise.all(reds.map((red) => red.stop()));
      for (const stop of stops.reverse()) {
        try { await stop(); } catch (err) { say(`while stopping: ${err.message}`); }
      }
      if (!o.keep) fs.rmSync(base, { recursive: true, force: true });
      say('stopped');
      process.exit(code);
    })();
    return shutdown.running;
  };
  process.on('SIGINT', () => { if (shutdown.running) process.exit(130); void shutdown('SIGINT'); });
  process.on('SIGTERM', () => { void shutdown('SIGTERM'); });
  process.on('SIGHUP', () => { void shutdown('SIGHUP'); });

  // own process groups: a terminal's Ctrl-C reaches only this script, which stops them in order
  const track = (name) => (pid) => children.add({ name, pid });
  const redis = await startRedis({ dir: path.join(base, 'redis'), detached: true, onSpawn: track('redis-server') });
  stops.push(() => redis.stop());
  const broker = await startMosquitto({ dir: path.join(base, 'mosquitto'), detached: true, onSpawn: track('mosquitto') });
  stops.push(() => broker.stop());
  say(`Redis ${redis.url} and MQTT broker ${broker.url} (mosquitto), data in ${base}`);

  const v3From = o.devices - Math.floor(o.devices / 10);
  const fleet = await fleetModule.startFleet({
    count: o.devices,
    interfaces: o.interfaces,
    labels: { site: ['paris', 'lyon', 'london'], role: ['access', 'access', 'access', 'core'] },
    version: (i) => (i >= v3From ? '3' : '2c'),
    v3Users: [V3_USER],
    seed: 1,
  });
  stops.push(() => fleet.close());
  say(`simulator: ${o.devices} devices with ${o.interfaces} interfaces on 127.0.0.1: community ${COMMUNITY}, the last ${o.devices - v3From} SNMPv3 (user ${V3_USER.name}, profile core-v3)`);
  // the scheduler's inventory names the profile of the v3 devices; no key travels
  const inventory = fleet.inventoryText().split('\n').map((line, i) => (i >= v3From && line.trim() ? `${line} profile=core-v3` : line)).join('\n');

  const { aggregator, worker } = loadScaleOutExamples();
  const common = { brokerHost: '127.0.0.1', brokerPort: broker.port, pollSeconds: o.interval, community: COMMUNITY, v3: { user: V3_USER.name, authKey: V3_USER.authKey, privKey: V3_USER.privKey } };

  const startRed = async (name, port, settingsCode, flows) => {
    const dir = path.join(base, name);
    fs.mkdirSync(dir, { recursive: true });
    if (name === 'aggregator') fs.writeFileSync(path.join(dir, 'inventory.txt'), inventory);
    const red = await startRedProcess({ dir, port, settingsCode, detached: true, onSpawn: track(name) });
    reds.push(red);
    red.child.once('exit', (code, signal) => {
      children.delete([...children].find((c) => c.pid === red.pid));
      if (!shutdown.running) say(`${name} exited (${signal || code}); its log: ${red.log}`);
    });
    await red.deploy(flows);
    return red.url;
  };

  const workerUrls = [];
  for (let i = 1; i <= o.workers; i++) {
    workerUrls.push(await startRed(`worker-${i}`, await freeTcpPort(), '', prepareScaleOut(worker, common)));
  }
  const aggregatorUrl = await startRed('aggregator', o.port || (await freeTcpPort()), redisContextStorageCode(redis.url), prepareScaleOut(aggregator, { ...common, jobSize: o.jobSize }));
  stopWatch = watchCycles(broker.url, o.devices, o.interval);

  say(`aggregator (scheduler, counter-rate and threshold-alert on Redis): ${aggregatorUrl}/`);
  workerUrls.forEach((url, i) => say(`worker ${i + 1}: ${url}/`));
  say(`every ${o.interval} s: ${Math.ceil(o.devices / o.jobSize)} jobs of up to ${o.jobSize} devices over $share/snmp-pollers/snmp-fleet/jobs; Ctrl-C stops everything`);
}

process.on('exit', () => {
  // last resort when something above threw: no child may outlive the demo
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

main().catch((err) => {
  console.error(`scale-demo: ${err.message}`);
  if (shutdown) void shutdown('error', 1);
  else process.exit(1);
});
