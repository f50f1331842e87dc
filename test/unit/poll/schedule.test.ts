import { strict as assert } from 'assert';
import fc from 'fast-check';
import { deviceKey } from '../../../src/lib/common/inventory';
import type { Device } from '../../../src/lib/common/types';
import { LastMinute, PollSchedule, hash32, nextTurn } from '../../../src/lib/poll/schedule';
import { runPollCycle } from '../../../src/lib/poll/cycle';
import { FleetEngine } from '../../../src/lib/poll/fleet-engine';
import { InFlightGuard } from '../../../src/lib/poll/scheduler';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { fakeClock, type FakeClock } from '../../support/fakes';

const T0 = 1_700_000_000_000;

function fleet(n: number, interval?: (i: number) => number | undefined, from = 0): Device[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const d: Device = { host: '127.0.0.1', port: 20000 + i, name: `sim-${i}`, labels: {} };
    const s = interval?.(i);
    if (s !== undefined) d.interval = s;
    return d;
  });
}

/** A schedule on a fake clock that records every turn it starts; turn by turn unless `batchMs` says otherwise. */
function harness(defaultInterval = 60, clock: FakeClock = fakeClock(T0), batchMs = 0) {
  const turns: Array<{ key: string; at: number }> = [];
  const busy = new Set<string>();
  const schedule = new PollSchedule({
    defaultInterval,
    clock,
    batchMs,
    isBusy: (key) => busy.has(key),
    poll: (devices) => {
      for (const d of devices) turns.push({ key: deviceKey(d), at: clock.now() });
    },
  });
  return { clock, schedule, turns, busy };
}

function perSecond(turns: Array<{ at: number }>, from: number, to: number): number[] {
  const buckets = new Array<number>(Math.ceil((to - from) / 1000)).fill(0);
  for (const t of turns) if (t.at >= from && t.at < to) buckets[Math.floor((t.at - from) / 1000)]++;
  return buckets;
}

