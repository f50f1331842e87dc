import { strict as assert } from 'assert';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { SessionPool, canonicalAddress } from '../../../src/lib/snmp/session-pool';
import { pollGet } from '../../../src/lib/poll/device-poll';
import { startFakeAgent } from '../../support/fake-agent';

import { openUdpSockets as udpHandles } from '../../support/handles';

describe('session pool', function () {
  this.timeout(20000);

  it('reuses one session per device and shares one UDP socket for all', async () => {
    const baseline = udpHandles();
    const agents = await Promise.all([1, 2, 3, 4, 5].map(() => startFakeAgent('valid')));
    const profile = buildProfile({ version: '2c', timeout: 500, retries: 0 }, { community: 'public' });
    const before = udpHandles();
    assert.equal(before - baseline, 5, 'the counter sees the agents');
    const pool = new SessionPool(profile);
    try {
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(agents.map((a) => pollGet({ pool, profile }, { host: '127.0.0.1', port: a.port, name: 'd', labels: {} }, ['1.3.6.1.2.1.1.3.0'])));
        assert.ok(results.every((r) => r.ok));
      }
      assert.equal(pool.size, 5);
      assert.equal(pool.stats.created, 5, 'sessions are reused across polls');
      assert.equal(udpHandles() - before, 1, 'one socket for five devices');
    } finally {
      pool.close();
      await Promise.all(agents.map((a) => a.close()));
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(udpHandles(), baseline, 'close releases the socket');
  });

  it('closes idle sessions and the least recently used past its bound', async () => {
    const agents = await Promise.all([1, 2, 3].map(() => startFakeAgent('valid')));
    const profile = buildProfile({ version: '2c', timeout: 500, retries: 0 }, { community: 'public' });
    let now = 1000;
    const pool = new SessionPool(profile, { maxSessions: 2, idleMs: 60000, now: () => now });
    try {
      for (const a of agents) {
        now += 10;
        const r = await pollGet({ pool, profile, now: () => now }, { host: '127.0.0.1', port: a.port, name: 'd', labels: {} }, ['1.3.6.1.2.1.1.3.0']);
        assert.ok(r.ok);
      }
      assert.equal(pool.size, 2, 'bounded at maxSessions');
      assert.equal(pool.stats.closed, 1);
      now += 61000;
      assert.equal(pool.sweep(), 2);
      assert.equal(pool.size, 0);
    } finally {
      pool.close();
      await Promise.all(agents.map((a) => a.close()));
    }
  });

  it('drops datagrams from an address it does not poll', async () => {
    const agent = await startFakeAgent('valid');
    const profile = buildProfile({ version: '2c', timeout: 300, retries: 0 }, { community: 'public' });
    const pool = new SessionPool(profile);
    try {
      const r = await pollGet({ pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'd', labels: {} }, ['1.3.6.1.2.1.1.3.0']);
      assert.ok(r.ok);
      const { port } = pool.mux.address();
      const dgram = await import('dgram');
      const intruder = dgram.createSocket('udp4');
      await new Promise<void>((res) => intruder.send(Buffer.from('302b02010104067075626c6963a61e02050100000000020100020100300f300d06082b06010201010300430101', 'hex'), port, '127.0.0.1', () => res()));
      await new Promise((res) => setTimeout(res, 50));
      intruder.close();
      assert.equal(pool.mux.stats.unmatched, 1);
    } finally {
      pool.close();
      await agent.close();
    }
  });

  it('shares one session between two spellings of the same agent', async () => {
    const agent = await startFakeAgent('valid');
    const profile = buildProfile({ version: '2c', timeout: 400, retries: 0 }, { community: 'public' });
    const pool = new SessionPool(profile);
    try {
      const oids = ['1.3.6.1.2.1.1.3.0'];
      for (let round = 0; round < 3; round++) {
        const [byName, byAddress] = await Promise.all([
          pollGet({ pool, profile }, { host: 'localhost', port: agent.port, name: 'by-name', labels: {} }, oids),
          pollGet({ pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'by-address', labels: {} }, oids),
        ]);
        assert.ok(byName.ok && byAddress.ok, `round ${round}: both spellings answer`);
        assert.equal(byName.device.name, 'by-name');
        assert.equal(byAddress.device.name, 'by-address');
      }
      assert.equal(pool.size, 1);
      assert.equal(pool.stats.created, 1);
    } finally {
      pool.close();
      await agent.close();
    }
  });

  it('writes addresses the way replies carry them, keeping a link-local zone', () => {
    assert.equal(canonicalAddress('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canonicalAddress('FE80:0::FC:FF:FE00:1%eth0'), 'fe80::fc:ff:fe00:1%eth0');
    assert.equal(canonicalAddress('2001:DB8::5'), '2001:db8::5');
    assert.equal(canonicalAddress('192.0.2.1'), '192.0.2.1');
  });

  it('reports a host name that does not resolve as unreachable', async () => {
    const profile = buildProfile({ version: '2c', timeout: 300, retries: 0 }, { community: 'public' });
    const pool = new SessionPool(profile);
    try {
      const r = await pollGet({ pool, profile }, { host: 'no-such-host.invalid', port: 161, name: 'ghost', labels: {} }, ['1.3.6.1.2.1.1.3.0']);
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.failure.code, 'unreachable');
    } finally {
      pool.close();
    }
  });
});
