/**
 * Scale-out end to end, with the real engines: Debian mosquitto (MQTT 5) and
 * redis-server, 300 simulated devices polled every 5 s through the shipped flows
 * (examples/scale-out) by three worker Node-REDs, one aggregator Node-RED keeping
 * counter-rate and threshold-alert state in Redis. Then what operations do to it:
 * `kill -9` of a worker mid-cycle, `kill -9` of the aggregator and a standby started on
 * the same Redis, the broker stopped and started, Redis stopped and started, and bad
 * jobs. Everything is watched from outside over MQTT: the jobs, the workers' results,
 * and (two tap nodes added to the aggregator's flow) its rates and alerts.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import mqtt from 'mqtt';
import { createClient } from 'redis';
import { startFleet, type Fleet } from '../../src/sim/fleet';
import { deviceIdentity } from '../../src/lib/common/inventory';
import { partKey } from '../../src/lib/common/state-store';
import { startMosquitto, startRedis, type PrivateServer } from '../support/servers';
import { startNodeRed, type FlowNode, type NodeRed } from '../support/node-red-process';
import { startTogether } from '../support/together';

const { loadScaleOutExamples, prepareScaleOut, redisContextStorageCode, nodeIdsByName } = require('../../scripts/lib/scale-out.js');

const DEVICES = 300;
const INTERFACES = 4;
const INTERVAL_S = 5;
const I = INTERVAL_S * 1000;
const WORKERS = 3;
const PREFIX = 'scale-e2e';
/** The device whose interface 2 goes down (InterfaceDown), left out of the rate check. */
const FLAPPING = { device: 5, ifIndex: 2 };

/** In-direction bytes/s of a simulated interface: distinct per device and interface. */
const rateOf = (device: number, ifIndex: number) => 1e6 * (1 + (device % 7)) + 1e5 * ifIndex;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

interface Job { deadline: number; devices: string[]; at: number }
interface Result { device: string; time: number; elapsedMs: number; ok: boolean; code?: string; at: number }
interface Rates { device: string; time: number; elapsedMs: number; rows: any[] | null; at: number }
/** One alert change; `index` is its row index (its readable instance is the ifName). */
interface Alert { status: string; alertname: string; device: string; index: string; at: number }

