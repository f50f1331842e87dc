'use strict';
/**
 * Scale-out cost, side by side in one run: the interface walk of the shipped worker
 * flow (sysUpTime, ifName, 64-bit octet counters, ifOperStatus, ifHighSpeed) over the
 * same simulated devices,
 *
 * - in one Node-RED process: snmp-bulkwalk → counter-rate, as a single poller does;
 * - through MQTT: one worker Node-RED (the shipped worker flow: jobs from a shared
 *   subscription, results published in the JSON form) and an aggregator Node-RED
 *   (mqtt in → counter-rate), with the bench publishing the jobs as the scheduler does.
 *
 * Each Node-RED and the broker (Debian mosquitto) is its own process: CPU is read from
 * /proc per process, per cycle, cycles alternating between the two sides. A cycle ends
 * when a join node after counter-rate has seen every device (one message on MQTT).
 */
const path = require('path');
const { startMosquitto, cpuMs } = require('../lib/servers');
const { freeTcpPort } = require('../lib/influxd');
const { loadScaleOutExamples, prepareScaleOut, startRedProcess } = require('../lib/scale-out');
const { tempDir, removeTempDir } = require('./procs');
const { summarize } = require('./stats');

const JOB_SIZE = 25;

/** The walk of the shipped worker, its snmp-bulkwalk node as it is. */
function workerWalk(worker) {
  return worker.find((n) => n.type === 'snmp-bulkwalk');
}

function brokerNode(id, port) {
  return {
    id, type: 'mqtt-broker', name: 'bench broker', broker: '127.0.0.1', port: String(port), clientid: '', autoConnect: true, usetls: false,
    protocolVersion: '5', keepalive: '60', cleansession: true, autoUnsubscribe: true, birthTopic: '', closeTopic: '', willTopic: '', userProps: '', sessionExpiry: '',
  };
}

/** counter-rate → a join that says once per cycle that every device came through. */
function countingTail(tab, devices, doneTopic, broker) {
  return [
    { id: `${tab}-cr`, type: 'counter-rate', z: tab, name: 'bits/s', width: 'auto', mode: 'rate', scale: '8', maxRate: '', expire: '3600', store: '', wires: [[`${tab}-join`]] },
    { id: `${tab}-join`, type: 'join', z: tab, name: 'cycle done', mode: 'custom', build: 'array', property: 'topic', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '', count: String(devices), reduceRight: false, wires: [[`${tab}-done`]] },
    { id: `${tab}-done`, type: 'mqtt out', z: tab, name: 'done', topic: doneTopic, qos: '1', retain: 'false', broker, wires: [] },
  ];
}

/** The single-process flow: mqtt trigger → the worker's walk (messages, inventory in its config) → counter-rate → done. */
function singleFlow(walk, inventory, devices, brokerPort) {
  const tab = 'bench-single';
  return [
    { id: tab, type: 'tab', label: 'one process' },
    brokerNode(`${tab}-broker`, brokerPort),
    { id: `${tab}-cfg`, type: 'snmp-config', name: 'fleet', version: '2c', timeout: 2000, retries: 1, concurrency: 50, inventory, credentials: { community: 'public' } },
    { id: `${tab}-run`, type: 'mqtt in', z: tab, name: 'run', topic: 'bench/run/single', qos: '1', datatype: 'json', broker: `${tab}-broker`, nl: false, rap: true, rh: 0, inputs: 0, wires: [[`${tab}-walk`]] },
    { ...walk, id: `${tab}-walk`, z: tab, snmp: `${tab}-cfg`, form: 'message', wires: [[`${tab}-cr`], [`${tab}-cr`]] },
    ...countingTail(tab, devices, 'bench/done/single', `${tab}-broker`),
  ];
}

/** The aggregator of the bench: results from MQTT → counter-rate → done (state in memory: the bench measures the pack, not Redis). */
function aggregatorFlow(devices, brokerPort) {
  const tab = 'bench-aggregator';
  return [
    { id: tab, type: 'tab', label: 'aggregator' },
    brokerNode(`${tab}-broker`, brokerPort),
    { id: `${tab}-in`, type: 'mqtt in', z: tab, name: 'results', topic: 'snmp-fleet/results', qos: '1', datatype: 'json', broker: `${tab}-broker`, nl: false, rap: true, rh: 0, inputs: 0, wires: [[`${tab}-cr`]] },
    ...countingTail(tab, devices, 'bench/done/mqtt', `${tab}-broker`),
  ];
}

/**
 * Runs the comparison.
 * @param {{ sim: { devices: Array<{ line: string }> }, devices: number, cycles: number, log: (line: string) => void }} o
 */
