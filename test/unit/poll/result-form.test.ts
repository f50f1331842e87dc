/**
 * The JSON form of a poll result: a walk's rows and a get's object survive JSON text
 * (exact Counter64 up to 2^64 - 1), come back as the poll node's message, and give
 * counter-rate exactly the rates the message itself gives, through wraps, reboots and
 * resets; forms that are not one are refused with a reason.
 */
import { strict as assert } from 'assert';
import fc from 'fast-check';
import { decodeResultForm, isResultForm, ResultFormError, RESULT_FORM_VERSION } from '../../../src/lib/common/result-form';
import { buildRows, payloadObject, rowsResultForm } from '../../../src/lib/poll/messages';
import type { PollSuccess } from '../../../src/lib/poll/device-poll';
import type { OidInfo, Varbind } from '../../../src/lib/common/types';
import { CounterRateEngine } from '../../../src/lib/counter-rate/engine';

const DEVICE = { host: '192.0.2.10', port: 161, name: 'core-1', labels: { site: 'par' } };
const HC_IN = '1.3.6.1.2.1.31.1.1.1.6';
const IN_ERRORS = '1.3.6.1.2.1.2.2.1.14';
const DESCR = '1.3.6.1.2.1.2.2.1.2';
const UPTIME = '1.3.6.1.2.1.1.3.0';

function info(oid: string, module: string, name: string, instance: string): OidInfo {
  return { oid, module, name, instance };
}

/** A walk of sysUpTime (non-repeater) and three columns over `rows` interfaces, as device-poll returns it. */
function walk(time: number, uptime: number, octets: bigint[], errors: number[]): PollSuccess {
  const varbinds: Varbind[] = [{ oid: UPTIME, name: 'SNMPv2-MIB::sysUpTime.0', type: 'TimeTicks', value: uptime }];
  const infos: Array<OidInfo | undefined> = [info('1.3.6.1.2.1.1.3', 'SNMPv2-MIB', 'sysUpTime', '0')];
  octets.forEach((o, i) => {
    const idx = String(i + 1);
    varbinds.push({ oid: `${DESCR}.${idx}`, name: `IF-MIB::ifDescr.${idx}`, type: 'OctetString', value: `eth${i}` });
    infos.push(info(DESCR, 'IF-MIB', 'ifDescr', idx));
    varbinds.push({ oid: `${HC_IN}.${idx}`, name: `IF-MIB::ifHCInOctets.${idx}`, type: 'Counter64', value: Number(o), exact: o.toString() });
    infos.push(info(HC_IN, 'IF-MIB', 'ifHCInOctets', idx));
    varbinds.push({ oid: `${IN_ERRORS}.${idx}`, name: `IF-MIB::ifInErrors.${idx}`, type: 'Counter32', value: errors[i] });
    infos.push(info(IN_ERRORS, 'IF-MIB', 'ifInErrors', idx));
  });
  return { ok: true, device: DEVICE, varbinds, infos, nonRepeaterCount: 1, time, elapsedMs: 3, requests: 2 };
}

function base(r: PollSuccess) {
  return { topic: DEVICE.name, device: { ...DEVICE, labels: { ...DEVICE.labels } }, snmp: { time: r.time, elapsedMs: r.elapsedMs, version: '2c' as const, requests: r.requests } };
}

/** The message snmp-bulkwalk sends (rows output). */
function rowsMessage(r: PollSuccess) {
  const { rows, types } = buildRows(r);
  return { ...base(r), payload: rows, types, varbinds: r.varbinds };
}

/** The same result after JSON form → MQTT text → decode. */
function throughMqtt(r: PollSuccess) {
  const text = JSON.stringify(rowsResultForm(base(r), r));
  return decodeResultForm(JSON.parse(text));
}

const engine = () => new CounterRateEngine({ width: 'auto', mode: 'rate', scale: 8, expireMs: 3600_000 });

