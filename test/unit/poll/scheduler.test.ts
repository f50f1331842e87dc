import { strict as assert } from 'assert';
import fc from 'fast-check';
import { performance } from 'perf_hooks';
import { FleetScheduler, InFlightGuard, runCycle } from '../../../src/lib/poll/scheduler';
import { DeadlineQueue } from '../../../src/lib/common/deadlines';
import { deviceKey } from '../../../src/lib/common/inventory';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fleet scheduler', () => {
  it('never runs more than `concurrency` tasks at once and runs them all (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 40 }), async (limit, delays) => {
      const s = new FleetScheduler(limit);
      let active = 0;
      let peak = 0;
      const results = await Promise.all(delays.map((d, i) => s.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await tick(d);
        active--;
        return i;
      })));
      assert.ok(peak <= limit);
      assert.deepEqual(results, delays.map((_, i) => i));
    }), { numRuns: 40 });
  });

  it('rejects waiting tasks after close', async () => {
    const s = new FleetScheduler(1);
    const first = s.run(() => tick(20));
    const second = assert.rejects(s.run(async () => 'never'), /polling stopped/);
    s.close();
    await first;
    await second;
  });

  it('fires deadlines of one length in order from one timer, and none that finished', async () => {
    const timers = () => (process as any).getActiveResourcesInfo().filter((x: string) => x === 'Timeout').length;
    const before = timers();
    const q = new DeadlineQueue(40);
    const fired: number[] = [];
    const all = Array.from({ length: 50 }, (_, i) => q.add(() => fired.push(i)));
    assert.equal(timers() - before, 1, 'one timer for 50 deadlines');
    for (let i = 0; i < 50; i += 2) q.finish(all[i]);
    q.finish(all[0]); // twice is harmless
    assert.equal(q.pending, 25);
    await tick(120);
    assert.deepEqual(fired, Array.from({ length: 25 }, (_, i) => 2 * i + 1), 'the unfinished, in the order set');
    assert.equal(q.pending, 0);
    // finishing the last one lets the timer go at once
    const d = q.add(() => fired.push(-1));
    q.finish(d);
    assert.equal((q as unknown as { timer: unknown }).timer, undefined, 'no timer while nothing waits');
    await tick(60);
    assert.ok(!fired.includes(-1));
  });

  it('keeps deadlines in order across a growing, wrapping ring of slots', async () => {
    const q = new DeadlineQueue(30);
    const fired: number[] = [];
    // 100 outgrow the first ring (64 slots); every third one finished
    const first = Array.from({ length: 100 }, (_, i) => q.add(() => fired.push(i)));
    first.forEach((d, i) => { if (i % 3 === 0) q.finish(d); });
    await tick(60);
    assert.deepEqual(fired, Array.from({ length: 100 }, (_, i) => i).filter((i) => i % 3 !== 0));
    // the front is now past the 100th slot: the next ones wrap around the ring, and grow it
    // while its front is not at slot 0
    fired.length = 0;
    const second = Array.from({ length: 300 }, (_, i) => q.add(() => fired.push(1000 + i)));
    q.finish(second[299]);
    q.finish(first[1]); // long gone: harmless
    assert.equal(q.pending, 299);
    await tick(60);
    assert.deepEqual(fired, Array.from({ length: 299 }, (_, i) => 1000 + i));
    assert.equal(q.pending, 0);
  });

  it('fires a deadline on time when one expiring before it sets a new one', async () => {
    // a device that timed out frees its slot and the next device's poll sets a deadline a
    // whole length later: the timer must still wake for the deadline in between
    const q = new DeadlineQueue(300);
    const at: Record<string, number> = {};
    let laterSetAt = 0;
    q.add(() => {
      laterSetAt = performance.now();
      q.add(() => { at.later = performance.now(); });
    });
    await tick(30);
    q.add(() => { at.between = performance.now(); });
    await tick(700);
    assert.ok(at.between !== undefined && at.later !== undefined, 'both fired');
    // in time order, each in its own wake-up: the middle one long before the later one's time
    assert.ok(at.between < laterSetAt + 300 - 100, `the middle deadline fired ${Math.round(at.between - laterSetAt)} ms after the later one was set`);
    assert.equal(q.pending, 0);
  });

  it('polls through a callback when the cycle gives one, with no promise per device', async () => {
    const s = new FleetScheduler(3);
    const seen: number[] = [];
    let active = 0;
    let peak = 0;
    const summary = await runCycle<number, number>({
      devices: [1, 2, 3, 4, 5, 6, 7],
      keyOf: String,
      guard: new InFlightGuard(),
      scheduler: s,
      poll: () => Promise.reject(new Error('the callback is used')),
      pollCb: (d, report) => {
        active++;
        peak = Math.max(peak, active);
        setTimeout(() => {
          active--;
          report(d * 10);
          report(d * 100); // a second report is ignored
        }, 5);
      },
      isOk: (r) => r !== 30,
      onResult: (_d, r) => seen.push(r),
    });
    assert.deepEqual(seen.sort((a, b) => a - b), [10, 20, 30, 40, 50, 60, 70]);
    assert.equal(summary.ok, 6);
    assert.equal(summary.failed, 1);
    assert.ok(peak <= 3, `peak ${peak}`);
    assert.equal(s.inFlight, 0);
  });

  it('goes through a queued fleet whose polls end at once (a job expired meanwhile) without deepening the stack', async () => {
    const devices = Array.from({ length: 50_000 }, (_, i) => i);
    // the first 50 take a moment, so the rest wait in the queue; then each of those ends
    // at once, freeing its slot from inside the scheduler's own loop
    let late = false;
    const expired = await runCycle<number, number>({
      devices, keyOf: String, guard: new InFlightGuard(), scheduler: new FleetScheduler(50),
      pollCb: (d, report) => setTimeout(() => { late = true; report(d); }, 5),
      isOk: () => true, onResult: () => undefined, expired: () => late,
    });
    assert.equal(expired.ok, 50);
    assert.equal(expired.expired, 50_000 - 50);
    const sync = await runCycle<number, number>({
      devices, keyOf: String, guard: new InFlightGuard(), scheduler: new FleetScheduler(50),
      pollCb: (d, report) => (d < 50 ? setTimeout(() => report(d), 5) : report(d)), isOk: () => true, onResult: () => undefined,
    });
    assert.equal(sync.ok, 50_000);
  });

  it('keeps each device identity once, and computes it again when the device changes', () => {
    const d = { host: 'Router.Example.', port: 161 };
    const first = deviceKey(d);
    assert.equal(first, 'router.example:161');
    assert.equal(deviceKey(d), first);
    d.host = '2001:DB8::1';
    assert.equal(deviceKey(d), '[2001:db8::1]:161');
    d.port = 1161;
    assert.equal(deviceKey(d), '[2001:db8::1]:1161');
  });

  it('skips and counts a device whose previous poll is still running', async () => {
    const s = new FleetScheduler(10);
    const guard = new InFlightGuard();
    const polled: string[] = [];
    const cycle = (devices: string[], delay: number) => runCycle<string, boolean>({
      devices, keyOf: (d) => d, guard, scheduler: s,
      poll: async (d) => { polled.push(d); await tick(delay); return d !== 'dead'; },
      onResult: () => undefined, isOk: (r) => r,
    });
    const slow = cycle(['a', 'b', 'dead'], 50);
    const second = await cycle(['a', 'c'], 0);
    assert.deepEqual({ ok: second.ok, skipped: second.skipped, total: second.total }, { ok: 1, skipped: 1, total: 2 });
    const first = await slow;
    assert.deepEqual({ ok: first.ok, failed: first.failed, skipped: first.skipped }, { ok: 2, failed: 1, skipped: 0 });
    assert.deepEqual(polled.sort(), ['a', 'b', 'c', 'dead']);
    assert.equal(guard.size, 0);
  });

  it('keeps the cycle going when delivering one result throws', async () => {
    const s = new FleetScheduler(2);
    const summary = await runCycle<number, number>({
      devices: [1, 2, 3], keyOf: String, guard: new InFlightGuard(), scheduler: s,
      poll: async (d) => d, isOk: () => true,
      onResult: (d) => { if (d === 2) throw new Error('sink broke'); },
    });
    assert.equal(summary.ok, 3);
    assert.equal(summary.deliveryErrors, 1);
    assert.equal(summary.lastDeliveryError, 'sink broke');
  });
});