async function scaleBenchmark(o) {
  const mqtt = require('mqtt');
  const dir = tempDir('snmp-fleet-bench-scale-');
  const reds = [];
  let broker;
  let client;
  try {
    broker = await startMosquitto({ dir: path.join(dir, 'mosquitto') });
    const lines = o.sim.devices.slice(0, o.devices).map((d) => d.line);
    const { worker } = loadScaleOutExamples();
    const walk = workerWalk(worker);
    const start = async (name, flows) => {
      const red = await startRedProcess({ dir: path.join(dir, name), port: await freeTcpPort() });
      reds.push(red);
      await red.deploy(flows);
      return red;
    };
    const single = await start('single', singleFlow(walk, lines.join('\n'), o.devices, broker.port));
    const workerRed = await start('worker', prepareScaleOut(worker, { brokerHost: '127.0.0.1', brokerPort: broker.port, community: 'public' }));
    const aggregator = await start('aggregator', aggregatorFlow(o.devices, broker.port));

    client = mqtt.connect(broker.url, { protocolVersion: 5, clean: true });
    await new Promise((resolve, reject) => { client.once('connect', resolve); client.once('error', reject); });
    const waiters = new Map();
    client.on('message', (topic) => {
      const w = waiters.get(topic);
      if (w) { waiters.delete(topic); w(); }
    });
    await new Promise((resolve, reject) => client.subscribe(['bench/done/#'], { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    // the MQTT nodes connect after the deploy
    await new Promise((r) => setTimeout(r, 3000));

    const publish = (topic, body) => new Promise((resolve, reject) => client.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    const cpuOf = () => ({ single: cpuMs(single.pid), worker: cpuMs(workerRed.pid), aggregator: cpuMs(aggregator.pid), broker: cpuMs(broker.pid) });
    const cycle = async (side) => {
      const topic = side === 'single' ? 'bench/done/single' : 'bench/done/mqtt';
      const done = new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(topic); reject(new Error(`${side} cycle did not finish in 300 s`)); }, 300000);
        waiters.set(topic, () => { clearTimeout(timer); resolve(); });
      });
      const before = cpuOf();
      const started = Date.now();
      if (side === 'single') {
        await publish('bench/run/single', {});
      } else {
        const deadline = Date.now() + 300000;
        for (let i = 0; i < lines.length; i += JOB_SIZE) await publish('snmp-fleet/jobs', { targets: lines.slice(i, i + JOB_SIZE), deadline });
      }
      await done;
      const wallMs = Date.now() - started;
      // the last results and acknowledgements settle
      await new Promise((r) => setTimeout(r, 300));
      const after = cpuOf();
      const used = {};
      for (const k of Object.keys(after)) used[k] = after[k] - before[k];
      return { wallMs, ...used };
    };

    o.log(`scale-out: warm-up, then ${o.cycles} cycles per side of ${o.devices} devices (alternating)`);
    await cycle('single');
    await cycle('mqtt');
    const runs = { single: [], mqtt: [] };
    for (let i = 0; i < o.cycles; i++) {
      for (const side of i % 2 === 0 ? ['single', 'mqtt'] : ['mqtt', 'single']) {
        const m = await cycle(side);
        runs[side].push(m);
        o.log(side === 'single'
          ? `  cycle ${i + 1} one process: ${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.single / o.devices).toFixed(2)} ms CPU/device`
          : `  cycle ${i + 1} via MQTT:    ${(m.wallMs / 1000).toFixed(2)} s wall, worker ${(m.worker / o.devices).toFixed(2)}, aggregator ${(m.aggregator / o.devices).toFixed(2)}, broker ${(m.broker / o.devices).toFixed(3)} ms CPU/device`);
      }
    }
    const perDevice = (list, key) => summarize(list.map((m) => m[key] / o.devices));
    const result = {
      devices: o.devices,
      cycles: o.cycles,
      jobSize: JOB_SIZE,
      oids: walk.oids.split('\n'),
      single: { wallMs: summarize(runs.single.map((m) => m.wallMs)), cpuMsPerDevice: perDevice(runs.single, 'single') },
      mqtt: {
        wallMs: summarize(runs.mqtt.map((m) => m.wallMs)),
        workerCpuMsPerDevice: perDevice(runs.mqtt, 'worker'),
        aggregatorCpuMsPerDevice: perDevice(runs.mqtt, 'aggregator'),
        brokerCpuMsPerDevice: perDevice(runs.mqtt, 'broker'),
      },
      runs,
    };
    result.single.devicesPerCpuSecond = 1000 / result.single.cpuMsPerDevice.median;
    result.mqtt.workerDevicesPerCpuSecond = 1000 / result.mqtt.workerCpuMsPerDevice.median;
    result.mqtt.aggregatorDevicesPerCpuSecond = 1000 / result.mqtt.aggregatorCpuMsPerDevice.median;
    return result;
  } finally {
    if (client) client.end(true);
    await Promise.all(reds.map((r) => r.stop(5000)));
    if (broker) await broker.stop();
    removeTempDir(dir);
  }
}

/**
 * What it takes to poll `devices` every `intervalS` with workers of `cores` cores: a
 * Node-RED process works on one core, so a worker machine runs one per core, each kept
 * to `utilization` of its core (headroom for bursts, GC and the retries of dead devices).
 */