describe('the JSON form of a poll result', () => {
  it('a walk: Counter64 cells travel as exact decimal text and come back as the message', () => {
    const big = 2n ** 64n - 1n;
    const r = walk(1_000_000, 500, [big, 12n], [7, 0]);
    const form = rowsResultForm(base(r), r);
    assert.equal(form.snmpResult, RESULT_FORM_VERSION);
    assert.equal((form.payload as any)[0].ifHCInOctets, big.toString(), 'exact beyond 2^53');
    assert.equal((form.payload as any)[1].ifHCInOctets, '12');
    assert.deepEqual(form.columns, { ifHCInOctets: HC_IN });
    assert.deepEqual(form.scalars!.map((v) => v.oid), [UPTIME]);
    assert.ok(!('varbinds' in form), 'no varbinds: the rows carry the values');
    const back = decodeResultForm(JSON.parse(JSON.stringify(form)));
    const direct = rowsMessage(r);
    assert.deepEqual(back.payload, direct.payload);
    assert.deepEqual(back.types, direct.types);
    assert.deepEqual(back.device, direct.device);
    assert.deepEqual(back.snmp, direct.snmp);
    const hc = back.varbinds!.filter((v) => v.type === 'Counter64');
    assert.deepEqual(hc.map((v) => [v.oid, v.name, v.exact]), [[`${HC_IN}.1`, 'ifHCInOctets.1', big.toString()], [`${HC_IN}.2`, 'ifHCInOctets.2', '12']]);
    assert.equal(back.varbinds![0].oid, UPTIME, 'the non-repeater is back for reboot detection');
  });

  it('counter-rate gives the very same rates from the form as from the message, for any counters', () => {
    const sample = fc.record({
      dt: fc.integer({ min: 1000, max: 120_000 }),
      reboot: fc.boolean(),
      octets: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 2, maxLength: 2 }),
      errors: fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { minLength: 2, maxLength: 2 }),
    });
    fc.assert(fc.property(fc.array(sample, { minLength: 2, maxLength: 6 }), (samples) => {
      const direct = engine();
      const remote = engine();
      let time = 1_700_000_000_000;
      let uptime = 100_000;
      for (const s of samples) {
        time += s.dt;
        uptime = s.reboot ? 50 : uptime + s.dt / 10;
        const r = walk(time, uptime, s.octets, s.errors);
        const m = rowsMessage(r);
        const d = throughMqtt(r);
        const a = direct.process({ topic: m.topic, payload: m.payload, types: m.types, varbinds: m.varbinds, time: m.snmp.time });
        const b = remote.process({ topic: d.topic, payload: d.payload as any, types: d.types, varbinds: d.varbinds, time: d.snmp.time });
        assert.deepEqual(d.payload, m.payload, 'the same rates, in place');
        assert.deepEqual(b.events, a.events);
      }
      assert.deepEqual(remote.state, direct.state, 'and the same stored samples');
    }), { numRuns: 300 });
  });

  it('a get: the object and its varbinds as they are', () => {
    const varbinds: Varbind[] = [
      { oid: '1.3.6.1.2.1.1.3.0', name: 'SNMPv2-MIB::sysUpTime.0', type: 'TimeTicks', value: 42 },
      { oid: `${HC_IN}.3`, name: 'IF-MIB::ifHCInOctets.3', type: 'Counter64', value: 2 ** 60, exact: (2n ** 60n + 1n).toString() },
    ];
    const payload = payloadObject(varbinds, [info('1.3.6.1.2.1.1.3', 'SNMPv2-MIB', 'sysUpTime', '0'), info(HC_IN, 'IF-MIB', 'ifHCInOctets', '3')]);
    const form = { snmpResult: 1, topic: 'core-1', device: DEVICE, snmp: { time: 5, elapsedMs: 1, version: '2c' }, payload, varbinds };
    const back = decodeResultForm(JSON.parse(JSON.stringify(form)));
    assert.deepEqual(back.payload, payload);
    assert.deepEqual(back.varbinds, varbinds);
  });

  it('a failure: payload null and the error', () => {
    const form = { snmpResult: 1, topic: 'dead-1', device: DEVICE, snmp: { time: 5, elapsedMs: 1, version: '2c' }, payload: null, error: { code: 'timeout', message: 'no answer', source: { id: 'w', type: 'snmp-get' } } };
    const back = decodeResultForm(form);
    assert.equal(back.payload, null);
    assert.deepEqual(back.error, form.error);
  });

  it('a bad-target failure: its device only when the entry named one, the entry as it was; any other failure needs its device', () => {
    const error = { code: 'bad-target', message: 'msg.targets[1] (bad host): not a host', index: 1 };
    const form = { snmpResult: 1, topic: 'typo', snmp: { time: 5, elapsedMs: 0, requests: 0 }, payload: null, target: { host: 'bad host' }, error };
    const back = decodeResultForm(JSON.parse(JSON.stringify(form)));
    assert.equal(back.device, undefined);
    assert.deepEqual(back.target, { host: 'bad host' });
    assert.deepEqual(back.error, error);
    assert.deepEqual(decodeResultForm({ ...form, device: DEVICE }).device, DEVICE);
    assert.throws(() => decodeResultForm({ ...form, device: { host: 1 } }), /device/);
    assert.throws(() => decodeResultForm({ ...form, error: { ...error, code: 'timeout' } }), /device/);
    assert.throws(() => decodeResultForm({ ...form, payload: [], types: {} }), /device/, 'rows need a device');
  });

  it('refuses what is not a result, saying what is wrong', () => {
    const ok = { snmpResult: 1, topic: 't', device: DEVICE, snmp: { time: 5 }, payload: [], types: {} };
    decodeResultForm(ok);
    const bad: Array<[unknown, RegExp]> = [
      [{ ...ok, snmpResult: 2 }, /unknown version/],
      [{ ...ok, topic: '' }, /topic/],
      [{ ...ok, device: { host: 1 } }, /device/],
      [{ ...ok, device: { ...DEVICE, labels: { a: 1 } } }, /labels/],
      [{ ...ok, snmp: { time: 'now' } }, /snmp\.time/],
      [{ ...ok, payload: null }, /error/],
      [{ ...ok, payload: 'x' }, /payload/],
      [{ ...ok, types: undefined }, /types/],
      [{ ...ok, payload: [{ index: '1', c: 'nope' }], types: { c: 'Counter64' } }, /Counter64/],
      [{ ...ok, payload: [{ index: '1', c: String(2n ** 64n) }], types: { c: 'Counter64' } }, /Counter64/],
      [{ ...ok, payload: [5] }, /row 0/],
      [{ ...ok, payload: new Array(100001).fill({}) }, /rows/],
      [{ ...ok, scalars: [{ oid: 1 }] }, /scalars/],
    ];
    for (const [form, why] of bad) {
      assert.throws(() => decodeResultForm(form), (err: Error) => err instanceof ResultFormError && why.test(err.message), JSON.stringify(form).slice(0, 80));
    }
    assert.equal(isResultForm({ payload: 1 }), false);
    assert.equal(isResultForm([1]), false);
  });
});
