import { strict as assert } from 'assert';
import os from 'os';
import sinon from 'sinon';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { SessionPool, canonicalAddress } from '../../../src/lib/snmp/session-pool';
import { pollGet } from '../../../src/lib/poll/device-poll';
import { startFakeAgent, startRawAgent, response, varbind } from '../../support/fake-agent';

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

  it('writes a link-local zone given as an interface index as the name replies carry', () => {
    const stub = sinon.stub(os, 'networkInterfaces').returns({
      lo: [{ address: '::1', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', family: 'IPv6', mac: '00:00:00:00:00:00', internal: true, cidr: '::1/128', scopeid: 0 }],
      eth0: [{ address: 'fe80::fc:ff:fe00:1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:fc:00:00:00:01', internal: false, cidr: 'fe80::fc:ff:fe00:1/64', scopeid: 4 }],
    });
    try {
      assert.equal(canonicalAddress('fe80::1%4'), 'fe80::1%eth0');
      assert.equal(canonicalAddress('fe80::1%9'), 'fe80::1%9', 'no interface with that index: kept as written');
      assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1%eth0');
    } finally {
      stub.restore();
    }
  });

  it('does not count an answer as stray when its callback sends the next request at once', async () => {
    // SNMPv1 noSuchName for the second OID: the poll asks again for the first at once, in
    // the answer's callback; then the device goes quiet
    const agent = await startRawAgent((req, n) => (n === 1 ? response(0, 'public', req.reqId, Buffer.concat(req.oids.map((o) => varbind(o, Buffer.from([0x05, 0])))), { status: 2, index: 2 }) : null));
    const profile = buildProfile({ version: '1', timeout: 150, retries: 0, deadline: 5000 }, { community: 'public' });
    const pool = new SessionPool(profile);
    try {
      const r = await pollGet({ pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'd', labels: {} }, ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.2.0']);
      assert.equal(agent.requests.length, 2);
      assert.equal(pool.stats.stray, 0);
      assert.ok(!r.ok && r.failure.code === 'timeout' && /device down/.test(r.failure.message), JSON.stringify(r));
    } finally {
      pool.close();
      await agent.close();
    }
  });

  it('ends a request at once when its reply makes net-snmp throw after taking it (a Report PDU on v2c)', async () => {
    const agent = await startRawAgent((req) => response(1, 'public', req.reqId, Buffer.concat(req.oids.map((o) => varbind(o, Buffer.from([0x05, 0])))), { pduType: 0xa8 }));
    const profile = buildProfile({ version: '2c', timeout: 200, retries: 1, deadline: 10000 }, { community: 'public' });
    const pool = new SessionPool(profile);
    try {
      const started = Date.now();
      const r = await pollGet({ pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'd', labels: {} }, ['1.3.6.1.2.1.1.1.0']);
      assert.ok(!r.ok && r.failure.code === 'bad-response', JSON.stringify(r));
      assert.ok(Date.now() - started < 5000, 'answered, not left for the 10-s deadline');
      assert.equal(pool.stats.malformed, 1, 'the reply is counted as malformed');
      assert.equal(pool.stats.stray, 0);
    } finally {
      pool.close();
      await agent.close();
    }
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
