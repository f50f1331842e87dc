/**
 * Messages into samples: walk rows, get objects, counter-rate output and alerts, with
 * the types, exact Counter64 values and labels the exporter must get right.
 */
import { strict as assert } from 'assert';
import { MAX_DEVICE_LABELS, readAlerts, readMessage, splitKey, type DropReason, type SampleSink } from '../../../src/lib/metrics/read-message';

interface Got {
  samples: Array<{ field: string; kind: string; variant: string; type?: string; labels: string; value: number | string }>;
  drops: Array<[DropReason, string | undefined]>;
  cuts: number;
}

function reader(): Got & { sink: SampleSink } {
  const got = { samples: [], drops: [], cuts: 0 } as unknown as Got & { sink: SampleSink };
  got.sink = {
    sample: (field, kind, variant, type, labels, value) => got.samples.push({ field, kind, variant, type, labels, value }),
    drop: (r, d) => got.drops.push([r, d]),
    cut: () => { got.cuts++; },
  };
  return got;
}

const DEVICE = { host: '192.0.2.10', port: 161, name: 'core-1', labels: { site: 'paris', role: 'core' } };
const OPTS = { labelColumns: ['ifName', 'ifAlias'] };

describe('metrics: reading messages', () => {
  it('reads snmp-bulkwalk rows: counters raw, gauges as they are, labelled by device, inventory, index and text columns', () => {
    const r = reader();
    const outcome = readMessage({
      topic: 'core-1', device: DEVICE,
      payload: [
        { index: '1', ifName: 'ge-0/0/1', ifAlias: 'uplink', ifHCInOctets: 1000, ifOperStatus: 1, ifHighSpeed: 10000 },
        { index: '2', ifName: 'ge-0/0/2', ifHCInOctets: 5 },
      ],
      types: { ifName: 'OctetString', ifAlias: 'OctetString', ifHCInOctets: 'Counter64', ifOperStatus: 'Integer', ifHighSpeed: 'Gauge32' },
    }, OPTS, r.sink);
    assert.equal(outcome, 'values');
    const got = r.samples.map((s) => [s.field, s.kind, s.labels, s.value]);
    assert.deepEqual(got, [
      ['ifHCInOctets', 'counter', '{device="core-1",host="192.0.2.10",role="core",site="paris",index="1",ifName="ge-0/0/1",ifAlias="uplink"}', 1000],
      ['ifOperStatus', 'gauge', '{device="core-1",host="192.0.2.10",role="core",site="paris",index="1",ifName="ge-0/0/1",ifAlias="uplink"}', 1],
      ['ifHighSpeed', 'gauge', '{device="core-1",host="192.0.2.10",role="core",site="paris",index="1",ifName="ge-0/0/1",ifAlias="uplink"}', 10000],
      ['ifHCInOctets', 'counter', '{device="core-1",host="192.0.2.10",role="core",site="paris",index="2",ifName="ge-0/0/2"}', 5],
    ]);
  });

  it('leaves out the index decoded from the MIB (it is the index label), keeps numbers a flow added', () => {
    const r = reader();
    readMessage({
      topic: 'r', payload: [{ index: '3', ifIndex: 3, ifHCInOctets: 10, utilization: 3 }, { index: '4', ifIndex: 5, v: 1 }], types: { ifHCInOctets: 'Counter64' },
    }, OPTS, r.sink);
    assert.deepEqual(r.samples.map((s) => s.field), ['ifHCInOctets', 'utilization', 'ifIndex', 'v']);
  });

  it('writes Counter64 beyond 2^53 exactly, from the varbind', () => {
    const r = reader();
    const exact = '18446744073709551615';
    readMessage({
      topic: 'r', payload: [{ index: '7', ifHCInOctets: Number(exact) }], types: { ifHCInOctets: 'Counter64' },
      varbinds: [{ oid: '1.3.6.1.2.1.31.1.1.1.6.7', name: 'IF-MIB::ifHCInOctets.7', type: 'Counter64', value: Number(exact), exact }],
    }, OPTS, r.sink);
    assert.equal(r.samples[0].value, exact);
    // and from an snmp-get object
    const g = reader();
    readMessage({
      topic: 'r', payload: { 'ifHCInOctets.7': Number(exact) },
      varbinds: [{ oid: '1.3.6.1.2.1.31.1.1.1.6.7', name: 'IF-MIB::ifHCInOctets.7', type: 'Counter64', value: Number(exact), exact }],
    }, OPTS, g.sink);
    assert.deepEqual(g.samples.map((s) => [s.field, s.kind, s.value, s.labels]), [['ifHCInOctets', 'counter', exact, '{device="r",index="7"}']]);
  });

  it('reads snmp-get objects: types from the varbinds, scalars without index, instances labelled by their text columns', () => {
    const r = reader();
    readMessage({
      topic: 'edge-7', device: { host: '2001:db8::5', port: 1161, name: 'edge-7', labels: {} },
      payload: { 'sysUpTime.0': 8640000, 'sysName.0': 'edge-7', 'ifInOctets.3': 42, 'ifName.3': 'eth3', '1.3.6.1.4.1.2021.10.1.5.1': 12 },
      varbinds: [
        { oid: '1.3.6.1.2.1.1.3.0', name: 'SNMPv2-MIB::sysUpTime.0', type: 'TimeTicks', value: 8640000 },
        { oid: '1.3.6.1.2.1.1.5.0', name: 'SNMPv2-MIB::sysName.0', type: 'OctetString', value: 'edge-7' },
        { oid: '1.3.6.1.2.1.2.2.1.10.3', name: 'IF-MIB::ifInOctets.3', type: 'Counter32', value: 42 },
        { oid: '1.3.6.1.2.1.31.1.1.1.1.3', name: 'IF-MIB::ifName.3', type: 'OctetString', value: 'eth3' },
        { oid: '1.3.6.1.4.1.2021.10.1.5.1', name: '1.3.6.1.4.1.2021.10.1.5.1', type: 'Integer', value: 12 },
      ],
    }, OPTS, r.sink);
    assert.deepEqual(r.samples.map((s) => [s.field, s.kind, s.type, s.labels]), [
      ['sysUpTime', 'gauge', 'TimeTicks', '{device="edge-7",host="[2001:db8::5]:1161"}'],
      ['ifInOctets', 'counter', 'Counter32', '{device="edge-7",host="[2001:db8::5]:1161",index="3",ifName="eth3"}'],
      ['1.3.6.1.4.1.2021.10.1.5.1', 'gauge', 'Integer', '{device="edge-7",host="[2001:db8::5]:1161"}'],
    ]);
  });

  it('reads counter-rate output as rates (gauges), not as counters', () => {
    const r = reader();
    readMessage({
      topic: 'r', payload: [{ index: '1', ifHCInOctets: 8123.5, ifHighSpeed: 1000 }], types: { ifHCInOctets: 'Counter64', ifHighSpeed: 'Gauge32' },
      counterRate: { mode: 'rate', scale: 8 },
    }, OPTS, r.sink);
    assert.deepEqual(r.samples.map((s) => [s.field, s.kind, s.variant, s.value]), [['ifHCInOctets', 'gauge', 'rate', 8123.5], ['ifHighSpeed', 'gauge', 'raw', 1000]]);
    const d = reader();
    readMessage({ topic: 'r', payload: { 'ifInOctets.1': 10 }, varbinds: [{ name: 'IF-MIB::ifInOctets.1', type: 'Counter32', value: 1 }], counterRate: { mode: 'delta', scale: 1 } }, OPTS, d.sink);
    assert.equal(d.samples[0].variant, 'delta');
  });

  it('takes untyped numbers as gauges, leaves text, booleans and nulls out', () => {
    const r = reader();
    const outcome = readMessage({ topic: 'x', payload: { temperature: 21.5, ok: true, name: 'n', missing: null, nested: { a: 1 } } }, OPTS, r.sink);
    assert.equal(outcome, 'values');
    assert.deepEqual(r.samples.map((s) => [s.field, s.kind, s.labels]), [['temperature', 'gauge', '{device="x"}']]);
  });

  it('counts bad numbers and says when a message holds none', () => {
    const r = reader();
    const outcome = readMessage({ topic: 'x', payload: [{ index: '1', a: Number.NaN, b: Infinity, c: -5 }], types: { c: 'Counter32' } }, OPTS, r.sink);
    assert.equal(outcome, 'values');
    assert.deepEqual(r.drops.map(([reason]) => reason), ['not-finite', 'not-finite', 'negative-counter']);
    assert.equal(readMessage({ topic: 'x', payload: { a: 'text' } }, OPTS, reader().sink), 'no-values');
    assert.equal(readMessage({ topic: 'x', payload: [] }, OPTS, reader().sink), 'no-values');
    assert.equal(readMessage({ topic: 'x', payload: 'text' }, OPTS, reader().sink), 'not-an-object');
    assert.equal(readMessage({ topic: 'x', payload: 5 }, OPTS, reader().sink), 'not-an-object');
    assert.equal(readMessage({ topic: 'x', payload: null, error: { code: 'timeout' } }, OPTS, reader().sink), 'failure');
  });

  it('renames inventory labels that clash with its own, caps their number, and cuts runaway values', () => {
    const r = reader();
    const labels: Record<string, string> = { device: 'spoof', index: 'i', ifName: 'n', 'bad key': 'v' };
    for (let i = 0; i < 40; i++) labels[`k${String(i).padStart(2, '0')}`] = String(i);
    readMessage({ topic: 'd', device: { host: 'h', labels }, payload: [{ index: '1', ifName: 'x'.repeat(5000), v: 1 }] }, OPTS, r.sink);
    const text = r.samples[0].labels;
    assert.match(text, /exported_device="spoof"/);
    assert.match(text, /exported_index="i"/);
    assert.match(text, /exported_ifName="n"/);
    assert.match(text, /bad_key="v"/);
    assert.equal((text.match(/,k\d\d=/g) ?? []).length, MAX_DEVICE_LABELS - 4);
    assert.ok(r.drops.some(([reason]) => reason === 'labels-capped'));
    assert.equal(r.cuts, 1);
    assert.ok(text.length < 1024 + 2000);
  });

  it('splits payload keys into column and instance, numeric OIDs whole', () => {
    assert.deepEqual(splitKey('ifHCInOctets.3'), ['ifHCInOctets', '3']);
    assert.deepEqual(splitKey('ipAdEntAddr.192.0.2.1'), ['ipAdEntAddr', '192.0.2.1']);
    assert.deepEqual(splitKey('sysName'), ['sysName', '']);
    assert.deepEqual(splitKey('1.3.6.1.2.1.1.5.0'), ['1.3.6.1.2.1.1.5.0', '']);
  });

  it('reads the alerts of threshold-alert, whatever its output format', () => {
    const sink = reader().sink;
    const alert = { status: 'firing', alertname: 'HighUtilization', severity: 'warning', device: 'core-1', instance: '2', labels: { site: 'paris' } };
    assert.deepEqual(readAlerts({ payload: { blocks: [] }, alert }, sink), [
      { firing: true, labels: '{alertname="HighUtilization",severity="warning",device="core-1",instance="2",site="paris"}' },
    ]);
    assert.deepEqual(readAlerts({ payload: { ...alert, status: 'resolved', instance: '' } }, sink).map((a) => a.firing), [false]);
    assert.equal(readAlerts({ alert: [alert, { ...alert, device: 'core-2' }] }, sink).length, 2, 'grouped notifications');
    assert.deepEqual(readAlerts({ payload: [{ index: '1', x: 1 }] }, sink), []);
    assert.deepEqual(readAlerts({ payload: { status: 'firing' } }, sink), [], 'no alertname, no alert');
  });

  it('reads a group (threshold-alert\'s default grouping) as its alerts, each with its instance', () => {
    const sink = reader().sink;
    const down = (instance: string, status: string) => ({ status, alertname: 'InterfaceDown', severity: 'warning', device: 'sim-0000', instance, labels: {} });
    // both links go down: one message for the device
    const both = { status: 'firing', groupKey: 'sim-0000', device: 'sim-0000', alertname: 'InterfaceDown', severity: 'warning', counts: { firing: 2, resolved: 0 }, stillFiring: 0, alerts: [down('Gi0/1', 'firing'), down('Gi0/3', 'firing')] };
    assert.deepEqual(readAlerts({ payload: both, alert: both }, sink), [
      { firing: true, labels: '{alertname="InterfaceDown",severity="warning",device="sim-0000",instance="Gi0/1"}' },
      { firing: true, labels: '{alertname="InterfaceDown",severity="warning",device="sim-0000",instance="Gi0/3"}' },
    ]);
    // Gi0/1 comes back, Gi0/3 stays down: the group resolves only Gi0/1
    const one = { ...both, status: 'resolved', counts: { firing: 0, resolved: 1 }, stillFiring: 1, alerts: [down('Gi0/1', 'resolved')] };
    assert.deepEqual(readAlerts({ payload: one, alert: one }, sink), [
      { firing: false, labels: '{alertname="InterfaceDown",severity="warning",device="sim-0000",instance="Gi0/1"}' },
    ]);
  });
});
