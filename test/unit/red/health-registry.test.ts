/**
 * The process-wide health register: sources come and go with their nodes, a shared
 * listener reports once, families of the same name merge, a failing source is left out.
 */
import { strict as assert } from 'assert';
import { withLabels, type HealthFamily } from '../../../src/lib/common/health';
import { collectHealth, healthSourceCount, registerHealth } from '../../../src/lib/red/health-registry';
import { alertHealth, nodeLabels, trapHealth } from '../../../src/lib/red/health-sources';

const polls = (node: string, value: number): HealthFamily[] => [
  { name: 'snmp_fleet_polls_total', type: 'counter', help: 'polls', labelNames: ['node'], samples: [{ labels: { node }, value }] },
];

describe('health registry', () => {
  it('merges what the registered sources report, once per key, and forgets them when they leave', () => {
    const base = healthSourceCount();
    const offA = registerHealth('node-a', () => polls('a', 1));
    const offB = registerHealth('node-b', () => polls('b', 2));
    const stats = { received: 9, accepted: 5, rejected: 2, malformed: 1, rateLimited: 1, discovery: 0, informs: 3, reports: 0, sendErrors: 0, internalErrors: 0, truncated: 0, varbindsDropped: 0 };
    const offT1 = registerHealth('trap-listener 0.0.0.0:10162', () => trapHealth('0.0.0.0:10162', stats));
    const offT2 = registerHealth('trap-listener 0.0.0.0:10162', () => trapHealth('0.0.0.0:10162', stats));
    const offBad = registerHealth('broken', () => { throw new Error('boom'); });
    try {
      const all = collectHealth();
      // other tests' nodes may have registered too: look at this test's own
      const mine = all.find((f) => f.name === 'snmp_fleet_polls_total')!.samples.filter((s) => ['a', 'b'].includes(s.labels.node));
      assert.deepEqual(mine.map((s) => s.value), [1, 2]);
      const ours = (name: string) => collectHealth().find((f) => f.name === name)?.samples.filter((s) => s.labels.listener === '0.0.0.0:10162') ?? [];
      assert.deepEqual(ours('snmp_fleet_trap_received_total'), [{ labels: { listener: '0.0.0.0:10162' }, value: 9 }], 'two nodes on one listener report it once');
      assert.equal(ours('snmp_fleet_trap_rate_limited_total')[0].value, 1);
      offT1();
      assert.equal(ours('snmp_fleet_trap_received_total').length, 1, 'the other node still holds the listener');
    } finally {
      offA(); offB(); offT2(); offBad();
    }
    assert.equal(healthSourceCount(), base);
    assert.equal((collectHealth().find((f) => f.name === 'snmp_fleet_trap_received_total')?.samples ?? []).filter((s) => s.labels.listener === '0.0.0.0:10162').length, 0);
  });

  it('reports alerts by phase, labelled with the node\'s name and id so equal names stay apart', () => {
    const a = withLabels(alertHealth({ firing: 2, pending: 1 }), nodeLabels({ id: 'n1', name: 'to Slack' }));
    const b = withLabels(alertHealth({ firing: 0, pending: 0 }), nodeLabels({ id: 'n2', name: 'to Slack' }));
    assert.deepEqual(a.map((f) => [f.name, f.type, f.labelNames, f.samples[0]]), [
      ['snmp_fleet_alerts_firing', 'gauge', ['node', 'node_id'], { labels: { node: 'to Slack', node_id: 'n1' }, value: 2 }],
      ['snmp_fleet_alerts_pending', 'gauge', ['node', 'node_id'], { labels: { node: 'to Slack', node_id: 'n1' }, value: 1 }],
    ]);
    assert.deepEqual(b[0].samples[0].labels, { node: 'to Slack', node_id: 'n2' });
    assert.deepEqual(nodeLabels({ id: 'abc' }), { node: 'abc', node_id: 'abc' });
  });
});
