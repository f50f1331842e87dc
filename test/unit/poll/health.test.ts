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

  it('forgets everything on clear', () => {
    const h = new DeviceHealth();
    h.update(down(1));
    h.clear();
    assert.equal(h.update(ok(1)), undefined, 'a cleared device has nothing to recover from');
    assert.equal(h.update(down(1))?.state, 'down');
  });
});
