/**
 * Issue 14, defect 1: an agent that answers every SNMPv3 request with an unauthenticated
 * Report (engine boots 0, time 0, a fresh engine ID each time) must not make the poller
 * re-send without end, nor grow the process's key cache without bound.
 */
import { strict as assert } from 'assert';
import * as snmp from 'net-snmp';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { FleetEngine } from '../../../src/lib/poll/fleet-engine';
import { pollGet, pollWalk } from '../../../src/lib/poll/device-poll';
import { runPollCycle } from '../../../src/lib/poll/cycle';
import { InFlightGuard } from '../../../src/lib/poll/scheduler';
import { MAX_REPORT_RESENDS } from '../../../src/lib/snmp/report-limit';
import { DEFAULT_KEY_CACHE_LIMIT, keyCacheSize, localizeKey, setKeyCacheLimit } from '../../../src/lib/snmp/key-cache';
import { startFleet } from '../../../src/sim/fleet';
import type { V3User } from '../../../src/lib/common/types';
import { startHostileV3Agent, USM_NOT_IN_TIME_WINDOWS } from '../../support/hostile-v3-agent';
import { startFakeAgent } from '../../support/fake-agent';

const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const USER: V3User = { name: 'ops', level: 'authPriv', authProtocol: 'sha', authKey: 'auth-secret-1', privProtocol: 'aes', privKey: 'priv-secret-1' };

function v3Profile(extra: Record<string, unknown> = {}) {
  return buildProfile(
    { version: '3', user: USER.name, securityLevel: USER.level, authProtocol: USER.authProtocol, privProtocol: USER.privProtocol, timeout: 1000, retries: 1, deadline: 5000, ...extra },
    { authKey: USER.authKey, privKey: USER.privKey },
  );
}

