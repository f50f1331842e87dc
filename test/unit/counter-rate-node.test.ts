import { strict as assert } from 'assert';
import * as sinon from 'sinon';
import { CounterRateNode, counterRateOptions, COUNTER_STATE_KEY } from '../../src/lib/counter-rate-node';
import type { ContextLike } from '../../src/lib/state-store';

const T0 = Date.UTC(2025, 0, 1);

/** A context that answers asynchronously, as a file store without cache does. */
function asyncContext(initial?: unknown): ContextLike & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  if (initial !== undefined) data.set(COUNTER_STATE_KEY, initial);
  return {
    data,
    get: (key, _store, cb) => setImmediate(() => cb(undefined, data.get(key))),
    set: (key, value, _store, cb) => {
      data.set(key, value);
      setImmediate(() => cb(undefined));
    },
  };
}

function facade(context: ContextLike) {
  const statuses: any[] = [];
  const warnings: string[] = [];
  return {
    statuses,
    warnings,
    t: (key: string, vars?: Record<string, unknown>) => `${key}${vars ? ' ' + JSON.stringify(vars) : ''}`,
    status: (s: any) => statuses.push(s),
    warn: (w: string) => warnings.push(w),
    context,
  };
}

function counterMsg(octets: number, pollTime: number) {
  return { topic: 'r1', payload: { 'ifHCInOctets.1': octets }, varbinds: [{ oid: '1.3.6.1.2.1.31.1.1.1.6.1', name: 'IF-MIB::ifHCInOctets.1', type: 'Counter64', value: octets, exact: String(octets) }], snmp: { time: pollTime } };
}

async function run(node: CounterRateNode, msg: any): Promise<{ sent: any[]; err?: Error }> {
  return new Promise((resolve) => {
    const sent: any[] = [];
    node.input(msg, (m) => sent.push(m), (err) => resolve({ sent, err }));
  });
}

describe('counter-rate node logic', () => {
  afterEach(() => sinon.restore());

  it('checks its properties', () => {
    assert.deepEqual(counterRateOptions({}), { width: 'auto', mode: 'rate', scale: 1, maxRate: undefined, expireMs: 3600000, store: '' });
    assert.deepEqual(counterRateOptions({ width: '32', mode: 'delta', scale: '8', maxRate: '1e9', expire: '60', store: ' file ' }), { width: 32, mode: 'delta', scale: 8, maxRate: 1e9, expireMs: 60000, store: 'file' });
    for (const bad of [{ width: '16' }, { mode: 'avg' }, { scale: '0' }, { scale: 'x' }, { maxRate: '-5' }, { expire: '0' }]) {
      assert.throws(() => counterRateOptions(bad), /must be/, JSON.stringify(bad));
    }
  });

  it('rates a message that arrives 60 s after its poll by the poll times', async () => {
    const clock = sinon.useFakeTimers({ now: T0 + 120_000, toFake: ['Date'] });
    const f = facade(asyncContext());
    const node = new CounterRateNode(f, counterRateOptions({}));
    await run(node, counterMsg(1000, T0));
    clock.tick(60_000); // the second message arrives a minute after its poll
    const { sent } = await run(node, counterMsg(6000, T0 + 10_000));
    assert.equal(sent[0].payload['ifHCInOctets.1'], 500, '5000 octets over the 10 s between the polls');
    await node.close();
  });

  it('queues messages until the state has loaded, and resumes a stored state', async () => {
    const ctx = asyncContext({ v: 2, devices: { r1: { t: T0, r: { '': { 'ifHCInOctets.1': [1000, T0] } } } } });
    const node = new CounterRateNode(facade(ctx), counterRateOptions({}));
    const { sent } = await run(node, counterMsg(3000, T0 + 2000)); // sent before the get answered
    assert.equal(sent[0].payload['ifHCInOctets.1'], 1000);
    await node.close();
    assert.deepEqual({ ...(ctx.data.get(COUNTER_STATE_KEY) as any).devices.r1.r[''] }, { 'ifHCInOctets.1': [3000, T0 + 2000] }, 'written back on close');
  });

  it('survives a failing context store with one warning', async () => {
    const broken: ContextLike = {
      get: (_k, _s, cb) => cb(new Error('disk on fire'), undefined),
      set: () => { throw new Error('disk on fire'); },
    };
    const f = facade(broken);
    const node = new CounterRateNode(f, counterRateOptions({}));
    await run(node, counterMsg(1, T0));
    const { sent, err } = await run(node, counterMsg(11, T0 + 1000));
    assert.equal(err, undefined);
    assert.equal(sent[0].payload['ifHCInOctets.1'], 10);
    assert.deepEqual(f.warnings, ['errors.store {"error":"disk on fire"}']);
    await node.close();
  });
});
