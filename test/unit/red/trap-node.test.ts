import { strict as assert } from 'assert';
import { buildProfile } from '../../../src/lib/snmp/profile';
import { clockBoots } from '../../../src/lib/trap/engine-id';
import { findListener } from '../../../src/lib/trap/registry';
import { readTrapSettings, TrapInNode, type TrapConfigLike, type TrapEnvironment, type TrapInDef } from '../../../src/lib/red/trap-node';
import { asyncContext, fakeNode, type FakeNode } from '../../support/fakes';
import { FIXTURE_USERS, freePort, packet, Sender, waitFor } from '../../fixtures/packets/tools';

/** A Node-RED node stand-in whose context survives restarts (as a configured store does). */
function facade(store: Map<string, unknown>, id = 'n1', over: Partial<TrapEnvironment> = {}) {
  const f = fakeNode(asyncContext(store), { id, type: 'trap-in' });
  f.warn = (t) => f.errors.push(`warn:${t}`); // one list, in the order they happened
  const env: TrapEnvironment = { fallbackMib: () => undefined, ...over };
  return { f, env, sent: f.sends as Array<[unknown, unknown]>, statuses: f.statuses, errors: f.errors, warnings: f.warnings };
}

/** trap-in's engine over a fake node. */
function trapIn(fx: { f: FakeNode; env: TrapEnvironment }, def: TrapInDef, configs: TrapConfigLike[]): TrapInNode {
  return new TrapInNode(fx.f, readTrapSettings(def), configs, fx.env);
}

const profile = buildProfile({ version: '2c', inventory: '127.0.0.1 box' }, { community: 'public' });

