/**
 * When the spool sends (src/lib/spool/dispatcher.ts): the in-flight bound, one probe at
 * a time after a failure with a doubling wait up to the cap, acknowledgement timeouts,
 * and late answers of earlier attempts.
 */
import { strict as assert } from 'assert';
import { Dispatcher } from '../../../src/lib/spool/dispatcher';

const T0 = 1_000_000;

describe('spool dispatcher', () => {
  it('lets at most maxInFlight messages await their acknowledgement', () => {
    const d = new Dispatcher({ maxInFlight: 3, ackTimeoutMs: 60000, retryMaxMs: 30000 });
    assert.equal(d.room(T0), 3);
    d.sent(1, T0, '');
    d.sent(2, T0, '');
    assert.equal(d.room(T0), 1);
    d.sent(3, T0, '');
    assert.equal(d.room(T0), 0);
    assert.equal(d.acked(2), true);
    assert.equal(d.room(T0), 1);
    assert.ok(d.isInFlight(1) && !d.isInFlight(2));
  });

  it('after a failure waits 1 s, 2 s, 4 s ... up to retryMax, one probe at a time, and is back to full speed on the first ack', () => {
    const d = new Dispatcher({ maxInFlight: 4, ackTimeoutMs: 60000, retryMaxMs: 5000 });
    let now = T0;
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      assert.equal(d.room(now), i === 0 ? 4 : 1);
      const attempt = d.sent(7, now, '');
      assert.equal(attempt, i + 1);
      assert.equal(d.failed(7, attempt, now), true);
      waits.push(d.retryTime! - now);
      assert.equal(d.room(now), 0, 'nothing during the wait');
      assert.equal(d.nextWake(now), d.retryTime);
      now = d.retryTime!;
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 5000, 5000]);
    d.sent(7, now, '');
    assert.equal(d.room(now), 0, 'a single probe');
    d.acked(7);
    assert.equal(d.failures, 0);
    assert.equal(d.retryTime, undefined);
    assert.equal(d.room(now), 4);
  });

  it('turns an overdue acknowledgement into a failure, and takes a late ack of that attempt as delivered', () => {
    const d = new Dispatcher({ maxInFlight: 2, ackTimeoutMs: 10000, retryMaxMs: 30000 });
    d.sent(1, T0, '');
    d.sent(2, T0 + 5000, '');
    assert.equal(d.nextWake(T0), T0 + 10000);
    assert.deepEqual(d.expire(T0 + 9999), []);
    assert.deepEqual(d.expire(T0 + 10000), [1]);
    assert.equal(d.timeouts, 1);
    assert.ok(!d.isInFlight(1) && d.isInFlight(2));
    assert.equal(d.failures, 1);
    // the write happened after all: the late acknowledgement releases it and ends the failure
    d.acked(1);
    assert.equal(d.failures, 0);
  });

  it('ignores the late failure of an earlier attempt while a later one is in flight', () => {
    const d = new Dispatcher({ maxInFlight: 1, ackTimeoutMs: 1000, retryMaxMs: 1000 });
    d.sent(5, T0, '');
    d.expire(T0 + 1000);
    const second = d.sent(5, T0 + 2000, '');
    assert.equal(second, 2);
    assert.equal(d.failed(5, 1, T0 + 2100), false);
    assert.ok(d.isInFlight(5));
    assert.equal(d.failed(5, 2, T0 + 2200), true);
  });

  it('forgets messages dropped while in flight', () => {
    const d = new Dispatcher({ maxInFlight: 2, ackTimeoutMs: 1000, retryMaxMs: 1000 });
    d.sent(1, T0, '');
    d.sent(2, T0, '');
    d.forget((seq) => seq !== 1);
    assert.ok(!d.isInFlight(1) && d.isInFlight(2));
    assert.equal(d.room(T0), 1);
  });

  it('remembers which attempts the sink reported failed, until the message is released', () => {
    const d = new Dispatcher({ maxInFlight: 4, ackTimeoutMs: 60000, retryMaxMs: 5000 });
    assert.equal(d.sent(7, T0, ''), 1);
    assert.equal(d.failed(7, 1, T0), true);
    assert.equal(d.hasFailed(7, 1), true, 'its completion after the error is not an acknowledgement');
    assert.equal(d.hasFailed(7, 2), false);
    assert.equal(d.sent(7, T0 + 1000, ''), 2);
    // a timeout is not a reported failure: a late acknowledgement of it still counts
    d.expire(T0 + 70000);
    assert.equal(d.hasFailed(7, 2), false);
    d.acked(7);
    assert.equal(d.hasFailed(7, 1), false, 'forgotten once released');
  });
});
