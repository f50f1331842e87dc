// counter-rate's compact series storage (series-table.ts) as the engine uses it: layouts
// shared by like devices, copied on change, compacted when rows come and go, exact
// Counter64 beyond 2^53, and the readable v3 state the context store sees.
import { strict as assert } from 'assert';
import { CounterRateEngine, restoreCounterState, type CounterInput, type CounterRateOptions } from '../../../src/lib/counter-rate/engine';

const T0 = 1_700_000_000_000;
const OPTS: CounterRateOptions = { width: 'auto', mode: 'rate', scale: 1, expireMs: 3_600_000 };

/** A walk of ifHCInOctets/ifHCOutOctets for the given row indexes, every counter `base + i`. */
function walk(key: string, indexes: string[], time: number, value: (index: string, field: string) => bigint): CounterInput {
  const types = { ifHCInOctets: 'Counter64', ifHCOutOctets: 'Counter64' };
  const varbinds: any[] = [];
  const payload = indexes.map((index) => {
    const row: Record<string, unknown> = { index };
    for (const field of ['ifHCInOctets', 'ifHCOutOctets']) {
      const v = value(index, field);
      row[field] = Number(v);
      varbinds.push({ oid: `1.3.6.1.2.1.31.1.1.1.${field === 'ifHCInOctets' ? 6 : 10}.${index}`, name: `IF-MIB::${field}.${index}`, type: 'Counter64', value: Number(v), exact: v.toString() });
    }
    return row;
  });
  return { topic: key, key, payload, varbinds, types, time };
}

const rows = (m: CounterInput) => m.payload as Array<Record<string, unknown>>;

describe('counter-rate series table', () => {
  it('devices with the same table share one layout; a device that differs gets its own and the others keep rating', () => {
    const e = new CounterRateEngine(OPTS);
    const idx = ['1', '2', '3'];
    for (const d of ['a:161', 'b:161', 'c:161']) e.process(walk(d, idx, T0, () => 1000n));
    assert.equal(e.layoutCount, 1, 'three like devices, one layout');
    // device c grows a row: its layout is copied, a and b keep theirs
    e.process(walk('c:161', [...idx, '9'], T0 + 10_000, (i) => (i === '9' ? 5n : 2000n)));
    assert.equal(e.layoutCount, 2);
    const a = walk('a:161', idx, T0 + 10_000, (i, f) => 1000n + (f === 'ifHCInOctets' ? 100_000n : 50_000n) * BigInt(i));
    e.process(a);
    assert.deepEqual(rows(a), [
      { index: '1', ifHCInOctets: 10_000, ifHCOutOctets: 5_000 },
      { index: '2', ifHCInOctets: 20_000, ifHCOutOctets: 10_000 },
      { index: '3', ifHCInOctets: 30_000, ifHCOutOctets: 15_000 },
    ]);
    const c = walk('c:161', [...idx, '9'], T0 + 20_000, (i) => (i === '9' ? 1005n : 12_000n));
    e.process(c);
    assert.deepEqual(rows(c).map((r) => [r.index, r.ifHCInOctets]), [['1', 1000], ['2', 1000], ['3', 1000], ['9', 100]]);
    assert.equal(e.series, 3 * 2 * 3 + 2);
    // the device that left frees its layout once nobody uses it
    e.sweep(T0 + 20_000 + OPTS.expireMs - 5_000);
    assert.deepEqual(Object.keys(e.state.devices), ['c:161']);
    assert.equal(e.layoutCount, 1);
  });

  it('a device whose row indexes keep changing does not grow without bound, and its live series keep their values', () => {
    const e = new CounterRateEngine({ ...OPTS, expireMs: 60_000 });
    const key = 'churn:161';
    // row "0" stays; every poll brings a new row (a tunnel interface that comes and goes) and drops the last one
    let t = T0;
    for (let i = 1; i <= 400; i++) {
      t = T0 + i * 10_000;
      e.process(walk(key, ['0', `t${i}`], t, (index) => (index === '0' ? BigInt(i) * 10_000n : 7n)));
    }
    // series held: row 0's two and the rows seen in the last 60 s (about 6 × 2)
    assert.ok(e.series <= 2 + 2 * 8, `series ${e.series}`);
    const json = JSON.parse(JSON.stringify(e.state));
    const held = Object.keys(json.devices[key].rows);
    assert.ok(held.length <= 9 && held.includes('0'), `rows held ${held.length}`);
    // the layout was compacted (else it would have 802 slots): every held slot is live
    const next = walk(key, ['0'], t + 10_000, () => 401n * 10_000n);
    e.process(next);
    assert.deepEqual(rows(next), [{ index: '0', ifHCInOctets: 1000, ifHCOutOctets: 1000 }], 'row 0 rated across the compactions');
    const table = (e as any).devices.get(key);
    assert.ok(table.layout.size <= 2 * 40, `layout slots ${table.layout.size}`);
    assert.equal(table.live, e.series);
  });

  it('keeps Counter64 beyond 2^53 exact in its slot, through compaction and a JSON round trip', () => {
    const e = new CounterRateEngine({ ...OPTS, expireMs: 60_000 });
    const key = 'big:161';
    const base = 2n ** 63n + 12_345n;
    let t = T0;
    for (let i = 1; i <= 50; i++) {
      t = T0 + i * 10_000;
      // a changing second row makes the table compact now and then; row 1 is huge
      e.process(walk(key, ['1', `x${i}`], t, (index) => (index === '1' ? base + BigInt(i) * 1_000n : BigInt(i))));
    }
    const saved = JSON.stringify(e.state);
    assert.ok(saved.includes(`"${(base + 50_000n).toString()}"`), 'exact decimal text in the readable state');
    const restored = new CounterRateEngine({ ...OPTS, expireMs: 60_000 }, restoreCounterState(JSON.parse(saved), t));
    for (const engine of [e, restored]) {
      const m = walk(key, ['1'], t + 10_000, () => base + 51_000n + 40n);
      engine.process(m);
      assert.equal(rows(m)[0].ifHCInOctets, 104, 'rate of (51,040 - 50,000) over 10 s, exact at 2^63');
    }
    // a huge value that falls back to a small one (a reset of a 64-bit counter) is a reset, not a rate
    const reset = walk(key, ['1'], t + 20_000, () => 5n);
    const r = e.process(reset);
    assert.equal(rows(reset)[0].ifHCInOctets, undefined);
    assert.ok(r.events.some((x) => x.kind === 'reset'), JSON.stringify(r.events));
    const after = walk(key, ['1'], t + 30_000, () => 1005n);
    e.process(after);
    assert.equal(rows(after)[0].ifHCInOctets, 100, 'rates resume from the small baseline');
  });

  it('the state the context store sees is the readable v3 layout, live, with only what the device has', () => {
    const e = new CounterRateEngine(OPTS);
    e.process(walk('a:161', ['1'], T0, () => 10n));
    const view = e.state.devices['a:161'];
    assert.deepEqual(JSON.parse(JSON.stringify(view)), { lastPoll: T0, rows: { 1: { ifHCInOctets: [10, T0], ifHCOutOctets: [10, T0] } } });
    assert.ok(!('uptime' in view), 'no uptime field before a sysUpTime was seen');
    e.process(walk('a:161', ['1'], T0 + 5_000, () => 20n));
    assert.deepEqual(JSON.parse(JSON.stringify(e.state.devices['a:161'])).rows['1'].ifHCInOctets, [20, T0 + 5_000], 'the same object shows the new sample');
    assert.equal(e.state.devices['a:161'], view, 'the object the store holds is not replaced');
  });
});
