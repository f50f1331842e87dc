import { strict as assert } from 'assert';
import fc from 'fast-check';
import { FleetScheduler, InFlightGuard, runCycle, withDeadline } from '../../../src/lib/poll/scheduler';

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

  it('bounds a task by its deadline', async () => {
    await assert.rejects(withDeadline(30, () => tick(1000).then(() => 'late')), /deadline of 30 ms/);
    assert.equal(await withDeadline(1000, async () => 'early'), 'early');
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
