/**
 * Which devices are down: a device is reported when it falls and when it recovers, never
 * once per cycle, and one device's answers say nothing of another's state.
 */
import { strict as assert } from 'assert';
import type { PollResult } from '../../../src/lib/poll/device-poll';
import { DeviceHealth } from '../../../src/lib/poll/health';

// a fresh device object per result, as a new trigger's targets give: identity is host and port
const device = (i: number) => ({ host: `192.0.2.${i}`, port: 161, name: `d${i}`, labels: {} });
const ok = (i: number): PollResult => ({ ok: true, device: device(i), varbinds: [], infos: [], nonRepeaterCount: 0, time: 0, elapsedMs: 5, requests: 1 });
const down = (i: number, code: 'timeout' | 'auth' = 'timeout'): PollResult => ({
  ok: false, device: device(i), failure: { code, message: 'no response' }, time: 0, elapsedMs: 3000, requests: 2,
});

describe('device health (down and up transitions)', () => {
  it('reports a fall once, then the recovery once', () => {
    const h = new DeviceHealth();
    assert.equal(h.update(ok(1)), undefined, 'an answering device is no news');
    const fell = h.update(down(1));
    assert.equal(fell?.state, 'down');
    assert.equal(fell?.state === 'down' && fell.reason, 'timeout: no response');
    assert.equal(h.update(down(1)), undefined, 'still down: not reported again');
    assert.equal(h.downCount, 1);
    assert.deepEqual(h.update(ok(1)), { device: device(1), state: 'up' });
    assert.equal(h.update(ok(1)), undefined, 'up again: not reported again');
    assert.equal(h.downCount, 0);
  });

  it('keeps each device apart: another device answering does not recover a fallen one', () => {
    const h = new DeviceHealth();
    h.update(down(1));
    h.update(down(2, 'auth'));
    assert.equal(h.update(ok(3)), undefined);
    assert.equal(h.downCount, 2);
    assert.equal(h.update(ok(2))?.state, 'up');
    assert.equal(h.downCount, 1);
    assert.equal(h.update(ok(2)), undefined);
    assert.equal(h.update(ok(1))?.state, 'up');
    assert.equal(h.downCount, 0);
  });

  it('forgets a down device no longer polled after three cycles, and one that left the schedule at once', () => {
    const h = new DeviceHealth();
    h.update(down(1));
    h.update(down(2));
    for (let cycle = 0; cycle < 3; cycle++) {
      h.update(down(2)); // still polled, still down
      h.endCycle();
    }
    assert.equal(h.downCount, 2, 'three cycles without device 1: still remembered');
    h.update(down(2));
    h.endCycle();
    assert.equal(h.downCount, 1, 'device 1 forgotten after its fourth cycle away');
    assert.equal(h.update(down(2)), undefined, 'device 2, polled each cycle, is still known to be down');
    assert.equal(h.update(down(1))?.state, 'down', 'device 1 back and still down: its fall is news again');
    h.retain((key) => key !== '192.0.2.2:161');
    assert.equal(h.downCount, 1);
    assert.equal(h.update(ok(2)), undefined, 'device 2 left the schedule: nothing to recover from');
  });

  it('forgets everything on clear', () => {
    const h = new DeviceHealth();
    h.update(down(1));
    h.clear();
    assert.equal(h.update(ok(1)), undefined, 'a cleared device has nothing to recover from');
    assert.equal(h.update(down(1))?.state, 'down');
  });
});
