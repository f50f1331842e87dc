import { strict as assert } from 'assert';
import fc from 'fast-check';
import {
  CounterRateEngine,
  emptyCounterState,
  restoreCounterState,
  type CounterInput,
  type CounterRateOptions,
} from '../../../src/lib/counter-rate/engine';
import { counterStep, rateOf } from '../../../src/lib/counter-rate/counter-math';

const T0 = 1_700_000_000_000;
const OPTS: CounterRateOptions = { width: 'auto', mode: 'rate', scale: 1, expireMs: 3_600_000 };

interface IfRow {
  index: string;
  ifDescr?: string;
  ifHCInOctets?: bigint;
  ifInOctets?: number;
  ifHighSpeed?: number;
  ifCounterDiscontinuityTime?: number;
}

/** A message as snmp-bulkwalk sends it in rows mode (varbinds + types + rows). */
function walkMessage(rows: IfRow[], time: number, uptime?: number): CounterInput {
  const varbinds: any[] = [];
  if (uptime !== undefined) varbinds.push({ oid: '1.3.6.1.2.1.1.3.0', name: 'SNMPv2-MIB::sysUpTime.0', type: 'TimeTicks', value: uptime });
  const types: Record<string, string> = { ifDescr: 'OctetString', ifHCInOctets: 'Counter64', ifInOctets: 'Counter32', ifHighSpeed: 'Gauge32', ifCounterDiscontinuityTime: 'TimeTicks' };
  const payload = rows.map((r) => {
    const row: Record<string, unknown> = { index: r.index };
    if (r.ifDescr !== undefined) row.ifDescr = r.ifDescr;
    if (r.ifHCInOctets !== undefined) {
      row.ifHCInOctets = Number(r.ifHCInOctets);
      varbinds.push({ oid: `1.3.6.1.2.1.31.1.1.1.6.${r.index}`, name: `IF-MIB::ifHCInOctets.${r.index}`, type: 'Counter64', value: Number(r.ifHCInOctets), exact: r.ifHCInOctets.toString() });
    }
    if (r.ifInOctets !== undefined) {
      row.ifInOctets = r.ifInOctets;
      varbinds.push({ oid: `1.3.6.1.2.1.2.2.1.10.${r.index}`, name: `IF-MIB::ifInOctets.${r.index}`, type: 'Counter32', value: r.ifInOctets });
    }
    if (r.ifHighSpeed !== undefined) row.ifHighSpeed = r.ifHighSpeed;
    if (r.ifCounterDiscontinuityTime !== undefined) row.ifCounterDiscontinuityTime = r.ifCounterDiscontinuityTime;
    return row;
  });
  return { topic: 'core-1', payload, varbinds, types, time };
}

