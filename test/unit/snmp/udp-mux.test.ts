import { strict as assert } from 'assert';
import * as dgram from 'dgram';
import { DELIVERY_BUDGET_MS, UdpMux, type UdpMuxOptions, type VirtualSocket } from '../../../src/lib/snmp/udp-mux';
import { classifyError } from '../../../src/lib/common/errors';

/**
 * The shared socket's delivery budget: replies past a turn's budget wait for later
 * turns of the event loop, in order, none lost; a reply that waited too long goes past
 * the budget. The tests run on a clock of their own that each delivery moves on, so
 * what a turn can hold does not depend on how fast this machine is.
 */
describe('UDP mux: replies delivered within a budget per event-loop turn', function () {
  this.timeout(10000);

  interface Rig {
    mux: UdpMux;
    vs: VirtualSocket;
    agent: dgram.Socket;
    /** Sequence numbers of the delivered datagrams, in delivery order. */
    delivered: number[];
    /** The loop turn (a setImmediate counter) each delivery happened in. */
    turns: number[];
    clock: { now: number };
    send(count: number, size?: number): Promise<void>;
    close(): void;
  }

  /** A mux with one route to a local "agent" socket; each delivery costs `costMs` of the test clock. */
  async function rig(options: Partial<UdpMuxOptions>, costMs: number): Promise<Rig> {
    const clock = { now: 1000 };
    const mux = new UdpMux({ transport: 'udp4', now: () => clock.now, ...options });
    const agent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => agent.bind(0, '127.0.0.1', () => resolve()));
    const vs = mux.dgramModule.createSocket();
    const delivered: number[] = [];
    const turns: number[] = [];
    let turn = 0;
    let ticking = true;
    const tick = (): void => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    vs.on('message', (buf: Buffer) => {
      delivered.push(buf.readUInt32BE(0));
      turns.push(turn);
      clock.now += costMs;
    });
    // the first request opens the real socket and routes the agent's address to vs
    await new Promise<void>((resolve) => vs.send(Buffer.from('hello'), 0, 5, agent.address().port, '127.0.0.1', () => resolve()));
    const port = mux.address().port;
    let seq = 0;
    return {
      mux, vs, agent, delivered, turns, clock,
      async send(count: number, size = 64) {
        const sent: Array<Promise<void>> = [];
        for (let i = 0; i < count; i++) {
          const buf = Buffer.alloc(size);
          buf.writeUInt32BE(seq++, 0);
          sent.push(new Promise((resolve) => agent.send(buf, port, '127.0.0.1', () => resolve())));
        }
        await Promise.all(sent);
      },
      close() {
        ticking = false;
        vs.close();
        mux.close();
        agent.close();
      },
    };
  }

  async function until(cond: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(cond(), what);
  }

  it('spreads replies that cost more than a turn over several turns, in order, none lost', async () => {
    // each delivery uses half the budget: about two per turn
    const r = await rig({ agingMs: 1e9 }, DELIVERY_BUDGET_MS / 2);
    try {
      await r.send(40);
      await until(() => r.delivered.length === 40, 'all 40 datagrams delivered');
      assert.deepEqual(r.delivered, Array.from({ length: 40 }, (_, i) => i), 'in arrival order');
      const distinct = new Set(r.turns).size;
      assert.ok(distinct >= 10, `40 deliveries at half a budget each spread over many turns (got ${distinct})`);
      for (const t of new Set(r.turns)) {
        const inTurn = r.turns.filter((x) => x === t).length;
        assert.ok(inTurn <= 3, `at most the budget (plus the one that crosses it) per turn: turn ${t} had ${inTurn}`);
      }
      assert.equal(r.mux.backlogSize, 0, 'nothing left waiting');
      assert.equal(r.mux.stats.received, 40);
      assert.equal(r.mux.stats.overflow, 0);
    } finally {
      r.close();
    }
  });

  it('delivers cheap replies as they come, without waiting for a later turn', async () => {
    const r = await rig({ agingMs: 1e9 }, 0);
    try {
      await r.send(20);
      await until(() => r.delivered.length === 20, 'all 20 datagrams delivered');
      assert.deepEqual(r.delivered, Array.from({ length: 20 }, (_, i) => i));
      assert.equal(r.mux.backlogSize, 0);
    } finally {
      r.close();
    }
  });

  it('gives replies that wait a budget growing with their wait, so a busy loop cannot starve them', async () => {
    // every delivery costs two budgets: without aging one goes per turn
    const plain = await rig({ agingMs: 1e9 }, DELIVERY_BUDGET_MS * 2);
    try {
      await plain.send(30);
      await until(() => plain.delivered.length === 30, 'all 30 datagrams delivered without aging');
      assert.ok(new Set(plain.turns).size >= 25, `one per turn without aging (${new Set(plain.turns).size} turns)`);
    } finally {
      plain.close();
    }
    // aging of one budget: a reply that waited n budgets gets a turn of n budgets
    const aged = await rig({ agingMs: DELIVERY_BUDGET_MS }, DELIVERY_BUDGET_MS * 2);
    try {
      await aged.send(30);
      await until(() => aged.delivered.length === 30, 'all 30 datagrams delivered with aging');
      assert.deepEqual(aged.delivered, Array.from({ length: 30 }, (_, i) => i), 'in arrival order');
      const turns = new Set(aged.turns).size;
      assert.ok(turns < 15, `replies that waited are caught up in fewer turns (${turns})`);
      const perTurn = [...new Set(aged.turns)].map((t) => aged.turns.filter((x) => x === t).length);
      assert.ok(perTurn.some((n) => n >= 3), `later turns take several at once: ${perTurn.join(' ')}`);
    } finally {
      aged.close();
    }
  });

  it('drops and counts replies past maxBacklogBytes, like a full socket buffer', async () => {
    // no budget per turn in effect: the first delivery spends it; 1,000-byte datagrams, 3,000 bytes of backlog
    const r = await rig({ agingMs: 1e9, maxBacklogBytes: 3000 }, DELIVERY_BUDGET_MS * 10);
    try {
      await r.send(20, 1000);
      await until(() => r.mux.stats.received === 20 && r.mux.backlogSize === 0, 'all 20 read and the backlog drained');
      assert.ok(r.mux.stats.overflow > 0, 'some were dropped');
      assert.equal(r.delivered.length + r.mux.stats.overflow, 20, 'each datagram either delivered or counted as dropped');
      for (let i = 1; i < r.delivered.length; i++) assert.ok(r.delivered[i] > r.delivered[i - 1], 'those delivered keep their order');
    } finally {
      r.close();
    }
  });

  it('counts datagrams from an address it does not poll without queueing them', async () => {
    const r = await rig({ agingMs: 1e9 }, DELIVERY_BUDGET_MS * 10);
    const stranger = dgram.createSocket('udp4');
    try {
      await r.send(5);
      await new Promise<void>((resolve) => stranger.send(Buffer.alloc(64), r.mux.address().port, '127.0.0.1', () => resolve()));
      await until(() => r.mux.stats.received === 6 && r.delivered.length === 5, 'the five from the agent delivered, the stranger\'s read');
      assert.equal(r.mux.stats.unmatched, 1);
      assert.equal(r.mux.backlogSize, 0);
    } finally {
      stranger.close();
      r.close();
    }
  });

  it('delivers nothing after close, even what was waiting', async () => {
    const r = await rig({ agingMs: 1e9 }, DELIVERY_BUDGET_MS * 10);
    let waitingAtClose = -1;
    // one delivery per turn: the second comes a turn after all ten were read
    r.vs.on('message', () => {
      if (r.delivered.length !== 2) return;
      waitingAtClose = r.mux.backlogSize;
      r.mux.close();
    });
    try {
      await r.send(10);
      await until(() => waitingAtClose >= 0, 'the second delivered');
      assert.ok(waitingAtClose > 0, `some waited for a later turn when the mux closed (${waitingAtClose})`);
      assert.equal(r.mux.backlogSize, 0, 'close drops the backlog');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(r.delivered.length, 2, 'no delivery after close');
    } finally {
      r.close();
    }
  });
});

describe('UDP mux: a source address the host does not have', () => {
  it('fails each send with the address and the bind error, and the poll says so instead of "malformed response"', async () => {
    // 192.0.2.1 (TEST-NET-1) is on no interface here: the bind fails on this host, and no
    // datagram is sent anywhere (the destination is loopback anyway)
    const mux = new UdpMux({ transport: 'udp4', sourceAddress: '192.0.2.1' });
    try {
      for (let i = 0; i < 2; i++) {
        const err = await new Promise<Error | null>((resolve) => mux.send(Buffer.from('x'), 9, '127.0.0.1', (e) => resolve(e)));
        assert.ok(err, 'the send fails');
        assert.equal(err!.message, 'cannot bind the SNMP socket to source address 192.0.2.1 (EADDRNOTAVAIL)');
        assert.deepEqual(classifyError(err), { code: 'unreachable', message: 'cannot bind the SNMP socket to source address 192.0.2.1 (EADDRNOTAVAIL)' });
      }
      assert.equal(mux.stats.sendErrors, 2, 'each failed socket counted');
    } finally {
      mux.close();
    }
  });
});