describe('trap-in engine', () => {
  it('reuses the engine ID kept in context and counts boots up on each start', async () => {
    const port = await freePort();
    const store = new Map<string, unknown>([['engine', { id: '8000b9838001020304', boots: 41 }]]);
    let last = 41;
    for (let i = 0; i < 2; i++) {
      const { f, env } = facade(store);
      const node = trapIn({ f, env }, { port, address: '127.0.0.1' }, [{ id: 'cfg', profile }]);
      node.start();
      try {
        await waitFor(() => node.shared?.status.state === 'listening', 'listening');
        const boots = node.shared?.engine.boots as number;
        assert.equal(node.shared?.engine.id.toString('hex'), '8000b9838001020304');
        assert.ok(boots > last, `boots ${boots} after ${last}`);
        // written on the next turn after the listener opened (no write delay for the engine state)
        await waitFor(() => (store.get('engine') as { boots?: number } | undefined)?.boots === boots, 'the new boots stored');
        assert.deepEqual(store.get('engine'), { id: '8000b9838001020304', boots, clocks: [] });
        last = boots;
      } finally {
        await node.close();
      }
    }
  });

  it('keeps counting up from a persisted boots that is ahead of the clock', async () => {
    const port = await freePort();
    const ahead = clockBoots(Date.now()) + 100_000;
    const store = new Map<string, unknown>([['engine', { id: '8000b9838001020305', boots: ahead }]]);
    const { f, env } = facade(store);
    const node = trapIn({ f, env }, { port, address: '127.0.0.1' }, [{ id: 'cfg', profile }]);
    node.start();
    try {
      await waitFor(() => node.shared?.status.state === 'listening', 'listening');
      assert.equal(node.shared?.engine.boots, ahead + 1);
    } finally {
      await node.close();
    }
  });

  it('warns once per node that a context store which forgets weakens replay protection across restarts', async () => {
    const port = await freePort();
    const v3 = buildProfile({ version: '3', user: 'alice', securityLevel: 'authPriv', authProtocol: 'sha256', privProtocol: 'aes' }, { authKey: FIXTURE_USERS.alice.authKey, privKey: FIXTURE_USERS.alice.privKey });
    const id = `volatile-${Math.random()}`;
    const warnings: string[] = [];
    for (const [persistent, configs] of [[false, [profile]], [true, [v3]], [false, [v3]], [false, [v3]]] as const) {
      const { f, env, errors } = facade(new Map(), id, { contextPersistent: persistent });
      const node = trapIn({ f, env }, { port, address: '127.0.0.1' }, configs.map((p, i) => ({ id: `cfg${i}`, profile: p })));
      node.start();
      try {
        await waitFor(() => node.shared?.status.state === 'listening', 'listening');
      } finally {
        await node.close();
      }
      warnings.push(...errors.filter((e) => e.includes('context-not-persistent')));
    }
    // v2c only: no authoritative engine in use; persistent: nothing to say; then once
    assert.deepEqual(warnings, ['warn:errors.context-not-persistent']);
  });

  it('names senders from the inventory and sets the status on changes only', async () => {
    const port = await freePort();
    const { f, env, sent, statuses } = facade(new Map());
    const node = trapIn({ f, env }, { port, address: '127.0.0.1' }, [{ id: 'cfg', profile }]);
    node.start();
    await waitFor(() => node.shared?.status.state === 'listening', 'listening');
    const sender = new Sender();
    try {
      await sender.send(packet('v2c-trap'), port);
      await waitFor(() => sent.length === 1, 'the trap');
      const msg = sent[0][0] as { device: { name: string }; topic: string };
      assert.equal(msg.device.name, 'box');
      assert.equal(msg.topic, '1.3.6.1.6.3.1.1.5.3', 'numeric without a MIB');
      assert.equal(sent[0][1], null);
    } finally {
      sender.close();
    }
    // a status per state change only, never per trap
    node.refreshStatus();
    node.refreshStatus();
    assert.equal(statuses.filter((s) => /status\.counts/.test(s.text ?? '')).length, 1);
    await node.close();
    assert.deepEqual(statuses[statuses.length - 1], {}, 'status cleared on close');
    assert.equal(findListener('127.0.0.1', port), undefined);
  });

  it('names senders from inventory host names and IPv4-mapped entries, heard on a dual-stack socket', async () => {
    for (const [inventory, name] of [['localhost loc site=here', 'loc'], ['::FFFF:127.0.0.1 mapped site=here', 'mapped']]) {
      const port = await freePort('udp6', '::');
      const { f, env, sent, errors } = facade(new Map());
      const p = buildProfile({ version: '2c', inventory }, { community: 'public' });
      const node = trapIn({ f, env }, { port, address: '::' }, [{ id: 'cfg', profile: p }]);
      node.start();
      const sender = new Sender();
      try {
        await node.namesResolved;
        await waitFor(() => node.shared?.status.state === 'listening', 'listening');
        await sender.send(packet('v2c-trap'), port, '127.0.0.1');
        await waitFor(() => sent.length === 1, 'the trap');
        const msg = sent[0][0] as { device: { host: string; name: string; labels: Record<string, string> } };
        assert.equal(msg.device.name, name, inventory);
        assert.deepEqual(msg.device.labels, { site: 'here' });
        assert.deepEqual(errors, []);
      } finally {
        sender.close();
        await node.close();
      }
    }
  });

  it('warns once naming the inventory host names that do not resolve, and keeps listening', async () => {
    const port = await freePort();
    const lookupHost = async (host: string) => {
      if (host.startsWith('gone')) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return ['127.0.0.1'];
    };
    const { f, env, sent, errors } = facade(new Map(), 'n1', { lookupHost });
    const p = buildProfile({ version: '2c', inventory: 'gone-1.example\nbox.example box\ngone-2.example' }, { community: 'public' });
    const node = trapIn({ f, env }, { port, address: '127.0.0.1' }, [{ id: 'cfg', profile: p }]);
    node.start();
    const sender = new Sender();
    try {
      await node.namesResolved;
      assert.deepEqual(errors, ['warn:errors.unresolved {"count":2,"names":"gone-1.example, gone-2.example"}']);
      await waitFor(() => node.shared?.status.state === 'listening', 'listening');
      await sender.send(packet('v2c-trap'), port);
      await waitFor(() => sent.length === 1, 'the trap');
      assert.equal((sent[0][0] as { device: { name: string } }).device.name, 'box');
    } finally {
      sender.close();
      await node.close();
    }
  });

  it('ignores an invalid config among valid ones, with one error naming it', async () => {
    const port = await freePort();
    const { f, env, errors } = facade(new Map());
    const node = trapIn({ f, env }, { port, address: '127.0.0.1' }, [{ id: 'bad', name: 'broken', configError: 'port must be 1-65535' }, { id: 'cfg', profile }]);
    node.start();
    await waitFor(() => node.shared?.status.state === 'listening', 'listening');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /errors\.bad-config .*broken.*port must be/);
    assert.deepEqual(node.credentials.communities, ['public']);
    await node.close();
  });
});