describe('counter-rate engine', () => {
  it('rates walk rows exactly from varbind exact values, keeping other fields', () => {
    const e = new CounterRateEngine(OPTS);
    const base = 2n ** 60n; // far beyond 2^53: the payload numbers are rounded
    const first = walkMessage([{ index: '3', ifDescr: 'eth0', ifHCInOctets: base }], T0);
    const r1 = e.process(first);
    assert.equal(r1.rated, 0);
    assert.deepEqual(first.payload, [{ index: '3', ifDescr: 'eth0' }], 'first sample: counter removed, tags kept');
    const second = walkMessage([{ index: '3', ifDescr: 'eth0', ifHCInOctets: base + 12_345n }], T0 + 5000);
    const r2 = e.process(second);
    assert.equal(r2.rated, 1);
    assert.deepEqual(second.payload, [{ index: '3', ifDescr: 'eth0', ifHCInOctets: 2469 }]);
    assert.equal(e.series, 1);
  });

  it('rates an snmp-get object payload and leaves gauges and TimeTicks alone', () => {
    const e = new CounterRateEngine({ ...OPTS, scale: 8 });
    const msg = (octets: bigint, t: number, up: number): CounterInput => ({
      topic: 'edge-2',
      payload: { 'sysUpTime.0': up, 'ifHCInOctets.3': Number(octets), 'ifHighSpeed.3': 1000 },
      varbinds: [
        { oid: '1.3.6.1.2.1.1.3.0', name: 'SNMPv2-MIB::sysUpTime.0', type: 'TimeTicks', value: up },
        { oid: '1.3.6.1.2.1.31.1.1.1.6.3', name: 'IF-MIB::ifHCInOctets.3', type: 'Counter64', value: Number(octets), exact: octets.toString() },
        { oid: '1.3.6.1.2.1.31.1.1.1.15.3', name: 'IF-MIB::ifHighSpeed.3', type: 'Gauge32', value: 1000 },
      ],
      time: t,
    });
    e.process(msg(1000n, T0, 100_000));
    const m = msg(1000n + 112_500_000n, T0 + 1000, 100_100);
    e.process(m);
    assert.deepEqual(m.payload, { 'sysUpTime.0': 100_100, 'ifHCInOctets.3': 900e6, 'ifHighSpeed.3': 1000 });
  });

  it('reads untyped payloads with the configured width', () => {
    const e32 = new CounterRateEngine({ ...OPTS, width: 32 });
    e32.process({ topic: 'd', payload: { rx: 2 ** 32 - 100, name: 'x' }, time: T0 });
    const m = { topic: 'd', payload: { rx: 100, name: 'x' } as Record<string, unknown>, time: T0 + 2000 };
    const r = e32.process(m);
    assert.equal(m.payload.rx, 100, '200 octets through the wrap in 2 s');
    assert.equal(r.events[0].kind, 'wrap');

    const eAuto = new CounterRateEngine(OPTS);
    eAuto.process({ topic: 'd', payload: { rx: 2 ** 32 - 100 }, time: T0 });
    const m2 = { topic: 'd', payload: { rx: 100 } as Record<string, unknown>, time: T0 + 2000 };
    const r2 = eAuto.process(m2);
    assert.equal('rx' in m2.payload, false, 'auto width on untyped data: a decrease is a reset');
    assert.deepEqual(r2.events.map((x) => [x.kind, x.reason]), [['reset', 'decrease']]);
  });

  it('never rates signal fields of untyped payloads', () => {
    const e = new CounterRateEngine(OPTS);
    e.process({ topic: 'd', payload: { 'sysUpTime.0': 100, 'ifSpeed.1': 1e9, rx: 5 }, time: T0 });
    const m = { topic: 'd', payload: { 'sysUpTime.0': 200, 'ifSpeed.1': 1e9, rx: 15 } as Record<string, unknown>, time: T0 + 1000 };
    e.process(m);
    assert.deepEqual(m.payload, { 'sysUpTime.0': 200, 'ifSpeed.1': 1e9, rx: 10 });
  });

  it('a sysUpTime drop resets every series of the device once, then rates resume', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 5000n }, { index: '2', ifHCInOctets: 9000n }], T0, 500_000));
    const reboot = walkMessage([{ index: '1', ifHCInOctets: 6000n }, { index: '2', ifHCInOctets: 100n }], T0 + 60_000, 1000);
    const r = e.process(reboot);
    assert.equal(r.rated, 0);
    assert.deepEqual(r.events.map((x) => [x.kind, x.reason]), [['reset', 'uptime']], 'one event per device, not per series');
    assert.equal(e.resets, 1);
    const after = walkMessage([{ index: '1', ifHCInOctets: 12_000n }, { index: '2', ifHCInOctets: 700n }], T0 + 120_000, 7000);
    e.process(after);
    assert.deepEqual((after.payload as any[]).map((x) => x.ifHCInOctets), [100, 10]);
  });

  it('a reboot ends the series of rows the device does not list yet: back later, they start afresh, not as a wrap', () => {
    const e = new CounterRateEngine(OPTS);
    // Counter32 under a 1 Gb/s ifHighSpeed: a drop from 3e9 to 900 would pass as a plausible wrap
    e.process(walkMessage([{ index: '1', ifInOctets: 3_000_000_000, ifHighSpeed: 1000 }, { index: '2', ifInOctets: 3_000_000_000, ifHighSpeed: 1000 }], T0, 500_000_000));
    // rebooted 20 s ago; row 2's line card is not up yet
    const reboot = e.process(walkMessage([{ index: '1', ifInOctets: 100, ifHighSpeed: 1000 }], T0 + 60_000, 2000));
    assert.deepEqual(reboot.events.map((x) => [x.kind, x.reason, x.count]), [['reset', 'uptime', 2]]);
    assert.equal(e.series, 1, "row 2's old sample is gone with the reboot");
    const back = walkMessage([{ index: '1', ifInOctets: 1000, ifHighSpeed: 1000 }, { index: '2', ifInOctets: 900, ifHighSpeed: 1000 }], T0 + 120_000, 8000);
    const r = e.process(back);
    assert.deepEqual(r.events, [], 'no wrap');
    assert.deepEqual((back.payload as any[]).map((x) => x.ifInOctets), [15, undefined], 'row 1 rated, row 2 a new baseline');
    const next = walkMessage([{ index: '1', ifInOctets: 1600, ifHighSpeed: 1000 }, { index: '2', ifInOctets: 1500, ifHighSpeed: 1000 }], T0 + 180_000, 14_000);
    e.process(next);
    assert.deepEqual((next.payload as any[]).map((x) => x.ifInOctets), [10, 10]);
  });

  it('a late message from before a reboot becomes the baseline of sysUpTime too: the next poll sees the reboot again', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifInOctets: 4_000_000_000, ifHighSpeed: 1000 }], T0, 100_000_000));
    const reboot = e.process(walkMessage([{ index: '1', ifInOctets: 1000, ifHighSpeed: 1000 }], T0 + 60_000, 3000));
    assert.deepEqual(reboot.events.map((x) => x.reason), ['uptime']);
    // delayed on its way: polled at 30 s, before the reboot
    const late = e.process(walkMessage([{ index: '1', ifInOctets: 4_100_000_000, ifHighSpeed: 1000 }], T0 + 30_000, 100_003_000));
    assert.deepEqual(late.events.map((x) => x.kind), ['time-backwards']);
    const m = walkMessage([{ index: '1', ifInOctets: 2000, ifHighSpeed: 1000 }], T0 + 120_000, 9000);
    const r = e.process(m);
    assert.deepEqual(r.events.map((x) => [x.kind, x.reason]), [['reset', 'uptime']], 'a reset, not a wrap from the late baseline');
    assert.equal(r.rated, 0);
  });

  describe('with the node\'s clock: a late message is left out, a clock set back rebases', () => {
    const at = (m: CounterInput, now: number): CounterInput => ({ ...m, now });

    it('a late message rates nothing and moves no baseline: delta sums stay what the counter grew', () => {
      const e = new CounterRateEngine({ ...OPTS, mode: 'delta' });
      const deltas: number[] = [];
      const poll = (v: bigint, t: number, now: number) => {
        const m = at(walkMessage([{ index: '1', ifHCInOctets: v }], t), now);
        const r = e.process(m);
        const d = (m.payload as any[])[0].ifHCInOctets;
        if (d !== undefined) deltas.push(d);
        return r;
      };
      poll(0n, T0, T0);
      poll(240_000n, T0 + 120_000, T0 + 120_000);
      // polled at 60 s, delivered after the 120-s poll (an MQTT backlog)
      const late = poll(60_000n, T0 + 60_000, T0 + 125_000);
      assert.deepEqual(late.events.map((x) => x.kind), ['time-backwards']);
      poll(300_000n, T0 + 180_000, T0 + 180_000);
      assert.deepEqual(deltas, [240_000, 60_000], 'the sum is the growth, 300,000, not 480,000');
    });

    it('a late message from before a reboot does not bring the old sysUpTime back (no false reboot next)', () => {
      const e = new CounterRateEngine(OPTS);
      e.process(at(walkMessage([{ index: '1', ifInOctets: 4_000_000_000, ifHighSpeed: 1000 }], T0, 100_000_000), T0));
      e.process(at(walkMessage([{ index: '1', ifInOctets: 1000, ifHighSpeed: 1000 }], T0 + 60_000, 3000), T0 + 60_000));
      e.process(at(walkMessage([{ index: '1', ifInOctets: 9000, ifHighSpeed: 1000 }], T0 + 120_000, 9000), T0 + 120_000));
      e.process(at(walkMessage([{ index: '1', ifInOctets: 4_100_000_000, ifHighSpeed: 1000 }], T0 + 30_000, 103_000), T0 + 121_000));
      const m = at(walkMessage([{ index: '1', ifInOctets: 15_000, ifHighSpeed: 1000 }], T0 + 180_000, 15_000), T0 + 180_000);
      const r = e.process(m);
      assert.deepEqual(r.events, [], 'no reset');
      assert.equal((m.payload as any[])[0].ifInOctets, 100, '6000 octets in 60 s');
    });

    it('a message older than the last while the last lies ahead of the clock is a clock set back: it becomes the baseline', () => {
      const e = new CounterRateEngine(OPTS);
      e.process(at(walkMessage([{ index: '1', ifHCInOctets: 1000n }], T0 + 3_600_000), T0 + 3_600_000));
      // the clock went back an hour
      const stepped = e.process(at(walkMessage([{ index: '1', ifHCInOctets: 7000n }], T0), T0));
      assert.deepEqual(stepped.events.map((x) => x.kind), ['time-backwards']);
      const m = at(walkMessage([{ index: '1', ifHCInOctets: 13_000n }], T0 + 60_000), T0 + 60_000);
      e.process(m);
      assert.equal((m.payload as any[])[0].ifHCInOctets, 100, 'rated against the new baseline');
    });
  });

  it('after the clock steps back, sysUpTime still tells a reboot', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifInOctets: 4_000_000_000, ifHighSpeed: 1000 }], T0 + 3_600_000, 100_000_000));
    // the clock went back an hour: the sample becomes the baseline
    const stepped = e.process(walkMessage([{ index: '1', ifInOctets: 4_000_000_600, ifHighSpeed: 1000 }], T0 + 60_000, 100_006_000));
    assert.deepEqual(stepped.events.map((x) => x.kind), ['time-backwards']);
    const r = e.process(walkMessage([{ index: '1', ifInOctets: 500, ifHighSpeed: 1000 }], T0 + 120_000, 2000));
    assert.deepEqual(r.events.map((x) => [x.kind, x.reason]), [['reset', 'uptime']]);
    assert.equal(r.rated, 0);
  });

  it("a late message's ifCounterDiscontinuityTime is recorded but not reported as a reset", () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 5000n, ifCounterDiscontinuityTime: 0 }], T0));
    const changed = e.process(walkMessage([{ index: '1', ifHCInOctets: 100n, ifCounterDiscontinuityTime: 400 }], T0 + 60_000));
    assert.deepEqual(changed.events.map((x) => x.reason), ['discontinuity']);
    const late = e.process(walkMessage([{ index: '1', ifHCInOctets: 5300n, ifCounterDiscontinuityTime: 0 }], T0 + 30_000));
    assert.deepEqual(late.events.map((x) => x.kind), ['time-backwards'], 'no reset event for old news');
    // the late sample is the baseline now, from before the row's reset: the next poll must not rate against it
    const m = walkMessage([{ index: '1', ifHCInOctets: 700n, ifCounterDiscontinuityTime: 400 }], T0 + 120_000);
    const r = e.process(m);
    assert.deepEqual(r.events.map((x) => [x.kind, x.reason]), [['reset', 'discontinuity']]);
    assert.equal(r.rated, 0);
  });

  it('a reboot that also moves ifCounterDiscontinuityTime is one reset; rates resume on the next poll', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 5000n, ifCounterDiscontinuityTime: 0 }], T0, 900_000));
    const r = e.process(walkMessage([{ index: '1', ifHCInOctets: 100n, ifCounterDiscontinuityTime: 100 }], T0 + 60_000, 200));
    assert.deepEqual(r.events.map((x) => x.reason), ['uptime']);
    const m = walkMessage([{ index: '1', ifHCInOctets: 700n, ifCounterDiscontinuityTime: 100 }], T0 + 66_000, 800);
    const r2 = e.process(m);
    assert.deepEqual(r2.events, []);
    assert.equal((m.payload as any[])[0].ifHCInOctets, 100);
  });

  it("sysUpTime's own wrap after 497 days does not reset", () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 5000n }], T0, 2 ** 32 - 1000));
    const m = walkMessage([{ index: '1', ifHCInOctets: 11_000n }], T0 + 60_000, 5000);
    const r = e.process(m);
    assert.deepEqual(r.events, []);
    assert.equal((m.payload as any[])[0].ifHCInOctets, 100);
  });

  it('a changed ifCounterDiscontinuityTime resets only that row', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 5000n, ifCounterDiscontinuityTime: 0 }, { index: '2', ifHCInOctets: 5000n, ifCounterDiscontinuityTime: 0 }], T0));
    const m = walkMessage([{ index: '1', ifHCInOctets: 6000n, ifCounterDiscontinuityTime: 0 }, { index: '2', ifHCInOctets: 6000n, ifCounterDiscontinuityTime: 4711 }], T0 + 1000);
    const r = e.process(m);
    assert.deepEqual(r.events.map((x) => [x.kind, x.reason, x.index]), [['reset', 'discontinuity', '2']]);
    assert.equal((m.payload as any[])[0].ifHCInOctets, 1000);
    assert.equal('ifHCInOctets' in (m.payload as any[])[1], false);
  });

  it('a changed ifCounterDiscontinuityTime.N resets instance N of an object payload', () => {
    const e = new CounterRateEngine({ ...OPTS, width: 64 });
    e.process({ topic: 'd', payload: { 'ifHCInOctets.1': 10, 'ifHCInOctets.2': 10, 'ifCounterDiscontinuityTime.2': 7 }, time: T0 });
    const m = { topic: 'd', payload: { 'ifHCInOctets.1': 20, 'ifHCInOctets.2': 20, 'ifCounterDiscontinuityTime.2': 99 } as Record<string, unknown>, time: T0 + 1000 };
    const r = e.process(m);
    assert.deepEqual(m.payload, { 'ifHCInOctets.1': 10, 'ifCounterDiscontinuityTime.2': 99 });
    assert.deepEqual(r.events.map((x) => [x.reason, x.index]), [['discontinuity', '2']]);
  });

  it('judges Counter32 wraps against ifHighSpeed of the same row', () => {
    const e = new CounterRateEngine(OPTS);
    // 100 Mb/s link = 12.5e6 octets/s; 10 s at most 125e6 octets (+10 % headroom).
    e.process(walkMessage([{ index: '1', ifInOctets: 2 ** 32 - 50_000_000, ifHighSpeed: 100 }, { index: '2', ifInOctets: 3_000_000_000, ifHighSpeed: 100 }], T0));
    const m = walkMessage([{ index: '1', ifInOctets: 50_000_000, ifHighSpeed: 100 }, { index: '2', ifInOctets: 1_000_000, ifHighSpeed: 100 }], T0 + 10_000);
    const r = e.process(m);
    const rows = m.payload as any[];
    assert.equal(rows[0].ifInOctets, 10_000_000, 'plausible wrap: 100e6 octets in 10 s');
    assert.equal('ifInOctets' in rows[1], false, 'implausible wrap (~130 MB/s on 100 Mb/s): reset');
    assert.deepEqual(r.events.map((x) => [x.kind, x.reason ?? '', x.index]), [['wrap', '', '1'], ['reset', 'implausible-wrap', '2']]);
  });

  it('takes maxRate in output units (after scale)', () => {
    const e = new CounterRateEngine({ ...OPTS, width: 32, scale: 8, maxRate: 100e6 }); // 100 Mb/s
    e.process({ topic: 'd', payload: { rx: 3_000_000_000 }, time: T0 });
    const m = { topic: 'd', payload: { rx: 1_000_000 } as Record<string, unknown>, time: T0 + 10_000 };
    assert.equal(e.process(m).events[0].reason, 'implausible-wrap');
  });

  it('mode delta gives the scaled increase per poll', () => {
    const e = new CounterRateEngine({ ...OPTS, mode: 'delta', scale: 8 });
    e.process(walkMessage([{ index: '1', ifHCInOctets: 100n }], T0));
    const m = walkMessage([{ index: '1', ifHCInOctets: 350n }], T0 + 30_000);
    e.process(m);
    assert.equal((m.payload as any[])[0].ifHCInOctets, 2000);
  });

  it('two messages with the same poll time: no rate, the first stays the baseline', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 100n }], T0));
    const dup = walkMessage([{ index: '1', ifHCInOctets: 150n }], T0);
    const r = e.process(dup);
    assert.deepEqual(r.events, [{ kind: 'same-time', topic: 'core-1', count: 1 }]);
    assert.equal('ifHCInOctets' in (dup.payload as any[])[0], false);
    const next = walkMessage([{ index: '1', ifHCInOctets: 300n }], T0 + 2000);
    e.process(next);
    assert.equal((next.payload as any[])[0].ifHCInOctets, 100, '(300-100)/2 s from the first sample');
  });

  it('an older message (clock back, reordering) gives no rate and becomes the baseline', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walkMessage([{ index: '1', ifHCInOctets: 5000n }], T0 + 60_000));
    const late = walkMessage([{ index: '1', ifHCInOctets: 4000n }], T0);
    const r = e.process(late);
    assert.deepEqual(r.events, [{ kind: 'time-backwards', topic: 'core-1', count: 1 }]);
    assert.equal(r.rated, 0);
    const next = walkMessage([{ index: '1', ifHCInOctets: 4600n }], T0 + 6000);
    e.process(next);
    assert.equal((next.payload as any[])[0].ifHCInOctets, 100);
  });

  it("forgets a vanished row's ifCounterDiscontinuityTime with its series: rows that come and go do not grow the state", () => {
    const e = new CounterRateEngine({ ...OPTS, expireMs: 60_000 });
    // a new sub-interface index every poll, each listed twice, as PPP sessions come and go
    for (let i = 0; i < 500; i++) {
      e.process(walkMessage([{ index: String(1000 + i), ifHCInOctets: BigInt(i * 10), ifCounterDiscontinuityTime: 0 }, { index: String(1001 + i), ifHCInOctets: BigInt(i * 10), ifCounterDiscontinuityTime: 0 }], T0 + i * 10_000));
    }
    const dev = e.state.devices['core-1'];
    const rows = Object.keys(dev.rows).length;
    assert.ok(rows <= 10, `rows held: ${rows}`);
    assert.deepEqual(Object.keys(dev.discontinuities!).sort(), Object.keys(dev.rows).sort(), 'a reading for each row still held, none for the others');
    // object payloads: the instance is in the field's name
    const o = new CounterRateEngine({ ...OPTS, expireMs: 60_000 });
    const types = { 'ifHCInOctets.7': 'Counter64', 'ifCounterDiscontinuityTime.7': 'TimeTicks', 'ifHCInOctets.8': 'Counter64', 'ifCounterDiscontinuityTime.8': 'TimeTicks' };
    o.process({ topic: 'd', payload: { 'ifHCInOctets.7': 1, 'ifCounterDiscontinuityTime.7': 0, 'ifHCInOctets.8': 1, 'ifCounterDiscontinuityTime.8': 0 }, types, time: T0 });
    for (let i = 1; i <= 12; i++) o.process({ topic: 'd', payload: { 'ifHCInOctets.7': 1 + i, 'ifCounterDiscontinuityTime.7': 0 }, types, time: T0 + i * 10_000 });
    assert.deepEqual(Object.keys(o.state.devices.d.discontinuities!), ['7'], 'instance 8 left with its series; 7 is kept');
  });

  it('handles rows added and removed between samples, and expires vanished ones', () => {
    const e = new CounterRateEngine({ ...OPTS, expireMs: 60_000 });
    e.process(walkMessage([{ index: '1', ifHCInOctets: 100n }, { index: '2', ifHCInOctets: 100n }], T0));
    assert.equal(e.series, 2);
    const m2 = walkMessage([{ index: '2', ifHCInOctets: 200n }, { index: '7', ifHCInOctets: 900n }], T0 + 10_000);
    e.process(m2);
    assert.deepEqual(m2.payload, [{ index: '2', ifHCInOctets: 10 }, { index: '7' }], 'row 7 is new: no rate yet');
    assert.equal(e.series, 3, 'row 1 is kept until it expires');
    for (let i = 2; i <= 8; i++) e.process(walkMessage([{ index: '2', ifHCInOctets: 200n + BigInt(i) }, { index: '7', ifHCInOctets: 900n }], T0 + i * 10_000));
    assert.equal(e.series, 2, 'row 1 expired after 60 s unseen');
    const back = walkMessage([{ index: '1', ifHCInOctets: 5000n }], T0 + 90_000);
    e.process(back);
    assert.deepEqual(back.payload, [{ index: '1' }], 'a row back after expiry starts over');
  });

  it('sweep forgets devices that stopped reporting', () => {
    const e = new CounterRateEngine({ ...OPTS, expireMs: 60_000 });
    e.process({ ...walkMessage([{ index: '1', ifHCInOctets: 1n }], T0), topic: 'gone' });
    e.process({ ...walkMessage([{ index: '1', ifHCInOctets: 1n }], T0 + 50_000), topic: 'alive' });
    assert.equal(e.sweep(T0 + 70_000), 1);
    assert.deepEqual(Object.keys(e.state.devices), ['alive']);
    assert.equal(e.series, 1);
  });

  it('reports bad counter values and never rates them', () => {
    const e = new CounterRateEngine(OPTS);
    const m = { topic: 'd', payload: [{ index: '1', ifInOctets: 'lots' }, { index: '2', ifInOctets: -4 }] as any, types: { ifInOctets: 'Counter32' }, time: T0 };
    const r = e.process(m);
    assert.deepEqual(r.events.map((x) => [x.kind, x.index]), [['bad-value', '1'], ['bad-value', '2']]);
    assert.deepEqual(m.payload, [{ index: '1' }, { index: '2' }]);
    assert.equal(e.series, 0);
  });

  // issue 14, defect 9: a name (topic) two devices can share must not key their series
  it('keys series by the device identity when given, so two agents behind one name keep their own rates', () => {
    const e = new CounterRateEngine(OPTS);
    const a = (v: bigint, t: number) => ({ ...walkMessage([{ index: '1', ifHCInOctets: v }], t), topic: '127.0.0.1', key: '127.0.0.1:1161' });
    const b = (v: bigint, t: number) => ({ ...walkMessage([{ index: '1', ifHCInOctets: v }], t), topic: '127.0.0.1', key: '127.0.0.1:1162' });
    e.process(a(1_000_000n, T0));
    e.process(b(50_000_000n, T0 + 10));
    const ra = a(1_000_000n + 10_000n, T0 + 10_000);
    const rb = b(50_000_000n + 990_000n, T0 + 10_010);
    e.process(ra);
    e.process(rb);
    assert.equal((ra.payload as any[])[0].ifHCInOctets, 1_000);
    assert.equal((rb.payload as any[])[0].ifHCInOctets, 99_000);
    assert.deepEqual(Object.keys(e.state.devices).sort(), ['127.0.0.1:1161', '127.0.0.1:1162']);
    assert.equal(e.series, 2);
  });

  it('takes over series saved under the topic (before identity keys) on the first message of the device', () => {
    const old = new CounterRateEngine(OPTS);
    old.process(walkMessage([{ index: '1', ifHCInOctets: 5_000n }], T0));
    const saved = JSON.parse(JSON.stringify(old.state));
    assert.ok(saved.devices['core-1'], 'saved under the topic');
    const e = new CounterRateEngine(OPTS, restoreCounterState(saved, T0 + 60_000));
    const m = { ...walkMessage([{ index: '1', ifHCInOctets: 5_000n + 600_000n }], T0 + 60_000), key: '192.0.2.1:161' };
    e.process(m);
    assert.equal((m.payload as any[])[0].ifHCInOctets, 10_000, 'rated from the saved sample');
    assert.deepEqual(Object.keys(e.state.devices), ['192.0.2.1:161']);
    // a second device under the same topic starts afresh
    const other = { ...walkMessage([{ index: '1', ifHCInOctets: 7n }], T0 + 60_000), key: '192.0.2.2:161' };
    e.process(other);
    assert.equal((other.payload as any[])[0].ifHCInOctets, undefined, 'first sample: no rate');
    assert.equal(e.series, 2);
  });

  it('state survives a JSON round trip exactly (what a file store does), hostile topics included', () => {
    const e = new CounterRateEngine(OPTS);
    const big = 2n ** 63n + 1n;
    const first = walkMessage([{ index: '1', ifHCInOctets: big }], T0, 1000);
    e.process({ ...first, topic: '__proto__' });
    e.process({ ...walkMessage([{ index: '1', ifHCInOctets: big }], T0, 1000), topic: 'constructor' });
    const json = JSON.stringify(e.state);
    assert.ok(!/n"/.test(json) && json.includes(big.toString()), 'exact value kept as a decimal string');
    const restored = new CounterRateEngine(OPTS, restoreCounterState(JSON.parse(json)));
    assert.equal(restored.series, 2);
    const m = { ...walkMessage([{ index: '1', ifHCInOctets: big + 1000n }], T0 + 1000, 1100), topic: '__proto__' };
    restored.process(m);
    assert.equal((m.payload as any[])[0].ifHCInOctets, 1000);
    assert.equal(({} as any).t, undefined, 'no prototype pollution');
    assert.equal(({} as any).lastPoll, undefined, 'no prototype pollution');
    assert.equal(({} as any).rows, undefined, 'no prototype pollution');
  });

  it('restores nothing from a corrupt or foreign state', () => {
    for (const raw of [undefined, null, 42, 'x', [], { v: 2 }, { v: 2, devices: [] }, { v: 1, devices: { a: { t: 1, r: {} } } },
      { v: 3 }, { v: 3, devices: [] }, { v: 4, devices: { a: { lastPoll: 1, rows: {} } } }, { v: '3', devices: { a: { lastPoll: 1, rows: {} } } },
      { v: 3, devices: { a: { t: 1, r: {} } } }, { v: 2, devices: { a: { lastPoll: 1, rows: {} } } }]) {
      assert.doesNotThrow(() => restoreCounterState(raw));
      assert.deepEqual(Object.keys(restoreCounterState(raw).devices), [], JSON.stringify(raw));
    }
    const partly = restoreCounterState({ v: 3, devices: {
      a: {
        lastPoll: 1,
        uptime: { ticks: 'x', time: 1 },
        discontinuities: { 1: 7, 2: 'x' },
        rows: { 1: { ok: [12, 5], big: ['18446744073709551615', 5], bad: ['x', 5], neg: [-1, 5], frac: [1.5, 5], huge: ['18446744073709551616', 5], short: [1], obj: { value: 1, time: 5 } }, 2: 'junk' },
      },
      b: { lastPoll: 'x' },
      c: { lastPoll: 1, rows: [] },
      d: [],
    } });
    assert.deepEqual(Object.keys(partly.devices), ['a']);
    assert.deepEqual(Object.keys(partly.devices.a.rows), ['1']);
    assert.deepEqual({ ...partly.devices.a.rows['1'] }, { ok: [12, 5], big: ['18446744073709551615', 5] });
    assert.equal(partly.devices.a.uptime, undefined, 'an uptime that is not a number is dropped');
    assert.deepEqual({ ...partly.devices.a.discontinuities }, { 1: 7 });
    assert.equal(new CounterRateEngine(OPTS, partly).series, 2);
    assert.deepEqual(emptyCounterState().v, 3);
  });

  it('reads the v2 layout of release 0.1.0 (one-letter keys) into the readable one, junk dropped as before', () => {
    const partly = restoreCounterState({ v: 2, devices: {
      a: { t: 1, r: { 1: { ok: [12, 5], big: ['18446744073709551615', 5], bad: ['x', 5], neg: [-1, 5], frac: [1.5, 5], huge: ['18446744073709551616', 5], short: [1] }, 2: 'junk' } },
      b: { t: 'x' },
    } });
    assert.deepEqual(Object.keys(partly.devices), ['a']);
    assert.deepEqual(Object.keys(partly.devices.a.rows), ['1']);
    assert.deepEqual({ ...partly.devices.a.rows['1'] }, { ok: [12, 5], big: ['18446744073709551615', 5] });
    assert.equal(new CounterRateEngine(OPTS, partly).series, 2);

    const report = { repaired: 0 };
    const s = restoreCounterState({ v: 2, devices: {
      r1: { t: T0, u: [500_500, T0], d: { 1: 300, 2: 'x' }, r: { 1: { ifHCInOctets: ['4611686018427388911', T0], ifInErrors: [20, T0] } } },
      r2: { t: T0, u: [100, T0, 1], r: { 1: { ifInErrors: [1, T0] } } },
      r3: { t: 1e300, u: [100, 1e300], r: { 1: { ifInErrors: [1, 1e300], ok: [2, T0] } } },
    } }, T0 + 10_000, report);
    const json = JSON.parse(JSON.stringify(s));
    assert.deepEqual(json, { v: 3, devices: {
      r1: { lastPoll: T0, uptime: { ticks: 500_500, time: T0 }, discontinuities: { 1: 300 }, rows: { 1: { ifHCInOctets: ['4611686018427388911', T0], ifInErrors: [20, T0] } } },
      r2: { lastPoll: T0, rows: { 1: { ifInErrors: [1, T0] } } },
      r3: { lastPoll: T0 + 10_000, rows: { 1: { ok: [2, T0] } } },
    } }, 'the readable layout, an uptime of three elements dropped as v2 did');
    assert.equal(report.repaired, 3, 'far times: r3\'s time, its uptime and one sample');
    for (const dev of Object.values(s.devices)) {
      assert.equal(Object.getPrototypeOf(dev.rows), null);
      for (const row of Object.values(dev.rows)) assert.equal(Object.getPrototypeOf(row), null);
      if (dev.discontinuities) assert.equal(Object.getPrototypeOf(dev.discontinuities), null);
    }
    assert.equal(Object.getPrototypeOf(s.devices), null);

    // The converted state rates the next sample exactly, with the uptime baseline kept.
    const e = new CounterRateEngine(OPTS, s);
    const m = walkMessage([{ index: '1', ifHCInOctets: 2n ** 62n + 2007n }], T0 + 5000, 501_000);
    m.topic = 'r1';
    const r = e.process(m);
    assert.deepEqual(r.events, [], 'no reboot seen: the uptime baseline was converted');
    assert.equal((m.payload as any[])[0].ifHCInOctets, 200);
  });

  it('a hostile topic in a v2 state stays a plain key', () => {
    const raw = JSON.parse('{"v":2,"devices":{"__proto__":{"t":1,"r":{"__proto__":{"x":[1,1]}},"d":{"__proto__":3}}}}');
    const s = restoreCounterState(raw, 10);
    assert.deepEqual(Object.keys(s.devices), ['__proto__']);
    assert.deepEqual(Object.keys(s.devices.__proto__.rows), ['__proto__']);
    assert.equal(s.devices.__proto__.discontinuities!.__proto__, 3);
    assert.equal(({} as any).lastPoll, undefined, 'no prototype pollution');
    assert.equal(({} as any).x, undefined, 'no prototype pollution');
  });

  it('property: a counter that rose gives exactly the rate of the BigInt reference (counterStep, rateOf), in both modes and any scale', () => {
    // the engine takes a shortcut for safe integers that rose (no step object): it must
    // give the very same numbers as the reference arithmetic
    const counterArb = fc.record({
      c32: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      c32Rise: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      c64: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
      c64Rise: fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }),
    });
    fc.assert(fc.property(
      counterArb,
      fc.integer({ min: 1, max: 3_600_000 }),
      fc.constantFrom('rate' as const, 'delta' as const),
      fc.constantFrom(1, 8, 0.001, 1e-9, 3.7),
      ({ c32, c32Rise, c64, c64Rise }, dt, mode, scale) => {
        const in2 = Math.min(2 ** 32 - 1, c32 + c32Rise);
        const hc2 = c64 + c64Rise > 2n ** 53n - 1n ? 2n ** 53n - 1n : c64 + c64Rise;
        const e = new CounterRateEngine({ ...OPTS, mode, scale });
        e.process(walkMessage([{ index: '1', ifInOctets: c32, ifHCInOctets: c64 }], T0));
        const m = walkMessage([{ index: '1', ifInOctets: in2, ifHCInOctets: hc2 }], T0 + dt);
        const r = e.process(m);
        assert.equal(r.rated, 2);
        const expected = (prev: bigint, cur: bigint, width: 32 | 64): number => {
          const step = counterStep({ value: prev, time: T0 }, { value: cur, time: T0 + dt }, { width });
          assert.equal(step.kind, 'delta');
          if (step.kind !== 'delta') return NaN;
          return mode === 'delta' ? Number(step.delta) * scale : rateOf(step.delta, step.seconds, scale);
        };
        const row = (m.payload as any[])[0];
        assert.equal(row.ifInOctets, expected(BigInt(c32), BigInt(in2), 32));
        assert.equal(row.ifHCInOctets, expected(c64, hc2, 64));
        const stored = e.state.devices['core-1'].rows['1'];
        assert.deepEqual([stored.ifInOctets, stored.ifHCInOctets], [[in2, T0 + dt], [Number(hc2), T0 + dt]], 'the new baselines');
      },
    ), { numRuns: 1000 });
  });

  it('property: any message sequence gives only finite, non-negative numbers where counters were', () => {
    const rowArb = fc.record({
      index: fc.constantFrom('1', '2', '3'),
      ifInOctets: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.constant(-1), fc.constant(1.5)),
      ifHCInOctets: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      ifHighSpeed: fc.constantFrom(0, 10, 1000),
      ifCounterDiscontinuityTime: fc.constantFrom(0, 0, 0, 5),
    });
    const msgArb = fc.record({
      dt: fc.integer({ min: -5000, max: 120_000 }),
      uptime: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined }),
      rows: fc.array(rowArb, { maxLength: 3 }),
    });
    fc.assert(fc.property(fc.array(msgArb, { maxLength: 25 }), fc.constantFrom('rate' as const, 'delta' as const), (msgs, mode) => {
      const e = new CounterRateEngine({ ...OPTS, mode, scale: 8 });
      let t = T0;
      for (const spec of msgs) {
        t += spec.dt;
        const m = walkMessage(spec.rows, t, spec.uptime);
        e.process(m);
        for (const row of m.payload as any[]) {
          for (const f of ['ifInOctets', 'ifHCInOctets']) {
            if (f in row) assert.ok(typeof row[f] === 'number' && Number.isFinite(row[f]) && row[f] >= 0, `${f}=${row[f]}`);
          }
        }
        assert.ok(e.series >= 0);
        JSON.stringify(e.state);
      }
    }), { numRuns: 500 });
  });
});
