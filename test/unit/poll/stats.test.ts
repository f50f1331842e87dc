/**
 * A poll node's health numbers: per device up and duration, polls, failures by code,
 * requests, varbinds and skips; devices that left the targets are forgotten.
 */
import { strict as assert } from 'assert';
import type { PollResult } from '../../../src/lib/poll/device-poll';
import { PollStats } from '../../../src/lib/poll/stats';

const device = (i: number, port = 161) => ({ host: `192.0.2.${i}`, port, name: `d${i}`, labels: {} });
const ok = (i: number, varbinds = 3, port = 161): PollResult => ({
  ok: true, device: device(i, port), varbinds: Array.from({ length: varbinds }, () => ({ oid: '1', name: '1', type: 'Integer', value: 1 })),
  infos: [], nonRepeaterCount: 0, time: 0, elapsedMs: 250, requests: 2,
});
const failed = (i: number, code: 'timeout' | 'auth'): PollResult => ({ ok: false, device: device(i), failure: { code, message: code }, time: 0, elapsedMs: 3000, requests: 2 });
const summary = (skipped = 0) => ({ total: 0, ok: 0, failed: 0, skipped, elapsedMs: 1500 });

function family(stats: PollStats, name: string) {
  return stats.families().find((f) => f.name === name);
}

describe('poll stats (health of a poll node)', () => {
  it('reports each device up or down with its last poll duration, and the totals', () => {
    const s = new PollStats();
    s.record(ok(1, 10, 1161));
    s.record(failed(2, 'timeout'));
    s.record(failed(3, 'timeout'));
    s.record(failed(4, 'auth'));
    s.endCycle(summary(2));
    assert.deepEqual(family(s, 'snmp_fleet_device_up')!.samples, [
      { labels: { device: 'd1', host: '192.0.2.1:1161' }, value: 1 },
      { labels: { device: 'd2', host: '192.0.2.2' }, value: 0 },
      { labels: { device: 'd3', host: '192.0.2.3' }, value: 0 },
      { labels: { device: 'd4', host: '192.0.2.4' }, value: 0 },
    ]);
    assert.equal(family(s, 'snmp_fleet_device_poll_duration_seconds')!.samples[1].value, 3);
    assert.equal(family(s, 'snmp_fleet_polls_total')!.samples[0].value, 4);
    assert.deepEqual(family(s, 'snmp_fleet_poll_failures_total')!.samples.map((x) => [x.labels.code, x.value]), [['timeout', 2], ['auth', 1]]);
    assert.equal(family(s, 'snmp_fleet_requests_total')!.samples[0].value, 8);
    assert.equal(family(s, 'snmp_fleet_varbinds_total')!.samples[0].value, 10);
    assert.equal(family(s, 'snmp_fleet_skipped_total')!.samples[0].value, 2);
    assert.equal(family(s, 'snmp_fleet_cycle_duration_seconds')!.samples[0].value, 1.5);
    for (const f of s.families()) assert.ok(f.type === 'counter' ? f.name.endsWith('_total') : !f.name.endsWith('_total'), f.name);
  });

  it('turns a device back up, and forgets devices no longer polled', () => {
    const s = new PollStats();
    s.record(failed(1, 'timeout'));
    s.record(ok(2));
    s.endCycle(summary());
    s.record(ok(1));
    s.endCycle(summary());
    assert.deepEqual(family(s, 'snmp_fleet_device_up')!.samples.map((x) => [x.labels.device, x.value]), [['d1', 1], ['d2', 1]]);
    for (let i = 0; i < 3; i++) {
      s.record(ok(1));
      s.endCycle(summary());
    }
    assert.deepEqual(family(s, 'snmp_fleet_device_up')!.samples.map((x) => x.labels.device), ['d1'], 'd2 was not polled for 3 cycles');
  });
});