/** Resolves after `ms`; used only to give a misbehaving poller room to misbehave. */
function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('SNMPv3 report loop (issue 14, defect 1)', function () {
  this.timeout(60000);

  it('abandons a request after a few re-sends on Reports with boots 0 / time 0 and a fresh engine ID each', async () => {
    const agent = await startHostileV3Agent();
    const profile = v3Profile();
    const engine = new FleetEngine(profile);
    try {
      const r = await pollGet({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'hostile', labels: {} }, [SYS_UPTIME]);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.failure.code, 'auth');
      assert.match(r.failure.message, /report loop/);
      assert.match(r.failure.message, /different engine IDs/);
      assert.ok(!r.failure.message.includes(USER.authKey!) && !r.failure.message.includes(USER.privKey!), 'no key in the message');
      // discovery plus MAX_REPORT_RESENDS re-sends, and nothing after the failure
      assert.equal(agent.requests, 1 + MAX_REPORT_RESENDS);
      await pause(2 * profile.timeout + 200);
      assert.equal(agent.requests, 1 + MAX_REPORT_RESENDS, 'no datagram after the failure');
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('abandons a request on a fixed engine ID reporting notInTimeWindow with boots 0 / time 0, poll after poll', async () => {
    const agent = await startHostileV3Agent({ engineId: Buffer.from('80001f88040102030405060708', 'hex'), reportOid: USM_NOT_IN_TIME_WINDOWS });
    const profile = v3Profile();
    const engine = new FleetEngine(profile);
    try {
      const device = { host: '127.0.0.1', port: agent.port, name: 'hostile', labels: {} };
      for (let poll = 1; poll <= 3; poll++) {
        const r = await pollGet({ pool: engine.pool, profile }, device, [SYS_UPTIME]);
        assert.ok(!r.ok && r.failure.code === 'auth' && /report loop/.test(r.failure.message), `poll ${poll}: ${JSON.stringify(r)}`);
        // later polls start on the discovered engine: first send plus the re-sends
        assert.equal(agent.requests, poll * (1 + MAX_REPORT_RESENDS));
      }
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('ends every request at the device deadline even while Reports keep coming', async () => {
    // Reports 300 ms apart: the report limit alone would allow about 1.2 s; the deadline is 500 ms
    const agent = await startHostileV3Agent({ delayMs: 300 });
    const profile = v3Profile({ timeout: 2000, retries: 3, deadline: 500 });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollGet({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'slow-hostile', labels: {} }, [SYS_UPTIME]);
      assert.ok(!r.ok && r.failure.code === 'timeout' && /deadline of 500 ms/.test(r.failure.message), JSON.stringify(r));
      const atDeadline = agent.requests;
      // a Report already on its way arrives after the deadline; it must not be answered
      await pause(1500);
      assert.equal(agent.requests, atDeadline, 'no request sent after the deadline');
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('stops retrying a silent v2c agent at the deadline', async () => {
    const agent = await startFakeAgent('silent');
    const profile = buildProfile({ version: '2c', timeout: 200, retries: 10, deadline: 300 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollGet({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'silent', labels: {} }, [SYS_UPTIME]);
      assert.ok(!r.ok && r.failure.code === 'timeout');
      const atDeadline = agent.requests;
      assert.ok(atDeadline >= 1 && atDeadline <= 2, `${atDeadline} requests within the deadline`);
      await pause(1000);
      assert.equal(agent.requests, atDeadline, 'the 10 retries were not sent');
      assert.equal(engine.pool.mux.routeCount, 1);
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('stops retrying a silent SNMPv3 agent at the deadline in a walk, whose answer net-snmp hands over through our callback', async () => {
    const agent = await startFakeAgent('silent');
    const profile = v3Profile({ timeout: 200, retries: 10, deadline: 300 });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollWalk({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'silent', labels: {} }, ['1.3.6.1.2.1.2.2.1.2'], { nonRepeaters: 0, maxRepetitions: 10, maxVarbinds: 10000 });
      assert.ok(!r.ok && r.failure.code === 'timeout', JSON.stringify(r));
      const atDeadline = agent.requests;
      assert.ok(atDeadline >= 1 && atDeadline <= 2, `${atDeadline} requests within the deadline`);
      await pause(1000);
      assert.equal(agent.requests, atDeadline, 'the 10 retries were not sent');
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('keeps the other devices of the cycle polling', async () => {
    const agent = await startHostileV3Agent();
    const fleet = await startFleet({ count: 3, interfaces: 2, version: '3', v3Users: [USER] });
    const profile = v3Profile({ concurrency: 2 });
    const engine = new FleetEngine(profile);
    try {
      const devices = [
        { host: '127.0.0.1', port: agent.port, name: 'hostile', labels: {} },
        ...fleet.devices.map((d) => ({ host: d.host, port: d.port, name: d.name, labels: {} })),
      ];
      const results = new Map<string, { port: number; code?: string }>();
      const summary = await runPollCycle(
        { engine, mib: undefined, guard: new InFlightGuard(), source: { id: 'n1', type: 'snmp-get' } },
        { kind: 'get', devices, oids: [SYS_UPTIME] },
        (port, fields) => results.set(fields.topic, { port, code: (fields.error as { code?: string } | undefined)?.code }),
      );
      assert.equal(summary.ok, 3);
      assert.equal(summary.failed, 1);
      assert.deepEqual(results.get('hostile'), { port: 1, code: 'auth' });
      for (const d of fleet.devices) assert.equal(results.get(d.name)?.port, 0, `${d.name} answered`);
    } finally {
      engine.close();
      await fleet.close();
      await agent.close();
    }
  });

  describe('localized key cache', () => {
    afterEach(() => setKeyCacheLimit(DEFAULT_KEY_CACHE_LIMIT));

    it('computes the keys of RFC 3414 A.3 and is what net-snmp uses', () => {
      const engineID = Buffer.from('000000000000000000000002', 'hex');
      assert.equal(localizeKey(snmp.AuthProtocols.md5, 'maplesyrup', engineID).toString('hex'), '526f5eed9fcce26f8964c2930787d82b');
      assert.equal(localizeKey(snmp.AuthProtocols.sha, 'maplesyrup', engineID).toString('hex'), '6695febc9288e36282235fc7151f128497b38f3f');
      assert.equal((snmp as any).Authentication.passwordToKey, localizeKey);
    });

    it('holds at most its limit however many engine IDs are reported', async () => {
      setKeyCacheLimit(8);
      const agent = await startHostileV3Agent();
      const profile = v3Profile();
      const engine = new FleetEngine(profile);
      try {
        for (let i = 0; i < 5; i++) {
          const r = await pollGet({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'hostile', labels: {} }, [SYS_UPTIME]);
          assert.equal(r.ok, false);
        }
        assert.ok(agent.engineIds.size >= 5 * MAX_REPORT_RESENDS, `${agent.engineIds.size} engine IDs reported`);
        assert.ok(keyCacheSize() <= 8, `${keyCacheSize()} keys held`);
        assert.deepEqual(Object.keys((snmp as any).Authentication.authToKeyCache), [], 'net-snmp\'s own cache stays empty');
      } finally {
        engine.close();
        await agent.close();
      }
    });

    it('keeps the most recently used keys', () => {
      setKeyCacheLimit(2);
      const e = (n: number) => Buffer.from(`80001f8804${String(n).padStart(8, '0')}`, 'hex');
      const first = localizeKey(snmp.AuthProtocols.md5, 'password-a', e(1));
      localizeKey(snmp.AuthProtocols.md5, 'password-a', e(2));
      assert.equal(localizeKey(snmp.AuthProtocols.md5, 'password-a', e(1)), first, 'a hit returns the held key');
      localizeKey(snmp.AuthProtocols.md5, 'password-a', e(3)); // evicts e(2), the least recently used
      assert.equal(keyCacheSize(), 2);
      assert.equal(localizeKey(snmp.AuthProtocols.md5, 'password-a', e(1)), first, 'e(1) was kept');
      assert.throws(() => setKeyCacheLimit(0), RangeError);
    });
  });
});