describe('poll schedule', () => {
  it('finds the next turn of a phase', () => {
    assert.equal(nextTurn(10_000, 3_000, 10_000), 13_000);
    assert.equal(nextTurn(13_000, 3_000, 10_000), 13_000);
    assert.equal(nextTurn(13_001, 3_000, 10_000), 23_000);
    assert.equal(nextTurn(2_000, 3_000, 10_000), 3_000);
    assert.notEqual(hash32('127.0.0.1:20000'), hash32('127.0.0.1:20001'));
  });

  it('polls every device once per interval, at a steady phase, spread evenly over the seconds', () => {
    const h = harness(60);
    // 1,000 devices, half every 10 s and half every 30 s, as the check
    h.schedule.update(fleet(1000, (i) => (i % 2 === 0 ? 10 : 30)));
    assert.equal(h.schedule.size, 1000);
    // the first interval brings every device in; measure over the next 60 s (2 long intervals)
    h.clock.advance(30_000);
    const from = h.clock.now();
    h.clock.advance(60_000);
    const byKey = new Map<string, number[]>();
    for (const t of h.turns) {
      if (!byKey.has(t.key)) byKey.set(t.key, []);
      byKey.get(t.key)!.push(t.at);
    }
    assert.equal(byKey.size, 1000, 'every device polled');
    for (const [key, times] of byKey) {
      const port = Number(key.split(':')[1]);
      const interval = (port - 20000) % 2 === 0 ? 10_000 : 30_000;
      for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], interval, `${key}: turns ${interval} ms apart`);
      assert.ok(times[0] - T0 < interval, `${key}: first turn within one interval`);
    }
    const buckets = perSecond(h.turns, from, from + 60_000);
    const mean = buckets.reduce((a, b) => a + b, 0) / buckets.length;
    const busiest = Math.max(...buckets);
    assert.equal(mean, 500 * 6 / 60 + 500 * 2 / 60);
    assert.ok(busiest <= 1.2 * mean, `busiest second ${busiest}, mean ${mean.toFixed(1)}`);
    assert.equal(h.schedule.skipped, 0);
  });

  it('starts the turns of a slot together: at most ten wake-ups a second, the same requests per second, turns still one interval apart', () => {
    const clock = fakeClock(T0 + 37);
    let timers = 0;
    const counted = { ...clock, setTimeout: (fn: () => void, ms: number) => { timers++; return clock.setTimeout(fn, ms); } };
    const exact = harness(60);
    const batched = harness(60, counted as FakeClock, 100);
    const devices = fleet(10000);
    exact.schedule.update(devices);
    batched.schedule.update(devices);
    exact.clock.advance(120_000);
    timers = 0;
    batched.clock.advance(120_000);
    assert.ok(timers <= 1200 + 1, `${timers} wake-ups in 120 s`);
    const due = new Map<string, number[]>();
    for (const t of exact.turns) due.set(t.key, [...(due.get(t.key) ?? []), t.at]);
    const byKey = new Map<string, number[]>();
    for (const t of batched.turns) byKey.set(t.key, [...(byKey.get(t.key) ?? []), t.at]);
    for (const [key, times] of byKey) {
      // (the first may start at once, mid-slot, when its slot had begun at the update)
      assert.equal(times[times.length - 1] % 100, 0, 'a turn starts on a slot');
      for (let i = 2; i < times.length; i++) assert.equal(times[i] - times[i - 1], 60_000, `${key}: one interval apart`);
      if (times.length > 1) assert.ok(times[1] - times[0] > 59_900 && times[1] - times[0] <= 60_000, `${key}: ${times[1] - times[0]} ms after its first turn`);
      const exactTimes = due.get(key)!.filter((t) => t >= T0 + 37);
      // never late, at most a slot early
      const early = exactTimes[0] - times[0];
      assert.ok(early >= 0 && early < 100, `${key}: ${early} ms early`);
    }
    const a = perSecond(exact.turns, T0 + 60_000, T0 + 120_000);
    const b = perSecond(batched.turns, T0 + 60_000, T0 + 120_000);
    assert.ok(Math.max(...b) <= Math.max(...a) + 0, `busiest second ${Math.max(...b)} batched, ${Math.max(...a)} turn by turn`);
  });

  it('gives each device the same phase after a restart, whatever the order of the list', () => {
    const devices = fleet(500, (i) => (i % 3 === 0 ? 30 : undefined));
    const a = harness(60);
    a.schedule.update(devices);
    const b = harness(60, fakeClock(T0 + 123_456));
    b.schedule.update([...devices].reverse());
    for (const d of devices) {
      const pa = a.schedule.phaseOf(deviceKey(d))!;
      const pb = b.schedule.phaseOf(deviceKey(d))!;
      assert.equal(pa.phaseMs, pb.phaseMs, deviceKey(d));
      assert.equal(pa.intervalMs, pb.intervalMs);
    }
  });

  it('applies a new inventory in place: kept devices keep phase and turn, added ones come within one interval, removed ones stop', () => {
    const h = harness(10);
    const first = fleet(100);
    h.schedule.update(first);
    h.clock.advance(25_000);
    const before = new Map(first.map((d) => [deviceKey(d), h.schedule.phaseOf(deviceKey(d))!]));
    // drop the first 20, add 30 new, rename one, give one its own interval
    const next = [...fleet(80, undefined, 20), ...fleet(30, undefined, 1000)];
    next[0] = { ...next[0], name: 'renamed', labels: { site: 'x' } };
    next[1] = { ...next[1], interval: 30 };
    const at = h.clock.now();
    const change = h.schedule.update(next);
    assert.deepEqual(change, { added: 30, removed: 20, moved: 1, kept: 79 });
    assert.equal(h.schedule.size, 110);
    for (const d of next.slice(2, 80)) assert.deepEqual(h.schedule.phaseOf(deviceKey(d)), before.get(deviceKey(d)), 'phase and next turn kept');
    h.turns.length = 0;
    h.clock.advance(10_000);
    const polled = new Set(h.turns.map((t) => t.key));
    for (const d of fleet(30, undefined, 1000)) assert.ok(polled.has(deviceKey(d)), `${deviceKey(d)} polled within one interval`);
    for (const d of fleet(20)) assert.ok(!polled.has(deviceKey(d)), `${deviceKey(d)} was removed`);
    assert.ok(h.turns.every((t) => t.at >= at));
    // the renamed device is polled under its new name
    assert.equal(h.schedule.devices().find((d) => d.port === next[0].port)!.name, 'renamed');
    // the device moved to 30 s: its turns are 30 s apart from now on
    h.turns.length = 0;
    h.clock.advance(60_000);
    const moved = h.turns.filter((t) => t.key === deviceKey(next[1])).map((t) => t.at);
    assert.equal(moved.length, 2);
    assert.equal(moved[1] - moved[0], 30_000);
  });

  it('skips and counts the turn of a device that is still busy, and polls it at its next turn', () => {
    const h = harness(10);
    const devices = fleet(3);
    h.schedule.update(devices);
    const key = deviceKey(devices[1]);
    h.busy.add(key);
    h.clock.advance(20_000);
    assert.equal(h.turns.filter((t) => t.key === key).length, 0);
    assert.equal(h.schedule.skipped, 2);
    h.busy.delete(key);
    h.clock.advance(10_000);
    assert.equal(h.turns.filter((t) => t.key === key).length, 1);
    assert.equal(h.schedule.started, h.turns.length);
  });

  it('counts turns missed while the process stalled, and keeps the phase', () => {
    const h = harness(10);
    const [d] = fleet(1);
    h.schedule.update([d]);
    const { phaseMs } = h.schedule.phaseOf(deviceKey(d))!;
    h.clock.advance(10_000);
    assert.equal(h.turns.length, 1);
    // the timer fires 35 s late: one turn now, the three it missed are skipped
    const due = h.schedule.phaseOf(deviceKey(d))!.nextDue;
    const stalled = fakeClock(due + 35_000);
    (h.schedule as any).clock = stalled;
    (h.schedule as any).fire();
    assert.equal(h.turns.length, 2);
    assert.equal(h.schedule.skipped, 3);
    assert.equal((h.schedule.phaseOf(deviceKey(d))!.nextDue - phaseMs) % 10_000, 0);
  });

  it('stops taking turns when closed, and an empty inventory leaves no timer', () => {
    const h = harness(10);
    h.schedule.update(fleet(10));
    assert.equal(h.clock.pending(), 1, 'one timer for the whole schedule');
    h.schedule.update([]);
    assert.equal(h.clock.pending(), 0);
    h.schedule.update(fleet(10));
    h.schedule.close();
    assert.equal(h.clock.pending(), 0);
    h.clock.advance(60_000);
    assert.equal(h.turns.length, 0);
    assert.deepEqual(h.schedule.update(fleet(3)), { added: 0, removed: 0, moved: 0, kept: 0 });
  });

  it('keeps going when the poll callback throws', () => {
    const clock = fakeClock(T0);
    let calls = 0;
    const schedule = new PollSchedule({ defaultInterval: 10, clock, isBusy: () => false, poll: () => { calls++; throw new Error('boom'); } });
    schedule.update(fleet(1));
    clock.advance(30_000);
    assert.equal(calls, 3);
  });

  it('keeps every slot under its share, polls each device at its phase, through any sequence of inventories (property)', () => {
    const entry = fc.record({ port: fc.integer({ min: 1, max: 400 }), interval: fc.constantFrom(undefined, 5, 10, 30, 300) });
    fc.assert(fc.property(fc.array(fc.array(entry, { maxLength: 120 }), { minLength: 1, maxLength: 5 }), (lists) => {
      const h = harness(60);
      for (const list of lists) {
        const seen = new Set<number>();
        const devices = list.filter((e) => !seen.has(e.port) && seen.add(e.port)).map((e) => {
          const d: Device = { host: '10.0.0.1', port: e.port, name: `d${e.port}`, labels: {} };
          if (e.interval !== undefined) d.interval = e.interval;
          return d;
        });
        const kept = devices.filter((d) => h.schedule.phaseOf(deviceKey(d))?.intervalMs === (d.interval ?? 60) * 1000);
        const before = new Map(kept.map((d) => [deviceKey(d), h.schedule.phaseOf(deviceKey(d))!.phaseMs]));
        h.schedule.update(devices);
        assert.equal(h.schedule.size, devices.length);
        for (const [key, phase] of before) assert.equal(h.schedule.phaseOf(key)!.phaseMs, phase);
        // slot loads: the busiest slot of each interval holds at most its share + 10 %, rounded up
        const groups = new Map<number, number[]>();
        for (const d of devices) {
          const p = h.schedule.phaseOf(deviceKey(d))!;
          const slots = Math.max(1, Math.round(p.intervalMs / 1000));
          if (!groups.has(p.intervalMs)) groups.set(p.intervalMs, new Array(slots).fill(0));
          groups.get(p.intervalMs)![Math.floor(p.phaseMs / (p.intervalMs / slots))]++;
          assert.ok(p.phaseMs >= 0 && p.phaseMs < p.intervalMs);
        }
        for (const [ms, load] of groups) {
          const n = load.reduce((a, b) => a + b, 0);
          assert.ok(Math.max(...load) <= Math.max(1, Math.ceil((n / load.length) * 1.1)) || before.size > 0, `interval ${ms}: ${Math.max(...load)} in a slot of ${n}/${load.length}`);
        }
        h.turns.length = 0;
        h.clock.advance(300_000);
        for (const t of h.turns) {
          const p = h.schedule.phaseOf(t.key);
          if (p) assert.equal(((t.at - p.phaseMs) % p.intervalMs + p.intervalMs) % p.intervalMs, 0);
        }
        const polled = new Set(h.turns.map((t) => t.key));
        for (const d of devices) assert.ok(polled.has(deviceKey(d)));
      }
    }), { numRuns: 60 });
  });

  it('keys devices by their identity, as the poll cycle\'s in-flight guard does: a busy device is skipped however its host is spelled', async () => {
    const h = harness(10);
    h.schedule.update([{ host: '2001:DB8:0::1', port: 161, name: 'v6', labels: {} }, { host: 'Core-1.Example.NET.', port: 161, name: 'core', labels: {} }]);
    assert.ok(h.schedule.has(deviceKey({ host: '2001:db8::1', port: 161 })));
    assert.ok(h.schedule.has('core-1.example.net:161'));
    assert.ok(!h.schedule.has('core-1.example.net:162'));
    // a trigger's cycle enters the same key the schedule asks isBusy about
    const profile = buildProfile({ version: '2c', timeout: 200, retries: 0, deadline: 500 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const guard = new InFlightGuard();
      guard.tryEnter('core-1.example.net:161');
      const summary = await runPollCycle(
        { engine, mib: undefined, guard, source: { id: 'n1', type: 'snmp-get' } },
        { kind: 'get', devices: [{ host: 'core-1.example.net', port: 161, name: 'core', labels: {} }], oids: ['1.3.6.1.2.1.1.3.0'] },
        () => assert.fail('a busy device is not polled'),
      );
      assert.deepEqual([summary.skipped, summary.ok, summary.failed], [1, 0, 0]);
    } finally {
      engine.close();
    }
  });
});

describe('last minute (a scheduled node\'s status)', () => {
  it('counts the events, failures by code and partial answers of the last 60 s only', () => {
    let now = T0;
    const m = new LastMinute(() => now);
    m.add();
    m.add('timeout');
    m.add(undefined, true);
    now += 30_000;
    m.add('timeout');
    m.add('auth');
    let t = m.total();
    assert.deepEqual([t.count, [...t.codes], t.partial], [5, [['timeout', 2], ['auth', 1]], 1]);
    // the first second's events leave the window; the bucket is reused without its old partial
    now += 31_000;
    t = m.total();
    assert.deepEqual([t.count, [...t.codes], t.partial], [2, [['timeout', 1], ['auth', 1]], 0]);
    now = T0 + 120_000;
    m.add(undefined, true);
    t = m.total();
    assert.deepEqual([t.count, t.codes.size, t.partial], [1, 0, 1]);
  });
});