describe('scale-out end to end: 300 devices every 5 s, 3 workers, mosquitto and redis-server', function () {
  this.timeout(20 * 60_000);

  let broker: PrivateServer;
  let redis: PrivateServer;
  let fleet: Fleet;
  let dir: string;
  const workers: NodeRed[] = [];
  let aggregator: NodeRed;
  let standby: NodeRed | undefined;
  let watcher: mqtt.MqttClient;
  let aggregatorFlow: FlowNode[];
  let workerFlow: FlowNode[];
  let ids: Record<string, string>;
  let workerIds: Record<string, string>;

  const jobs: Job[] = [];
  const results: Result[] = [];
  const rates: Rates[] = [];
  /** When the standby aggregator took over: its first rate per device rests on whatever sample Redis held. */
  let takeoverAt = Number.POSITIVE_INFINITY;
  const alerts: Alert[] = [];
  /**
   * Periods when devices miss several cycles on purpose (no aggregator, no broker, a
   * stalled worker): [from, to, why]. A killed worker and a Redis outage are no such
   * period: there a device may miss one cycle at most, and no rate is lost.
   */
  const outages: Array<[number, number, string]> = [];

  const deviceIndex = (name: string) => Number(name.replace(/^sim-/, ''));

  /**
   * The cycles (their deadlines) a result may belong to: those whose window [deadline −
   * interval, deadline] can hold the poll's start, among the jobs that named the device.
   * The start lies in [snmp.time − elapsedMs, snmp.time] (the first answer, the whole
   * poll's duration): a poll that began in time may end after the deadline (a retry).
   */
  function candidates(r: Result): number[] {
    const earliest = r.time - r.elapsedMs - 50;
    const latest = r.time + 50;
    const out = new Set<number>();
    for (const j of jobs) if (j.deadline - I <= latest && j.deadline >= earliest && j.devices.includes(r.device)) out.add(j.deadline);
    return [...out].sort((a, b) => a - b);
  }

  /**
   * Each result's cycle, device by device in time order, each cycle taken once: 'late'
   * when no job's window can hold the poll's start (polled after its deadline), 'twice'
   * when every cycle that could hold it already has a poll of the device.
   */
  function assignCycles(): Map<Result, number | 'late' | 'twice'> {
    const out = new Map<Result, number | 'late' | 'twice'>();
    const byDevice = new Map<string, Result[]>();
    for (const r of results) byDevice.set(r.device, [...(byDevice.get(r.device) ?? []), r]);
    for (const list of byDevice.values()) {
      const used = new Set<number>();
      for (const r of list.sort((a, b) => a.time - b.time)) {
        const c = candidates(r);
        const free = c.find((d) => !used.has(d));
        if (c.length === 0) out.set(r, 'late');
        else if (free === undefined) out.set(r, 'twice');
        else {
          used.add(free);
          out.set(r, free);
        }
      }
    }
    return out;
  }

  /** For a failed check: what happened to devices missing from a cycle. */
  function explainMissing(deadline: number, devices: Map<string, number>): string {
    const missing = fleet.devices.map((d) => d.name).filter((n) => !devices.has(n));
    return missing.slice(0, 5).map((name) => {
      const near = results.filter((r) => r.device === name && Math.abs(r.time - deadline) < 3 * I).map((r) => `${((r.time - deadline) / 1000).toFixed(2)}s${r.ok ? '' : ` ${r.code}`}`);
      const inJob = jobs.some((j) => j.deadline === deadline && j.devices.includes(name));
      return `${name} (in a job: ${inJob}; results near the deadline: ${near.join(', ') || 'none'})`;
    }).join('; ');
  }

  /** Polls per device in each cycle whose deadline lies in [from, to] ('twice' counted as a second poll). */
  function perCycle(from: number, to: number): Map<number, Map<string, number>> {
    const cycles = new Map<number, Map<string, number>>();
    for (const j of jobs) if (j.deadline >= from && j.deadline <= to && !cycles.has(j.deadline)) cycles.set(j.deadline, new Map());
    for (const [r, c] of assignCycles()) {
      if (c === 'late') continue;
      const cycle = c === 'twice' ? candidates(r).at(-1)! : c;
      if (!cycles.has(cycle)) continue;
      const m = cycles.get(cycle)!;
      m.set(r.device, (m.get(r.device) ?? 0) + 1);
    }
    return cycles;
  }

  /** Results of polls that began after their job's deadline. */
  function lateSince(t: number): Result[] {
    return [...assignCycles()].filter(([r, c]) => r.at > t && c === 'late').map(([r]) => r);
  }

  async function startAggregator(): Promise<NodeRed> {
    const red = await startNodeRed({ settingsCode: redisContextStorageCode(redis.url, PREFIX), startTimeoutMs: 90000 });
    await red.deploy(aggregatorFlow);
    return red;
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-out-e2e-'));
    [broker, redis] = await startTogether([startMosquitto(), startRedis()]);
    fleet = await startFleet({ count: DEVICES, interfaces: INTERFACES, rate: (d, i) => rateOf(d, i), labels: { site: ['par', 'lon', 'nyc'] } });
    const inventoryFile = path.join(dir, 'inventory.txt');
    fs.writeFileSync(inventoryFile, fleet.inventoryText());

    const shipped = loadScaleOutExamples();
    const common = { brokerHost: '127.0.0.1', brokerPort: broker.port, pollSeconds: INTERVAL_S, community: 'public', v3: { authKey: 'unused-auth-key', privKey: 'unused-priv-key' } };
    workerFlow = prepareScaleOut(shipped.worker, common);
    workerIds = nodeIdsByName(workerFlow);
    aggregatorFlow = prepareScaleOut(shipped.aggregator, { ...common, inventoryFile });
    ids = nodeIdsByName(aggregatorFlow);
    // taps: the aggregator's rates and alerts, published for this test to watch
    const tab = aggregatorFlow[0].id;
    const brokerId = aggregatorFlow.find((n) => n.type === 'mqtt-broker')!.id;
    (aggregatorFlow.find((n) => n.id === ids['bits/s'])!.wires as string[][])[0].push('tap-rates');
    (aggregatorFlow.find((n) => n.id === ids['fleet alerts'])!.wires as string[][])[0].push('tap-alerts');
    aggregatorFlow.push(
      { id: 'tap-rates', type: 'change', z: tab, name: 'tap', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"device": topic, "time": snmp.time, "elapsedMs": snmp.elapsedMs, "rows": payload}', tot: 'jsonata' }], x: 600, y: 600, wires: [['tap-rates-out']] },
      { id: 'tap-rates-out', type: 'mqtt out', z: tab, name: 'tap', topic: 'test/rates', qos: '1', retain: 'false', broker: brokerId, x: 800, y: 600, wires: [] },
      { id: 'tap-alerts', type: 'mqtt out', z: tab, name: 'tap', topic: 'test/alerts', qos: '1', retain: 'false', broker: brokerId, x: 800, y: 660, wires: [] },
    );

    watcher = mqtt.connect(broker.url, { protocolVersion: 5, clean: true, reconnectPeriod: 500 });
    watcher.on('error', () => undefined);
    watcher.on('message', (topic, payload) => {
      let body: any;
      try {
        body = JSON.parse(payload.toString());
      } catch {
        return;
      }
      const at = Date.now();
      if (topic === 'snmp-fleet/jobs') {
        if (Array.isArray(body?.targets) && typeof body.deadline === 'number') {
          jobs.push({ deadline: body.deadline, devices: body.targets.map((t: unknown) => (typeof t === 'string' ? t.split(/\s+/)[1] : '')), at });
        }
      } else if (topic === 'snmp-fleet/results') {
        if (body?.snmpResult === 1) results.push({ device: body.topic, time: body.snmp.time, elapsedMs: body.snmp.elapsedMs ?? 0, ok: body.payload !== null, code: body.error?.code, at });
      } else if (topic === 'test/rates') {
        rates.push({ device: body.device, time: body.time, elapsedMs: body.elapsedMs, rows: body.rows, at });
      } else if (topic === 'test/alerts') {
        // by default threshold-alert sends a group: the changes one result caused on its device
        for (const a of Array.isArray(body?.alerts) ? body.alerts : [body]) alerts.push({ status: a.status, alertname: a.alertname, device: a.device, index: a.index, at });
      }
    });
    const subscribed = () => new Promise<void>((resolve, reject) => watcher.subscribe(['snmp-fleet/jobs', 'snmp-fleet/results', 'test/#'], { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await new Promise<void>((resolve) => watcher.once('connect', () => resolve()));
    await subscribed();
    watcher.on('connect', () => void subscribed().catch(() => undefined)); // after the broker restart

    // workers first: a job published before any worker subscribed would be lost
    for (let i = 0; i < WORKERS; i++) {
      const red = await startNodeRed({ startTimeoutMs: 90000 });
      await red.deploy(workerFlow);
      workers.push(red);
    }
    for (const w of workers) await w.waitForStatus(workerIds['jobs (shared)'], (s) => s.text === 'node-red:common.status.connected', 30000);
    aggregator = await startAggregator();
  });

  after(async function () {
    watcher?.end(true);
    for (const red of [...workers, aggregator, standby]) await red?.stop().catch(() => undefined);
    await fleet?.close();
    await Promise.all([broker?.remove(), redis?.remove()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('polls every device once in every cycle, through jobs spread over the three workers', async function () {
    // three full cycles after the first results
    await waitFor('the first results', () => results.length > 0, 60000);
    const from = Date.now();
    // cycles issued from now on, past their deadline by a few seconds (a poll that began in
    // time may answer after it)
    const done = () => perCycle(from + I, Date.now() - 3000);
    await waitFor('three more cycles', () => done().size >= 3, 90000);
    const cycles = [...done().entries()];
    for (const [deadline, devices] of cycles) {
      const twice = [...devices].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], `cycle ${new Date(deadline).toISOString()}: none polled twice`);
      assert.equal(devices.size, DEVICES, `cycle ${new Date(deadline).toISOString()}: ${devices.size} of ${DEVICES} devices polled: ${explainMissing(deadline, devices)}`);
    }
    assert.ok(results.every((r) => r.ok), 'every device answers');
    assert.equal(new Set(jobs.map((j) => j.devices.length)).has(25), true, 'jobs of 25 devices');
    // the work is shared: each worker's poll node ran cycles
    for (const w of workers) await w.waitForStatus(workerIds['interface table'], (s) => /\d+\/\d+ ok/.test(s.text ?? ''), 30000);
  });

  it('kill -9 of a worker mid-cycle: no device misses more than one cycle, none is polled twice', async function () {
    // answers take 300 ms: a cycle's polls are still in flight when the worker dies
    for (let d = 0; d < DEVICES; d++) fleet.device(d).setSlow(300);
    await sleep(2 * I);
    const before = jobs.length;
    await waitFor('a new cycle to start', () => jobs.length > before, 30000);
    const killedAt = Date.now();
    await sleep(200); // the jobs reached the workers, their polls are waiting for answers
    await workers[0].kill();
    await sleep(I);
    for (let d = 0; d < DEVICES; d++) fleet.device(d).setSlow(0);
    await sleep(3 * I);
    const cycles = [...perCycle(killedAt - 2 * I, Date.now() - I).entries()].sort((a, b) => a[0] - b[0]);
    assert.ok(cycles.length >= 4, `${cycles.length} cycles around the kill`);
    const missed = new Map<string, number[]>();
    cycles.forEach(([, devices], k) => {
      for (const [device, n] of devices) assert.equal(n, 1, `${device} polled ${n} times in one cycle`);
      for (let d = 0; d < DEVICES; d++) {
        const name = fleet.devices[d].name;
        if (!devices.has(name)) missed.set(name, [...(missed.get(name) ?? []), k]);
      }
    });
    for (const [device, ks] of missed) {
      for (let i = 1; i < ks.length; i++) assert.ok(ks[i] - ks[i - 1] > 1, `${device} missed two cycles in a row`);
    }
    assert.ok(missed.size > 0 && missed.size <= 150, `the killed worker held polls in flight: ${missed.size} devices missed a cycle`);
    // the two workers left poll the whole fleet: a later cycle has every device (on a loaded
    // machine a cycle's jobs can start past their deadline and are dropped by design, so
    // the first whole cycle is waited for rather than the last one required whole)
    const whole = () => [...perCycle(killedAt + I, Date.now() - I).values()].some((m) => m.size === DEVICES);
    await waitFor('a cycle with every device polled by the two workers left', whole, 12 * I).catch((err) => {
      const [lastDeadline, last] = [...perCycle(killedAt + I, Date.now()).entries()].sort((a, b) => a[0] - b[0]).at(-1) ?? [0, new Map()];
      throw new Error(`${err.message}: ${explainMissing(lastDeadline, last)}`);
    });
    console.log(`      worker killed: ${missed.size} devices missed one cycle, none twice, none polled twice`);
  });

  it('kill -9 of the aggregator and a standby on the same Redis: rates from its first sample, firing alerts not re-sent, the resolution sent once', async function () {
    const flapper = fleet.devices[FLAPPING.device].name;
    fleet.device(FLAPPING.device).linkDown(FLAPPING.ifIndex);
    await waitFor('InterfaceDown firing', () => alerts.some((a) => a.alertname === 'InterfaceDown' && a.device === flapper && a.status === 'firing'), 60000);
    await sleep(2500); // written to Redis within a second of the change
    const killedAt = Date.now();
    await aggregator.kill();
    outages.push([killedAt - I, Number.POSITIVE_INFINITY, 'aggregator killed']);
    const ratesBefore = rates.length;
    const alertsBefore = alerts.length;
    takeoverAt = Date.now();
    standby = await startAggregator();
    const startedAt = Date.now();
    outages[outages.length - 1][1] = startedAt + 2 * I;
    await waitFor('the standby\'s first rates', () => rates.length > ratesBefore + DEVICES, 90000);
    // the first sample of each device after the takeover already has rates
    const first = new Map<string, Rates>();
    for (const r of rates.slice(ratesBefore)) if (!first.has(r.device)) first.set(r.device, r);
    assert.equal(first.size, DEVICES);
    const without = [...first.values()].filter((r) => !r.rows || !r.rows.every((row) => typeof row.ifHCInOctets === 'number'));
    assert.deepEqual(without.map((r) => r.device), [], 'every device has rates in its first message after the takeover');
    await sleep(2 * I);
    const refired = alerts.slice(alertsBefore).filter((a) => a.alertname === 'InterfaceDown' && a.status === 'firing');
    assert.deepEqual(refired, [], 'the firing alert is not announced again');
    fleet.device(FLAPPING.device).linkUp(FLAPPING.ifIndex);
    await waitFor('the resolution', () => alerts.slice(alertsBefore).some((a) => a.alertname === 'InterfaceDown' && a.status === 'resolved'), 60000);
    await sleep(3 * I);
    const resolved = alerts.slice(alertsBefore).filter((a) => a.alertname === 'InterfaceDown' && a.device === flapper && a.status === 'resolved');
    assert.equal(resolved.length, 1, 'resolved once');
    assert.equal(resolved[0].index, String(FLAPPING.ifIndex));
    console.log(`      standby took over ${((startedAt - killedAt) / 1000).toFixed(1)} s after the kill`);
  });

  it('the broker stopped and started: statuses say so, nothing crashes, late jobs are dropped and counted, polling resumes', async function () {
    const stoppedAt = Date.now();
    await broker.stop();
    for (const w of workers.slice(1)) await w.waitForStatus(workerIds['jobs (shared)'], (s) => s.text === 'node-red:common.status.disconnected', 30000);
    await standby!.waitForStatus(ids['snmp-fleet/results'], (s) => s.text === 'node-red:common.status.disconnected', 30000);
    await sleep(2 * I);
    await broker.start();
    outages.push([stoppedAt - I, Date.now() + 3 * I, 'broker stopped']);
    const resumedFrom = Date.now();
    await waitFor('results again', () => results.some((r) => r.at > resumedFrom + 1000), 90000);
    await waitFor('a whole cycle again', () => {
      const cycles = perCycle(resumedFrom + I, Date.now() - 1000);
      return [...cycles.values()].some((m) => m.size === DEVICES);
    }, 90000);
    for (const red of [...workers.slice(1), standby!]) assert.equal(red.output().includes('Node-RED exited'), false);
    // no device is polled after its job's deadline, whatever the broker queued meanwhile
    assert.deepEqual(lateSince(stoppedAt).slice(0, 5), [], 'no poll began after its job\'s deadline');
    const expired = await Promise.all(workers.slice(1).map((w) => w.status(workerIds['interface table'])));
    console.log(`      after the broker outage, workers' status: ${expired.map((s) => s?.text).join(' | ')}`);
  });

  it('Redis stopped and started: statuses say so, rates go on, the state is written again', async function () {
    const stoppedAt = Date.now();
    await redis.stop();
    const down = await standby!.waitForStatus(ids['bits/s'], (s) => s.text === 'store unavailable', 30000);
    assert.equal(down.fill, 'yellow');
    const ratesDuring = rates.length;
    await waitFor('rates during the outage', () => rates.length > ratesDuring + DEVICES, 60000);
    await redis.start();
    await standby!.waitForStatus(ids['bits/s'], (s) => /series/.test(s.text ?? ''), 60000);
    await standby!.waitForStatus(ids['fleet alerts'], (s) => s.text !== 'store unavailable', 60000);
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const scopes = (await client.keys(`${PREFIX}:*`)).sort();
      const counterScope = scopes.find((k) => k.startsWith(`${PREFIX}:${ids['bits/s']}:`));
      assert.ok(counterScope, `counter-rate's scope in ${scopes.join(', ')}`);
      await waitFor('every device written again', async () => (await client.hLen(counterScope!)) === DEVICES + 1, 30000);
      // counter-rate keeps a device's series under its identity, host:port
      const part = JSON.parse((await client.hGet(counterScope!, partKey('counterRate', deviceIdentity(fleet.devices[0].host, fleet.devices[0].port))))!);
      assert.ok(part.lastPoll > stoppedAt, 'a sample from after the outage');
    } finally {
      await client.close();
    }
    assert.ok(standby!.problems().some((l) => /Redis context store: .* unavailable/.test(l)), 'the loss is logged');
    assert.ok(standby!.output().includes('connected to 127.0.0.1'), 'and the return');
  });

  it('a worker stalled for two cycles (SIGSTOP): the jobs it got meanwhile are dropped and counted when it wakes, never polled late', async function () {
    const stalled = workers[1];
    const expiredIn = (text: string | undefined) => Number(/([\d,]+) expired/.exec(text ?? '')?.[1]?.replace(/,/g, '') ?? 0);
    const before = expiredIn((await stalled.status(workerIds['interface table']))?.text);
    const stoppedAt = Date.now();
    process.kill(stalled.pid, 'SIGSTOP');
    try {
      await sleep(2 * I + 1000);
    } finally {
      process.kill(stalled.pid, 'SIGCONT');
    }
    outages.push([stoppedAt - I, Date.now() + 2 * I, 'worker stalled']);
    const s = await stalled.waitForStatus(workerIds['interface table'], (x) => expiredIn(x.text) >= before + 25, 30000);
    await sleep(2 * I);
    assert.deepEqual(lateSince(stoppedAt).slice(0, 5), [], 'no device polled after its job\'s deadline');
    const since = Date.now();
    await waitFor('whole cycles again', () => [...perCycle(since, Date.now() - 1000).values()].some((m) => m.size === DEVICES), 60000);
    console.log(`      stalled worker: ${s.text}`);
  });

  it('bad jobs: a malformed target list, an unknown profile, a 10 MB payload, no JSON: a failure or an error, never a crash', async function () {
    const publish = (payload: string) => new Promise<void>((resolve, reject) => watcher.publish('snmp-fleet/jobs', payload, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    const deadline = Date.now() + 60_000;
    await publish(JSON.stringify({ targets: 'all of them', deadline }));
    await publish(JSON.stringify({ targets: [{ host: '127.0.0.1', port: 9, name: 'ghost', profile: 'no-such-profile' }], deadline }));
    await publish(JSON.stringify({ targets: ['x'.repeat(10 * 1024 * 1024)], deadline }));
    await publish(JSON.stringify({ targets: Array.from({ length: 100_001 }, (_, i) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), deadline }));
    await publish('{ not json');
    await waitFor('the unknown profile as a failure', () => results.some((r) => r.device === 'ghost' && r.code === 'profile'), 30000);
    await waitFor('the errors logged', () => {
      const logs = workers.slice(1).map((w) => w.output()).join('\n');
      return /msg\.targets must be an array/.test(logs) && /is not a host name or IP address/.test(logs) && /more than 100000/.test(logs);
    }, 60000);
    const since = Date.now();
    await waitFor('polling on', () => perCycle(since, Date.now() - 1000).size > 0 && [...perCycle(since, Date.now() - 1000).values()].some((m) => m.size === DEVICES), 60000);
    for (const red of [...workers.slice(1), standby!]) {
      const res = await red.request('GET', '/settings');
      assert.equal(res.status, 200, 'still answering');
    }
  });

  it('rates within 1 % of the simulator (or of the poll\'s own timing), no spike, no negative, no gap longer than one cycle outside the outages made', function () {
    const acrossOutage = (from: number, to: number) => outages.some(([a, b]) => from <= b && to >= a);
    let checked = 0;
    let within1 = 0;
    let worst = 0;
    const errors: number[] = [];
    const elapsed: number[] = [];
    const last = new Map<string, Rates>();
    const gaps: string[] = [];
    for (const r of rates) {
      const d = deviceIndex(r.device);
      const prev = last.get(r.device);
      // one missed cycle spaces two samples by 2 intervals, give or take where in its cycle
      // each device came (a second or two here); two missed cycles by 3
      if (r.rows && prev && !acrossOutage(prev.time, r.time) && r.time - prev.time > 2.5 * I) {
        gaps.push(`${r.device}: ${((r.time - prev.time) / 1000).toFixed(1)} s at ${new Date(r.time).toISOString()}`);
      }
      if (!r.rows) continue;
      for (const row of r.rows) {
        const v = row.ifHCInOctets;
        if (typeof v !== 'number') continue;
        assert.ok(v >= 0, `negative rate ${v} on ${r.device}`);
        if (d === FLAPPING.device) continue; // its interface stopped counting while down
        // the standby's first rate divides by the time since the sample Redis held, which
        // this test does not see (the last one the primary wrote before kill -9)
        if (prev && prev.at < takeoverAt && r.at >= takeoverAt) continue;
        const expected = 8 * rateOf(d, Number(row.index));
        const error = Math.abs(v - expected) / expected;
        // the counter was read somewhere in the poll: its elapsed time bounds the error, plus
        // 4 ms for the whole milliseconds of the simulator's clock and of the two time stamps
        const span = prev ? r.time - prev.time : I;
        const tolerance = Math.max(0.01, ((r.elapsedMs ?? 0) + (prev?.elapsedMs ?? 0) + 4) / span);
        assert.ok(error <= tolerance, `${r.device} if${row.index} at ${new Date(r.time).toISOString()}: ${v} b/s against ${expected} (${(error * 100).toFixed(2)} %, allowed ${(tolerance * 100).toFixed(2)} % for polls of ${prev?.elapsedMs} and ${r.elapsedMs} ms ${(span / 1000).toFixed(2)} s apart)`);
        checked++;
        if (error <= 0.01) within1++;
        worst = Math.max(worst, error);
        errors.push(error);
        const out = row.ifHCOutOctets;
        assert.ok(typeof out === 'number' && Math.abs(out - expected / 2) / (expected / 2) <= tolerance, `${r.device} if${row.index} out: ${out}`);
      }
      last.set(r.device, r);
      elapsed.push(r.elapsedMs ?? 0);
    }
    assert.ok(checked > DEVICES * INTERFACES * 10, `${checked} rates checked`);
    assert.deepEqual(gaps.slice(0, 10), [], 'no gap longer than one cycle');
    const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))];
    console.log(`      ${checked} rates: ${((within1 / checked) * 100).toFixed(2)} % within 1 % of the simulator; error median ${(q(errors, 0.5) * 100).toFixed(2)} %, p95 ${(q(errors, 0.95) * 100).toFixed(2)} %, worst ${(worst * 100).toFixed(2)} %; poll elapsed median ${q(elapsed, 0.5)} ms, p95 ${q(elapsed, 0.95)} ms`);
  });
});
