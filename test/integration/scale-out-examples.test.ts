/**
 * The scale-out example flows (examples/scale-out/) as files: the rules every example
 * keeps (a comment first that says what to set, numbered step comments, no function
 * node, no secret), plus what the scale-out shape relies on: MQTT 5 with clean
 * sessions, the shared subscription, the job's deadline and expiry, JSON results, state
 * in the store `redis`, and a scheduler expression that cuts any inventory into jobs.
 * The same files run for real in scale-out.test.ts and `npm run scale-demo`.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseRules } from '../../src/lib/alert/rules';
import { alertOptions } from '../../src/lib/red/alert-node';
import { buildProfile } from '../../src/lib/snmp/profile';
import { counterRateOptions } from '../../src/lib/red/counter-rate-node';

const ROOT = path.resolve(__dirname, '..', '..');
const { loadScaleOutExamples, SCALE_OUT_DIR } = require('../../scripts/lib/scale-out.js');
const { loadExamples } = require('../../scripts/lib/examples.js');
const jsonata = require('jsonata');

type FlowNode = { id: string; type: string; z?: string; name?: string; info?: string; wires?: string[][]; [k: string]: any };

const { aggregator, worker } = loadScaleOutExamples() as { aggregator: FlowNode[]; worker: FlowNode[] };
const both = [...aggregator, ...worker];
const byType = (flow: FlowNode[], type: string) => flow.filter((n) => n.type === type);

describe('scale-out example flows (files)', function () {
  it('ships the two roles in examples/scale-out, listed by Node-RED as a folder, and in the package', function () {
    assert.deepEqual(fs.readdirSync(SCALE_OUT_DIR).sort(), ['1 scheduler and aggregator.json', '2 worker.json']);
    const files: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).files;
    assert.ok(files.includes('examples/scale-out/*.json'));
  });

  it('starts with a comment saying what it shows and what to set, and explains each step', function () {
    for (const flow of [aggregator, worker]) {
      const [tab, first] = flow;
      assert.equal(tab.type, 'tab');
      assert.equal(first.type, 'comment');
      assert.match(first.info!, /Set before deploying/);
      assert.ok(first.y <= Math.min(...flow.filter((n) => n.z === tab.id).map((n) => n.y)), 'the comment is at the top');
      const steps = flow.filter((n) => n.type === 'comment' && /^\d+ · /.test(n.name ?? ''));
      assert.ok(steps.length >= 1);
      for (const s of steps) assert.ok((s.info ?? '').length > 80, s.name);
    }
    // the settings.js lines users copy load the module the package ships
    const intro = aggregator[1].info!;
    assert.match(intro, /require\('@snmp-fleet\/node-red-snmp-fleet\/nodes\/context\/redis'\)/);
    assert.ok(fs.existsSync(path.join(ROOT, 'src', 'context', 'redis.ts')));
    assert.match(worker[1].info!, /clean session/);
  });

  it('uses only core nodes and this pack, no function node, no secret', function () {
    const pack = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))['node-red'].nodes);
    const core = ['tab', 'comment', 'inject', 'file in', 'change', 'split', 'mqtt in', 'mqtt out', 'mqtt-broker', 'debug'];
    for (const n of both) assert.ok(pack.includes(n.type) || core.includes(n.type), n.type);
    assert.equal(both.filter((n) => n.type === 'function').length, 0);
    const text = JSON.stringify(both);
    assert.doesNotMatch(text, /"credentials"|"community"\s*:|"authKey"\s*:|"privKey"\s*:|"password"\s*:/);
  });

  it('ids are unique, also beside the other examples, and every wire and reference resolves', function () {
    const others = loadExamples().flatMap((e: any) => e.flow.map((n: FlowNode) => n.id));
    const ids = both.map((n) => n.id);
    assert.equal(new Set([...ids, ...others]).size, ids.length + others.length);
    for (const flow of [aggregator, worker]) {
      const local = new Map(flow.map((n) => [n.id, n]));
      for (const n of flow) {
        for (const port of n.wires ?? []) for (const id of port) assert.ok(local.has(id), `${n.name} → ${id}`);
        if (n.type === 'mqtt-broker') continue; // its `broker` is the host name
        for (const key of ['snmp', 'broker']) if (typeof n[key] === 'string') assert.ok(local.has(n[key]), `${n.name}.${key}`);
      }
    }
  });

  it('MQTT 5, clean sessions, QoS 1; jobs on a shared subscription; the MQTT 5 fields left to the message', function () {
    for (const b of byType(both, 'mqtt-broker')) {
      assert.equal(String(b.protocolVersion), '5');
      assert.equal(b.cleansession, true, 'mosquitto < 2.0.12 drops $share subscriptions of persistent sessions on reconnect');
      assert.equal(b.clientid, '', 'every process its own client id');
    }
    const jobsIn = byType(worker, 'mqtt in')[0];
    assert.equal(jobsIn.topic, '$share/snmp-pollers/snmp-fleet/jobs');
    assert.equal(jobsIn.datatype, 'json');
    const jobsOut = byType(aggregator, 'mqtt out')[0];
    assert.equal(jobsOut.topic, 'snmp-fleet/jobs');
    assert.equal(jobsOut.expiry, '', 'msg.messageExpiryInterval wins only when the node leaves it blank');
    for (const n of [...byType(both, 'mqtt in'), ...byType(both, 'mqtt out')]) assert.equal(String(n.qos), '1', n.name);
    assert.equal(byType(worker, 'mqtt out')[0].topic, byType(aggregator, 'mqtt in')[0].topic, 'results go where the aggregator listens');
  });

  it('the worker polls with results as JSON and every output to MQTT; the aggregator keeps state in redis', function () {
    const walk = byType(worker, 'snmp-bulkwalk')[0];
    assert.equal(walk.form, 'json');
    assert.equal(walk.wires!.length, 2);
    const out = byType(worker, 'mqtt out')[0].id;
    assert.deepEqual(walk.wires, [[out], [out]], 'answers and failures');
    for (const n of [...byType(aggregator, 'counter-rate'), ...byType(aggregator, 'threshold-alert')]) assert.equal(n.store, 'redis', n.name);
    // each role's pack nodes accept their properties
    for (const n of byType(worker, 'snmp-config')) buildProfile(n as any, n.version === '3' ? { authKey: 'authkey-123', privKey: 'privkey-123' } : { community: 'public' });
    counterRateOptions(byType(aggregator, 'counter-rate')[0] as any);
    const ta = byType(aggregator, 'threshold-alert')[0];
    parseRules(ta.rules);
    alertOptions(ta as any);
    assert.ok(byType(worker, 'snmp-config').some((c) => c.name === 'core-v3' && c.version === '3'), 'a second profile, named by inventory lines');
  });

  it('the scheduler cuts any inventory into jobs of jobSize with the cycle deadline, always an array', async function () {
    const jobs = byType(aggregator, 'change').find((n) => n.rules.some((r: any) => r.p === 'payload'))!;
    const rule = jobs.rules.find((r: any) => r.p === 'payload');
    const expiry = jobs.rules.find((r: any) => r.p === 'messageExpiryInterval');
    assert.equal(expiry.to, 'interval');
    const inject = byType(aggregator, 'inject')[0];
    assert.equal(inject.repeat, '60');
    assert.equal(inject.props.find((p: any) => p.p === 'interval').v, '60', 'the deadline follows the repeat');
    const expr = jsonata(rule.to);
    const now = Date.now();
    const cases: Array<[string, number[]]> = [
      ['', []],
      ['# only a comment\n\n', []],
      ['10.0.0.1 a', [1]],
      ['10.0.0.1 a # core\n10.0.0.2 b profile=core-v3\n', [2]],
      [Array.from({ length: 60 }, (_, i) => `10.0.1.${i} d${i}`).join('\n'), [25, 25, 10]],
    ];
    for (const [inventory, sizes] of cases) {
      const out = await expr.evaluate({ payload: inventory, interval: 60, jobSize: 25 });
      assert.ok(Array.isArray(out), JSON.stringify(inventory));
      assert.deepEqual(out.map((j: any) => j.targets.length), sizes);
      for (const j of out) {
        assert.ok(Array.isArray(j.targets));
        assert.ok(j.deadline >= now + 59_000 && j.deadline <= Date.now() + 60_000);
        assert.ok(j.targets.every((t: string) => !t.includes('#')));
      }
    }
  });
});
