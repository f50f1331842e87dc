import { strict as assert } from 'assert';
import { buildProfile } from '../../src/lib/config';
import { findListener } from '../../src/lib/trap/registry';
import { TrapInNode, type StatusObject, type TrapNodeFacade } from '../../src/lib/trap/trap-node';
import { freePort, packet, Sender, waitFor } from '../fixtures/packets/tools';

/** A Node-RED node stand-in whose context survives restarts (as a configured store does). */
function facade(store: Map<string, unknown>, id = 'n1') {
  const sent: Array<[unknown, unknown]> = [];
  const statuses: StatusObject[] = [];
  const errors: string[] = [];
  const f: TrapNodeFacade = {
    id,
    status: (s) => statuses.push(s),
    error: (t) => errors.push(t),
    warn: (t) => errors.push(`warn:${t}`),
    t: (key, vars) => (vars ? `${key} ${JSON.stringify(vars)}` : key),
    send: (msgs) => sent.push(msgs),
    contextGet: (key, cb) => setImmediate(() => cb(undefined, store.get(key))),
    contextSet: (key, value, cb) => { store.set(key, value); cb(undefined); },
    fallbackMib: () => undefined,
  };
  return { f, sent, statuses, errors };
}

const profile = buildProfile({ version: '2c', inventory: '127.0.0.1 box' }, { community: 'public' });

describe('trap-in engine', () => {
  it('reuses the engine ID kept in context and counts boots up on each start', async () => {
    const port = await freePort();
    const store = new Map<string, unknown>([['engine', { id: '8000b9838001020304', boots: 41 }]]);
    for (const boots of [42, 43]) {
      const { f } = facade(store);
      const node = new TrapInNode(f, { port, address: '127.0.0.1' }, [{ id: 'cfg', profile }]);
      node.start();
      await waitFor(() => node.shared?.status.state === 'listening', 'listening');
      assert.equal(node.shared?.engine.id.toString('hex'), '8000b9838001020304');
      assert.equal(node.shared?.engine.boots, boots);
      assert.deepEqual(store.get('engine'), { id: '8000b9838001020304', boots });
      await node.close();
    }
  });

  it('names senders from the inventory and sets the status on changes only', async () => {
    const port = await freePort();
    const { f, sent, statuses } = facade(new Map());
    const node = new TrapInNode(f, { port, address: '127.0.0.1' }, [{ id: 'cfg', profile }]);
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

  it('ignores an invalid config among valid ones, with one error naming it', async () => {
    const port = await freePort();
    const { f, errors } = facade(new Map());
    const node = new TrapInNode(f, { port, address: '127.0.0.1' }, [{ id: 'bad', name: 'broken', configError: 'port must be 1-65535' }, { id: 'cfg', profile }]);
    node.start();
    await waitFor(() => node.shared?.status.state === 'listening', 'listening');
    assert.equal(errors.length, 1);
    assert.match(errors[0], /errors\.bad-config .*broken.*port must be/);
    assert.deepEqual(node.credentials.communities, ['public']);
    await node.close();
  });
});
