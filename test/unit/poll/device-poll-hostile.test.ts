import { strict as assert } from 'assert';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { FleetEngine } from '../../../src/lib/poll/fleet-engine';
import { pollGet, pollWalk } from '../../../src/lib/poll/device-poll';
import { startFakeAgent, type FakeMode } from '../../support/fake-agent';

describe('poller against a hostile agent', function () {
  this.timeout(20000);
  const modes: Array<[FakeMode, RegExp]> = [
    ['truncated', /bad-response/],
    ['wrong-type', /bad-response/],
    ['reqid5', /bad-response/],
    ['random', /bad-response/],
    ['empty', /bad-response/],
    ['wrong-community', /bad-response/],
  ];

  for (const [mode, expected] of modes) {
    it(`survives "${mode}" replies and reports ${expected.source}`, async () => {
      const agent = await startFakeAgent(mode);
      const profile = buildProfile({ version: '2c', timeout: 300, retries: 1, deadline: 5000 }, { community: 'public' });
      const engine = new FleetEngine(profile);
      try {
        const device = { host: '127.0.0.1', port: agent.port, name: 'hostile', labels: {} };
        const r = await pollGet({ pool: engine.pool, profile }, device, ['1.3.6.1.2.1.1.3.0']);
        assert.equal(r.ok, false);
        if (!r.ok) {
          assert.match(r.failure.code, expected);
          assert.ok(!/public/.test(r.failure.message), 'no community in the message');
        }
        assert.ok(agent.requests >= 1);
        // the process is alive and the same pool still polls a healthy agent
        agent.setMode('valid');
        const ok = await pollGet({ pool: engine.pool, profile }, device, ['1.3.6.1.2.1.1.3.0']);
        assert.equal(ok.ok, true);
        if (ok.ok) assert.equal(ok.varbinds[0].value, 12345);
      } finally {
        engine.close();
        await agent.close();
      }
    });
  }

  it('decodes leniently a reply whose outer length is wrong but whose content is whole', async () => {
    const agent = await startFakeAgent('bad-length');
    const profile = buildProfile({ version: '2c', timeout: 300, retries: 0 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollGet({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'x', labels: {} }, ['1.3.6.1.2.1.1.3.0']);
      // either the true value or a bad-response: never an invented one
      if (r.ok) assert.equal(r.varbinds[0].value, 12345);
      else assert.equal(r.failure.code, 'bad-response');
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('takes the valid reply after a garbage datagram', async () => {
    const agent = await startFakeAgent('garbage-then-valid');
    const profile = buildProfile({ version: '2c', timeout: 500, retries: 0 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const r = await pollGet({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'x', labels: {} }, ['1.3.6.1.2.1.1.3.0']);
      assert.equal(r.ok, true);
      assert.ok(engine.pool.stats.malformed >= 1, 'the garbage was counted');
    } finally {
      engine.close();
      await agent.close();
    }
  });

  it('stops a walk at the deadline with a timeout', async () => {
    const agent = await startFakeAgent('silent');
    const profile = buildProfile({ version: '2c', timeout: 2000, retries: 5, deadline: 300 }, { community: 'public' });
    const engine = new FleetEngine(profile);
    try {
      const started = Date.now();
      const r = await pollWalk({ pool: engine.pool, profile }, { host: '127.0.0.1', port: agent.port, name: 'x', labels: {} }, ['1.3.6.1.2.1.2.2'], { nonRepeaters: 0, maxRepetitions: 25, maxVarbinds: 1000 });
      assert.equal(r.ok, false);
      if (!r.ok) {
        assert.equal(r.failure.code, 'timeout');
        assert.match(r.failure.message, /deadline of 300 ms/);
      }
      assert.ok(Date.now() - started < 10000);
    } finally {
      engine.close();
      await agent.close();
    }
  });
});