function sizing(result, { devices = 100000, intervalS = 60, cores = 2, utilization = 0.6 } = {}) {
  const perSecond = devices / intervalS;
  const workerCpuS = (perSecond * result.mqtt.workerCpuMsPerDevice.median) / 1000;
  const workerProcesses = Math.ceil(workerCpuS / utilization);
  return {
    devices, intervalS, cores, utilization,
    devicesPerSecond: perSecond,
    workerCpuCores: workerCpuS,
    workerProcesses,
    workerMachines: Math.ceil(workerProcesses / cores),
    aggregatorCpuCores: (perSecond * result.mqtt.aggregatorCpuMsPerDevice.median) / 1000,
    brokerCpuCores: (perSecond * result.mqtt.brokerCpuMsPerDevice.median) / 1000,
  };
}

module.exports = { scaleBenchmark, sizing };

if (require.main === module) {
  // alone: node scripts/bench/scale.js [devices] [cycles]
  const { startSim } = require('./sim');
  const devices = Number(process.argv[2]) || 200;
  const cycles = Number(process.argv[3]) || 3;
  const log = (l) => process.stderr.write(`${l}\n`);
  (async () => {
    const sim = await startSim({ devices });
    try {
      const r = await scaleBenchmark({ sim, devices, cycles, log });
      delete r.runs;
      process.stdout.write(`${JSON.stringify({ ...r, sizing: sizing(r) }, null, 1)}\n`);
    } finally {
      await sim.close();
    }
  })().catch((err) => {
    log(err.stack);
    process.exitCode = 1;
  });
}

/**
 * A restart's read of a large parted state: `devices` counter-rate parts (each
 * `interfaces` rows of two 64-bit counters) written to a private redis-server through the
 * pack's Redis context store, as the node writes them (500 keys a call), then read back
 * as the node does at start (keys, then 500 parts a call), and one cycle's change of
 * `changed` devices written. Compiled code from nodes/.
 */
async function redisStateLoad({ devices = 50000, interfaces = 8, changed = 1000, log = () => undefined } = {}) {
  const { startRedis } = require('../lib/servers');
  const { RedisContextStore } = require('../../nodes/lib/red/context-redis');
  const { loadParted, partKey, KEYS_PER_CALL } = require('../../nodes/lib/common/state-store');
  const { counterStateLayout } = require('../../nodes/lib/counter-rate/state-layout');
  const dir = tempDir('snmp-fleet-bench-redis-');
  const redis = await startRedis({ dir });
  const store = new RedisContextStore({ url: redis.url, prefix: 'bench' }, undefined, { warn: () => undefined, info: () => undefined });
  await store.open();
  const scope = 'counter-rate-node:flow';
  const context = {
    get: (k, _s, cb) => store.get(scope, k, cb),
    set: (k, v, _s, cb) => store.set(scope, k, v, cb),
    keys: (_s, cb) => store.keys(scope, cb),
  };
  const now = Date.now();
  const part = (d) => {
    const rows = {};
    for (let i = 1; i <= interfaces; i++) rows[String(i)] = { ifHCInOctets: [String(2n ** 60n + BigInt(d * 1000 + i)), now], ifHCOutOctets: [d * 1000 + i, now] };
    return { lastPoll: now, uptime: { ticks: 123456, time: now }, rows };
  };
  const setMany = (keys, values) => new Promise((resolve, reject) => context.set(keys, values, undefined, (err) => (err ? reject(err) : resolve())));
  try {
    const names = Array.from({ length: devices }, (_, d) => `device-${String(d).padStart(6, '0')}`);
    let t = Date.now();
    for (let i = 0; i < names.length; i += KEYS_PER_CALL) {
      const slice = names.slice(i, i + KEYS_PER_CALL);
      await setMany(slice.map((n) => partKey('counterRate', n)), slice.map((n, j) => part(i + j)));
    }
    await setMany(['counterRate'], [{ v: 3 }]);
    const fullWriteMs = Date.now() - t;
    const info = await new Promise((resolve) => {
      const { createClient } = require('redis');
      const c = createClient({ url: redis.url });
      c.connect().then(() => c.info('memory')).then((text) => { void c.close(); resolve(text); }, () => resolve(''));
    });
    const usedMB = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 1048576;
    global.gc?.();
    t = Date.now();
    const { raw } = await loadParted(context, 'counterRate', undefined, counterStateLayout);
    const loadMs = Date.now() - t;
    const loaded = Object.keys(raw.devices).length;
    t = Date.now();
    const some = names.slice(0, changed);
    for (let i = 0; i < some.length; i += KEYS_PER_CALL) {
      const slice = some.slice(i, i + KEYS_PER_CALL);
      await setMany(slice.map((n) => partKey('counterRate', n)), slice.map((n, j) => part(i + j)));
    }
    const changedWriteMs = Date.now() - t;
    log(`Redis state: ${devices} devices × ${interfaces} interfaces written in ${fullWriteMs} ms (${usedMB.toFixed(0)} MB in Redis), read back in ${loadMs} ms, ${changed} changed devices written in ${changedWriteMs} ms`);
    return { devices, interfaces, series: devices * interfaces * 2, loaded, fullWriteMs, loadMs, changed, changedWriteMs, redisMB: usedMB };
  } finally {
    await store.close();
    await redis.remove();
    removeTempDir(dir);
  }
}

module.exports.redisStateLoad = redisStateLoad;
